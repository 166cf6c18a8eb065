"""The transition plan worked out from a hand-made agreement: every date counted by hand here, silences
named as risks, and the open A/R and payers read from the practice's own ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from openmso.agreements import presets
from openmso.agreements.catalogue import Arrangement, AssetKey, Owner, Performer
from openmso.agreements.terms import (
    AssetTerm,
    ContractExit,
    ConvenienceTermination,
    Disposition,
    ExitTerms,
    TechnologyTerm,
    Term,
)
from openmso.exit import plan, plan_pdf

NOTICE = date(2026, 11, 30)


def _terms(**changes):
    return presets.revised(presets.standard_terms(date(2024, 3, 1)), changes)


def _plan(terms, notice_on=NOTICE, **inputs):
    return plan.build(plan.PlanInputs(7, "Hand Made Clinic, PLLC", "MSA v1", 1, "signed", terms, notice_on,
                                      **inputs), "tester", datetime(2026, 11, 30, tzinfo=UTC))


def _hand_made():
    terms = _terms(
        term=Term(effective_on=date(2024, 3, 1), initial_years=3, auto_renew=True, renewal_years=1,
                  for_cause_notice_days=30, cure_days=45, convenience_termination=ConvenienceTermination.EITHER,
                  convenience_notice_days=90),
        exit=ExitTerms(contracts=[
            ContractExit(contract="Clearinghouse", kind="vendor", disposition=Disposition.TERMINATE, notice_days=30),
            ContractExit(contract="EHR licence", kind="vendor", disposition=Disposition.TRANSFER, notice_days=120),
            ContractExit(contract="Blue Plan agreement", kind="payer", disposition=Disposition.REVERT)],
            transition_days=60, cost_borne_by=Performer.SHARED, ar_run_out_days=120, ar_collected_by=Performer.MSO))
    return terms.model_copy(update={"data_rights": terms.data_rights.model_copy(update={
        "exit_delivery_days": 45, "exit_cost": Decimal("2500.00"), "retention_after_exit_days": 365})})


def test_dates_of_a_hand_made_agreement_are_counted_from_the_notice_day():
    result = _plan(_hand_made())
    t = result.timeline
    # 90 days' notice from 30 Nov 2026: 30 Dec (+30), 29 Jan (+60), 28 Feb 2027 (+90)
    assert t.exit_on == date(2027, 2, 28) and "for convenience" in t.route
    assert t.term_ends_on == date(2027, 3, 1)  # 1 Mar 2024 + 3 years
    assert t.for_cause_exit_on == date(2027, 1, 14)  # the longer of 30 days' notice and 45 days' cure
    assert t.transition_ends_on == date(2027, 4, 29)  # 28 Feb + 60 days
    clearinghouse, ehr, payer = result.contracts
    assert clearinghouse.notice_by == date(2027, 1, 29) and clearinghouse.effective_on == date(2027, 2, 28)
    assert not clearinghouse.late and clearinghouse.disposition == "terminate"
    # 120 days before 28 Feb 2027 is 31 Oct 2026, already past: the assignment can only take effect 30 Mar 2027
    assert ehr.late and ehr.notice_by == date(2026, 10, 31) and ehr.effective_on == date(2027, 3, 30)
    assert payer.notice_by is None and payer.effective_on == date(2027, 2, 28)
    assert result.data.deliver_by == date(2027, 4, 14) and result.data.cost == Decimal("2500.00")
    assert result.data.retained_until == date(2028, 2, 28)
    assert result.open_ar.run_out_ends_on == date(2027, 6, 28) and result.open_ar.collected_by == "mso"
    texts = [r.text for r in result.risks]
    assert any("'EHR licence' needs 120 days' notice" in text and "2027-03-30" in text for text in texts)
    assert "agreement silent: the notice period of the payer contract 'Blue Plan agreement'" in texts
    assert sum(r.silent for r in result.risks) == 1


def test_without_convenience_termination_the_exit_is_the_end_of_the_renewed_term():
    terms = _terms(term=Term(effective_on=date(2020, 6, 15), initial_years=5, auto_renew=True, renewal_years=2,
                             convenience_termination=ConvenienceTermination.MSO, convenience_notice_days=365))
    result = _plan(terms)
    # 15 Jun 2025 ended the initial term; the two-year renewal runs to 15 Jun 2027
    assert result.timeline.exit_on == date(2027, 6, 15) and "non-renewal" in result.timeline.route
    assert any(r.text.startswith("agreement silent: how much notice stops the automatic renewal")
               for r in result.risks)


def test_a_lapsed_term_and_a_leap_day_start():
    lapsed = _plan(_terms(term=Term(effective_on=date(2020, 2, 29), initial_years=1, auto_renew=False,
                                    convenience_termination=ConvenienceTermination.NONE)))
    assert lapsed.timeline.term_ends_on is None and lapsed.timeline.exit_on == NOTICE
    assert plan.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_a_silent_agreement_is_named_silent_term_by_term_and_nothing_is_invented():
    result = _plan(presets.friendly_pc_terms(date(2024, 1, 1)))
    silent = {r.text for r in result.risks if r.silent}
    for expected in ("agreement silent: the formats the practice's data is delivered in",
                     "agreement silent: how soon after exit the data is delivered",
                     "agreement silent: what the data delivery costs",
                     "agreement silent: how long the MSO keeps the data after exit",
                     "agreement silent: how long the MSO keeps supporting the practice after exit",
                     "agreement silent: who collects the A/R open at exit",
                     "agreement silent: the notice period of the vendor contract 'All vendor contracts'"):
        assert expected in silent
    assert any(r.text.startswith("agreement silent: the run-out period") for r in result.risks)
    assert result.data.deliver_by is None and result.data.cost is None and result.open_ar.run_out_ends_on is None
    assert result.timeline.transition_ends_on is None
    assert any("stays with the MSO" in r.text for r in result.risks)
    assert any("owned by the MSO" in r.text for r in result.risks)
    # every licence is the MSO's and does not transfer: each MSO-selected system must be replaced
    assert result.systems and all(s.must_replace for s in result.systems)
    assert all("business associate agreement" in s.action for s in result.systems)


def test_an_agreement_with_no_contracts_or_vendor_names_says_so():
    terms = _terms(exit=ExitTerms(), technology=[TechnologyTerm(category="ehr", arrangement=Arrangement.MANDATED)],
                   assets=[AssetTerm(asset=AssetKey.TECHNOLOGY, owner=Owner.MSO, transfers_at_exit=True)])
    texts = {r.text for r in _plan(terms).risks}
    assert "agreement silent: what happens to vendor and payer contracts" in texts
    assert "agreement silent: which EHR vendor the MSO selected (mandated)" in texts
    assert "agreement silent: the price at which technology licences transfer" in texts
    assert "agreement silent: what happens to vendor and payer contracts" in texts


def test_systems_compliance_services_and_ar_from_the_standard_agreement():
    result = _plan(presets.standard_terms(date(2025, 1, 1)),
                   insurance_ar={"0_30": Decimal("100.00"), "over_120": Decimal("40.00")},
                   patient_ar={"31_60": Decimal("20.00")}, payers=[("Aetna", "60054")])
    ehr = next(s for s in result.systems if s.category == "ehr")
    assert ehr.vendor == "athenaOne" and not ehr.must_replace and "transfers to the practice" in ehr.action
    assert "Telephony" not in {s.label for s in result.systems}  # the practice chose it: nothing to replace
    functions = {c.function: c for c in result.compliance}
    assert functions["HIPAA security official"].citation == "45 CFR §164.308(a)(2)"
    assert "the MSO runs IT and security today" in functions["HIPAA security official"].action
    assert "365 days" in functions["Return or destruction of PHI by the MSO"].action
    assert {"Revenue cycle management", "Coding"} <= {s.label for s in result.services}
    assert result.open_ar.insurance_total == Decimal("140.00") and result.open_ar.total == Decimal("160.00")
    assert result.payer_enrolments[0].payer == "Aetna"


def test_the_pdf_carries_the_plan():
    pdf = plan_pdf.render(_plan(_hand_made()))
    assert pdf.startswith(b"%PDF") and len(pdf) > 3000
