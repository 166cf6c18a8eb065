"""CSV import of charges: every bad row reported by line and column; all or nothing unless asked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building, charges
from openmso.rcm.claims.models import Charge, Claim, ClaimLine

HEADER = "mrn,service_date,procedure_code,modifiers,units,charge_amount,diagnoses,pointers,rendering_npi,location\n"


def _csv(clinic, rows: list[str]) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def _good(clinic, patient=0, code="99213", amount="145.00", dx="E11.9;I10", pointers="1;2", day="2026-10-01"):
    p = clinic.patients[patient]
    return f"{p.mrn},{day},{code},,1,{amount},{dx},{pointers},{clinic.provider.npi},{clinic.location.name}"


def _count(db, clinic):
    return db.scalar(select(func.count()).select_from(Charge).where(Charge.practice_id == clinic.practice.id))


def test_a_clean_file_imports_every_row_and_builds_one_claim_per_encounter(db, clinic):
    text = _csv(clinic, [_good(clinic), _good(clinic, code="36415", amount="18.00", dx="E11.9", pointers="1"),
                         _good(clinic, patient=1)])
    ids, errors, rows = charges.import_csv(db, SYSTEM, clinic.practice.id, text)
    assert (len(ids), errors, rows) == (3, [], 3)
    claims = building.build_claims(db, SYSTEM, clinic.practice.id, ids)
    assert len(claims) == 2
    first = db.get(Claim, claims[0])
    assert first.diagnoses == "E119:I10" and first.total_charge == 163
    lines = db.scalars(select(ClaimLine).where(ClaimLine.claim_id == first.id).order_by(ClaimLine.line_number)).all()
    assert [(line.procedure_code, line.pointers) for line in lines] == [("99213", "1:2"), ("36415", "1")]


def test_every_bad_row_is_reported_by_line_and_column_and_nothing_is_imported(db, clinic):
    text = _csv(clinic, [_good(clinic), _good(clinic, code="9921"), _good(clinic, dx="ZZZ99"),
                         _good(clinic, amount="-5"), "NOPE,2026-10-01,99213,,1,10.00,I10,1,1234567893,Nowhere",
                         _good(clinic, pointers="3")])
    with pytest.raises(Invalid) as raised:
        charges.import_csv(db, SYSTEM, clinic.practice.id, text)
    where = {tuple(e.location) for e in raised.value.errors}
    assert {("line 3", "procedure_code"), ("line 4", "diagnoses"), ("line 5", "charge_amount"), ("line 6", "mrn"),
            ("line 6", "rendering_npi"), ("line 6", "location"), ("line 7", "row")} <= where
    assert not any(loc[0] == "line 2" for loc in where)
    assert _count(db, clinic) == 0


def test_good_rows_are_taken_when_asked(db, clinic):
    text = _csv(clinic, [_good(clinic), _good(clinic, code="ABCDE"), _good(clinic, patient=1)])
    ids, errors, rows = charges.import_csv(db, SYSTEM, clinic.practice.id, text, accept_good_rows=True)
    assert (len(ids), rows) == (2, 3)
    assert [tuple(e.location) for e in errors] == [("line 3", "procedure_code")]
    assert _count(db, clinic) == 2


def test_a_wrong_header_names_the_missing_and_unknown_columns(db, clinic):
    with pytest.raises(Invalid) as raised:
        charges.import_csv(db, SYSTEM, clinic.practice.id, "mrn,when,cpt\nA,B,C\n")
    where = {tuple(e.location) for e in raised.value.errors}
    assert ("line 1", "service_date") in where and ("line 1", "when") in where


def test_a_patient_without_coverage_on_the_date_is_a_located_error(db, clinic):
    text = _csv(clinic, [_good(clinic, day="2023-06-01")])
    with pytest.raises(Invalid) as raised:
        charges.import_csv(db, SYSTEM, clinic.practice.id, text)
    [error] = raised.value.errors
    assert error.location == ["line 2", "service_date"] and "no coverage" in error.message


def test_an_encounter_with_more_than_twelve_diagnoses_is_split_across_claims(db, clinic):
    codes = ["E11.9", "I10", "J06.9", "M54.50", "E78.5", "R06.02", "K21.9", "F41.9", "N39.0", "M17.0", "Z23",
             "E03.9", "J45.909", "R51.9"]
    rows = [_good(clinic, code="99213" if n == 0 else "36415", dx=f"{codes[n]};{codes[n + 1]}", pointers="1;2")
            for n in range(0, 14, 2)]
    ids, _, _ = charges.import_csv(db, SYSTEM, clinic.practice.id, _csv(clinic, rows))
    claims = [db.get(Claim, i) for i in building.build_claims(db, SYSTEM, clinic.practice.id, ids)]
    assert [len(c.diagnosis_codes) for c in claims] == [12, 2]
