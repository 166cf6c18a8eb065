"""The claim state machine: a pure function from (status, event) to the next status.

draft → scrubbed → held | ready → submitted → accepted/rejected by the clearinghouse (999) →
accepted/rejected by the payer (277CA) → paid | partially paid | denied (835) → closed.
A rejected claim was never adjudicated, so it is corrected and scrubbed again (a new original,
frequency 1); an adjudicated claim is corrected by a replacement (7) or void (8) claim instead,
which closes the claim it supersedes. No I/O here: the service loads, calls `transition`, saves.
"""

from __future__ import annotations

from enum import StrEnum

from openmso.core.errors import Conflict


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SCRUBBED = "scrubbed"
    HELD = "held"
    READY = "ready"
    SUBMITTED = "submitted"
    CLEARINGHOUSE_ACCEPTED = "clearinghouse_accepted"
    CLEARINGHOUSE_REJECTED = "clearinghouse_rejected"
    PAYER_ACCEPTED = "payer_accepted"
    PAYER_REJECTED = "payer_rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    CLOSED = "closed"


class ClaimEvent(StrEnum):
    SCRUB = "scrub"
    PASS = "pass"  # scrubbed with no error-severity edit
    HOLD = "hold"  # scrubbed with errors, or held by a biller
    RELEASE = "release"  # a biller releases a held claim whose edits are only warnings
    SUBMIT = "submit"
    CLEARINGHOUSE_ACCEPT = "clearinghouse_accept"
    CLEARINGHOUSE_REJECT = "clearinghouse_reject"
    PAYER_ACCEPT = "payer_accept"
    PAYER_REJECT = "payer_reject"
    PAY = "pay"
    PAY_PARTIALLY = "pay_partially"
    DENY = "deny"
    CORRECT = "correct"  # a rejected claim is edited for resubmission
    SUPERSEDE = "supersede"  # a replacement or void claim took its place at the payer
    CLOSE = "close"


S, E = ClaimStatus, ClaimEvent
_ADJUDICATED = (S.PAID, S.PARTIALLY_PAID, S.DENIED)
_REJECTED = (S.CLEARINGHOUSE_REJECTED, S.PAYER_REJECTED)

TRANSITIONS: dict[tuple[ClaimStatus, ClaimEvent], ClaimStatus] = {
    (S.DRAFT, E.SCRUB): S.SCRUBBED,
    (S.HELD, E.SCRUB): S.SCRUBBED,
    (S.READY, E.SCRUB): S.SCRUBBED,
    (S.SCRUBBED, E.PASS): S.READY,
    (S.SCRUBBED, E.HOLD): S.HELD,
    (S.READY, E.HOLD): S.HELD,
    (S.HELD, E.RELEASE): S.READY,
    (S.READY, E.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, E.CLEARINGHOUSE_ACCEPT): S.CLEARINGHOUSE_ACCEPTED,
    (S.SUBMITTED, E.CLEARINGHOUSE_REJECT): S.CLEARINGHOUSE_REJECTED,
    # Some payers answer with a 277CA before the 999 is read: accept it from `submitted` too.
    (S.SUBMITTED, E.PAYER_ACCEPT): S.PAYER_ACCEPTED,
    (S.SUBMITTED, E.PAYER_REJECT): S.PAYER_REJECTED,
    (S.CLEARINGHOUSE_ACCEPTED, E.PAYER_ACCEPT): S.PAYER_ACCEPTED,
    (S.CLEARINGHOUSE_ACCEPTED, E.PAYER_REJECT): S.PAYER_REJECTED,
    **{(s, E.CORRECT): S.DRAFT for s in _REJECTED},
    **{(s, event): target for s in (S.PAYER_ACCEPTED, *_ADJUDICATED)
       for event, target in ((E.PAY, S.PAID), (E.PAY_PARTIALLY, S.PARTIALLY_PAID), (E.DENY, S.DENIED))},
    **{(s, E.SUPERSEDE): S.CLOSED for s in (S.PAYER_ACCEPTED, *_ADJUDICATED)},
    **{(s, E.CLOSE): S.CLOSED for s in (*_ADJUDICATED, *_REJECTED)},
}

SUBMITTABLE = frozenset({S.READY})
IN_FLIGHT = frozenset({S.SUBMITTED, S.CLEARINGHOUSE_ACCEPTED, S.PAYER_ACCEPTED})
REJECTED = frozenset(_REJECTED)
ADJUDICATED = frozenset(_ADJUDICATED)
EDITABLE = frozenset({S.DRAFT, S.HELD, S.READY, *_REJECTED})


def transition(status: ClaimStatus | str, event: ClaimEvent | str) -> ClaimStatus:
    """The status after `event`, or `Conflict` naming what the claim's status allows."""
    target = TRANSITIONS.get((status, event))  # StrEnum members hash and compare as their values
    if target is not None:
        return target
    current, happening = ClaimStatus(status), ClaimEvent(event)
    target = TRANSITIONS.get((current, happening))
    if target is None:
        allowed = sorted(e.value for (s, e) in TRANSITIONS if s is current)
        raise Conflict(f"a {current.value} claim cannot {happening.value}; "
                       f"allowed: {', '.join(allowed) or 'nothing (final)'}")
    return target


def allowed_events(status: ClaimStatus | str) -> list[ClaimEvent]:
    current = ClaimStatus(status)
    return [e for (s, e) in TRANSITIONS if s is current]
