"""The due-diligence report: the seven questions a practice should ask before signing, answered
from the agreement's data, with gaps (what the agreement does not say) and risk flags marked.

One `Report` object feeds the web page, the JSON API and the PDF, so the three never disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from openmso.agreements import assessment, service
from openmso.agreements.catalogue import (
    CLINICAL_DECISIONS,
    DATA_CLASS_LABELS,
    DECISION_BY_KEY,
    SERVICE_LABELS,
    TECHNOLOGY_LABELS,
    Access,
    Arrangement,
    AssetKey,
    DataClass,
    DecisionKey,
    Holder,
    ServiceKey,
    TechnologyCategory,
)
from openmso.agreements.rules import DISCLAIMER, Flag, evaluate
from openmso.agreements.schemas import FlagOut
from openmso.agreements.terms import Terms

VENDOR_DECISIONS = (DecisionKey.VENDOR_IT, DecisionKey.VENDOR_EHR, DecisionKey.VENDOR_BILLING,
                    DecisionKey.VENDOR_SUPPLIES)


class Answer(BaseModel):
    number: int
    question: str
    facts: list[str]
    gaps: list[str]
    flags: list[FlagOut]


class Report(BaseModel):
    practice: str
    states: list[str]
    agreement: str
    version: int
    status: str
    model: str
    fee: str
    effective_on: date
    signed_on: date | None
    as_of: date
    disclaimer: str
    answers: list[Answer]
    other_flags: list[FlagOut]


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    clauses: tuple[str, ...]  # flags citing a clause with one of these prefixes belong here


QUESTIONS = [
    Question("What is in scope, and what is out?", ("Schedule A",)),
    Question("Who selects technology vendors, and how much say do affiliates have?",
             ("Schedule E", "Schedule C.10", "Schedule C.11", "Schedule C.12", "Schedule C.13")),
    Question("What data can the MSO access, and how is that governed?",
             ("Schedule F.1", "Schedule F.2", "Schedule F.3")),
    Question("What does disaffiliation look like: timeline, data, contracts, cost?",
             ("Schedule F.5", "Schedule G", "§2 ", "Schedule D")),
    Question("What is the compliance and security approach?", ("Schedule F.4", "§9")),
    Question("How does the contract's language protect clinical autonomy?",
             ("Schedule C", "§1.2", "§2.4")),
    Question("How deep is each recommended vendor relationship?", ()),
]


def _scope(terms: Terms) -> tuple[list[str], list[str]]:
    facts, gaps = [], []
    for key in ServiceKey:
        service = terms.service(key)
        if service is None:
            continue
        level = "active management" if service.level.value == "active_management" else "standards only"
        facts.append(f"IN: {SERVICE_LABELS[key]} ({level}, performed by {service.performed_by.value})"
                     + (f": {service.service_level}" if service.service_level else ""))
        if not service.service_level:
            gaps.append(f"{SERVICE_LABELS[key]} is in scope with no service level promised")
    out = [SERVICE_LABELS[k] for k in ServiceKey if terms.service(k) is None]
    facts.append("OUT: " + (", ".join(out) if out else "nothing; every catalogued service is in scope"))
    return facts, gaps


def _vendors(terms: Terms) -> tuple[list[str], list[str]]:
    facts = [f"{DECISION_BY_KEY[k].label}: {terms.holder(k).value.replace('_', ' ')}" for k in VENDOR_DECISIONS]
    gaps = []
    for key in TechnologyCategory:
        tech = terms.technology_for(key)
        facts.append(f"{TECHNOLOGY_LABELS[key]}: {tech.arrangement.value.replace('_', ' ')}"
                     + (f" ({tech.vendor})" if tech.vendor else ""))
        if tech.arrangement is not Arrangement.PRACTICE_CHOICE and not tech.vendor:
            gaps.append(f"{TECHNOLOGY_LABELS[key]} is {tech.arrangement.value} but names no vendor")
    if all(terms.holder(k) is Holder.MSO for k in VENDOR_DECISIONS):
        gaps.append("affiliates have no say in any vendor category")
    return facts, gaps


def _data(terms: Terms) -> tuple[list[str], list[str]]:
    rights = terms.data_rights
    facts = [f"Practice data is owned by the {rights.owner.value.replace('_', ' ')}"]
    gaps = []
    for key in DataClass:
        access = rights.access_to(key)
        purpose = next((a.purpose for a in rights.access if a.data_class is key), "")
        facts.append(f"{DATA_CLASS_LABELS[key]}: {access.value.replace('_', '/')}"
                     + (f" for {purpose}" if purpose else ""))
        if access is not Access.NONE and not purpose:
            gaps.append(f"MSO access to {DATA_CLASS_LABELS[key].lower()} states no purpose")
    facts.append("Cross-practice benchmarking: " + ("consented" if rights.benchmarking_consent else "not consented")
                 + (f", de-identified by {rights.deidentification}" if rights.deidentification else ""))
    return facts, gaps


def _exit(terms: Terms) -> tuple[list[str], list[str]]:
    t, rights, exit_terms = terms.term, terms.data_rights, terms.exit
    facts = [f"Initial term {t.initial_years} years" + (f", renews for {t.renewal_years}" if t.auto_renew else ""),
             f"For cause: {t.for_cause_notice_days} days' notice, {t.cure_days} days to cure",
             f"For convenience: {t.convenience_termination.value} with {t.convenience_notice_days} days' notice",
             f"Transition: {exit_terms.transition_days} days, cost borne by {exit_terms.cost_borne_by.value}"
             if exit_terms.transition_days is not None and exit_terms.cost_borne_by else "Transition: not stated"]
    facts += [f"{c.kind.title()} contract '{c.contract}': {c.disposition.value.replace('_', ' ')}"
              for c in exit_terms.contracts]
    if rights.has_exit_terms:
        facts.append(f"Data returned as {', '.join(rights.exit_formats)} within {rights.exit_delivery_days} days"
                     + (f" at ${rights.exit_cost:,.2f}" if rights.exit_cost is not None else "")
                     + (f"; MSO keeps it {rights.retention_after_exit_days} days" if rights.retention_after_exit_days
                        is not None else ""))
    if exit_terms.ar_collected_by is not None and exit_terms.ar_run_out_days is not None:
        facts.append(f"A/R open at exit: collected by the {exit_terms.ar_collected_by.value} for "
                     f"{exit_terms.ar_run_out_days} days after exit")
    transfers = [a.asset.value.replace("_", " ") for a in (terms.asset(k) for k in AssetKey) if a.transfers_at_exit]
    facts.append("Assets transferring at exit: " + (", ".join(transfers) if transfers else "none stated"))
    gaps = [text for missing, text in (
        (exit_terms.transition_days is None, "no transition timeline"),
        (exit_terms.cost_borne_by is None, "no statement of who bears the transition cost"),
        (not exit_terms.contracts, "no disposition of vendor and payer contracts"),
        (not rights.has_exit_terms, "no exit data formats or delivery window"),
        (exit_terms.ar_collected_by is None or exit_terms.ar_run_out_days is None,
         "no statement of who collects the A/R open at exit, or for how long"),
        (t.convenience_termination.value in ("none", "mso"), "the practice cannot leave for convenience"),
    ) if missing]
    return facts, gaps


def _compliance(terms: Terms) -> tuple[list[str], list[str]]:
    rights, facts, gaps = terms.data_rights, [], []
    for key in (ServiceKey.COMPLIANCE, ServiceKey.IT_SECURITY):
        service = terms.service(key)
        facts.append(f"{SERVICE_LABELS[key]}: " + (f"{service.level.value.replace('_', ' ')}" if service else
                                                     "not in the MSO's scope"))
        if service is None:
            gaps.append(f"{SERVICE_LABELS[key]} is not covered by the agreement")
    facts.append("BAA: " + (f"in force since {rights.baa_signed_on}, breach notice within "
                            f"{rights.baa_breach_notice_days} days" if rights.baa_in_force else "none"))
    facts += [f"Notice filed in {f.state} on {f.filed_on}" for f in terms.filings]
    return facts, gaps


def _autonomy(terms: Terms) -> tuple[list[str], list[str]]:
    facts = [f"{DECISION_BY_KEY[k].label}: {terms.holder(k).value.replace('_', ' ')} (clinical, never the MSO's)"
             for k in sorted(CLINICAL_DECISIONS)]
    facts += [f"{d.label}: {terms.holder(d.key).value.replace('_', ' ')}" for d in DECISION_BY_KEY.values()
              if d.professional]
    controls = [name.replace("_", " ") for name, value in terms.structure.controls.model_dump().items()
                if value is True]
    facts.append("Control terms over the PC: " + (", ".join(controls) if controls else "none"))
    gaps = []
    if not any(d.decision in CLINICAL_DECISIONS for d in terms.decision_rights):
        gaps.append("the agreement does not expressly reserve clinical decisions to the practice")
    return facts, gaps


def _depth(terms: Terms, affiliates: Counter) -> tuple[list[str], list[str]]:
    facts, gaps = [], []
    for key in TechnologyCategory:
        tech = terms.technology_for(key)
        if tech.vendor:
            count = affiliates.get((key, tech.vendor.strip().lower()), 0)
            facts.append(f"{TECHNOLOGY_LABELS[key]}: {tech.vendor}, {tech.arrangement.value.replace('_', ' ')}; "
                         f"{count} affiliate{'s' if count != 1 else ''} on this vendor")
    if not facts:
        gaps.append("no vendor is named in any technology category")
    return facts, gaps


def build(practice, version, terms: Terms, flags: list[Flag], affiliates: Counter, as_of: date) -> Report:
    """Assemble the report for one version from its terms, its flags and the network's vendor counts."""
    sections = [_scope(terms), _vendors(terms), _data(terms), _exit(terms), _compliance(terms), _autonomy(terms),
                _depth(terms, affiliates)]
    placed, answers = set(), []
    for number, (question, (facts, gaps)) in enumerate(zip(QUESTIONS, sections, strict=True), start=1):
        mine = [f for f in flags if id(f) not in placed and f.clause.startswith(question.clauses)]
        placed.update(id(f) for f in mine)
        answers.append(Answer(number=number, question=question.text, facts=facts, gaps=gaps,
                              flags=[assessment.flag_out(f) for f in mine]))
    return Report(
        practice=practice.legal_name, states=practice.states_of_operation, agreement=version.agreement.title,
        version=version.number, status=version.status, model=version.model,
        fee=assessment.describe_fee(terms.fees), effective_on=version.effective_on, signed_on=version.signed_on,
        as_of=as_of, disclaimer=DISCLAIMER, answers=answers,
        other_flags=[assessment.flag_out(f) for f in flags if id(f) not in placed],
    )


def due_diligence(db, actor, version, as_of: date) -> Report:
    """The report of one version as of a date (the actor must see the practice)."""
    practice = service.practice_of(db, actor, version.practice_id)
    terms = service.terms_of(version)
    flags = evaluate(terms, assessment.context_for(db, practice, as_of))
    return build(practice, version, terms, flags, service.affiliate_counts(db), as_of)
