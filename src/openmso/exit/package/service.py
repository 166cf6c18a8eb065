"""Building a practice's exit package: who may, what goes in, and the proof that it is complete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements import enforcement
from openmso.agreements.catalogue import EXIT_DATA_CLAUSE
from openmso.core import audit
from openmso.core.errors import Conflict, Forbidden, NotFound
from openmso.core.tenancy import Actor, Role, visible
from openmso.core.types import utcnow
from openmso.exit.package import documents, manifest, originals, resources, tables
from openmso.exit.package.files import CsvFile, FileEntry, write_json
from openmso.exit.package.readme import write_readme
from openmso.exit.package.workspace import Workspace
from openmso.network.models import Practice

Progress = Callable[[str], None]


@dataclass
class PackageResult:
    path: Path
    manifest: dict
    seconds: float = 0.0

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


def _write_contents(session: Session, actor: Actor, root: Path, practice_id: int, counts: dict,
                    owned: list[tables.OwnedTable], progress: Progress, notes: list[str]) -> list[FileEntry]:
    files: list[FileEntry] = []
    for kind in resources.RESOURCE_TYPES:
        progress(f"FHIR {kind.name}")
        entry = resources.write_resources(session, root, kind, practice_id)
        entry.database_count = counts["fhir"][kind.name]
        files.append(entry)
    for table in owned:
        progress(f"table {table.name}")
        entry = tables.write_table(session, root, table, practice_id)
        entry.database_count = counts["tables"][table.name]
        files.append(entry)
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
    trail = documents.write_audit_trail(session, actor, root, practice_id)
    trail.database_count = counts["audit_entries"]
    files.append(trail)
    files.append(documents.write_contracts(session, root, practice_id))
    return files


def build_package(session: Session, actor: Actor, practice_id: int, out: Path, *, archive: str | None = None,
                  progress: Progress | None = None) -> PackageResult:
    """Write the practice's exit package to `out` (a directory, or `out`.tar/.zip with `archive`).

    Streams every table and resource, so memory stays flat; the package appears at `out` only once
    complete, with its manifest. The export is recorded in the audit trail before anything is read,
    so the package's own trail includes it. Raises `Conflict` if the database changed under the export.
    """
    progress = progress or (lambda step: None)
    practice = _practice(session, actor, practice_id)
    clause = export_clause(session, actor, practice_id)
    started = utcnow()
    with Workspace(Path(out), archive) as workspace:
        audit.record(session, actor, "exit.package", "practice", practice_id, practice_id=practice_id,
                     reason=f"exit package to {workspace.final.name} ({clause})"[:500])
        owned = tables.owned_tables()
        progress("counting rows")
        counts = _database_counts(session, practice_id, owned)
        notes = list(workspace.cleaned)
        files = _write_contents(session, actor, workspace.directory, practice_id, counts, owned, progress, notes)
        if problems := manifest.mismatches(files):
            raise Conflict("The practice's records changed while they were exported; export again. "
                           + "; ".join(problems[:5]))
        identity = {"id": practice.id, "legal_name": practice.legal_name, "group_npi": practice.group_npi,
                    "tin": practice.tin}
        created = {"created_at": started.isoformat(), "finished_at": utcnow().isoformat(),
                   "created_by": {"username": actor.username, "role": str(actor.role)}, "authority": clause,
                   "database": session.get_bind().dialect.name}
        files.append(write_readme(workspace.directory, identity, created))
        document = manifest.build(identity, created, files, counts, notes)
        manifest.write(workspace.directory, document)
        progress("finishing")
        path = workspace.commit()
    return PackageResult(path, document, (utcnow() - started).total_seconds())
