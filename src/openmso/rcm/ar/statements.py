"""The patient's statement: every ledger entry, what is due now, and what waits for another plan.

The amount due is the ledger's balance (the figure the balances list shows) less the share of services another
plan of the patient's is to answer first — billed to it and not answered yet, or left by the last payer for a next
plan in force not billed yet (`held_shares.pending_shares`, `next_plans`): billing the patient for what their
secondary plan may still pay is the complaint a statement must not cause, so that share is printed apart as
pending insurance, not asked for.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit
from openmso.core.errors import NotFound
from openmso.core.tenancy import Actor, visible
from openmso.network.models import Patient, Practice
from openmso.rcm.ar import patients
from openmso.rcm.denials import letters
from openmso.rcm.remittance.models import PatientLedgerEntry

STATEMENT = """{practice}
Patient statement - {today}

{patient}

{summary}

{lines}

{closing}
"""


def summary(owed: patients.Owed) -> tuple[str, str]:
    """The statement's headline and closing: an amount due asks for payment; a share pending with another plan is
    named and not asked for; a credit balance (the patient paid more than they owe) says no payment is due, as
    the refund is ours."""
    if owed.balance < 0:
        return (f"Credit balance ${-owed.balance} — no payment due",
                "We owe you this credit and will refund it. Questions: call the billing office.")
    pending = (f"\nPending insurance: ${owed.pending} — for your other plan to answer first; not due until it does"
               if owed.pending else "")
    if owed.due > 0:
        return (f"Amount due: ${owed.due}{pending}",
                "Please pay within 30 days. Questions: call the billing office.")
    return f"Amount due: $0.00 — no payment due{pending}", "Questions: call the billing office."


def patient_statement(db: Session, actor: Actor, practice_id: int, patient_id: int, today: date | None = None) -> bytes:
    """The patient's statement PDF (a PHI read, audited)."""
    patient = db.scalar(visible(select(Patient), actor).where(Patient.id == patient_id,
                                                              Patient.practice_id == practice_id))
    if patient is None:
        raise NotFound("Patient not found")
    authorize(db, actor, MsoAction.READ_PHI, practice_id, object_type="patient", object_id=patient_id,
              patient_id=patient_id)
    entries = db.scalars(select(PatientLedgerEntry).where(PatientLedgerEntry.practice_id == practice_id,
                                                          PatientLedgerEntry.patient_id == patient_id)
                         .order_by(PatientLedgerEntry.entered_on, PatientLedgerEntry.id)).all()
    owed = patients.owed_by(db, practice_id, patient_id)
    headline, closing = summary(owed)
    lines = "\n".join(f"  {e.entered_on}  {e.kind:<15} {e.amount:>10}  {e.detail}" for e in entries)
    text = STATEMENT.format(practice=db.get(Practice, practice_id).legal_name,
                            today=(today or date.today()).isoformat(),
                            patient=f"{patient.first_name} {patient.last_name}", summary=headline,
                            lines=lines or "  (no charges)", closing=closing)
    audit.record(db, actor, "ar.patient_statement", "patient", patient_id, practice_id=practice_id,
                 patient_id=patient_id, reason=f"balance {owed.balance} due {owed.due} pending {owed.pending}")
    return letters.render_pdf(text, f"Statement {patient.last_name}")
