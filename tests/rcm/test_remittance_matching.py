"""The pure rules of posting (`remittance.matching`): how adjustments split and read, and which
claim line an SVC pays."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from openmso.rcm.remittance.matching import LineRef, amount_text, match_lines, split_adjustments
from openmso.x12 import Adjustment, Procedure, ServicePayment

DAY = date(2026, 10, 1)

amounts = st.decimals(min_value=D("-99999.99"), max_value=D("99999.99"), places=2, allow_nan=False)
adjustment_lists = st.lists(st.builds(Adjustment, st.sampled_from(["CO", "PR", "OA", "PI", "CR"]),
                                      st.sampled_from(["45", "2", "1", "197", "253", "16"]), amounts,
                                      st.none() | st.integers(1, 9).map(D)), max_size=6)


@given(adjustment_lists)
def test_a_split_puts_every_amount_in_exactly_one_bucket(adjustments):
    split = split_adjustments(adjustments)
    assert split.contractual + split.patient + split.other == sum((a.amount for a in adjustments), D("0.00"))
    assert split.patient == sum((a.amount for a in adjustments if a.group_code == "PR"), D("0.00"))
    assert split.reasons == tuple((a.group_code, a.reason_code) for a in adjustments)
    assert split_adjustments(list(adjustments)) == split  # remembered: the same answer again


def test_amounts_read_to_the_cent_whichever_way_the_payer_wrote_them():
    assert [amount_text(D(text)) for text in ("55.1", "55.10", "58", "-3.5", "0.125", "1E+2")] == [
        "55.10", "55.10", "58.00", "-3.50", "0.125", "100.00"]
    first = split_adjustments([Adjustment("CO", "45", D("55.1")), Adjustment("PR", "2", D("20"))])
    again = split_adjustments([Adjustment("CO", "45", D("55.10")), Adjustment("PR", "2", D("20.00"))])
    assert first.text == again.text == "CO:45:55.10 PR:2:20.00"
    assert (first.contractual, first.patient, first.other) == (D("55.10"), D("20.00"), D("0.00"))


def test_a_full_memory_of_splits_is_emptied_and_keeps_the_adjustments_now_posted(monkeypatch):
    """A posting worker lives for months: the splits of the first amounts it met must not fill it for good."""
    from openmso.rcm.remittance import matching

    memory = matching.BoundedCache(matching._SPLITS.make, 3)
    monkeypatch.setattr(matching, "_SPLITS", memory)
    old = [[Adjustment("CO", "45", D(f"{cents}.00"))] for cents in (1, 2, 3)]
    for adjustments in old:
        split_adjustments(adjustments)
    assert len(memory) == 3
    now = [Adjustment("CO", "45", D("4.00")), Adjustment("PR", "2", D("20.00"))]
    split = split_adjustments(now)
    assert memory == {tuple(now): split}
    assert split_adjustments(list(now)) is split


def _line(line_id, number, code="99213", units=1):
    return LineRef(line_id, number, code, (), units, DAY)


def _service(code="99213", control=None):
    service = ServicePayment(Procedure("HC", code, ()), D("100.00"), D("60.00"), units_paid=D(1))
    service.dates["472"] = DAY
    service.line_item_control_number = control
    return service


def test_control_numbers_name_lines_by_number_even_when_numbers_skip():
    lines = [_line(10, 1), _line(30, 3, "36415"), _line(40, 4, "85025")]
    matched, problems = match_lines(7, lines, [_service("85025", "7-4"), _service("36415", "7-3"),
                                               _service("99213", "7-1")])
    assert [line.id for line in matched] == [40, 30, 10] and problems == []


def test_a_control_number_of_another_claim_or_a_line_already_paid_falls_back_to_the_procedure():
    lines = [_line(10, 1), _line(20, 2, "36415")]
    matched, problems = match_lines(7, lines, [_service("36415", "70-1"), _service("99213", "7-1"),
                                               _service("99213", "7-1")])
    assert [line.id if line else None for line in matched] == [20, 10, None]
    assert problems == ["SVC 3 (99213 on 2026-10-01): no unpaid claim line matches"]
