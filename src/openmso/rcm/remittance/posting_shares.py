"""The patient's share as a posted piece moves it: a first payer's claim adjudicated again (`share_change`), a later
payer's posting (`settle_patient_share`: its payment and write-off of the share, a correction's taking back of the
claims it corrects, their decision standing again when the correction is reversed), and the later payers' claims
settled again when an earlier payer changes its decision (`resettle_later_claims`). The rules are `secondary`'s and
`later_payers`'; here they are applied to a piece's rows (`posting._Batch`) and refund flags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from openmso.rcm.ar import later_payers
from openmso.rcm.ar.chains import VOID, correction_chains
from openmso.rcm.ar.reversals import PostingKey, reversed_postings
from openmso.rcm.remittance import secondary
from openmso.rcm.remittance.lookups import ClaimRef
from openmso.rcm.remittance.posting_writes import CLAIM_COLUMNS, LINE_COLUMNS

if TYPE_CHECKING:  # posting builds the piece and calls in here
    from openmso.rcm.remittance.posting import _Batch as Batch
    from openmso.rcm.remittance.posting import _Found as Found

ZERO = Decimal("0.00")


def share_change(batch: Batch, decided, posted: list[int], paid_on: date, source: str,
                  corrected_here: Sequence[int] = ()) -> tuple[Decimal, str]:
    """A first payer's claim adjudicated again (before this piece: `decided`; earlier in it: `posted`, places in
    `batch`, to which the new posting, the batch's last, is added, and `corrected_here`, the postings of the claims
    a correction corrects earlier in the piece — a reversal of the original): the patient ledger entry is the
    change in the patient's share the payer's standing decisions leave (`later_payers.patient_share_change`), not
    the new share whole — a denial with PR-204 150.00 paid on appeal with PR-2 30.00 (no reversal) posts −120.00, the
    same payment sent twice 0.00 — and its detail says when it replaces an earlier decision."""
    start = max((p.key.id for p in decided), default=0) + 1  # the piece's postings have no ids yet: after those
    here = [_posted(batch, index, start, paid_on) for index in sorted((*posted, *corrected_here))]
    posted.append(len(batch.claims) - 1)
    before, after, replaces = later_payers.patient_share_change(
        [*decided, *here], _posted(batch, posted[-1], start, paid_on))
    if not replaces:
        return after - before, source
    return after - before, (f"{source}: replaces the payer's earlier decision of the claim, patient share now "
                            f"{after:,.2f} (was {before:,.2f})")[:200]


_CLAIM_AT = {name: position - 2 for position, name in enumerate(CLAIM_COLUMNS)}  # a batch row lacks id, posted_at
_LINE_AT = {name: position - 1 for position, name in enumerate(LINE_COLUMNS)}  # a batch row lacks its posting's id


def _posted(batch: Batch, index: int, start: int, paid_on: date) -> later_payers.LaterPosting:
    """The claim posting at `index` of the batch, as `later_payers` reads postings (its id after `start`)."""
    row, at = batch.claims[index], _CLAIM_AT
    key = PostingKey(start + index, row[at["claim_id"]], row[at["status_code"]], row[at["payer_claim_number"]],
                     row[at["paid"]])
    posting = later_payers.LaterPosting(key, paid_on, row[at["contractual"]], row[at["patient_responsibility"]], ZERO,
                                        row[at["outcome"]], frozenset(line[_LINE_AT["claim_line_id"]]
                                                                      for line in batch.lines[index]))
    for line in batch.lines[index]:
        later_payers.add_line_money(posting.line_money, line[_LINE_AT["claim_line_id"]], line[_LINE_AT["contractual"]],
                                    line[_LINE_AT["patient_responsibility"]])
    return posting


def resettle_later_claims(batch: Batch, found: Found, practice_id: int, paid_on: date, source: str,
                          location: str) -> None:
    """Later payers' claims whose earlier claim this piece adjudicated again (or reversed) settle again against
    the patient's share as it now stands (`secondary.resettle`), with what their payer paid: their standing cash,
    every posting so far (before the piece and in it) read along the correction chain (`_standings_along_chains`);
    nothing when their decision is taken back. A claim whose correction (a replacement) the payer has answered is
    left alone: the correction's decision replaced its own (so did the claims it corrects in turn), and its payment
    stays flagged to refund (`secondary`), not applied to the share again."""
    by_id = {later.id: later for later in found.resettle}
    standings = _standings_along_chains(batch, found, by_id, paid_on)
    replaced: set[int] = set()  # every claim an answered correction corrects, however many hops back
    for later in found.resettle:
        original = later.original_claim_id if standings[later.id].answered else None
        while original is not None and original not in replaced:
            replaced.add(original)
            original = by_id[original].original_claim_id if original in by_id else None
    for later in found.resettle:
        if later.id in replaced:
            continue
        stands = standings[later.id]
        paid = stands.paid if stands.answered else ZERO
        settled = secondary.resettle(found.shares, later.id, paid)
        pcn = later.patient_control_number
        batch.patient += [(practice_id, later.patient_id, later.id, kind, amount, paid_on,
                           f"{source} claim {pcn}: an earlier payer changed the share the later payer paid"[:200])
                          for kind, amount in settled.entries]
        # the later payer's whole payment is settled again here: what was flagged of it before (in earlier
        # files, or earlier in this piece) gives way to what is left over now, so nobody refunds it twice
        batch.exceptions = [item for item in batch.exceptions
                            if not (item["kind"] == "cob_overpayment" and item["pcn"] == pcn)]
        now = f"{settled.overpaid} of it is flagged again" if settled.overpaid else "none of it is left to refund"
        batch.closed_flags.append((practice_id, pcn, f"closed by {source}: an earlier payer changed its decision "
                                                     f"and the later payer's {paid} on claim {pcn} was settled "
                                                     f"again against the patient's share; {now}"))
        if settled.overpaid:
            batch.exceptions.append(dict(
                practice_id=practice_id, kind="cob_overpayment", location=location, pcn=pcn, amount=settled.overpaid,
                message=f"posted; an earlier payer reversed or changed its decision: {settled.overpaid} of the "
                        f"{paid} the later payer paid on claim {pcn} no longer settles a patient share (now "
                        f"{max(settled.owed_before, ZERO)}); it is the payer's money, not the patient's: it is "
                        "applied again, and this closed, if the earlier payer's corrected payment puts the share "
                        "back; else refund the payer or have it recouped"))


def _standings_along_chains(batch: Batch, found: Found, by_id: dict[int, secondary.Following], paid_on: date
                            ) -> dict[int, later_payers.Standing]:
    """Where each later claim to settle again stands, every posting so far read along its correction chain (as the
    agings read it): a reversal under a replacement of what the payer paid on the original counts to the original,
    whether it came before this piece or in it."""
    chains = correction_chains((later.id, later.original_claim_id) for later in by_id.values())
    in_piece: dict[int, list[int]] = defaultdict(list)  # a later claim → its postings' places in the piece
    for index, row in enumerate(batch.claims):
        if row[_CLAIM_AT["claim_id"]] in by_id:
            in_piece[row[_CLAIM_AT["claim_id"]]].append(index)
    standings: dict[int, later_payers.Standing] = {}
    for members in chains.values():
        places = sorted(index for claim_id in members for index in in_piece.get(claim_id, ()))
        read = later_payers.chain_standings(_chain_postings(batch, found.later_postings, members, paid_on, places))
        standings.update((claim_id, read.get(claim_id) or later_payers.standing(())) for claim_id in members)
    return standings


def settle_patient_share(batch: Batch, found: Found, practice_id: int, claim: ClaimRef, clp,
                          patient: Decimal, reversal: bool, paid_on: date, source: str, location: str) -> None:
    """A later payer's posting moves the patient's share of the service to what it says they owe
    (`secondary`); what it paid beyond that share goes to the exceptions queue as an overpayment, and what it
    says the patient owes beyond the chain's share as a patient excess (not billed)."""
    shares = found.shares
    original = _reversed_original(batch, found, claim, paid_on) if reversal else None
    if original is not None and claim.frequency_code != VOID:
        _reverse_corrected(batch, found, practice_id, claim, original, paid_on, source)
        return
    settled = secondary.settle(shares, claim.id, clp.paid, patient, reversal)
    if reversal:
        found.reversed_here.add(claim.id)
    pcn = claim.patient_control_number
    numbers = shares.corrects.get(claim.id, {})
    what = "reversal of the later payer's decision" if reversal else "later payer (COB)"
    reinstated = {secondary.WRITE_OFF_REVERSAL: ": it paid or took off the share the practice had written off"}
    batch.patient += [(practice_id, claim.patient_id, claim.id, kind, amount, paid_on,
                       f"{source} claim {pcn}: {what}{reinstated.get(kind, '')}"[:200])
                      for kind, amount in settled.entries]
    batch.patient += [(practice_id, claim.patient_id, original, kind, amount, paid_on,
                       f"{source} claim {pcn}: replaces claim {numbers[original]}; the payer's decision of it is "
                       "taken back"[:200]) for original, kind, amount in settled.replaced]
    replaced_paid = settled.replaced_payments()
    if reversal:  # the payer took its payment back (and, under a correction's number, the payments it made on the
        # claims corrected): what it was flagged as overpaying is no longer to refund, nor what was flagged earlier
        # in this piece
        corrected = [(numbers[claim_id], f" under claim {pcn}, which corrects it")
                     for claim_id in {*replaced_paid, *([original] if original is not None else [])}]
        for number, how in ((pcn, ""), *corrected):
            batch.closed_flags.append((practice_id, number, f"closed by {source}: the payer reversed its payment of "
                                                            f"claim {number}{how}, taking back what it had paid beyond "
                                                            "the patient's share; nothing is left to refund"))
            batch.exceptions = [item for item in batch.exceptions
                                if not (item["kind"] == "cob_overpayment" and item["pcn"] == number)]
        if not settled.replaced:
            _stands_again(batch, found, practice_id, claim, paid_on, source, location)
    else:  # a correction adjudicated: what the payer paid on the claims it corrects settles no share any more
        batch.exceptions += [dict(
            practice_id=practice_id, kind="cob_overpayment", location=location, pcn=numbers[original], amount=amount,
            message=f"posted; the payer paid {amount} on claim {numbers[original]}, which claim {pcn} replaces and "
                    "it has now adjudicated: that payment settles no patient share any more; refund the payer or have "
                    "it recouped (a reversal of it closes this)") for original, amount in replaced_paid.items()]
    flags = (("cob_overpayment", settled.overpaid, f"the payer paid {clp.paid} on claim {pcn}, {settled.overpaid} "
              f"more than the patient's share of {settled.owed_before} left by the earlier payer: refund the payer "
              "or have it recouped"),
             ("cob_patient_excess", settled.excess, f"the payer says the patient owes {patient} on claim {pcn}, "
              f"{settled.excess} more than the {settled.owed_before} the patient owed on the earlier payers' claims: "
              "not billed to the patient; decide whether the patient owes it"))
    batch.exceptions += [dict(practice_id=practice_id, kind=kind, location=location, pcn=pcn, amount=amount,
                              message=f"posted; {message}") for kind, amount, message in flags if amount]


def _chain_postings(batch: Batch, earlier: dict[int, list[later_payers.LaterPosting]], claim_ids: Sequence[int],
                    paid_on: date, places: Sequence[int] | None = None) -> list[later_payers.LaterPosting]:
    """The postings so far of these claims (a correction and the claims it corrects): before the piece (`earlier`,
    by claim), then in it, in order, the piece's latest last. `places` are their rows in the piece when the caller
    has indexed them (else the piece is read through)."""
    before = sorted((p for claim_id in claim_ids for p in earlier.get(claim_id, ())), key=lambda p: p.key.id)
    start, wanted = max((p.key.id for p in before), default=0) + 1, set(claim_ids)
    if places is None:
        places = [index for index, row in enumerate(batch.claims) if row[_CLAIM_AT["claim_id"]] in wanted]
    return before + [_posted(batch, index, start, paid_on) for index in places]


def _reversed_original(batch: Batch, found: Found, claim: ClaimRef, paid_on: date) -> int | None:
    """The claim a later payer's correction replaces (or voids) whose payment the reversal just posted to the
    correction (the batch's last posting) takes back, read along the chain as the A/R readers read it
    (`reversals`: its amount is exactly a payment on that claim and none of the correction's own); None when it
    takes back the correction's own decision, or nothing."""
    corrected = found.shares.corrects.get(claim.id)
    if not corrected:
        return None
    keys = [p.key for p in _chain_postings(batch, found.originals, (*corrected, claim.id), paid_on)]
    taken = reversed_postings(keys, chain=True) - reversed_postings(keys[:-1], chain=True)
    return next((key.claim_id for key in keys if key.id in taken and key.claim_id != claim.id), None)


def _reverse_corrected(batch: Batch, found: Found, practice_id: int, claim: ClaimRef, original: int,
                       paid_on: date, source: str) -> None:
    """The payer took back, under a correction, what it paid on a claim the correction replaced: the correction's
    decision stands, the replaced claim's payment (flagged to refund since the correction was adjudicated) is no
    longer to refund, and its decision does not stand again if the correction is reversed later in the piece."""
    number, pcn = found.shares.corrects[claim.id][original], claim.patient_control_number
    found.reversed_here.add(original)
    batch.patient += [(practice_id, claim.patient_id, original, kind, amount, paid_on,
                       f"{source} claim {pcn}: the payer reversed its payment of claim {number}, which claim {pcn} "
                       "replaces"[:200]) for kind, amount in secondary.reverse_corrected(found.shares, original)]
    batch.closed_flags.append((practice_id, number, f"closed by {source}: the payer reversed its payment of claim "
                                                    f"{number} under claim {pcn}, which replaces it; nothing is left "
                                                    "to refund"))
    batch.exceptions = [item for item in batch.exceptions
                        if not (item["kind"] == "cob_overpayment" and item["pcn"] == number)]


def _stands_again(batch: Batch, found: Found, practice_id: int, claim: ClaimRef, paid_on: date, source: str,
                  location: str) -> None:
    """A later payer reversed its own decision of a correction (a replacement), not what it paid on the claim it
    corrects: the decision of that claim, never reversed, stands again (`later_payers.standing` reads the chain so),
    so it is settled against the patient's share again (its payment applied, its flag to refund closed, what it paid
    beyond the share flagged anew). The nearest corrected claim with a decision standing is the one."""
    numbers = found.shares.corrects.get(claim.id, {})
    chain = _chain_postings(batch, found.originals, (*numbers, claim.id), paid_on)
    taken = reversed_postings([p.key for p in chain], chain=True)  # a reversal under a correction reaches back
    for original, number in numbers.items():  # the nearest first
        own = [p for p in chain if p.key.claim_id == original]
        stands = later_payers.standing(own)
        if not stands.answered or original in found.reversed_here or any(p.key.id in taken for p in own):
            continue
        again = secondary.settle(found.shares, original, stands.paid, stands.patient, reversal=False)
        pcn = claim.patient_control_number
        batch.patient += [(practice_id, claim.patient_id, original, kind, amount, paid_on,
                           f"{source} claim {pcn}: the payer reversed claim {pcn}, which replaced claim {number}: its "
                           "decision stands again"[:200]) for kind, amount in again.entries]
        batch.closed_flags.append((practice_id, number, f"closed by {source}: the payer reversed claim {pcn}, which "
                                                        f"replaced claim {number}: the payment on claim {number} "
                                                        "settles the patient's share again"))
        batch.exceptions = [item for item in batch.exceptions
                            if not (item["kind"] == "cob_overpayment" and item["pcn"] == number)]
        if again.overpaid:
            batch.exceptions.append(dict(
                practice_id=practice_id, kind="cob_overpayment", location=location, pcn=number, amount=again.overpaid,
                message=f"posted; the payer paid {stands.paid} on claim {number}, {again.overpaid} more than the "
                        f"patient's share of {again.owed_before}: refund the payer or have it recouped"))
        return
