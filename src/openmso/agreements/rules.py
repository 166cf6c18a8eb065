"""Legal-risk rules as data: one row per rule, each with its jurisdiction, dates, citation and check.

DECISION SUPPORT, NOT LEGAL ADVICE. The rows encode /work/shared/reference/state-rules.md
(compiled from public sources as of early 2026); each carries the confidence of its source and
names what is unverified. Re-checked against practitioner summaries in November 2026: Oregon SB 951's
dates (1 Jan 2026 for new arrangements, 1 Jan 2029 for existing ones) and California SB 351's
(1 Jan 2026; Stats. 2025 ch. 409, Health & Safety Code §1190 et seq. per the bill as introduced).
Counsel must review a flag before it drives a decision.

A rule applies to an agreement version when its jurisdiction is federal ("US") or one of the
states the practice operates in. Rules are evaluated as of a date: a rule not yet in force still
runs and its flag reads "from <date>"; a rule past its end date (a repealed section) does not run.
Laws with a transition for arrangements already in place (Oregon SB 951) carry `existing_from`,
the date they reach agreements that took effect before `effective_from`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from openmso.agreements import checks
from openmso.agreements.terms import Terms

DISCLAIMER = ("Decision support, not legal advice: flags are computed from the agreement's data against a rule table "
              "compiled from public sources (early 2026), several marked unverified. Have counsel review them.")


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Context:
    """What a check may know besides the terms: where the practice operates, its size, the date."""

    states: frozenset[str]
    as_of: date
    providers: int = 0


Check = Callable[[Terms, Context], list[checks.Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    jurisdiction: str  # "US" or a state code
    title: str
    citation: str
    severity: Severity
    explanation: str
    check: Check
    confidence: str  # "high", "medium" or "low", with what is unverified
    effective_from: date | None = None
    effective_to: date | None = None  # first day the rule no longer applies
    existing_from: date | None = None

    def start_for(self, terms: Terms) -> date | None:
        if self.existing_from and self.effective_from and terms.term.effective_on < self.effective_from:
            return self.existing_from
        return self.effective_from

    def applies_to(self, states: frozenset[str]) -> bool:
        return self.jurisdiction == "US" or self.jurisdiction in states


@dataclass(frozen=True, slots=True)
class Flag:
    rule: Rule
    finding: str
    clause: str
    starts: date | None
    in_force: bool

    @property
    def status(self) -> str:
        return "in force" if self.in_force else f"from {self.starts.isoformat()}"


def _rule(id, jurisdiction, title, citation, severity, check, explanation, confidence, **dates) -> Rule:
    return Rule(id, jurisdiction, title, citation, Severity(severity), explanation, check, confidence, **dates)


RULES: list[Rule] = [
    # --- federal -----------------------------------------------------------------------------
    _rule("US-AKS-REFERRALS", "US", "Fee tied to referrals or marketing", "42 U.S.C. §1320a-7b(b)", "high",
          checks.fee_tied_to_referrals,
          "Paying or receiving anything of value to induce or reward referrals of federal-program business is a "
          "crime. A management fee that grows with referrals, or pays for marketing as a share of revenue, is the "
          "pattern OIG has flagged.", "medium-high (statute not re-read)"),
    _rule("US-AKS-SAFE-HARBOR", "US", "Outside the personal services and management contracts safe harbor",
          "42 CFR §1001.952(d), as amended 85 Fed. Reg. 77684 (Dec. 2, 2020)", "medium", checks.outside_safe_harbor,
          "The safe harbor needs a signed writing of at least one year, a compensation methodology set in advance, "
          "fair market value, and pay not determined by the volume or value of referrals. A percentage-of-collections "
          "fee varies with business volume, so it usually misses the harbor: not illegal in itself, but it needs a "
          "facts-and-circumstances review.", "high for the 2020 amendment; FR cite medium",
          effective_from=date(2021, 1, 19)),
    _rule("US-STARK-FMV", "US", "Fee outside the recorded fair-market-value range, or no valuation",
          "42 U.S.C. §1395nn; 42 CFR §§411.351, 411.354, 411.357", "high", checks.fee_outside_fmv,
          "Stark compensation exceptions and the AKS safe harbor both require fair market value. Without a "
          "valuation the agreement cannot show it; a fee outside the valued range contradicts it. Stark bites where "
          "the MSO or its affiliates furnish designated health services.", "medium (not re-read)",
          effective_from=date(2021, 1, 19)),
    _rule("US-HIPAA-BAA", "US", "MSO handles PHI without a business associate agreement",
          "45 CFR §§160.103, 164.502(e), 164.504(e), 164.410", "high", checks.missing_baa,
          "An MSO that creates, receives, keeps or sends PHI for the practice is a business associate: the practice "
          "needs a BAA before sharing PHI, with breach reporting no later than 60 days after discovery.",
          "medium-high (settled regulation, not re-read)"),
    _rule("US-HIPAA-AGGREGATION", "US", "Cross-practice data use without the practice's consent",
          "45 CFR §§164.504(e)(2)(i)(B), 164.514(b)", "medium", checks.aggregation_without_consent,
          "A business associate may aggregate one practice's data with others' only as its agreement permits; "
          "benchmarking needs the practice's consent and a stated de-identification method.",
          "medium (OpenMSO policy built on the cited sections)"),
    _rule("US-EXIT-DATA", "US", "No exit data terms", "45 CFR §164.504(e)(2)(ii)(J)", "medium",
          checks.missing_exit_data_terms,
          "At termination PHI must be returned or destroyed; a practice that leaves needs its data in usable "
          "formats, by a date, at a known cost. Without those terms disaffiliation can stall on data.",
          "medium (the return-or-destroy rule is regulation; the rest is due-diligence practice)"),
    # --- California ----------------------------------------------------------------------------
    _rule("CA-CPOM", "CA", "Lay control over physician hiring or clinical staffing",
          "Cal. Bus. & Prof. Code §§2400, 2052", "high", checks.mso_controls_clinicians,
          "California bars lay entities from practising medicine or controlling physicians' professional "
          "decisions; the Medical Board lists hiring and clinical staffing among decisions reserved to physicians.",
          "medium (sections from memory, consistent with sources)"),
    _rule("CA-SB351", "CA", "Private-equity or hedge-fund control over professional matters",
          "Cal. Health & Safety Code §1190 et seq. (SB 351, Stats. 2025, ch. 409)", "high", checks.pe_control_ca,
          "From 1 Jan 2026, a private-equity group or hedge fund (or an entity it controls) may not control coding "
          "and billing, payer-contract terms, medical-record content or clinician hiring, nor bind clinicians to "
          "non-competes or non-disparagement; such terms are void.",
          "high for dates and scope (checked 2026-11); section number from the bill as introduced (medium)",
          effective_from=date(2026, 1, 1)),
    _rule("CA-FEE-650", "CA", "Percentage fee must match the value of the services",
          "Cal. Bus. & Prof. Code §650(b) (wording unverified)", "medium", checks.percentage_fee,
          "California tolerates percentage compensation for non-referral services only where it is commensurate "
          "with the value of the services furnished.", "medium; §650 text not retrieved"),
    _rule("CA-AB1415", "CA", "No 90-day OHCA notice before the transaction",
          "Cal. Health & Safety Code §127507 (AB 1415, 2025)", "high",
          checks.missing_notice("CA", 90, since=date(2026, 1, 1)),
          "From 1 Jan 2026 MSOs are noticing entities: a material change must be noticed to OHCA at least 90 days "
          "before closing.", "high", effective_from=date(2026, 1, 1)),
    # --- Texas ---------------------------------------------------------------------------------
    _rule("TX-CPOM", "TX", "Lay control of medical practice (Flynn pattern)",
          "22 Tex. Admin. Code §177.17; Tex. Occ. Code §§155.001, 157.001, 164.052(a)(8), (a)(13); Flynn Bros. v. "
          "First Medical Assocs., 715 S.W.2d 782 (Tex. App. 1986)", "high", checks.lay_control,
          "Texas is a strong corporate-practice state: an MSO that controls clinicians, clinical staffing or a "
          "nominee-owned PC while keeping the profits repeats the pattern the courts struck down.",
          "high for the rule basis; medium for the cases"),
    _rule("TX-SOLICITATION", "TX", "Payment for securing or soliciting patients", "Tex. Occ. Code §§102.001, 102.003",
          "high", checks.fee_tied_to_referrals,
          "Paying for patient solicitation is an offence unless a federal AKS safe harbor covers it; a fee tied to "
          "marketing or referrals is the risk.", "high for §102.001; percentage fees as such unverified"),
    # --- New York ------------------------------------------------------------------------------
    _rule("NY-FEE-SPLIT", "NY", "Percentage fee shares professional income", "N.Y. Educ. Law §6530(19)", "high",
          checks.percentage_fee,
          "Letting a non-licensee share professional fees is misconduct, reportedly including payments for space, "
          "staff or services set as a percentage of practice income.", "medium (text not retrieved)"),
    _rule("NY-CPOM", "NY", "Lay control of the PC through stock or succession terms",
          "N.Y. Bus. Corp. Law art. 15; State Farm v. Mallela, 4 N.Y.3d 313 (2005)", "high",
          checks.friendly_pc_controls,
          "A PC controlled by lay persons through stock-transfer, succession or proxy terms risks being treated as "
          "fraudulently incorporated (no reimbursement).", "medium (cases not re-read)"),
    _rule("NY-45A", "NY", "No 30-day notice of a material transaction", "N.Y. Pub. Health Law §§4550-4555 (art. 45-A)",
          "medium", checks.missing_notice("NY", 30, since=date(2023, 8, 1)),
          "Physician practices and MSOs must notify the Department of Health at least 30 days before closing a "
          "material transaction, including forming an MSO.", "high", effective_from=date(2023, 8, 1)),
    # --- Oregon (SB 951: new arrangements from 2026, existing ones from 2029) ------------------
    _rule("OR-SB951-STRUCTURE", "OR", "MSO control of the PC's ownership (friendly-PC terms)",
          "Or. SB 951 (2025), §§1-3 (enrolled §§5-6 transition wording unverified); ORS 58.375-58.376", "high",
          checks.friendly_pc_controls,
          "An MSO and its people may not own or control the PC, hold dual MSO/PC officer roles, vote PC shares by "
          "proxy, or restrict the transfer of PC shares (stock transfer restriction or succession agreements).",
          "high for content; medium for transition dates", effective_from=date(2026, 1, 1),
          existing_from=date(2029, 1, 1)),
    _rule("OR-SB951-CONTROL", "OR", "MSO de facto control of professional decisions", "Or. SB 951 (2025), §1",
          "high", checks.mso_controls_professional_decisions,
          "The MSO may not control clinical staffing and hiring, clinician compensation or schedules, clinical "
          "policies, patient billing and collection policies, prices of medical services, diagnostic coding or "
          "payer contracting.",
          "high for content; transition dates (1 Jan 2026 new, 1 Jan 2029 existing) checked against two firm "
          "summaries (2026-11), enrolled text not read", effective_from=date(2026, 1, 1),
          existing_from=date(2029, 1, 1)),
    _rule("OR-SB951-COVENANTS", "OR", "Non-competes or non-disparagement binding clinicians", "Or. SB 951 (2025)",
          "high", checks.clinician_covenants,
          "Non-competes, NDAs and non-disparagement clauses with medical licensees are largely void.",
          "high for content; medium for dates", effective_from=date(2026, 1, 1), existing_from=date(2029, 1, 1)),
    # --- Washington ------------------------------------------------------------------------------
    _rule("WA-CPOM", "WA", "Lay control over physician hiring or clinical staffing",
          "Morelli v. Ehsan, 110 Wn.2d 555 (1988)", "medium", checks.mso_controls_clinicians,
          "Washington reads its unlicensed-practice ban as reaching corporations that control physicians.",
          "medium (case not re-read); SB 5387 (2025) did not pass"),
    _rule("WA-19390", "WA", "No 60-day notice to the Attorney General", "RCW 19.390", "medium",
          checks.missing_notice("WA", 60, since=date(2020, 1, 1), min_providers=7),
          "Provider organizations (seven or more providers) must notify the Attorney General 60 days before a "
          "material change.", "high", effective_from=date(2020, 1, 1)),
    # --- Rhode Island ----------------------------------------------------------------------------
    _rule("RI-CPOM", "RI", "MSO people as PC shareholders, officers or directors",
          "R.I. Gen. Laws ch. 7-5.1", "medium", checks.friendly_pc_controls,
          "Professional service corporations need licensed shareholders, officers and directors.",
          "medium"),
    _rule("RI-AG-NOTICE", "RI", "No 60-day premerger notice to the Attorney General",
          "R.I. Attorney General premerger notification rule (2026)", "medium",
          checks.missing_notice("RI", 60, since=date(2026, 1, 28)),
          "Medical-practice groups must notify the Attorney General 60 days before forming an MSO or a "
          "significant-equity-investor deal.", "high", effective_from=date(2026, 1, 28)),
    # --- Massachusetts ---------------------------------------------------------------------------
    _rule("MA-SEI", "MA", "Significant equity investor: notice of material change", "M.G.L. c. 6D §13 (H.5159, 2025)",
          "medium", checks.significant_equity_investor,
          "An investor with more than 10% equity in a provider or MSO is a significant equity investor; deals "
          "involving one need a 60-day notice of material change (providers over $25M net patient revenue).",
          "high for the law; c. 6D cite medium", effective_from=date(2025, 4, 8)),
    # --- Illinois --------------------------------------------------------------------------------
    _rule("IL-FEE-SPLIT", "IL", "Percentage-of-fees management or billing charge",
          "225 ILCS 60/22.2; Vine Street Clinic v. HealthLink, 222 Ill. 2d 276 (2006)", "high", checks.percentage_fee,
          "Illinois courts held percentage-of-fees charges to be unlawful fee-splitting; any carve-out for billing "
          "services is unverified.", "high for the case law; low for the carve-out"),
    _rule("IL-NOTICE", "IL", "No 30-day notice to the Attorney General", "740 ILCS 10/7.2a", "medium",
          checks.missing_notice("IL", 30, since=date(2024, 1, 1)),
          "Provider organizations must notify the Attorney General 30 days before a contracting affiliation; the "
          "section is scheduled for repeal on 1 Jan 2027.", "high", effective_from=date(2024, 1, 1),
          effective_to=date(2027, 1, 1)),
    # --- New Jersey ------------------------------------------------------------------------------
    _rule("NJ-CPOM", "NJ", "Lay control of the practice behind the MSA (Northfield pattern)",
          "N.J.A.C. 13:35-6.16; Allstate v. Northfield Medical Center, 228 N.J. 596 (2017)", "high",
          checks.lay_control,
          "Physicians may practise only through licensee-owned forms; a lay-controlled practice behind an MSA was "
          "treated as insurance fraud.", "high for the regulation; medium for the case citation"),
    _rule("NJ-FEE", "NJ", "Percentage fee may be prohibited fee-sharing", "N.J.A.C. 13:35-6.17", "medium",
          checks.percentage_fee, "Fee-sharing is restricted; how it treats percentage management fees is unverified.",
          "low"),
    # --- Florida ---------------------------------------------------------------------------------
    _rule("FL-FEE-SPLIT", "FL", "Percentage fee with marketing or network growth (Bakarania)",
          "Fla. Stat. §§458.331(1)(i), 817.505; In re Bakarania, 20 F.A.L.R. 395 (1997); Novick v. Dep't of Health, "
          "816 So. 2d 1237 (Fla. 5th DCA 2002)", "high", checks.percentage_with_growth_services,
          "A percentage-of-revenue fee to a management company that also markets, builds networks or negotiates "
          "managed-care contracts is an unlawful fee split.", "high"),
]
RULE_BY_ID = {rule.id: rule for rule in RULES}


def evaluate(terms: Terms, context: Context) -> list[Flag]:
    """Every flag of every rule that applies to the practice's states, as of `context.as_of`."""
    flags = []
    for rule in RULES:
        if not rule.applies_to(context.states):
            continue
        if rule.effective_to is not None and context.as_of >= rule.effective_to:
            continue
        starts = rule.start_for(terms)
        for finding in rule.check(terms, context):
            flags.append(Flag(rule, finding.text, finding.clause, starts,
                              in_force=starts is None or starts <= context.as_of))
    order = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}
    return sorted(flags, key=lambda f: (not f.in_force, order[f.rule.severity], f.rule.id))
