"""The demo network's claims pipeline: about three months of specialty-appropriate charges per
practice, built into claims in each practice's weekly claim run, scrubbed, submitted to the payer
simulator, and its 999/277CA answers and 835s read as they arrive — so the claims pages show a living
pipeline (ready, held, rejected, accepted claims). `demo.timeline` runs it day by day on a simulated clock.

Deterministic for a seed. A few charges carry the mistakes billers meet every day (a diagnosis
category instead of a billable code, an MRI without the payer's prior authorization, an NCCI
bundled pair without a modifier) so the scrubber worklist is not empty. The billers fix those holds, and
work the payer's front-end rejections they can (a member id re-keyed from the card, a claim billed to the
patient's other plan); the rest go to the front desk (`rcm.demo_front_desk`), which asks the patient.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from openmso.core.tenancy import SYSTEM
from openmso.core.types import utcnow
from openmso.demo.cards import rekeyed
from openmso.network.models import Coverage, Location, Practice, Provider
from openmso.network.schemas import CoverageUpdate
from openmso.network.service import get_mso, update_coverage
from openmso.rcm.claims import batches, building, charges, editing, next_payers, scrubbing
from openmso.rcm.claims.models import Charge, Claim, ClaimEdit, TimelineEntry
from openmso.rcm.claims.schemas import ClaimEditIn, ClaimRebillIn
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.clearinghouse import ingest
from openmso.rcm.clearinghouse.adapters import SimulatorDrop, default_envelope
from openmso.rcm.clearinghouse.simulator import PayerSimulator

Code = tuple[str, str, int]  # procedure, fee in dollars, weight

# Procedure codes with typical fees and diagnoses, per specialty (keys of demo.catalog.SPECIALTIES names).
CODE_SETS: dict[str, dict[str, list]] = {
    "Family Medicine": {
        "visits": [("99213", "145", 50), ("99214", "210", 30), ("99203", "180", 6), ("99204", "265", 4),
                   ("99396", "240", 10)],
        "extras": [("36415", "18", 30), ("85025", "42", 15), ("80053", "60", 15), ("83036", "45", 10),
                   ("93000", "75", 6), ("90471", "35", 8)],
        "diagnoses": ["E11.9", "I10", "E78.5", "J06.9", "M54.50", "Z00.00", "E03.9", "F41.9", "K21.9", "N39.0",
                      "J45.909", "Z23"],
    },
    "Internal Medicine": {
        "visits": [("99213", "150", 45), ("99214", "220", 40), ("99215", "295", 5), ("99204", "270", 5),
                   ("99397", "260", 5)],
        "extras": [("36415", "18", 35), ("80053", "60", 20), ("83036", "45", 15), ("80061", "55", 15),
                   ("93000", "75", 8)],
        "diagnoses": ["E11.9", "I10", "E78.5", "I25.10", "N18.30", "E66.9", "K21.9", "M17.11", "Z00.00"],
    },
    "Pediatrics": {
        "visits": [("99213", "135", 45), ("99214", "195", 15), ("99392", "190", 15), ("99393", "190", 15),
                   ("99391", "185", 10)],
        "extras": [("90460", "40", 20), ("90700", "55", 8), ("87880", "30", 15), ("96110", "25", 8)],
        "diagnoses": ["Z00.129", "J06.9", "J02.9", "H66.90", "Z23", "J45.909", "L20.9", "R50.9"],
    },
    "Dermatology": {
        "visits": [("99213", "150", 45), ("99214", "215", 25), ("99203", "185", 15), ("99204", "270", 5)],
        "extras": [("11102", "150", 20), ("17000", "120", 20), ("17003", "15", 10), ("11300", "140", 5)],
        "diagnoses": ["L57.0", "D48.5", "L82.1", "L70.0", "C44.91", "L30.9", "L40.0"],
    },
    "Orthopaedic Surgery": {
        "visits": [("99213", "160", 40), ("99214", "230", 30), ("99204", "290", 15), ("99203", "200", 10)],
        "extras": [("20610", "190", 20), ("73562", "85", 20), ("73030", "80", 10), ("72148", "650", 6),
                   ("73721", "700", 6), ("J3301", "25", 10)],
        "diagnoses": ["M17.11", "M17.12", "M25.561", "M75.101", "M54.50", "S83.241A", "M51.26"],
    },
    "Cardiovascular Disease": {
        "visits": [("99213", "165", 35), ("99214", "240", 40), ("99204", "310", 15), ("99215", "320", 10)],
        "extras": [("93000", "75", 30), ("93306", "750", 12), ("78452", "1200", 5), ("93224", "300", 8)],
        "diagnoses": ["I10", "I25.10", "I48.91", "R07.9", "I50.9", "E78.5", "R00.2"],
    },
}
PRIOR_AUTHORIZED = {"72148", "73721", "93306", "78452"}


@dataclass
class ClaimsDemoSummary:
    charges: int = 0
    claims: int = 0
    held: int = 0
    batches: int = 0
    fixed: int = 0  # held claims the billers fixed
    rejections_worked: int = 0  # payer-rejected claims the billers or the front desk corrected or billed again
    new_plans: int = 0  # patients whose new plan the front desk recorded after their payer said it does not cover them
    next_payers_billed: int = 0  # claims billed to the patient's next plan after their payer paid (COB)
    files: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def _pick(rng: random.Random, codes: list) -> tuple[str, Decimal]:
    code, fee, _ = rng.choices(codes, weights=[c[2] for c in codes])[0]
    return code, Decimal(fee)


def _encounter_rows(rng: random.Random, practice: Practice, day: date, patient_id: int, coverage_id: int,
                    provider_id: int, location_id: int, codes: dict, number: int) -> list[dict]:
    diagnoses = rng.sample(codes["diagnoses"], rng.choice((1, 1, 2, 2, 3)))
    if rng.random() < 0.02:
        diagnoses[0] = diagnoses[0].split(".")[0]  # a category, not a billable code: DX-001
    visit, fee = _pick(rng, codes["visits"])
    lines = [(visit, fee, ["25"] if rng.random() < 0.3 else [])]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        code, extra_fee = _pick(rng, codes["extras"])
        if code not in [line[0] for line in lines]:
            lines.append((code, extra_fee, []))
    if not any(line[0] in ("20610", "11102", "17000", "93306", "72148", "73721", "78452") for line in lines[1:]):
        lines[0] = (lines[0][0], lines[0][1], [])  # modifier 25 only with a same-day procedure
    authorization = None
    if any(line[0] in PRIOR_AUTHORIZED for line in lines) and rng.random() < 0.9:
        authorization = f"PA{rng.randrange(10**8):08d}"
    rows = []
    for code, fee, modifiers in lines:
        units = 1 if code not in ("17003", "J3301") else rng.randint(2, 8)
        rows.append({"practice_id": practice.id, "patient_id": patient_id, "coverage_id": coverage_id,
                     "rendering_provider_id": provider_id, "referring_provider_id": None, "location_id": location_id,
                     "service_date": day, "service_date_end": None, "procedure_code": code,
                     "modifiers": ":".join(modifiers), "units": units, "charge_amount": fee * units,
                     "diagnoses": ":".join(d.replace(".", "") for d in diagnoses),
                     "pointers": ":".join(str(n) for n in range(1, min(len(diagnoses), 4) + 1)),
                     "prior_authorization": authorization, "encounter_key": f"E{practice.id}-{number}",
                     "source": "demo", "claim_id": None})
    return rows


VISIT_DAYS = 91  # the demo's visits fall in the 13 weeks before its "today"
HOLD_WORKED_AFTER = 3  # business days a held claim waits before a biller gets to it
# Holds a biller fixes in the claim's codes; a coverage problem (COV-002) waits for the front desk.
FIXED_IN_CODES = frozenset({"DX-001", "AUTH-001", "NCCI-001"})
REJECTION_WORKED_AFTER = 2  # business days a payer's rejection waits on the rejections worklist
# 277CA status codes (Claim.status_codes) of the front-end rejections worked from the worklist: the billers the
# member id and a payer when another plan is on file, the front desk a birth date the payer does not match (A7:158)
# and a payer that does not cover the patient with no other plan on file, once it reaches the patient
MEMBER_ID_UNKNOWN, WRONG_PAYER, BIRTH_DATE_UNMATCHED = "277CA:A7:164:IL", "277CA:A3:116", "277CA:A7:158:QC"
MEMBER_ID_REKEYED = "member id re-keyed from the insurance card"
ENTRY_LAG_DAYS = (1, 1, 1, 1, 2, 2, 2, 3, 4, 5)  # business days from the visit to its charge entry
DAYS_TO_PAY = (14, 32)  # the simulated payers' days from receiving a claim to its payment date


def business_day_on_or_before(day: date) -> date:
    return day - timedelta(days=max(day.weekday() - 4, 0))


def subtract_business_days(day: date, count: int) -> date:
    for _ in range(count):
        day -= timedelta(days=3 if day.weekday() == 0 else 2 if day.weekday() == 6 else 1)
    return day


def add_business_days(day: date, count: int) -> date:
    for _ in range(count):
        day += timedelta(days=3 if day.weekday() == 4 else 2 if day.weekday() == 5 else 1)
    return day


def _entered_at(rng: random.Random, visit: date, last_day: date) -> datetime:
    """When the visit's charges were keyed in: a business day or a few after it, never after `last_day`,
    during office hours (before the afternoon's claim run)."""
    day = min(add_business_days(visit, rng.choice(ENTRY_LAG_DAYS)), last_day)
    return datetime.combine(day, time(8), tzinfo=UTC) + timedelta(minutes=rng.randrange(8 * 60))


def create_demo_charges(db: Session, rng: random.Random, as_of: date, days: int = VISIT_DAYS,
                        visits_per_patient: float = 0.45) -> int:
    """Charges for about `visits_per_patient` visits per insured patient over `days` days before `as_of`, each
    stamped with when it was entered (a few business days after the visit, before `as_of`)."""
    total = 0
    last_day = business_day_on_or_before(as_of - timedelta(days=1))
    for practice in db.scalars(select(Practice).order_by(Practice.id)):
        codes = CODE_SETS.get(practice.specialty, CODE_SETS["Family Medicine"])
        providers = list(db.scalars(select(Provider.id).where(Provider.practice_id == practice.id)))
        locations = list(db.execute(select(Location.id, Location.place_of_service)
                                    .where(Location.practice_id == practice.id).order_by(Location.id)))
        coverages = db.execute(select(Coverage.patient_id, Coverage.id).where(
            Coverage.practice_id == practice.id, Coverage.priority == 1).order_by(Coverage.patient_id)).all()
        rows: list[dict] = []
        for number, (patient_id, coverage_id) in enumerate(coverages):
            if rng.random() >= visits_per_patient:
                continue
            day = business_day_on_or_before(as_of - timedelta(days=rng.randint(3, days)))
            location_id = locations[0][0] if rng.random() < 0.8 else rng.choice(locations)[0]
            entered = _entered_at(rng, day, last_day)
            rows += [row | {"created_at": entered} for row in _encounter_rows(
                rng, practice, day, patient_id, coverage_id, rng.choice(providers), location_id, codes, number)]
        total += len(charges.insert_charges(db, SYSTEM, rows))
    return total


def _lines(claim: Claim, bundled: set[int] | frozenset[int] = frozenset()) -> list[dict]:
    """The claim's lines as a fix sends them, with modifier 59 (distinct procedural service) on `bundled` ones."""
    return [{"line_number": line.line_number, "procedure_code": line.procedure_code,
             "modifiers": [*line.modifier_list, "59"][:4] if line.line_number in bundled else line.modifier_list,
             "units": line.units, "charge_amount": line.charge_amount, "pointers": line.pointer_list}
            for line in claim.lines]


def claim_as_is(claim: Claim, reason: str) -> ClaimEditIn:
    """A correction that keeps the claim's own codes: it goes back to draft and is sent again as an original."""
    return ClaimEditIn(diagnoses=claim.diagnosis_codes, prior_authorization=claim.prior_authorization,
                       lines=_lines(claim), reason=reason)


def other_primary_plan() -> ScalarSelect:
    """For each claim (correlated), the patient's other primary plan in force on its date of service, which a
    claim the payer says went to the wrong payer is billed to; none when the claim is a later payer's (it follows
    its earlier payer's claim) or was billed to another plan once already (two payers saying no is for the front
    desk, which asks the patient, and billing back would go round in circles)."""
    rebilled = select(TimelineEntry.id).where(TimelineEntry.claim_id == Claim.id, TimelineEntry.event == "rebill")
    return (select(Coverage.id).where(
        Coverage.patient_id == Claim.patient_id, Coverage.id != Claim.coverage_id, Coverage.priority == 1,
        Coverage.active_on(Claim.service_date_from), Claim.primary_claim_id.is_(None), ~rebilled.exists())
        .order_by(Coverage.id).limit(1).correlate(Claim).scalar_subquery())


class ClaimsDesk:
    """The billing office's claims work in the demo's simulated months, one business day at a time: each
    practice's weekly claim run turns the charges entered so far into claims, scrubs them and submits them
    to the payer simulator, and the clearinghouse is polled for answers (999s, 277CAs, and 835s on their payment
    date). The caller sets the clock (`core.types.simulated_clock`) to each step's time."""

    def __init__(self, db: Session, clearinghouse_dir: Path, *, seed: int, as_of: date):
        self.db = db
        self.summary = ClaimsDemoSummary(charges=create_demo_charges(db, random.Random(seed * 1009), as_of))
        envelope = default_envelope(get_mso(db).name, "SIMULATED PAYERS", "SIMPAYERS")
        self.adapter = SimulatorDrop(clearinghouse_dir, envelope, PayerSimulator(days_to_pay=DAYS_TO_PAY),
                                     hold_until_paid=True)
        self.practice_ids = list(db.scalars(select(Practice.id).order_by(Practice.id)))
        self.specialties = dict(db.execute(select(Practice.id, Practice.specialty)).all())
        self.rng = random.Random(seed * 2027)
        self.cards = random.Random(seed * 3041)  # what the patients' insurance cards read
        self.unbilled: dict[int, list[tuple[date, int]]] = {}  # practice → (entry day, charge id), oldest first
        for charge_id, practice_id, created_at in db.execute(
                select(Charge.id, Charge.practice_id, Charge.created_at).where(Charge.claim_id.is_(None))
                .order_by(Charge.created_at, Charge.id)):
            self.unbilled.setdefault(practice_id, []).append((created_at.date(), charge_id))

    @property
    def first_entry(self) -> date | None:
        return min((charges[0][0] for charges in self.unbilled.values()), default=None)

    def claim_run_weekday(self, practice_id: int) -> int:
        """Each practice's weekly claim run falls on its own weekday (Monday to Friday), by its place in the
        network (not its id, which a database sequence hands out)."""
        return self.practice_ids.index(practice_id) % 5

    def submit(self, day: date) -> None:
        """The claim run of the practices whose run day `day` is: claims from every charge entered by `day`,
        scrubbed as of `day`, the clean ones sent as 837P batches. Later charges wait for next week's run."""
        claim_ids: list[int] = []
        for practice_id, unbilled in sorted(self.unbilled.items()):
            if self.claim_run_weekday(practice_id) != day.weekday():
                continue
            due = [charge_id for entered, charge_id in unbilled if entered <= day]
            if due:
                self.unbilled[practice_id] = unbilled[len(due):]
                claim_ids += building.build_claims(self.db, SYSTEM, practice_id, due)
        self.summary.claims += len(claim_ids)
        # fixed since held or rejected, or a denial's replacement (a draft until scrubbed): this run sends them
        claim_ids += self.db.scalars(select(Claim.id).where(
            Claim.practice_id.in_([p for p in self.practice_ids if self.claim_run_weekday(p) == day.weekday()]),
            Claim.status.in_((ClaimStatus.READY, ClaimStatus.DRAFT)), Claim.id.not_in(claim_ids))).all()
        if not claim_ids:
            return
        self.summary.held += scrubbing.scrub_claims(self.db, SYSTEM, claim_ids=claim_ids, as_of=day).held
        self.adapter.today = day
        built = batches.build_batches(self.db, SYSTEM, self.adapter.envelope, adapter=self.adapter.name,
                                      claim_ids=claim_ids)
        self.summary.batches += len(built)
        for batch in built:
            self.adapter.send(batch.filename, batch.content.encode("latin-1"))
            batch.status, batch.sent_at = "sent", utcnow()

    def work_holds(self, day: date) -> None:
        """The billers fix the claims held for `HOLD_WORKED_AFTER` business days or more whose holds are in the
        codes, as they would from the scrubber worklist: the billable diagnosis the chart supports instead of
        its category, the payer's authorization number, a distinct-service modifier (59) on a bundled line.
        Each claim is scrubbed again at once and goes in its practice's next claim run."""
        waited_since = datetime.combine(subtract_business_days(day, HOLD_WORKED_AFTER), time.max, tzinfo=UTC)
        held = self.db.scalars(select(Claim).where(Claim.status == ClaimStatus.HELD, Claim.updated_at <= waited_since)
                               .order_by(Claim.id)).all()
        found = defaultdict(list)
        for claim_id, rule_id, line_number in self.db.execute(
                select(ClaimEdit.claim_id, ClaimEdit.rule_id, ClaimEdit.line_number)
                .where(ClaimEdit.claim_id.in_([claim.id for claim in held]), ClaimEdit.severity == "error")):
            found[claim_id].append((rule_id, line_number))
        for claim in held:
            edits = found.get(claim.id, [])
            if not edits or {rule for rule, _ in edits} - FIXED_IN_CODES:
                continue
            try:
                fix = self._fix(claim, edits)
            except ValidationError:  # no code of the chart fits (the category's only code is already billed)
                continue
            editing.edit_claim(self.db, SYSTEM, claim.id, fix)
            self.summary.fixed += 1

    def work_rejections(self, day: date) -> None:
        """The billers work the claims the payer's front end rejected `REJECTION_WORKED_AFTER` business days ago or
        more, from the rejections worklist: a member id the payer does not know (A7:164) is re-keyed from the
        insurance card and the claim corrected as it is; a claim sent to the wrong payer (A3:116) is billed to the
        patient's other primary plan in force on the date of service (`other_primary_plan`). A birth date the payer
        did not match, and a wrong payer with no other plan on file, go to the front desk (`demo_front_desk`).
        Each claim is scrubbed again at once and goes in its practice's next claim run."""
        waited_since = datetime.combine(subtract_business_days(day, REJECTION_WORKED_AFTER), time.max, tzinfo=UTC)
        other_plan = other_primary_plan()
        rows = self.db.execute(select(Claim, other_plan).where(
            Claim.status == ClaimStatus.PAYER_REJECTED, Claim.updated_at <= waited_since,
            (Claim.status_codes == MEMBER_ID_UNKNOWN) | ((Claim.status_codes == WRONG_PAYER) & other_plan.is_not(None)))
            .order_by(Claim.id)).all()
        for claim, coverage_id in rows:
            if claim.status_codes == MEMBER_ID_UNKNOWN:
                self._rekey_member_id(claim)
            else:
                editing.rebill(self.db, SYSTEM, claim.id, ClaimRebillIn(
                    coverage_id=coverage_id, reason="the payer does not cover the patient: billed to the patient's "
                                                    "other plan in force on the date of service"))
            self.summary.rejections_worked += 1

    def bill_next_payers(self) -> None:
        """The billers bill the patient's next plan (secondary, then tertiary) in force on the date of service for
        each claim whose payer paid it and left the patient a share, once that payment is posted: the next payer's
        claim carries the adjudication as posted (COB) and goes in the practice's next claim run. A payment that
        does not balance, or left the patient nothing, is not passed on; nor is one with a denied line still being
        worked or a correction standing (`claims.next_payers.ready`): the office waits for the appeal or the
        corrected claim's answer, so the next payer is sent the earlier payer's final word."""
        self.summary.next_payers_billed += len(next_payers.bill_ready(self.db, SYSTEM).billed)

    def _rekey_member_id(self, claim: Claim) -> None:
        """The member id as the insurance card shows it, then the claim corrected unchanged: the next 837 is
        built from the corrected coverage."""
        coverage = self.db.get(Coverage, claim.coverage_id)
        update_coverage(self.db, SYSTEM, coverage.id,
                        CoverageUpdate(member_id=rekeyed(self.cards, coverage.member_id), reason=MEMBER_ID_REKEYED))
        editing.edit_claim(self.db, SYSTEM, claim.id, claim_as_is(claim, MEMBER_ID_REKEYED))

    def _fix(self, claim: Claim, edits: list[tuple[str, int | None]]) -> ClaimEditIn:
        rules = {rule for rule, _ in edits}
        chart = [d.replace(".", "") for d in CODE_SETS[self.specialties[claim.practice_id]]["diagnoses"]]
        diagnoses = list(claim.diagnosis_codes)
        if "DX-001" in rules:
            for index, code in enumerate(diagnoses):
                if code not in chart:
                    diagnoses[index] = next((billable for billable in chart
                                             if billable.startswith(code) and billable not in diagnoses), code)
        bundled = {line for rule, line in edits if rule == "NCCI-001"}
        authorization = claim.prior_authorization
        if "AUTH-001" in rules and not authorization:
            authorization = f"PA{self.rng.randrange(10**8):08d}"
        return ClaimEditIn(diagnoses=diagnoses, prior_authorization=authorization, lines=_lines(claim, bundled),
                           reason="fixed from the scrubber worklist: " + ", ".join(sorted(rules)))

    def poll(self, day: date) -> None:
        """Read what the clearinghouse has delivered by `day`: acknowledgements first, then remittances."""
        self.adapter.today = day
        for name in sorted(self.adapter.inbound(),
                           key=lambda n: (not n.startswith("999"), not n.startswith("277"), n)):
            ingest.ingest(self.db, SYSTEM, name, self.adapter.read(name))
            self.adapter.done(name)
            self.summary.files += 1
        self.db.flush()
