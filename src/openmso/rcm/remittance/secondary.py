"""The patient's share when a later payer (secondary, tertiary) adjudicates a claim billed after another.

The primary's 835 puts its PR amounts on the patient ledger as owed by the patient (when it adjudicates its claim
again without a reversal, only what the new decision changes in the share: `posting`). The secondary is billed
for that share (coordination of benefits) and its 835 says what the patient still owes: its own PR. So when a
payment posts to a claim that follows another (`Claim.primary_claim_id`), the patient's balance for the service
— every ledger entry naming a claim of the chain, primary to this one — moves to the secondary's PR:

- the secondary's payment is credited first (`payer_payment`), up to what the patient owed;
- what else the secondary took off the patient's share (its CO write-off of it, or a lower allowed amount) is
  credited as `payer_adjustment`; the secondary's own CAS groups need not match the primary's (some report the
  primary's decision as OA-23 whole, others split it into OA-23 for the payment and CO-45 for the write-off),
  so the share is moved by the difference between what was owed and the secondary's PR, not by its CO;
- if the secondary says the patient owes more than the ledger holds for the chain, the difference is not
  billed: the earlier payer's contract capped the patient's share (its CO write-off may not be billed to the
  patient), so the ledger keeps what the chain holds and the excess goes to the exceptions queue as a
  `cob_patient_excess` for a person to decide (a later payer's deductible on a service the primary covered
  under contract is usually not the patient's to pay);
- if it paid more than the patient's share, the excess is the payer's money, not the patient's: it is not
  credited to the patient (which would show a refund due to the patient) but flagged for a person as a
  `cob_overpayment` in the exceptions queue, to refund to the payer or have it recouped. Nothing is lost.

The patient's share is what the payers' decisions and the practice's transfers put on the chain
(`SHARE_KINDS`). What the practice itself took off it — a write-off of the share (small balance, hardship,
bad debt) or any other adjustment of its own (`practice_credit`) — does not make the share smaller for the
later payer: the payer owes its coordination of benefits on the patient's share whatever the practice did with
it, so its payment is credited against the share in full (no bogus `cob_overpayment`), and the practice's
write-off is reversed (`WRITE_OFF_REVERSAL`, naming the later payer's claim) as far as it exceeds what the
patient still owes after the payer's decision: it was written off because nobody would pay it, and now
somebody did. The ledger then reads, e.g., responsibility 30.00, write_off −30.00, write_off_reversal 30.00,
payer_payment −30.00: the patient owes nothing, the write-off is undone, the money is the payer's. A reversal
of the payer's decision takes the write-off reversal back too, so the practice's write-off stands again.

When the earlier payer changes its decision after the later payer paid — it reverses its claim payment
(CLP02 22) with no corrected payment yet, or adjudicates again — the patient's share the later payer paid moves
under it. The later payer's claims that follow it are settled again (`resettle`) against the share as it now
stands: its payment (and its own write-off of the share) are applied as far as a share is left, the patient
owes what is left beyond them, and what of the payment no longer settles a share is taken off the patient's
ledger and flagged as a `cob_overpayment` (the payer's money, not a refund due to the patient: a primary
reversed alone would otherwise leave the patient a −30.00 credit); when the earlier payer's corrected payment
puts the share back, settling again applies the payment again.

A reversal (CLP02 22) of the secondary's payment negates the entries its postings wrote, so the patient owes
the earlier payer's share again until the corrected payment (often in the same 835) posts. A new adjudication
that comes without a reversal (a denial paid on appeal in a fresh claim payment) replaces the earlier one the
same way: its entries are negated first, then the new decision is settled against the earlier payer's share.
A replacement of a later payer's claim (frequency 7) decides the service anew at that payer: when its
adjudication posts, what the payer's postings to the claims it replaces wrote is taken back (naming those claims),
whether or not the payer reversed them first, and the replacement's decision is settled against the earlier
payer's share — not on top of the original's (which left a 30.00 share at −15.00 after 20.00 then 25.00 paid).
The original's payment then settles no share: the payer's money, flagged as a `cob_overpayment` under the
original's number until the payer reverses it (which closes the flag and changes the share no further).
Entries are kept per piece of claims (`PatientShares`) so a reversal and its corrected payment in one piece see
each other.
Payments the patient made (kind `payment`, tied to a claim or not) are left alone: if they already paid the
share the secondary then pays, their ledger shows a credit balance, a refund due to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.rcm.claims.models import Claim
from openmso.rcm.remittance.models import PatientLedgerEntry

ZERO = Decimal("0.00")
PAYMENT, ADJUSTMENT, RESPONSIBILITY = "payer_payment", "payer_adjustment", "responsibility"
TRANSFER, PATIENT_PAYMENT = "transfer", "payment"  # a denied amount the practice moved to the patient; their cash
WRITE_OFF_REVERSAL = "write_off_reversal"  # a later payer paid (or took off) a share the practice had written off
WRITTEN_BY_LATER_PAYER = (PAYMENT, ADJUSTMENT, RESPONSIBILITY, WRITE_OFF_REVERSAL)
SHARE_KINDS = (RESPONSIBILITY, TRANSFER, PAYMENT, ADJUSTMENT)  # the patient's share as the payers left it


def practice_credit(kind: str) -> bool:
    """Whether entries of `kind` are the practice's own adjustments of the patient's share (a write-off, its
    reversal): neither the payers' decisions, nor a transfer, nor the patient's payment."""
    return kind not in SHARE_KINDS and kind != PATIENT_PAYMENT


@dataclass
class PatientShares:
    """The ledger as it stands for the chains of the claims a piece pays that follow another claim:
    each such claim's earlier claims, and the ledger's sum per claim and kind."""

    earlier: dict[int, tuple[int, ...]] = field(default_factory=dict)
    chained: set[int] = field(default_factory=set)  # the claims some later claim of the piece follows
    # a later payer's correction in the piece → the claims it corrects (their patient control numbers)
    corrects: dict[int, dict[int, str]] = field(default_factory=dict)
    held: dict[int, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))

    def _chain(self, claim_id: int) -> tuple[int, ...]:
        return (*self.earlier.get(claim_id, ()), claim_id)

    def owed(self, claim_id: int) -> Decimal:
        """The patient's share of this claim's service as the payers left it (its chain's `SHARE_KINDS`): what
        the patient owes before the practice's own write-offs and the patient's payments."""
        return sum((amount for claim in self._chain(claim_id) for kind, amount in self.held[claim].items()
                    if kind in SHARE_KINDS), ZERO)

    def written_off(self, claim_id: int) -> Decimal:
        """What the practice has written off of this service's patient share and not reversed (its chain's
        `practice_credit` entries, as a positive amount)."""
        return -sum((amount for claim in self._chain(claim_id) for kind, amount in self.held[claim].items()
                     if practice_credit(kind)), ZERO)

    def add(self, claim_id: int, kind: str, amount: Decimal) -> None:
        self.held[claim_id][kind] += amount


@dataclass(frozen=True, slots=True)
class Settlement:
    entries: list[tuple[str, Decimal]]  # (kind, amount) for the ledger, naming the later payer's claim
    owed_before: Decimal
    overpaid: Decimal  # paid beyond the patient's share: the payer's money, flagged for a person
    excess: Decimal = ZERO  # the payer's PR beyond what the patient owed on the chain: not billed, flagged
    # what was taken back of the claims a correction replaces, (claim id, kind, amount), naming them
    replaced: list[tuple[int, str, Decimal]] = field(default_factory=list)

    def replaced_payments(self) -> dict[int, Decimal]:
        """By replaced claim: its payer's payment that settles no share now (the payer's money, to refund)."""
        paid: dict[int, Decimal] = defaultdict(Decimal)
        for claim_id, kind, amount in self.replaced:
            if kind == PAYMENT:
                paid[claim_id] += amount
        return {claim_id: amount for claim_id, amount in paid.items() if amount > 0}


def _take_back(shares: PatientShares, claim_id: int) -> list[tuple[str, Decimal]]:
    """Negate, in `shares`, what the later payer's postings to `claim_id` wrote; the entries doing so."""
    entries = [(kind, -amount) for kind, amount in shares.held[claim_id].items()
               if kind in WRITTEN_BY_LATER_PAYER and amount]
    for kind, amount in entries:
        shares.add(claim_id, kind, amount)
    return entries


def reverse_corrected(shares: PatientShares, original: int) -> list[tuple[str, Decimal]]:
    """A later payer's reversal, posted under a correction whose own decision stands, of what it paid on a claim
    the correction replaces (`reversals`): the correction's decision stays; what the payer's postings to the
    replaced claim still hold in `shares` (nothing once the correction's adjudication took it back) is negated."""
    return _take_back(shares, original)


def settle(shares: PatientShares, claim_id: int, paid: Decimal, patient: Decimal, reversal: bool) -> Settlement:
    """The ledger entries a later payer's posting to `claim_id` makes, already counted in `shares` (pure)."""
    # a reversal takes back what this payer's earlier postings wrote; so does a new adjudication that comes
    # without one (a denial paid on appeal in a fresh CLP02 1), since it replaces the decision, not adds to it,
    # and so does a replacement's for the claims it replaces
    entries = _take_back(shares, claim_id)
    replaced = [(original, kind, amount) for original in shares.corrects.get(claim_id, {})
                for kind, amount in _take_back(shares, original)]
    owed = shares.owed(claim_id)
    overpaid = excess = ZERO
    if not reversal:
        gap = owed - patient  # how far the later payer's decision lowers the patient's share
        credited = min(max(paid, ZERO), max(gap, ZERO))
        decided = [(PAYMENT, -credited), (ADJUSTMENT, credited - gap)] if gap > 0 else []
        decided = [(kind, amount) for kind, amount in decided if amount]
        for kind, amount in decided:
            shares.add(claim_id, kind, amount)
        entries += decided
        overpaid = max(paid - credited, ZERO) if paid > 0 else ZERO
        excess = max(-gap, ZERO)  # never debited: the chain's share is all the patient can be billed
    _reinstate(shares, claim_id, entries)
    return Settlement(entries, owed, overpaid, excess, replaced)


def _reinstate(shares: PatientShares, claim_id: int, entries: list[tuple[str, Decimal]]) -> None:
    """Reverse the practice's write-off of the share as far as it exceeds what the patient now owes (the payer
    covered that part), or restore it as far as a reversal put the share back."""
    reinstated = max(shares.written_off(claim_id) - max(shares.owed(claim_id), ZERO), ZERO)
    if reinstated:
        shares.add(claim_id, WRITE_OFF_REVERSAL, reinstated)
        entries.append((WRITE_OFF_REVERSAL, reinstated))


def resettle(shares: PatientShares, claim_id: int, paid: Decimal) -> Settlement:
    """Settle a later payer's claim again after an earlier payer changed the share under it (pure). The later
    payer decided on the earlier decision, so only what it did stays: its payment (`paid`, its standing cash;
    0.00 when its decision was taken back) and its own write-off of the share (its `payer_adjustment`) are applied
    again as far as the new share holds them, and the patient owes the rest — a share grown from 30.00 to 40.00
    leaves the patient 10.00 (the later payer may be billed again), not a write-off the payer never made. The
    ledger entries are the net change by kind (none when nothing moved); `overpaid` is all of the payer's
    payment that settles no share now, however much was applied before (the caller closes the flags raised
    before for the claim, so the leftover is flagged once: a payment un-applied by a reversal alone in one file
    and partly applied again by the correction in the next leaves the rest flagged, not nothing)."""
    adjusted = -shares.held[claim_id][ADJUSTMENT]
    entries = [(kind, -amount) for kind, amount in shares.held[claim_id].items()
               if kind in WRITTEN_BY_LATER_PAYER and amount]
    for kind, amount in entries:
        shares.add(claim_id, kind, amount)
    owed = shares.owed(claim_id)
    credited = min(max(paid, ZERO), max(owed, ZERO))
    decided = [(PAYMENT, -credited), (ADJUSTMENT, -min(max(adjusted, ZERO), max(owed - credited, ZERO)))]
    for kind, amount in decided:
        shares.add(claim_id, kind, amount)
    entries += decided
    _reinstate(shares, claim_id, entries)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for kind, amount in entries:
        net[kind] += amount
    return Settlement([(kind, amount) for kind, amount in net.items() if amount], owed,
                      max(max(paid, ZERO) - credited, ZERO))


@dataclass(frozen=True, slots=True)
class Following:
    """A later payer's claim billed after one a piece re-adjudicates."""

    id: int
    primary_claim_id: int
    patient_id: int
    patient_control_number: str
    original_claim_id: int | None = None  # the claim it replaces or voids at its payer, if a correction


def following(db: Session, claims: Iterable[tuple[int, int]]) -> list[Following]:
    """The claims billed after these (claim id, patient id) pairs (a secondary), and after those (a tertiary), in
    claim order: one query per step along the chain, found through the patients' claims (indexed by patient; a
    later claim is the same patient's)."""
    claims = list(claims)
    found: dict[int, Following] = {}
    wanted, patients = {claim_id for claim_id, _ in claims}, {patient_id for _, patient_id in claims}
    while wanted:
        rows = db.execute(select(Claim.id, Claim.primary_claim_id, Claim.patient_id, Claim.patient_control_number,
                                 Claim.original_claim_id)
                          .where(Claim.patient_id.in_(patients), Claim.primary_claim_id.in_(wanted))).all()
        wanted = {row.id for row in rows} - found.keys()
        found.update((row.id, Following(*row)) for row in rows if row.id in wanted)
    return [found[claim_id] for claim_id in sorted(found)]


def load(db: Session, practice_id: int, following: Iterable[tuple[int, int, int]],
         corrects: dict[int, list[int]] | None = None) -> PatientShares:
    """The ledger for these (claim id, claim it follows, patient id) triples' chains: one query per step back
    along the chain (a tertiary claim follows the secondary, which follows the primary) and one for the ledger;
    with `corrects` (a correction among them → the claims it corrects), those claims' ledger entries too."""
    following = list(following)
    shares = PatientShares()
    if not following:
        return shares
    if corrects:
        replaced = {claim_id for chain in corrects.values() for claim_id in chain}
        numbers = dict(db.execute(select(Claim.id, Claim.patient_control_number).where(Claim.id.in_(replaced))).all())
        shares.corrects = {correction: {claim_id: numbers.get(claim_id, "") for claim_id in chain}
                           for correction, chain in corrects.items()}
    before: dict[int, int | None] = {claim_id: earlier for claim_id, earlier, _ in following}
    wanted = {earlier for _, earlier, _ in following} - before.keys()
    while wanted:
        rows = db.execute(select(Claim.id, Claim.primary_claim_id).where(Claim.id.in_(wanted))).all()
        before.update((row.id, row.primary_claim_id) for row in rows)
        wanted = {row.primary_claim_id for row in rows if row.primary_claim_id is not None} - before.keys()
    for claim_id, _, _ in following:
        chain, earlier = [], before.get(claim_id)
        while earlier is not None and earlier not in chain and len(chain) < 10:
            chain.append(earlier)
            earlier = before.get(earlier)
        shares.earlier[claim_id] = tuple(reversed(chain))
        shares.chained.update(chain)
    for correction, originals in shares.corrects.items():  # a claim corrected follows what its correction follows
        for original in originals:
            shares.earlier.setdefault(original, shares.earlier.get(correction, ()))
    claims = set(before) | {claim_id for chain in shares.corrects.values() for claim_id in chain}
    rows = db.execute(select(PatientLedgerEntry.claim_id, PatientLedgerEntry.kind, func.sum(PatientLedgerEntry.amount))
                      .where(PatientLedgerEntry.practice_id == practice_id,
                             PatientLedgerEntry.patient_id.in_({patient for _, _, patient in following}),
                             PatientLedgerEntry.claim_id.in_(claims))
                      .group_by(PatientLedgerEntry.claim_id, PatientLedgerEntry.kind))
    for claim_id, kind, amount in rows:
        shares.add(claim_id, kind, amount or ZERO)
    return shares
