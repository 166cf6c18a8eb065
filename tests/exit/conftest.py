"""Two practices that share clearinghouse files: each has its own 837P batch and 999, one 277CA
answers both batches, one 835 pays both (a transaction set per payee). Every row and file of a
practice carries its marker, so another practice's marker anywhere in a package is a leak."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from openmso.core import audit
from openmso.core.tenancy import SYSTEM
from openmso.exit.package import service
from openmso.rcm.claims import batches, building, scrubbing
from openmso.rcm.claims.models import Claim, ClaimBatch
from openmso.rcm.clearinghouse import ingest
from openmso.rcm.clearinghouse.adapters import default_envelope
from openmso.rcm.clearinghouse.simulator import Decision, PayerSimulator
from openmso.rcm.remittance.ingest import ingest_file
from openmso.x12 import GroupHeader, InterchangeHeader, InterchangeWriter, iter_transactions, parse_837p
from tests.factories import add_signed_agreement
from tests.rcm import remits
from tests.rcm.conftest import AS_OF, Clinic, make_clinic

SIGNING_KEY = Ed25519PrivateKey.generate()  # the MSO's key in these tests
ENVELOPE = default_envelope("Test MSO", "SIMULATED PAYERS", "SIMCH")
MARKERS = ("Qzalpha", "Qzbravo")


@dataclass
class SharedNetwork:
    clinics: list[Clinic]
    batches: list[ClaimBatch]
    shared_277ca_id: int
    shared_835_id: int

    @property
    def practices(self):
        return [clinic.practice for clinic in self.clinics]


def _submit(db, clinic: Clinic) -> ClaimBatch:
    for patient in clinic.patients[:2]:
        clinic.charge(db, patient, prior_authorization=f"{clinic.practice.legal_name[:7]}AUTH")
    building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)
    return batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test", practice_id=clinic.practice.id)[0]


def shared_claim_acknowledgment(decided: list) -> str:
    """One 277CA (005010X214) answering several practices' batches: an information receiver loop
    (2000B, with its 2200B trace and totals) per batch, each with its billing provider and claims."""
    body: list = [["BHT", "0085", "08", "000000090", AS_OF, "1200", "TH"],
                  ["HL", "1", "", "20", "1"], ["NM1", "PR", "2", "SIMULATED PAYER", "", "", "", "", "46", "SIMCH"],
                  ["TRN", "1", "000000090"], ["DTP", "050", "D8", AS_OF], ["DTP", "009", "D8", AS_OF]]
    hl = 1
    for claim_set, decisions in decided:
        total = sum(claim.total_charge for claim, _ in decisions)
        receiver, provider = hl + 1, hl + 2
        body += [["HL", str(receiver), "1", "21", "1"],
                 ["NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", "OPENMSO"],
                 ["TRN", "2", claim_set.reference], ["STC", ("A1", "19", "PR"), AS_OF, "WQ", total],
                 ["QTY", "90", str(len(decisions))], ["AMT", "YU", total],
                 ["HL", str(provider), str(receiver), "19", "1"],
                 ["NM1", "85", "2", claim_set.billing_provider.last_or_organization, "", "", "", "", "XX",
                  claim_set.billing_provider.npi], ["TRN", "1", "0"]]
        hl = provider
        for claim, decision in decisions:
            hl += 1
            body += [["HL", str(hl), str(provider), "PT"],
                     ["NM1", "QC", "1", claim.patient.last_name if claim.patient else claim.subscriber.last_name,
                      "ALEX", "", "", "", "MI", claim.subscriber.member_id],
                     ["TRN", "2", claim.patient_control_number],
                     ["STC", (decision.category, decision.code), AS_OF, "WQ", claim.total_charge],
                     ["REF", "1K", decision.payer_claim_number], ["DTP", "472", "D8", claim.lines[0].service_date]]
    out = io.StringIO()
    header = InterchangeHeader("ZZ", "SIMCH", "ZZ", "OPENMSO", "000000090", AS_OF, "1200")
    with InterchangeWriter(out, header, line_breaks=True) as writer:
        writer.begin_group(GroupHeader("HN", "SIMCH", "OPENMSO", "90", AS_OF, "1200", "005010X214"))
        writer.write_transaction("277", "0001", body, "005010X214")
        writer.end_group()
    return out.getvalue()


def build_shared_network(db) -> SharedNetwork:
    clinics = [make_clinic(db, marker, patients=2) for marker in MARKERS]
    for clinic, marker in zip(clinics, MARKERS, strict=True):
        add_signed_agreement(db, clinic.practice, title=f"{marker} Management Services Agreement")
        audit.record(db, SYSTEM, "test.marker", "practice", clinic.practice.id, practice_id=clinic.practice.id,
                     reason=f"{marker} audit entry")
    sent = [_submit(db, clinic) for clinic in clinics]
    for number, batch in enumerate(sent):
        name, text = PayerSimulator().respond(batch.content.encode(), 70 + number, AS_OF)[0]
        assert name.startswith("999")
        ingest.ingest(db, SYSTEM, name, text.encode())
    decided = []
    for batch in sent:
        claim_set = parse_837p(next(iter_transactions(batch.content.encode())))
        decided.append((claim_set, [(claim, Decision(True, "A1", "20", "", f"PAYER{claim.patient_control_number}"))
                                    for claim in claim_set.claims]))
    acknowledgment = shared_claim_acknowledgment(decided)
    shared_277 = ingest.ingest(db, SYSTEM, "277CA_shared.x12", acknowledgment.encode()).file
    assert shared_277.status == "applied", shared_277.error
    payments = []
    for clinic in clinics:
        claims = db.scalars(select(Claim).where(Claim.practice_id == clinic.practice.id, Claim.batch_id.is_not(None))
                            .order_by(Claim.id)).all()
        payments.append(remits.transaction(clinic.practice, [remits.paid(claim) for claim in claims],
                                           trace=f"EFT{clinic.practice.id:04d}", control=f"{clinic.practice.id:04d}"))
    shared_835 = ingest_file(db, SYSTEM, "shared.835", remits.render(*payments)).file
    assert shared_835.practice_id is None and shared_835.status == "posted"
    db.flush()
    return SharedNetwork(clinics, sent, shared_277.id, shared_835.id)


@pytest.fixture
def network(db) -> SharedNetwork:
    return build_shared_network(db)


@pytest.fixture
def package_of(db, tmp_path):
    """Build the exit package of a practice as SYSTEM (or `actor`) into a fresh directory."""
    def build(practice_id: int, actor=SYSTEM, name: str = "package", **options) -> service.PackageResult:
        options.setdefault("signing_key", SIGNING_KEY)
        return service.build_package(db, actor, practice_id, tmp_path / name, **options)
    return build


def package_text(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


TODAY = date(2026, 11, 30)
