"""The package's documents: agreement versions, due-diligence reports, the audit trail of the
practice's data, and the list of vendor and payer contracts the practice leaves with.

The agreements have no signed PDF in the platform (the terms are data), so each version is its JSON
and each version's due-diligence report is JSON and PDF (`agreements.report`, `agreements.pdf`).
The audit trail is `core.audit`'s own CSV, streamed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.agreements import pdf, report
from openmso.agreements.models import AgreementVersion
from openmso.agreements.terms import Terms
from openmso.core import audit
from openmso.core.tenancy import Actor
from openmso.exit.package.files import CsvFile, FileEntry, write_bytes, write_json
from openmso.exit.package.resources import payer_ids_query
from openmso.network.models import Payer, PracticePayer
from openmso.rcm.contracts.models import ContractRate

_VERSION_FIELDS = ("id", "agreement_id", "number", "status", "change_note", "model", "fee_kind", "effective_on",
                   "signed_on", "signed_by_practice", "signed_by_mso", "ended_on", "created_at", "created_by",
                   "updated_at")


def _versions(session: Session, practice_id: int) -> list[AgreementVersion]:
    return list(session.scalars(select(AgreementVersion).where(AgreementVersion.practice_id == practice_id)
                                .order_by(AgreementVersion.agreement_id, AgreementVersion.number)))


def write_agreements(session: Session, actor: Actor, root: Path, practice_id: int, as_of: date) -> list[FileEntry]:
    entries = []
    for version in _versions(session, practice_id):
        stem = f"agreement-{version.agreement_id}-v{version.number}"
        data = {name: getattr(version, name) for name in _VERSION_FIELDS}
        data["title"] = version.agreement.title
        data["terms"] = version.terms
        entries.append(write_json(root, f"agreements/{stem}.json", "agreement", data))
        found = report.due_diligence(session, actor, version, as_of)
        entries.append(write_bytes(root, f"reports/{stem}-due-diligence.json", "report",
                                   found.model_dump_json(indent=2).encode("utf-8")))
        entries.append(write_bytes(root, f"reports/{stem}-due-diligence.pdf", "report", pdf.render(found)))
    return entries


def count_versions(session: Session, practice_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AgreementVersion)
                          .where(AgreementVersion.practice_id == practice_id))


AUDIT_PATH = "audit/audit_trail.csv"


def write_audit_trail(session: Session, actor: Actor, root: Path, practice_id: int) -> FileEntry:
    """Every audit entry about the practice's data, oldest last (the trail's own CSV, hashes included)."""
    query = audit.filtered_query(actor, audit.AuditFilter(practice_id=practice_id))
    out = CsvFile(root, AUDIT_PATH, "audit", audit.CSV_COLUMNS)
    for rows in _rows(session, query):
        out.writerows(rows)
    return out.close()


def _rows(session: Session, query, batch_size: int = 5000):
    batch = []
    for entry in session.scalars(query.execution_options(yield_per=batch_size)):
        batch.append([getattr(entry, name) if name != "occurred_at" else entry.occurred_at.isoformat()
                      for name in audit.CSV_COLUMNS])
        if len(batch) == batch_size:
            yield batch
            batch = []
    yield batch


def count_audit_entries(session: Session, practice_id: int) -> int:
    return session.scalar(select(func.count()).select_from(audit.AuditEntry)
                          .where(audit.AuditEntry.practice_id == practice_id))


def _payer_contracts(session: Session, practice_id: int, exits: dict) -> list[dict]:
    enrolled = dict(session.execute(select(PracticePayer.payer_id, PracticePayer.enrolled_on)
                                    .where(PracticePayer.practice_id == practice_id)).all())
    rates = {row.payer_id: row for row in session.execute(
        select(ContractRate.payer_id, func.count().label("rates"), func.min(ContractRate.effective_from).label("first"),
               func.max(ContractRate.effective_from).label("latest"))
        .where(ContractRate.practice_id == practice_id).group_by(ContractRate.payer_id))}
    payer_ids = payer_ids_query(practice_id)
    payers = session.scalars(select(Payer).where(Payer.id.in_(select(payer_ids.c[0]))).order_by(Payer.name))
    listed = []
    for payer in payers:
        rate = rates.get(payer.id)
        listed.append({
            "kind": "payer", "name": payer.name, "payer_id": payer.payer_code,
            "line_of_business": payer.line_of_business, "timely_filing_days": payer.timely_filing_days,
            "enrolled_on": enrolled.get(payer.id), "enrolled": payer.id in enrolled,
            "fee_schedule": {"rates": rate.rates, "earliest_effective": rate.first, "latest_effective": rate.latest,
                             "file": "tables/contract_rate.csv"} if rate else None,
            "exit_disposition": exits.get(("payer", payer.name.strip().lower())),
        })
    return listed


def _vendor_contracts(terms: Terms | None, exits: dict) -> list[dict]:
    if terms is None:
        return []
    listed = [{"kind": "vendor", "name": tech.vendor, "category": tech.category.value,
               "arrangement": tech.arrangement.value,
               "exit_disposition": exits.get(("vendor", tech.vendor.strip().lower()))}
              for tech in terms.technology if tech.vendor]
    named = {item["name"].strip().lower() for item in listed}
    listed += [{"kind": "vendor", "name": item.contract, "category": None, "arrangement": None,
                "exit_disposition": item.disposition.value}
               for item in terms.exit.contracts if item.kind == "vendor" and item.contract.strip().lower() not in named]
    return listed


def write_contracts(session: Session, root: Path, practice_id: int) -> FileEntry:
    """Every payer the practice deals with (with its fee schedule on file) and every vendor its agreement names."""
    signed = session.scalar(select(AgreementVersion).where(AgreementVersion.practice_id == practice_id,
                                                           AgreementVersion.status == "signed"))
    terms = Terms.model_validate(signed.terms) if signed is not None else None
    exits = {(item.kind, item.contract.strip().lower()): item.disposition.value
             for item in (terms.exit.contracts if terms else [])}
    contracts = _payer_contracts(session, practice_id, exits) + _vendor_contracts(terms, exits)
    source = f"agreement #{signed.agreement_id} v{signed.number}" if signed is not None else None
    return write_json(root, "contracts/contracts.json", "contracts",
                      {"agreement": source, "contracts": contracts}, records=len(contracts))

