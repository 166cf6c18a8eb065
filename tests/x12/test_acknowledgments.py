"""999 (005010X231A1) and 277CA (005010X214) readers on public samples and hand-built fixtures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.x12.conftest import envelope

from openmso.x12 import EnvelopeReader, X12Error, iter_transactions, parse_277ca, parse_999

FULL_999 = [
    "AK1*HC*17*005010X222A1",
    "AK2*837*0001*005010X222A1",
    "IK3*NM1*8*2010BA*8",
    "CTX*CLM01:PCN1",
    "IK4*9*67*7*BADID",
    "IK4*5:2*1271*1",
    "IK3*DTP*22*2400*3",
    "IK5*R*5",
    "AK2*837*0002*005010X222A1",
    "IK5*A",
    "AK9*P*2*2*1",
]


def test_999_reports_segment_and_element_errors_per_transaction():
    [transaction] = iter_transactions(envelope(FULL_999, set_id="999", functional_id="FA",
                                               version="005010X231A1").encode())
    ack = parse_999(transaction)
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("HC", "17", "P")
    assert not ack.accepted and (ack.included, ack.received, ack.accepted_count) == (2, 2, 1)
    rejected, accepted = ack.transactions
    assert not rejected.accepted and accepted.accepted and ack.transaction("0002") is accepted
    assert rejected.error_codes == ("5",)
    first, second = rejected.segment_errors
    assert (first.segment_id, first.position, first.loop_id, first.error_code) == ("NM1", 8, "2010BA", "8")
    assert first.contexts == [("CLM01:PCN1",)]
    assert [(e.position, e.component_position, e.element_reference, e.error_code, e.bad_data)
            for e in first.element_errors] == [(9, None, "67", "7", "BADID"), (5, 2, "1271", "1", "")]
    assert second.error_code == "3" and second.element_errors == []


def test_public_999_rejected_sample(data_dir):
    [ack] = [parse_999(t) for t in iter_transactions(data_dir / "ims_999_rejected.txt")]
    assert ack.status == "R" and ack.transactions[0].status == "R"
    assert ack.transactions[0].segment_errors[0].segment_id == "NM"
    assert ack.transactions[0].segment_errors[0].position == 17


def test_public_999_with_wrong_iea_is_read_leniently_and_the_mismatch_reported(data_dir):
    path = data_dir / "ims_999_accepted_bad_iea.txt"
    with pytest.raises(X12Error) as caught:
        list(iter_transactions(path))
    assert (caught.value.segment_id, caught.value.element_position) == ("IEA", 2)
    reader = EnvelopeReader(path, strict=False)
    [ack] = [parse_999(t) for t in reader]
    assert ack.accepted and ack.transactions[0].accepted
    assert [e.expected for e in reader.errors] == ["000000286"]


def test_999_with_a_non_numeric_segment_position_is_located():
    text = envelope([s.replace("IK3*DTP*22", "IK3*DTP*X2") for s in FULL_999], set_id="999",
                    functional_id="FA", version="005010X231A1")
    [transaction] = iter_transactions(text.encode())
    with pytest.raises(X12Error) as caught:
        parse_999(transaction)
    assert (caught.value.segment_id, caught.value.element_position) == ("IK3", 2)
    assert caught.value.offset == text.index("IK3*DTP*X2")


def test_public_277ca_accepted_sample_links_the_claim_by_patient_control_number(data_dir):
    [ack] = [parse_277ca(t) for t in iter_transactions(data_dir / "ims_277ca_accepted.txt")]
    assert ack.information_source == "NYSDOH"
    assert ack.receiver_statuses[0].category == "A1" and ack.receiver_statuses[0].charge == Decimal("125.0")
    claim = ack.claim("5781")
    assert claim.accepted and not claim.rejected
    assert claim.payer_claim_control_number == "1107000000014420"
    assert claim.provider_npi == "1234567890" and claim.patient_last_name == "TPATIENT"
    assert claim.statuses[0].effective_date == date(2011, 3, 11)
    assert claim.service_date == date(1001, 1, 1)


def test_public_277ca_rejected_sample_with_pipe_components(data_dir):
    [ack] = [parse_277ca(t) for t in iter_transactions(data_dir / "ims_277ca_rejected.txt")]
    [claim] = ack.claims
    assert claim.rejected and not claim.accepted
    status = claim.statuses[0]
    assert (status.category, status.code, status.entity) == ("A7", "562", "85")
    assert claim.bill_type == "731" and claim.total_charge == Decimal("199.14")


def test_277ca_claim_level_statuses_refs_and_line_statuses_are_kept_apart():
    body = [
        "BHT*0085*08*BATCH*20240305*1200*TH", "HL*1**20*1", "NM1*AY*2*CLEARINGHOUSE*****46*CH1",
        "TRN*1*T1", "DTP*050*D8*20240305", "DTP*009*D8*20240305", "HL*2*1*21*1",
        "NM1*41*2*OPENMSO*****46*OM1", "TRN*2*B1", "STC*A1:19*20240305*WQ*350", "QTY*90*2", "AMT*YU*350",
        "HL*3*2*19*1", "NM1*85*2*VALLEY*****XX*1234567893", "TRN*1*P1", "HL*4*3*PT",
        "NM1*QC*1*DOE*JANE****MI*M1", "TRN*2*PCN1", "STC*A3:21:85*20240305*U*200******A8:562",
        "REF*1K*ICN1", "REF*D9*CLAIMTRACE1", "DTP*472*RD8*20240301-20240302",
        "SVC*HC:99214*200", "STC*A3:453*20240305*U*200", "REF*FJ*L-1", "DTP*472*D8*20240301",
        "HL*5*3*PT", "NM1*QC*1*DOE*JOHN****MI*M2", "TRN*2*PCN2", "STC*A2:20*20240305*WQ*150",
    ]
    [transaction] = iter_transactions(envelope(body, set_id="277", functional_id="HN",
                                               version="005010X214").encode())
    ack = parse_277ca(transaction)
    rejected, accepted = ack.claims
    assert [s.category for s in rejected.statuses] == ["A3", "A8"]
    assert rejected.statuses[0].entity == "85" and rejected.clearinghouse_trace == "CLAIMTRACE1"
    assert (rejected.service_date, rejected.service_date_end) == (date(2024, 3, 1), date(2024, 3, 2))
    assert rejected.rejected and accepted.accepted and accepted.total_charge == Decimal("150")
    assert ack.created == date(2024, 3, 5) and ack.information_source_id == "CH1"
