"""The claim state machine is a pure function: every allowed move, and a refusal naming what is allowed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmso.core.errors import Conflict
from openmso.rcm.claims.states import TRANSITIONS, ClaimEvent, ClaimStatus, allowed_events, transition

S, E = ClaimStatus, ClaimEvent


def test_the_happy_path_from_draft_to_closed():
    status = S.DRAFT
    for event in (E.SCRUB, E.PASS, E.SUBMIT, E.CLEARINGHOUSE_ACCEPT, E.PAYER_ACCEPT, E.PAY, E.CLOSE):
        status = transition(status, event)
    assert status is S.CLOSED


def test_a_rejected_claim_is_corrected_back_to_draft_and_scrubbed_again():
    assert transition(S.PAYER_REJECTED, E.CORRECT) is S.DRAFT
    assert transition(S.CLEARINGHOUSE_REJECTED, E.CORRECT) is S.DRAFT


def test_scrub_errors_hold_the_claim_and_a_release_makes_it_ready():
    assert transition(transition(S.DRAFT, E.SCRUB), E.HOLD) is S.HELD
    assert transition(S.HELD, E.RELEASE) is S.READY


def test_a_submitted_claim_cannot_be_submitted_again():
    with pytest.raises(Conflict, match="a submitted claim cannot submit; allowed: clearinghouse_accept"):
        transition(S.SUBMITTED, E.SUBMIT)


def test_closed_is_final():
    assert allowed_events(S.CLOSED) == []


@given(st.sampled_from(list(S)), st.sampled_from(list(E)))
def test_transition_is_total_either_a_status_or_a_conflict(status, event):
    if (status, event) in TRANSITIONS:
        assert transition(status.value, event.value) is TRANSITIONS[(status, event)]
    else:
        with pytest.raises(Conflict):
            transition(status, event)


def test_every_status_but_closed_can_move_on():
    stuck = [s for s in S if s is not S.CLOSED and not allowed_events(s)]
    assert stuck == []
