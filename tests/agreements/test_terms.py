"""Pure rules of the terms document: the clinical-decision guard (property-tested over every
assignment of holders), fee consistency, and the version state machine."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from openmso.agreements import presets
from openmso.agreements.catalogue import CLINICAL_DECISIONS, DecisionKey, Holder, decision_clause
from openmso.agreements.lifecycle import Event, next_status
from openmso.agreements.models import VersionStatus
from openmso.agreements.terms import DecisionRight, Fees, ensure_no_clinical_control
from openmso.core.errors import Conflict, Invalid

BASE = presets.standard_terms(date(2026, 1, 1))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(DecisionKey)), st.sampled_from(list(Holder))))
def test_clinical_guard_refuses_exactly_the_clinical_decisions_given_to_the_mso(holders):
    rights = [DecisionRight(decision=key, holder=holder) for key, holder in holders.items()]
    terms = presets.revised(BASE, {"decision_rights": rights})
    offending = [key for key, holder in holders.items()
                 if key in CLINICAL_DECISIONS and holder in (Holder.MSO, Holder.JOINT)]
    if not offending:
        ensure_no_clinical_control(terms)
        return
    with pytest.raises(Invalid) as refused:
        ensure_no_clinical_control(terms)
    for key in offending:
        assert decision_clause(key) in refused.value.detail
    assert len(refused.value.errors) == len(offending)


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "flat_monthly"}, "needs monthly_amount"),
    ({"kind": "percent_of_net_collections"}, "needs collections_percent"),
    ({"kind": "cost_plus", "cost_plus_percent": "8"}, "needs estimated_cost_base_annual"),
    ({"kind": "hybrid", "monthly_amount": "100"}, "combines at least two"),
    ({"kind": "flat_monthly", "monthly_amount": "1", "fmv_low_annual": "10", "fmv_high_annual": "5"}, "fmv_low"),
    ({"kind": "flat_monthly", "monthly_amount": "1", "monthly_floor": "10", "monthly_cap": "5"}, "monthly_floor"),
])
def test_fee_terms_must_be_consistent(fields, message):
    with pytest.raises(ValidationError, match=message):
        Fees.model_validate(fields)


def test_terms_list_each_item_once():
    with pytest.raises(ValidationError, match="decision_rights lists the same decision twice"):
        presets.revised(BASE, {"decision_rights": [DecisionRight(decision=DecisionKey.BUDGET_APPROVAL)] * 2})


def test_version_state_machine():
    assert next_status("draft", Event.EDIT) is VersionStatus.DRAFT
    assert next_status("draft", Event.SIGN) is VersionStatus.SIGNED
    assert next_status("signed", Event.SUPERSEDE) is VersionStatus.AMENDED
    assert next_status("signed", Event.TERMINATE) is VersionStatus.TERMINATED
    for status, event in (("signed", Event.EDIT), ("amended", Event.SIGN), ("terminated", Event.TERMINATE),
                          ("draft", Event.TERMINATE)):
        with pytest.raises(Conflict):
            next_status(status, event)
