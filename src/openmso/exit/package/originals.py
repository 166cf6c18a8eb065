"""The X12 files sent and received for the practice: its 837P batches, the 999 and 277CA answers,
and the 835 remittances — the original bytes when the file is wholly the practice's, otherwise the
practice's extract of it (`x12_extract`).

Which files concern the practice is decided from the database, not guessed from file names: its
own batches; acknowledgement files matched to its batches or that moved one of its claims (a
277CA answering several practices' batches is stored under the first practice it names); 835 files
that paid it (a file paying several payees has no single practice). Quarantined files were never
applied to anything and are not part of the practice's record.

Memory stays flat whatever a file's size: a received 835's stored copy is read a part at a time
(`remittance_file_part`, 1 MiB each, after the single `content` column of files stored before parts
existed) into a temporary file; the extract is read from it one transaction set at a time, and the
package file is copied from it (or from the extract) in chunks.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openmso.exit.package.files import FileEntry, HashingWriter
from openmso.exit.package.x12_extract import Ownership, extract
from openmso.network.models import Practice
from openmso.rcm.claims.models import ClaimBatch, TimelineEntry
from openmso.rcm.clearinghouse.models import FileStatus, InboundFile
from openmso.rcm.remittance.models import Remittance, RemittanceFile, stored_copy
from openmso.x12 import X12Error, iter_segments

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# What one record of each kind of X12 file is: the claims it carries or answers.
RECORD_SEGMENTS = {"837P": "CLM", "835": "CLP", "277CA": "HL:PT", "999": "AK2"}


@dataclass(frozen=True)
class Original:
    kind: str  # 837P, 999, 277CA, 835
    practice_id: int | None  # the row's own practice; None or another when the file was shared
    table: str
    row_id: int
    name: str
    sha256: str


def ownership(session: Session, practice_id: int) -> Ownership:
    practice = session.execute(select(Practice.group_npi, Practice.tin).where(Practice.id == practice_id)).one()
    batches = session.execute(select(ClaimBatch.group_control_number, ClaimBatch.interchange_control_number)
                              .where(ClaimBatch.practice_id == practice_id)).all()
    return Ownership(npi=practice.group_npi, tin=practice.tin,
                     group_control_numbers=frozenset(str(b.group_control_number) for b in batches),
                     batch_references=frozenset(f"OM{b.interchange_control_number:09d}" for b in batches))


def candidates(session: Session, practice_id: int) -> Iterator[Original]:
    for row in session.execute(select(ClaimBatch.id, ClaimBatch.filename, ClaimBatch.sha256)
                               .where(ClaimBatch.practice_id == practice_id).order_by(ClaimBatch.id)):
        yield Original("837P", practice_id, "claim_batch", row.id, row.filename, row.sha256)
    touched = select(TimelineEntry.inbound_file_id).where(TimelineEntry.practice_id == practice_id,
                                                          TimelineEntry.inbound_file_id.is_not(None))
    inbound = (select(InboundFile.id, InboundFile.practice_id, InboundFile.kind, InboundFile.name, InboundFile.sha256)
               .where(InboundFile.kind.in_(("999", "277CA")), InboundFile.status != FileStatus.QUARANTINED,
                      or_(InboundFile.practice_id == practice_id, InboundFile.id.in_(touched)))
               .order_by(InboundFile.id))
    for row in session.execute(inbound):
        yield Original(row.kind, row.practice_id, "inbound_file", row.id, row.name, row.sha256)
    paid = select(Remittance.file_id).where(Remittance.practice_id == practice_id)
    remits = (select(RemittanceFile.id, RemittanceFile.practice_id, RemittanceFile.name, RemittanceFile.sha256)
              .where(RemittanceFile.status != "quarantined",
                     or_(RemittanceFile.practice_id == practice_id, RemittanceFile.id.in_(paid)))
              .order_by(RemittanceFile.id))
    for row in session.execute(remits):
        yield Original("835", row.practice_id, "remittance_file", row.id, row.name, row.sha256)


_CONTENT = {"claim_batch": ClaimBatch.content, "inbound_file": InboundFile.content}
COPY_BYTES = 1 << 20


def _spool(session: Session, original: Original, into: BinaryIO) -> None:
    """The stored copy of `original`, byte for byte, into `into`; a received 835 comes part by part
    (`stored_copy`), one part in memory at a time; other files are kept as latin-1 text."""
    if original.table == "remittance_file":
        for part in stored_copy(session, original.row_id):
            into.write(part)
    else:
        column = _CONTENT[original.table]
        into.write((session.scalar(select(column).where(column.table.c.id == original.row_id)) or "").encode("latin-1"))
    into.flush()


def count_records(kind: str, data: BinaryIO) -> int:
    """Claims carried or answered by an X12 file (CLM, CLP, 277CA patient-level HL, 999 AK2)."""
    segment_id, _, level = RECORD_SEGMENTS[kind].partition(":")
    count = 0
    for _offset, _number, elements in iter_segments(data):
        if elements[0] == segment_id and (not level or (len(elements) > 3 and elements[3] == level)):
            count += 1
    return count


def _copy(root: Path, relative: str, data: BinaryIO, records: int | None) -> FileEntry:
    data.seek(0)
    with HashingWriter(root, relative, "x12") as writer:
        while chunk := data.read(COPY_BYTES):
            writer.write(chunk)
    writer.entry.records = records
    return writer.entry


def _path(original: Original, extract_of: bool) -> str:
    stem = _UNSAFE.sub("_", original.name.removesuffix(".x12")).strip("._") or "file"
    suffix = ".practice-extract" if extract_of else ""
    return f"x12/{original.kind}/{original.table}-{original.row_id}-{stem}{suffix}.x12"


def _unreadable(root: Path, original: Original, stored: BinaryIO, practice_id: int, error: X12Error,
                notes: list[str]) -> FileEntry | None:
    """A stored file that is not readable X12: kept as stored when it is wholly the practice's; a shared
    one cannot be cut safely, so it is left out and the manifest says so."""
    where = f"{original.table} {original.row_id} ({original.name})"
    if original.practice_id != practice_id:
        notes.append(f"{where} is shared with other practices and cannot be read as X12 ({error}); left out")
        return None
    entry = _copy(root, _path(original, False), stored, None)
    entry.details = {"x12_kind": None, "source": where, "original_sha256": original.sha256,
                     "notes": [f"stored as received; not readable as X12: {error}"]}
    return entry


def _write_original(session: Session, root: Path, original: Original, owner: Ownership, practice_id: int,
                    notes: list[str]) -> FileEntry | None:
    with tempfile.TemporaryFile() as stored, tempfile.TemporaryFile() as extracted:
        _spool(session, original, stored)
        stored.seek(0)
        text = io.TextIOWrapper(extracted, encoding="latin-1", newline="")
        try:
            part = extract(stored, owner, text)
        except X12Error as error:
            return _unreadable(root, original, stored, practice_id, error, notes)
        finally:
            text.flush()
            text.detach()
        if not part.kept:
            return None  # linked to the practice by a timeline entry, yet nothing in it is the practice's
        data = stored if part.whole else extracted
        data.seek(0)
        entry = _copy(root, _path(original, not part.whole), data, count_records(original.kind, data))
    entry.details = {"x12_kind": original.kind, "source": f"{original.table} {original.row_id}",
                     "original_name": original.name, "original_sha256": original.sha256,
                     "per_practice_extract": not part.whole, "transaction_sets": f"{part.kept} of {part.total}"}
    if part.notes:
        entry.details["notes"] = sorted(set(part.notes))
    return entry


def write_originals(session: Session, root: Path, practice_id: int, notes: list[str]) -> list[FileEntry]:
    owner = ownership(session, practice_id)
    entries = []
    for original in candidates(session, practice_id):
        if (entry := _write_original(session, root, original, owner, practice_id, notes)) is not None:
            entries.append(entry)
    return entries
