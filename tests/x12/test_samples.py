"""Public sample files (tests/data/x12/SOURCES.md): read, balanced, or rejected at the known defect."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.x12.conftest import pyx12_errors

from openmso.x12 import X12Error, check_balance, iter_transactions, parse_835
from openmso.x12.remit835_writer import write_835
from openmso.x12.samples import generate_remittances, group_header, interchange_header


def _read(text: str):
    return [parse_835(t) for t in iter_transactions(text.encode("latin-1"))]


def test_medicare_part_a_sample_balances_with_its_plb(data_dir):
    [remittance] = _read((data_dir / "lfh_835_medicare_part_a.835").read_text())
    assert remittance.payment.amount == Decimal("150000.00")
    assert [c.header_number for c in remittance.claims] == [110212, 130212]
    assert remittance.provider_adjustments[0].reason_code == "CV"
    assert remittance.provider_adjustments[0].reference == "CP"
    assert remittance.claims[1].remarks[0].value == "MA02"
    assert check_balance(remittance) == []


@pytest.mark.parametrize(
    ("name", "offset", "segment_id", "position"),
    [
        ("lfh_835_managed_care.835", 176, "BPR", 16),
        ("lfh_835_secondary_payment.835", 846, "SVC", 1),
        ("lfh_835_cob_contractual_adjustment.835", 630, "SVC", 1),
    ],
)
def test_samples_with_known_defects_are_rejected_at_the_defect(data_dir, name, offset, segment_id, position):
    with pytest.raises(X12Error) as caught:
        _read((data_dir / name).read_text())
    error = caught.value
    assert (error.offset, error.segment_id, error.element_position) == (offset, segment_id, position)


def test_managed_care_sample_balances_once_its_impossible_date_is_fixed(data_dir):
    text = (data_dir / "lfh_835_managed_care.835").read_text().replace("*20002316~", "*20020316~")
    [remittance] = _read(text)
    assert remittance.payment.date == date(2002, 3, 16)
    assert remittance.payee.npi == "5544667733" and remittance.payee.tin == "777667755"
    assert check_balance(remittance) == []


@pytest.mark.parametrize("name", ["lfh_835_secondary_payment.835", "lfh_835_cob_contractual_adjustment.835"])
def test_samples_balance_once_their_component_separator_matches_isa16(data_dir, name):
    text = (data_dir / name).read_text().replace("*:~", "*>~", 1)
    [remittance] = _read(text)
    assert remittance.claims[-1].service_lines[0].procedure.qualifier == "HC"
    assert check_balance(remittance) == []


def test_generated_835_passes_pyx12_balances_and_round_trips():
    import io

    remittances = list(generate_remittances(seed=7, count=12))
    out = io.StringIO()
    write_835(out, remittances, interchange_header(3), group_header("HP", 3, "005010X221A1"), line_breaks=True)
    text = out.getvalue()
    assert pyx12_errors(text) == []
    read = _read(text)
    assert read == remittances
    assert all(check_balance(r) == [] for r in read)
    statuses = {c.status_code for r in read for c in r.claims}
    assert {"1", "4"} <= statuses
