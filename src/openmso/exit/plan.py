"""The transition plan: what leaving the MSO takes, worked out from the signed agreement alone.

Pure functions (no I/O): `build` takes the agreement's terms, the practice's open A/R and payer
enrolments as plain data, and the day notice would be given. Every date is counted from the
agreement (§2 notice periods, Schedule G transition and run-out, Schedule F.5 data delivery, each
contract's own notice period). Where the agreement does not state a term, the plan does not assume
one: it says "agreement silent: …" and lists it among the risks.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from openmso.agreements.catalogue import (
    ASSET_LABELS,
    EXIT_CLAUSE,
    EXIT_DATA_CLAUSE,
    SERVICE_LABELS,
    TECHNOLOGY_LABELS,
    TERM_CLAUSE,
    Arrangement,
    AssetKey,
    Owner,
    Performer,
    ServiceKey,
    TechnologyCategory,
    asset_clause,
    service_clause,
    technology_clause,
)
from openmso.agreements.terms import ContractExit, ConvenienceTermination, Disposition, Terms
from openmso.exit import schemas
from openmso.rcm.ar.aging import BUCKETS

ZERO = Decimal("0.00")
SILENT = "agreement silent: "
PRACTICE_MAY_LEAVE = (ConvenienceTermination.PRACTICE, ConvenienceTermination.EITHER)
# Technology whose licence is the MSO's alone ends with the agreement; these categories hold PHI,
# so a replacement needs a business associate agreement before it goes live.
HOLDS_PHI = frozenset({TechnologyCategory.EHR, TechnologyCategory.PM, TechnologyCategory.DATA_PLATFORM,
                       TechnologyCategory.MANAGED_IT, TechnologyCategory.SECURITY, TechnologyCategory.TELEPHONY})


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """Everything the plan is worked out from, as plain data."""

    practice_id: int
    practice: str
    agreement: str
    version: int
    version_status: str
    terms: Terms
    notice_on: date
    insurance_ar: dict[str, Decimal] = field(default_factory=dict)  # by aging bucket key
    patient_ar: dict[str, Decimal] = field(default_factory=dict)
    payers: list[tuple[str, str]] = field(default_factory=list)  # (name, payer id)


PARTIES = {"mso": "MSO", "practice": "practice", "third_party": "a third party", "vendor": "vendor",
           "shared": "MSO and the practice"}


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def term_end(terms: Terms, on: date) -> date | None:
    """The day the term running on `on` ends: the initial term, then each automatic renewal.

    None when the initial term has already ended and the agreement does not renew (it has lapsed).
    """
    t = terms.term
    end = add_years(t.effective_on, t.initial_years)
    renewals = 0
    while end <= on:
        if not t.auto_renew or t.renewal_years == 0:
            return None
        renewals += 1
        end = add_years(t.effective_on, t.initial_years + renewals * t.renewal_years)
    return end


def timeline(terms: Terms, notice_on: date, risks: list[schemas.Risk]) -> schemas.Timeline:
    """When the practice is out if it gives notice on `notice_on` (§2), and when the transition ends (Schedule G)."""
    t, exit_terms = terms.term, terms.exit
    ends = term_end(terms, notice_on)
    for_cause = notice_on + timedelta(days=max(t.for_cause_notice_days, t.cure_days))
    if t.convenience_termination in PRACTICE_MAY_LEAVE:
        exit_on = notice_on + timedelta(days=t.convenience_notice_days)
        route = f"termination for convenience: {t.convenience_notice_days} days' notice from {notice_on}"
    elif ends is not None:
        exit_on = ends
        route = f"non-renewal: the practice cannot terminate for convenience, so it leaves when the term ends on {ends}"
        risks.append(schemas.Risk(clause=TERM_CLAUSE, text=(
            f"the practice cannot terminate for convenience ({t.convenience_termination.value}); without cause the "
            f"earliest exit is the end of the term on {ends}, {(ends - notice_on).days} days away")))
        risks.append(schemas.Risk(clause=TERM_CLAUSE, silent=True, text=(
            f"{SILENT}how much notice stops the automatic renewal; give notice now to be safe")))
    else:
        exit_on = notice_on
        route = f"the initial term ended on {add_years(t.effective_on, t.initial_years)} and does not renew"
        risks.append(schemas.Risk(clause=TERM_CLAUSE, text=(
            "the agreement's term has lapsed without renewal while it is still marked as signed; "
            "confirm in writing that it has ended")))
    if exit_terms.transition_days is None:
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, silent=True,
                                  text=f"{SILENT}how long the MSO keeps supporting the practice after exit"))
    if exit_terms.cost_borne_by is None:
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, silent=True, text=f"{SILENT}who pays for the transition"))
    transition_ends = exit_on + timedelta(days=exit_terms.transition_days) \
        if exit_terms.transition_days is not None else None
    return schemas.Timeline(
        notice_on=notice_on, route=route, exit_on=exit_on, term_ends_on=ends, for_cause_exit_on=for_cause,
        transition_ends_on=transition_ends,
        transition_cost_borne_by=exit_terms.cost_borne_by.value if exit_terms.cost_borne_by else None,
        clause=TERM_CLAUSE)


CONTRACT_ACTIONS = {
    Disposition.TRANSFER: "assigned to the practice; the counterparty's consent to the assignment is needed",
    Disposition.TERMINATE: "terminated; the practice contracts its own replacement to start that day",
    Disposition.REVERT: "reverts to the practice, which becomes the contracting party again",
    Disposition.STAYS_WITH_MSO: "stays with the MSO; the practice needs its own contract in place by exit",
}


def contract_step(contract: ContractExit, notice_on: date, exit_on: date,
                  risks: list[schemas.Risk]) -> schemas.ContractStep:
    """One vendor or payer contract: what happens to it at exit and when its counterparty must be told."""
    days = contract.notice_days
    notice_by = effective_on = None
    late = False
    if days is None:
        effective_on = exit_on
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, silent=True, text=(
            f"{SILENT}the notice period of the {contract.kind} contract '{contract.contract}'")))
    else:
        notice_by = exit_on - timedelta(days=days)
        late = notice_by < notice_on
        effective_on = notice_on + timedelta(days=days) if late else exit_on
        if late:
            risks.append(schemas.Risk(clause=EXIT_CLAUSE, text=(
                f"'{contract.contract}' needs {days} days' notice, which should have gone out on {notice_by}; "
                f"the earliest it can take effect is {effective_on}, after the exit on {exit_on}")))
    if contract.disposition is Disposition.STAYS_WITH_MSO:
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, text=(
            f"the {contract.kind} contract '{contract.contract}' stays with the MSO; the practice loses it at exit")))
    action = f"On {effective_on}: {CONTRACT_ACTIONS[contract.disposition]}"
    if notice_by is not None:
        action += f". Notice to the counterparty by {notice_by}" + (" (already late)" if late else "")
    return schemas.ContractStep(contract=contract.contract, kind=contract.kind,
                                disposition=contract.disposition.value, action=action, notice_days=days,
                                notice_by=notice_by, effective_on=effective_on, late=late)


def system_steps(terms: Terms, exit_on: date, risks: list[schemas.Risk]) -> list[schemas.SystemStep]:
    """Systems the MSO selected (EHR, PM, IT, security…) and whether the practice keeps or replaces each."""
    licences = terms.asset(AssetKey.TECHNOLOGY)
    steps = []
    for category in TechnologyCategory:
        tech = terms.technology_for(category)
        if tech.arrangement is Arrangement.PRACTICE_CHOICE:
            continue
        clause = technology_clause(category)
        name = tech.vendor or "the vendor (not named)"
        if tech.vendor is None:
            risks.append(schemas.Risk(clause=clause, silent=True, text=(
                f"{SILENT}which {TECHNOLOGY_LABELS[category]} vendor the MSO selected ({tech.arrangement.value})")))
        if licences.owner is Owner.PRACTICE:
            action, replace = f"the practice holds the {name} licence and keeps it", False
        elif licences.transfers_at_exit:
            basis = licences.exit_price_basis or "price not stated"
            action, replace = f"the {name} licence transfers to the practice on {exit_on} ({basis})", False
        else:
            action, replace = (f"the {name} licence is the MSO's and ends on {exit_on}: select and contract a "
                               "replacement, migrate the data from the exit package, and test before that day"), True
        if replace and category in HOLDS_PHI:
            action += "; the new vendor signs a business associate agreement before go-live"
        steps.append(schemas.SystemStep(category=category.value, label=TECHNOLOGY_LABELS[category],
                                        vendor=tech.vendor, arrangement=tech.arrangement.value, action=action,
                                        must_replace=replace, clause=clause))
    if licences.owner is not Owner.PRACTICE and licences.transfers_at_exit and not licences.exit_price_basis:
        risks.append(schemas.Risk(clause=asset_clause(AssetKey.TECHNOLOGY), silent=True,
                                  text=f"{SILENT}the price at which technology licences transfer"))
    return steps


def service_steps(terms: Terms, exit_on: date) -> list[schemas.ServiceStep]:
    """Services the MSO performs today that the practice must take back or contract for by exit."""
    steps = []
    for service in terms.services:
        if not service.in_scope or service.performed_by is Performer.PRACTICE:
            continue
        who = {"mso": "the MSO", "shared": "the MSO with the practice", "vendor": "a vendor the MSO manages"}
        steps.append(schemas.ServiceStep(
            service=service.service.value, label=SERVICE_LABELS[service.service],
            performed_by=service.performed_by.value, service_level=service.service_level,
            action=f"performed today by {who[service.performed_by.value]}: staff it or contract it to start {exit_on}",
            clause=service_clause(service.service)))
    return steps


def asset_steps(terms: Terms, exit_on: date, risks: list[schemas.Risk]) -> list[schemas.AssetStep]:
    """Each asset class of Schedule D: who owns it and what moves at exit."""
    listed = {a.asset for a in terms.assets}
    steps = []
    for key in AssetKey:
        asset, clause = terms.asset(key), asset_clause(key)
        if key not in listed:
            action = "not listed in the agreement: what it does not give the MSO stays with the practice"
        elif asset.owner is Owner.PRACTICE:
            action = "the practice's; nothing moves"
        elif asset.transfers_at_exit:
            action = f"transfers to the practice on {exit_on}" + (
                f" ({asset.exit_price_basis})" if asset.exit_price_basis else "")
            if not asset.exit_price_basis:
                risks.append(schemas.Risk(clause=clause, silent=True,
                                          text=f"{SILENT}the price at which {ASSET_LABELS[key].lower()} transfer"))
        else:
            action = f"owned by the {PARTIES[asset.owner.value]} and stays there: replace it by {exit_on}" + (
                f" ({asset.exit_price_basis})" if asset.exit_price_basis else "")
            if key is AssetKey.PATIENT_RECORDS:
                risks.append(schemas.Risk(clause=clause, text=(
                    "patient records are not the practice's; the practice must secure its own copy to keep treating "
                    "its patients and meet its record-retention duties")))
        steps.append(schemas.AssetStep(asset=key.value, label=ASSET_LABELS[key], owner=asset.owner.value,
                                       transfers_at_exit=asset.transfers_at_exit, action=action, clause=clause))
    return steps


@dataclass(frozen=True, slots=True)
class ComplianceFunction:
    """A compliance function a practice runs itself from its first day outside the MSO (rules as data)."""

    function: str
    citation: str
    action: str


COMPLIANCE_FUNCTIONS = (
    ComplianceFunction("HIPAA security official", "45 CFR §164.308(a)(2)",
                       "name the person responsible for the practice's security policies from exit day"),
    ComplianceFunction("HIPAA privacy official", "45 CFR §164.530(a)(1)",
                       "name the privacy official and the contact who receives complaints"),
    ComplianceFunction("Security risk analysis", "45 CFR §164.308(a)(1)(ii)(A)",
                       "analyse the risks to ePHI in the systems the practice will run after exit, before go-live"),
    ComplianceFunction("Business associate agreements", "45 CFR §164.308(b)(1), §164.502(e), §164.504(e)",
                       "sign a BAA with every new vendor that creates, receives or keeps PHI for the practice"),
    ComplianceFunction("Return or destruction of PHI by the MSO", "45 CFR §164.504(e)(2)(ii)(J)",
                       "at termination the MSO returns or destroys the practice's PHI, or extends the BAA's "
                       "protections to what it keeps"),
    ComplianceFunction("Breach notification procedure", "45 CFR §§164.400–414",
                       "the practice handles breach notification itself once the MSO's BAA ends"),
    ComplianceFunction("Payer enrolment changes", "42 CFR §424.516(e); CMS-588 (EFT); payer ERA enrolment",
                       "report the new billing arrangement and re-enrol EFT and ERA with each payer"),
)


def compliance_steps(terms: Terms, risks: list[schemas.Risk]) -> list[schemas.ComplianceStep]:
    rights = terms.data_rights
    steps = []
    for function in COMPLIANCE_FUNCTIONS:
        action = function.action
        if function.function.startswith("Return or destruction"):
            if not rights.baa_in_force:
                action = "no BAA is in force today: settle in writing what PHI the MSO holds and how it is returned"
                risks.append(schemas.Risk(clause="Schedule F.4 (Business associate agreement)", text=(
                    "no business associate agreement is in force, so nothing obliges the MSO to return or destroy "
                    "PHI at exit")))
            elif rights.retention_after_exit_days:
                action += f"; the agreement lets the MSO keep data {rights.retention_after_exit_days} days after exit"
        if function.function == "HIPAA security official" and terms.service(ServiceKey.IT_SECURITY) is not None:
            action += " (the MSO runs IT and security today)"
        steps.append(schemas.ComplianceStep(function=function.function, citation=function.citation, action=action))
    return steps


def open_ar(inputs: PlanInputs, exit_on: date, risks: list[schemas.Risk]) -> schemas.OpenAr:
    """The A/R open on the notice day, and who works it after exit for how long (Schedule G)."""
    exit_terms = inputs.terms.exit
    buckets = [schemas.ArBucketOut(key=b.key, label=b.label, insurance=inputs.insurance_ar.get(b.key, ZERO),
                                   patient=inputs.patient_ar.get(b.key, ZERO)) for b in BUCKETS]
    insurance = sum((b.insurance for b in buckets), ZERO)
    patient = sum((b.patient for b in buckets), ZERO)
    if exit_terms.ar_collected_by is None:
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, silent=True,
                                  text=f"{SILENT}who collects the A/R open at exit"))
    if exit_terms.ar_run_out_days is None:
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, silent=True, text=(
            f"{SILENT}the run-out period for the A/R open at exit, and what happens to payments after it")))
    collector = exit_terms.ar_collected_by.value if exit_terms.ar_collected_by else None
    run_out_ends = exit_on + timedelta(days=exit_terms.ar_run_out_days) \
        if exit_terms.ar_run_out_days is not None else None
    if collector == "mso" and run_out_ends:
        note = (f"the MSO keeps working claims with dates of service before exit until {run_out_ends}; "
                "after that every open balance is the practice's to collect")
    elif collector == "practice":
        note = "the practice collects its own A/R from exit day; claims the MSO submitted stay on the practice's TIN"
    else:
        note = "the agreement does not settle who works the A/R after exit"
    return schemas.OpenAr(as_of=inputs.notice_on, buckets=buckets,
                          insurance_total=insurance, patient_total=patient, total=insurance + patient,
                          collected_by=collector, run_out_days=exit_terms.ar_run_out_days,
                          run_out_ends_on=run_out_ends, note=note)


def data_delivery(terms: Terms, exit_on: date, risks: list[schemas.Risk]) -> schemas.DataDelivery:
    """The practice's data at exit: formats, delivery window, cost and the MSO's retention (Schedule F.5)."""
    rights = terms.data_rights
    for missing, text in ((not rights.exit_formats, "the formats the practice's data is delivered in"),
                          (rights.exit_delivery_days is None, "how soon after exit the data is delivered"),
                          (rights.exit_cost is None, "what the data delivery costs"),
                          (rights.retention_after_exit_days is None, "how long the MSO keeps the data after exit")):
        if missing:
            risks.append(schemas.Risk(clause=EXIT_DATA_CLAUSE, silent=True, text=SILENT + text))
    if rights.owner is not Owner.PRACTICE:
        risks.append(schemas.Risk(clause="Schedule F.1 (Ownership of practice data)", text=(
            f"the practice's data is owned by the {PARTIES[rights.owner.value]}, not the practice")))
    return schemas.DataDelivery(
        owner=rights.owner.value, formats=rights.exit_formats, delivery_days=rights.exit_delivery_days,
        deliver_by=exit_on + timedelta(days=rights.exit_delivery_days) if rights.exit_delivery_days is not None
        else None, cost=rights.exit_cost, retention_days=rights.retention_after_exit_days,
        retained_until=exit_on + timedelta(days=rights.retention_after_exit_days)
        if rights.retention_after_exit_days is not None else None, clause=EXIT_DATA_CLAUSE)


def build(inputs: PlanInputs, generated_by: str, generated_at) -> schemas.TransitionPlan:
    """The whole plan for notice given on `inputs.notice_on`."""
    terms, risks = inputs.terms, []
    when = timeline(terms, inputs.notice_on, risks)
    if not terms.exit.contracts:
        risks.append(schemas.Risk(clause=EXIT_CLAUSE, silent=True,
                                  text=f"{SILENT}what happens to vendor and payer contracts"))
    contracts = [contract_step(c, inputs.notice_on, when.exit_on, risks) for c in terms.exit.contracts]
    enrolments = [schemas.PayerEnrolmentStep(
        payer=name, payer_code=code,
        action=f"enrolled under the practice's TIN: move EFT, ERA (835) and claim submission to the practice's "
               f"clearinghouse before {when.exit_on}") for name, code in inputs.payers]
    return schemas.TransitionPlan(
        practice_id=inputs.practice_id, practice=inputs.practice, agreement=inputs.agreement,
        version=inputs.version, version_status=inputs.version_status, as_of=inputs.notice_on,
        generated_at=generated_at, generated_by=generated_by, timeline=when, contracts=contracts,
        payer_enrolments=enrolments, systems=system_steps(terms, when.exit_on, risks),
        services=service_steps(terms, when.exit_on), assets=asset_steps(terms, when.exit_on, risks),
        compliance=compliance_steps(terms, risks), open_ar=open_ar(inputs, when.exit_on, risks),
        data=data_delivery(terms, when.exit_on, risks), risks=risks)
