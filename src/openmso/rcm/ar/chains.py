"""Claims that bill one service more than once, and which of them stands for it.

Two links join such claims. A later payer's claim (secondary, tertiary) follows the claim of the payer before it
(`Claim.primary_claim_id`): a new payer, the same service. A correction — a replacement (frequency 7) or a void
(8) — takes the place at the same payer of the claim it corrects (`Claim.original_claim_id`), and may itself be
corrected again. The books count a service once: a correction chain is one claim whose charge is its latest
correction's (a void's is nothing) and whose postings are every posting to any of its claims, as a payer reverses
the original's adjudication and adjudicates the replacement (pure: no I/O).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

VOID = "8"  # CLM05-3: the claim voids the one it names; nothing is billed any more
ZERO = Decimal("0.00")


def first_claims(earlier: dict[int, int | None]) -> dict[int, int]:
    """Each claim that follows another (claim id → the claim it follows, None for a first claim) → the first claim
    of its chain, in claim id order (a secondary before its tertiary, a replacement before its own)."""
    first_of: dict[int, int] = {}
    for claim_id in sorted(earlier):
        first, seen = earlier[claim_id], 0
        while first is not None and earlier.get(first) is not None and seen < 10:
            first, seen = earlier[first], seen + 1
        if first is not None:
            first_of[claim_id] = first
    return first_of


def correction_chains(claims: Iterable[tuple[int, int | None]]) -> dict[int, list[int]]:
    """(claim id, the claim it corrects or None) → each chain's first claim → its claims in id order (a correction
    comes after what it corrects); a correction whose original is not among `claims` heads its own chain."""
    parents = dict(claims)
    roots = first_claims({claim_id: original for claim_id, original in parents.items()
                          if original is not None and original in parents})
    chains: dict[int, list[int]] = defaultdict(list)
    for claim_id in sorted(parents):
        chains[roots.get(claim_id, claim_id)].append(claim_id)
    return dict(chains)


def billed_charge(charge: Decimal, frequency_code: str) -> Decimal:
    """What a chain's latest claim bills for the service: its charge, or nothing once voided."""
    return ZERO if frequency_code == VOID else charge
