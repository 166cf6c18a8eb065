"""The scrubber's edits, each on a claim that breaks it and on a clean claim; the rules table as data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building, scrubbing
from openmso.rcm.claims.models import Claim, ClaimEdit
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.claims.views import (
    ClaimView,
    CoverageView,
    LineView,
    LocationView,
    PartyView,
    PayerView,
    PracticeView,
)
from openmso.rcm.scrubber import codes
from openmso.rcm.scrubber.engine import scrub
from openmso.rcm.scrubber.rules import RULES, ScrubContext
from tests.factories import valid_npi
from tests.rcm.conftest import AS_OF, SERVICE_DAY


def line(number=1, code="99213", modifiers=(), units=1, charge="145.00", pointers=(1,), day=SERVICE_DAY):
    return LineView(number, code, tuple(modifiers), units, Decimal(charge), day, None, tuple(pointers))


def claim(*lines, **changes) -> ClaimView:
    lines = lines or (line(),)
    view = ClaimView(
        id=10, practice_id=1, patient_id=5, patient_control_number="0001-0000010", status="draft",
        frequency_code="1", payer_responsibility="P", payer_claim_number=None, place_of_service="11",
        prior_authorization=None, service_date_from=SERVICE_DAY, service_date_to=SERVICE_DAY,
        total_charge=sum((ln.charge for ln in lines), Decimal(0)), diagnoses=["E119", "I10"],
        practice=PracticeView(1, "Clinic", valid_npi("2"), "741234567"),
        patient=PartyView("Ana", "Lopez", birth_date=date(1970, 1, 1), sex="F"),
        rendering=PartyView("Sam", "Berg", npi=valid_npi("1"), taxonomy="207Q00000X"),
        location=LocationView(1, "Main", "1 Main St", "Austin", "TX", "78701", "11"),
        coverage=CoverageView(3, "W123456789", None, 1, "18", None, None, None, date(2024, 1, 1), None),
        payer=PayerView(2, "Aetna", "60054", "commercial", 120), lines=list(lines))
    return replace(view, **changes)


def rules_failed(view: ClaimView, context: ScrubContext | None = None) -> set[str]:
    return {f.rule_id for f in scrub(view, context or ScrubContext(as_of=AS_OF))}


def test_a_clean_claim_passes_every_edit():
    assert rules_failed(claim()) == set()


@pytest.mark.parametrize(("view", "rule"), [
    (claim(diagnoses=["E11"]), "DX-001"),
    (claim(diagnoses=["E119", "XYZ12"]), "DX-001"),
    (claim(line(code="9921A")), "PX-001"),
    (claim(line(modifiers=("ZZ",))), "MOD-001"),
    (claim(line(code="71046", modifiers=("26", "TC"))), "MOD-002"),
    (claim(line(code="36415", modifiers=("25",))), "MOD-003"),
    (claim(line(pointers=(3,))), "PTR-001"),
    (claim(rendering=PartyView("Sam", "Berg", npi="1234567890")), "NPI-001"),
    (claim(coverage=None, payer=None), "COV-001"),
    (claim(coverage=CoverageView(3, "W1", None, 1, "18", None, None, None, date(2026, 10, 5), None)), "COV-002"),
    (claim(line(day=date(2026, 5, 1)), service_date_from=date(2026, 5, 1)), "TF-001"),
    (claim(line(day=date(2026, 6, 20)), service_date_from=date(2026, 6, 20)), "TF-002"),
    (claim(line(day=date(2026, 10, 20))), "DOS-001"),
    (claim(line(units=0)), "AMT-001"),
    (claim(line(charge="0.00")), "AMT-001"),
    (claim(place_of_service=""), "POS-001"),
    (claim(line(code="72148")), "AUTH-001"),
    (claim(line(1, "93000", charge="75.00"), line(2, "93010", charge="30.00")), "NCCI-001"),
    (claim(line(1, "20610", charge="190.00"), line(2, "20604", charge="150.00")), "NCCI-001"),
    (claim(coverage=CoverageView(3, "W123456789", None, 1, "19", None, None, None, date(2024, 1, 1), None)),
     "SUB-001"),
])
def test_each_edit_catches_what_it_is_for(view, rule):
    assert rule in rules_failed(view)


def test_a_distinct_service_modifier_bypasses_a_pair_edit_that_allows_one():
    view = claim(line(1, "20610", charge="190.00"), line(2, "20604", modifiers=("XS",), charge="150.00"))
    assert "NCCI-001" not in rules_failed(view)


def test_prior_authorization_present_satisfies_the_payer_list():
    assert "AUTH-001" not in rules_failed(claim(line(code="72148"), prior_authorization="AUTH1234"))


def test_every_rule_has_an_id_severity_fix_and_source():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.fix and rule.source and rule.title for rule in RULES)


def test_the_pair_table_reads_cms_published_layout(tmp_path):
    path = tmp_path / "ccipra-v321r0-f1.txt"
    path.write_text(
        "CPT codes, descriptions and other data only are copyright AMA. All rights reserved.\n"
        "Column 1\tColumn 2\t* = In existence prior to 1996\tEffective Date\tDeletion Date *=no data\t"
        "Modifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n"
        "11042\t97597\t\t20110101\t*\t0\tStandards of medical / surgical practice\n"
        "0001U\t36415\t\t20170401\t20190101\t9\tMisuse of column two code with column one code\n")
    pairs = codes.load_ptp_table(path)
    assert set(pairs) == {("11042", "97597"), ("0001U", "36415")}
    assert pairs[("11042", "97597")].modifier_indicator == "0"
    assert not pairs[("0001U", "36415")].applies_on(date(2020, 1, 1))


def test_billable_icd10cm_codes_only():
    assert codes.diagnosis_problem("E11.9") is None
    assert "category" in codes.diagnosis_problem("E11")
    assert "not an ICD-10-CM code" in codes.diagnosis_problem("E99.99")


def test_scrubbing_holds_a_duplicate_and_keeps_its_findings_on_the_claim(db, clinic):
    clinic.charge(db, encounter_key="A1")
    clinic.charge(db, encounter_key="A2")  # the same service billed twice
    first, second = building.build_claims(db, SYSTEM, clinic.practice.id)
    report = scrubbing.scrub_claims(db, SYSTEM, practice_id=clinic.practice.id, as_of=AS_OF)
    assert (report.ready, report.held) == (1, 1)
    db.expire_all()
    held = db.get(Claim, second)
    assert (held.status, held.error_count) == (ClaimStatus.HELD, 1)
    [edit] = db.scalars(select(ClaimEdit).where(ClaimEdit.claim_id == second)).all()
    assert edit.rule_id == "DUP-001" and db.get(Claim, first).patient_control_number in edit.message
    assert edit.line_number == 1 and edit.fix
