"""Building a practice's exit package: who may, what goes in, and the proof that it is complete."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements import enforcement
from openmso.agreements.catalogue import EXIT_DATA_CLAUSE
from openmso.core import audit, signing
from openmso.core.errors import Conflict, Forbidden, NotFound
from openmso.core.tenancy import Actor, Role, visible
from openmso.core.types import utcnow
from openmso.exit.package import documents, manifest, originals, parallel, resources, signature, tables
from openmso.exit.package.files import CsvFile, FileEntry, sync, write_json
from openmso.exit.package.manifest import MANIFEST
from openmso.exit.package.readme import write_readme
from openmso.exit.package.workspace import Workspace
from openmso.network.models import Practice

Progress = Callable[[str], None]


@dataclass
class PackageResult:
    path: Path
    manifest: dict
    seconds: float = 0.0
    helper_peak_rss_mb: float = 0.0  # the second process's, when one wrote some of the files (`parallel`)
    signed_by: str = ""  # the fingerprint of the MSO key that signed the manifest (`signature`)

    @property
    def rows(self) -> int:
        """Database rows exported as CSV (the measure of the package's size)."""
        return sum(self.manifest["database_counts"]["tables"].values())


def export_clause(session: Session, actor: Actor, practice_id: int) -> str:
    """Why `actor` may export the practice's data, or `Forbidden` naming why not.

    The practice's administrators export their own records. MSO users need the agreement: either
    the practice let the MSO share its data (Schedule C data-sharing decision), or the agreement
    has data-at-exit terms (Schedule F.5, formats and delivery window) with a business associate
    agreement in force, which oblige the MSO to deliver exactly this package.
    """
    if actor.user_id is None:
        return "server-side operation under the operator's authority"
    if actor.role is Role.PRACTICE_ADMIN:
        return "the practice's own records, exported by its administrator"
    if actor.role in (Role.PRACTICE_USER, Role.AUDITOR):
        audit.record_refusal(session, actor, "exit.package", "practice", practice_id, practice_id=practice_id,
                             reason=f"role {actor.role} may not export a practice's records")
        raise Forbidden(f"Your role ({actor.role}) may not export the practice's records; its administrator may")
    active = enforcement.active_terms(session, practice_id)
    rights = active.terms.data_rights if active is not None else None
    if rights is not None and rights.has_exit_terms and rights.baa_in_force:
        return f"{EXIT_DATA_CLAUSE} of {active.label}"
    return enforcement.authorize(session, actor, enforcement.MsoAction.EXPORT_DATA, practice_id).clause


def _practice(session: Session, actor: Actor, practice_id: int) -> Practice:
    practice = session.scalar(visible(select(Practice), actor).where(Practice.id == practice_id))
    if practice is None:
        raise NotFound("Practice not found")
    return practice


def _database_counts(session: Session, practice_id: int, owned: list[tables.OwnedTable]) -> dict:
    return {
        "tables": {t.name: tables.count_rows(session, t, practice_id) for t in owned},
        "fhir": {kind.name: kind.expected(session, practice_id) for kind in resources.RESOURCE_TYPES},
        "audit_entries": documents.count_audit_entries(session, practice_id),
        "agreement_versions": documents.count_versions(session, practice_id),
    }


def _file_tasks(root: Path, practice_id: int, owned: list[tables.OwnedTable]) -> dict[str, parallel.Task]:
    """The package's FHIR and table files, each a task writing its files in a given session (so some
    can be written by the helper process, `parallel`), named as progress reports them."""
    tasks: dict[str, parallel.Task] = {}
    for one_pass in resources.RESOURCE_PASSES:
        tasks[f"FHIR {one_pass.name}"] = partial(resources.write_resources, root=root, one_pass=one_pass,
                                                 practice_id=practice_id)
    for table in owned:
        tasks[f"table {table.name}"] = partial(_write_table, root=root, table=table, practice_id=practice_id)
    return tasks


def _write_table(session: Session, root: Path, table: tables.OwnedTable, practice_id: int) -> list[FileEntry]:
    return [tables.write_table(session, root, table, practice_id)]


def _expected(counts: dict, owned: list[tables.OwnedTable]) -> dict[str, int]:
    """What the database holds for each FHIR and table file, by the file's path."""
    expected = {kind.path: counts["fhir"][kind.name] for kind in resources.RESOURCE_TYPES}
    expected.update({table.path: counts["tables"][table.name] for table in owned})
    return expected


def _write_contents(session: Session, actor: Actor, root: Path, practice_id: int, tasks: dict[str, parallel.Task],
                    owned: list[tables.OwnedTable], progress: Progress, notes: list[str]) -> list[FileEntry]:
    files: list[FileEntry] = []
    for name, task in tasks.items():
        progress(name)
        files += task(session)
    progress("data dictionary")
    dictionary = CsvFile(root, "tables/data_dictionary.csv", "dictionary", tables.DICTIONARY_HEADER)
    dictionary.writerows(list(tables.dictionary_rows(owned)))
    files.append(dictionary.close())
    files.append(write_json(root, "tables/tables.json", "dictionary", tables.table_descriptions(owned),
                            records=len(owned)))
    progress("X12 files")
    files += originals.write_originals(session, root, practice_id, notes)
    progress("agreements and reports")
    files += documents.write_agreements(session, actor, root, practice_id, date.today())
    files.append(documents.write_audit_trail(session, actor, root, practice_id))
    files.append(documents.write_contracts(session, root, practice_id))
    return files


def begin_export(session: Session, actor: Actor, practice_id: int, out: Path) -> str:
    """Check that `actor` may export the practice and record the export in the audit trail; returns the
    clause it rests on. Commit before `write_package`, so the trail is written (and the package's own
    copy of the trail includes this entry) without a write lock held for the whole export."""
    _practice(session, actor, practice_id)
    clause = export_clause(session, actor, practice_id)
    audit.record(session, actor, "exit.package", "practice", practice_id, practice_id=practice_id,
                 reason=f"exit package to {Path(out).name} ({clause})"[:500])
    return clause


def write_package(session: Session, actor: Actor, practice_id: int, out: Path, clause: str, *,
                  signing_key: Ed25519PrivateKey, archive: str | None = None,
                  progress: Progress | None = None) -> PackageResult:
    """Write the package of an export `begin_export` allowed; reads only, so it can run in one read
    snapshot (`core.db.read_snapshot`) that blocks nobody, however long it takes.

    Streams every table and resource, so memory stays flat; the package appears at `out` only once
    complete, with its manifest. Raises `Conflict` if the rows changed under the export. In a read
    snapshot not yet started, a second process writes the files of `parallel.HELPER_TASKS` in the same
    snapshot meanwhile. The manifest is signed with `signing_key` (the MSO's: `core.signing`).
    """
    progress = progress or (lambda step: None)
    started = utcnow()
    with Workspace(Path(out), archive) as workspace:
        owned = tables.owned_tables()
        tasks = _file_tasks(workspace.directory, practice_id, owned)
        helper = parallel.Helper()
        helper.start(session, {name: task for name, task in tasks.items() if name in parallel.HELPER_TASKS})
        try:
            practice = _practice(session, actor, practice_id)
            progress("counting rows")
            counts = _database_counts(session, practice_id, owned)
            notes = list(workspace.cleaned)
            if helper.running:
                tasks = {name: task for name, task in tasks.items() if name not in parallel.HELPER_TASKS}
            files = _write_contents(session, actor, workspace.directory, practice_id, tasks, owned, progress, notes)
            if helper.running:
                progress("waiting for the second process")
                files += helper.result()
        finally:
            helper.stop()
        expected = _expected(counts, owned) | {documents.AUDIT_PATH: counts["audit_entries"]}
        for entry in files:
            entry.database_count = expected.get(entry.path, entry.database_count)
        if problems := manifest.mismatches(files):
            raise Conflict("The practice's records changed while they were exported; export again. "
                           + "; ".join(problems[:5]))
        identity = {"id": practice.id, "legal_name": practice.legal_name, "group_npi": practice.group_npi,
                    "tin": practice.tin}
        created = {"created_at": started.isoformat(), "finished_at": utcnow().isoformat(),
                   "created_by": {"username": actor.username, "role": str(actor.role)}, "authority": clause,
                   "database": session.get_bind().dialect.name,
                   "signature": {"algorithm": "Ed25519", "key_fingerprint": signing.fingerprint(signing_key),
                                 "file": signature.SIGNATURE, "public_key": signature.PUBLIC_KEY}}
        files.append(write_readme(workspace.directory, identity, created))
        progress("flushing to disk")
        sync(workspace.directory, files)
        document = manifest.build(identity, created, files, counts, notes)
        manifest.write(workspace.directory, document)
        signed_by = signature.sign(workspace.directory, signing_key)
        progress("finishing")
        path = workspace.commit()
    return PackageResult(path, document, (utcnow() - started).total_seconds(), helper.peak_rss_mb, signed_by)


def record_outcome(session: Session, actor: Actor, practice_id: int, result: PackageResult | None,
                   error: str | None = None) -> None:
    """The end of an export in the trail: the manifest's SHA-256 (what was handed over), or why it failed."""
    if result is not None:
        handed_over = result.path / MANIFEST if result.path.is_dir() else result.path
        with handed_over.open("rb") as file:  # an archive may be gigabytes: hashed in chunks, not read whole
            digest = hashlib.file_digest(file, "sha256").hexdigest()
        what = "manifest" if result.path.is_dir() else "archive"
        audit.record(session, actor, "exit.package_completed", "practice", practice_id, practice_id=practice_id,
                     reason=f"{result.path.name}: {len(result.manifest['files'])} files, {what} SHA-256 {digest}, "
                            f"signed by {result.signed_by}")
    else:
        audit.record(session, actor, "exit.package", "practice", practice_id, practice_id=practice_id,
                     outcome=audit.Outcome.FAILED, reason=(error or "failed")[:500])


def build_package(session: Session, actor: Actor, practice_id: int, out: Path, *, signing_key: Ed25519PrivateKey,
                  archive: str | None = None, progress: Progress | None = None) -> PackageResult:
    """Authorize, record and write the practice's exit package in the caller's one transaction.

    For short exports and tests; a long export should run `begin_export` (committed), then
    `write_package` in a read snapshot, then `record_outcome`, as `openmso exit package` does.
    """
    clause = begin_export(session, actor, practice_id, out)
    result = write_package(session, actor, practice_id, out, clause, archive=archive, progress=progress,
                           signing_key=signing_key)
    record_outcome(session, actor, practice_id, result)
    return result
