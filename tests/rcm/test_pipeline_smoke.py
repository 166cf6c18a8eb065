from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import batches, building, scrubbing
from openmso.rcm.claims.x837 import Envelope
from openmso.x12 import iter_transactions, parse_837p
from tests.rcm.conftest import AS_OF

ENVELOPE = Envelope("TEST MSO", "OPENMSO", "BILLING DESK", "8005550100", "SIMULATOR", "SIMCH")


def test_charges_to_837p(db, clinic):
    for patient in clinic.patients:
        clinic.charge(db, patient)
        clinic.charge(db, patient, procedure_code="36415", charge_amount="18.00", pointers=[1])
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    assert len(ids) == 3
    report = scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)
    assert report.ready == 3, report.by_rule
    built = batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test")
    assert len(built) == 1
    transactions = [parse_837p(t) for t in iter_transactions(built[0].content.encode())]
    assert sum(len(t.claims) for t in transactions) == 3
