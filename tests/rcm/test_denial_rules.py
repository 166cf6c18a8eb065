"""Denial categories as data: CARC/RARC → category, the code tables and appeal windows."""

from __future__ import annotations

import pytest

from openmso.rcm.clearinghouse.payer_profiles import DENIALS
from openmso.rcm.denials import codes, rules
from openmso.rcm.denials.rules import DenialCategory as C


@pytest.mark.parametrize(("group", "carc", "rarcs", "category"), [
    ("CO", "16", ["MA130"], C.MISSING_INFORMATION),
    ("CO", "16", ["M51"], C.CODING),
    ("CO", "16", [], C.MISSING_INFORMATION),
    ("CO", "97", ["M15"], C.CODING),
    ("CO", "50", ["N115"], C.MEDICAL_NECESSITY),
    ("CO", "29", [], C.TIMELY_FILING),
    ("CO", "197", [], C.AUTHORIZATION),
    ("CO", "31", [], C.ELIGIBILITY),
    ("OA", "18", [], C.DUPLICATE),
    ("CO", "22", [], C.COB),
    ("CO", "45", [], C.CONTRACTUAL),
    ("PR", "1", [], C.PATIENT_RESPONSIBILITY),
    ("CO", "B7", [], C.CREDENTIALING),
    ("CO", "185", [], C.CREDENTIALING),
    ("CO", "242", [], C.CREDENTIALING),
    ("PR", "242", [], C.PATIENT_RESPONSIBILITY),
    ("CO", "59", [], C.CONTRACTUAL),
    ("CO", "ZZ9", [], C.OTHER),
])
def test_each_reason_falls_in_its_category(group, carc, rarcs, category):
    assert rules.classify(group, carc, rarcs).category is category


def test_a_denied_claim_is_classified_by_its_denying_reason_not_its_write_down():
    found = rules.classify_denial([("CO", "45"), ("CO", "197")])
    assert (found.category, found.action, found.rule_id) == (C.AUTHORIZATION, rules.Action.APPEAL, "DEN-AUTH")


def test_every_simulator_denial_reason_is_classified():
    for group, carc, remark in DENIALS:
        assert rules.classify(group, carc, [remark] if remark else []).rule_id is not None
        assert carc in codes.CARC and (not remark or remark in codes.RARC)


def test_rule_rows_name_known_codes_and_a_source():
    for rule in rules.CATEGORY_RULES:
        assert rule.source and rule.id.startswith("DEN-")
        assert rule.rarcs <= set(codes.RARC)
    ids = [rule.id for rule in rules.CATEGORY_RULES]
    assert len(ids) == len(set(ids))


def test_credentialing_denials_are_recoverable_and_procedure_rule_reductions_are_not_denials():
    for carc in ("B7", "185", "242"):
        found = rules.classify("CO", carc)
        assert found.recoverable and found.action is not rules.Action.WRITE_OFF, carc
    reduction = rules.classify("CO", "59")
    assert (reduction.category, reduction.action, reduction.recoverable) == (C.CONTRACTUAL, rules.Action.REVIEW, False)
    found = rules.classify_denial([("CO", "59"), ("CO", "185")])
    assert (found.category, found.rule_id) == (C.CREDENTIALING, "DEN-CREDENTIALING")


def test_every_carc_of_the_rules_is_described_and_claimed_by_one_row_per_group():
    claimed: dict[tuple[str, str], str] = {}
    for rule in rules.CATEGORY_RULES:
        assert rule.carcs <= set(codes.CARC), rule.id
        if rule.rarcs:
            continue  # remark rows refine a code row on purpose and are tried first
        for group in rule.groups or codes.GROUP_CODES:
            for carc in rule.carcs:
                assert claimed.setdefault((group, carc), rule.id) == rule.id, (group, carc)


def test_unknown_codes_are_described_as_unknown_not_guessed():
    assert codes.describe_adjustment("CO", "45").startswith("CO-45: The charge exceeds")
    assert "unknown code" in codes.describe_carc("ZZ9") and "unknown code" in codes.describe_rarc("X1")


def test_appeal_windows_by_line_of_business():
    assert rules.appeal_window("medicare").days == 120
    assert rules.appeal_window("commercial").days == 180
    assert rules.appeal_window(None) is rules.DEFAULT_APPEAL_WINDOW
