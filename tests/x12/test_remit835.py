"""Typed 835 (005010X221A1): every modelled segment from a hand-built fixture, balancing, errors."""

from __future__ import annotations

import pickle
from dataclasses import fields
from datetime import date
from decimal import Decimal

import pytest
from tests.x12.conftest import envelope

from openmso.x12 import X12Error, check_balance, iter_transactions, parse_835
from openmso.x12.remit835 import (
    READ_ONLY_EMPTY_DICT,
    READ_ONLY_EMPTY_LIST,
    ClaimPayment,
    Reference,
    ServicePayment,
)

D = Decimal

FULL_835 = [
    "BPR*I*1012.50*C*ACH*CCP*01*021000021*DA*123456789*1512345678**01*011000015*DA*987654*20240315",
    "TRN*1*EFT0001234*1512345678",
    "REF*EV*OPENMSO",
    "DTM*405*20240314",
    "N1*PR*ACME HEALTH PLAN*XV*ACME01",
    "N3*PO BOX 1*SUITE 2",
    "N4*HARRISBURG*PA*17101",
    "REF*2U*ACME01",
    "PER*BL*EDI DESK*TE*8005551212",
    "N1*PE*VALLEY FAMILY PRACTICE*XX*1234567893",
    "REF*TJ*251234567",
    "LX*1",
    # primary claim, two lines, claim-level CAS with six triples and quantities
    "CLP*PCN1*1*600.00*375.00*100.00*12*ICN0001*11*1",
    "CAS*CO*45*10.00*1*253*1.00**94*2.00**97*1.00**B7*0.50**A1*0.50",
    "NM1*QC*1*DOE*JANE*Q**JR*MI*M123",
    "NM1*IL*1*DOE*JOHN****MI*M100",
    "NM1*74*1*DOE*JANET",
    "NM1*82*1*WELBY*MARCUS****XX*1999999992",
    "REF*1L*GROUP77",
    "DTM*232*20240301",
    "DTM*233*20240302",
    "AMT*AU*500.00",
    "SVC*HC:99214:25:59:GT:95*400.00*240.00**1*HC:99215*1",
    "DTM*472*20240301",
    "CAS*CO*45*100.00",
    "CAS*PR*2*60.00",
    "REF*6R*LINE-1",
    "AMT*B6*300.00",
    "LQ*HE*N130",
    "LQ*HE*M15",
    "SVC*HC:36415*200.00*150.00",
    "DTM*150*20240301",
    "DTM*151*20240302",
    "CAS*PR*1*40.00",
    "CAS*OA*23*10.00",
    "REF*6R*LINE-2",
    # denied
    "CLP*PCN2*4*150.00*0*0*12*ICN0002",
    "SVC*HC:97110*150.00*0",
    "CAS*CO*97*150.00",
    "LQ*HE*N19",
    # reversal of an earlier payment
    "CLP*PCN3*22*-100.00*-80.00**12*ICN0003",
    "CAS*CO*45*-20.00",
    # processed as primary, forwarded; and processed as secondary, forwarded
    "CLP*PCN4*19*300.00*250.00*50.00*MB*ICN0004",
    "CAS*PR*3*50.00",
    "CLP*PCN5*20*500.00*496.50**12*ICN0005",
    "CAS*OA*23*3.50",
    "PLB*1234567893*20241231*WO:ICN0099*25.00*L6*-5.00*FB*10.00*72:REF72*-2.00*J1*1.00",
]


@pytest.fixture
def remittance():
    [transaction] = iter_transactions(envelope(FULL_835).encode())
    return parse_835(transaction)


def test_payment_trace_payer_and_payee_are_read(remittance):
    assert remittance.payment.amount == D("1012.50")
    assert remittance.payment.method == "ACH" and remittance.payment.format == "CCP"
    assert remittance.payment.date == date(2024, 3, 15)
    assert remittance.payment.receiver_account == "987654"
    assert remittance.trace.trace_number == "EFT0001234"
    assert remittance.production_date == date(2024, 3, 14)
    assert remittance.payer.name == "ACME HEALTH PLAN"
    assert remittance.payer.address.lines == ("PO BOX 1", "SUITE 2")
    assert remittance.payer.contacts[0].numbers == (("TE", "8005551212"),)
    assert remittance.payee.npi == "1234567893"
    assert remittance.payee.tin == "251234567"


def test_claims_with_status_codes_and_all_six_cas_triples(remittance):
    claims = remittance.claims
    assert [c.status_code for c in claims] == ["1", "4", "22", "19", "20"]
    assert claims[1].is_denied and claims[2].is_reversal
    assert claims[3].forwarded_to_another_payer and claims[4].processed_as_secondary
    first = claims[0]
    assert first.header_number == 1
    assert [(a.reason_code, a.amount, a.quantity) for a in first.adjustments] == [
        ("45", D("10.00"), D("1")), ("253", D("1.00"), None), ("94", D("2.00"), None),
        ("97", D("1.00"), None), ("B7", D("0.50"), None), ("A1", D("0.50"), None)]
    assert first.patient.last_or_organization == "DOE" and first.patient.suffix == "JR"
    assert first.insured.identifier == "M100"
    assert first.corrected_patient.first == "JANET"
    assert first.rendering_provider.identifier == "1999999992"
    assert first.dates == {"232": date(2024, 3, 1), "233": date(2024, 3, 2)}
    assert first.amounts == {"AU": D("500.00")}


def test_service_lines_with_modifiers_original_procedure_line_cas_6r_b6_and_rarcs(remittance):
    line, second = remittance.claims[0].service_lines
    assert line.procedure.code == "99214" and line.procedure.modifiers == ("25", "59", "GT", "95")
    assert line.original_procedure.code == "99215" and line.original_units == D("1")
    assert [(a.group_code, a.reason_code, a.amount) for a in line.adjustments] == [
        ("CO", "45", D("100.00")), ("PR", "2", D("60.00"))]
    assert line.line_item_control_number == "LINE-1"
    assert line.allowed_amount == D("300.00")
    assert line.remark_codes == ["N130", "M15"]
    assert line.service_date == date(2024, 3, 1)
    assert second.dates == {"150": date(2024, 3, 1), "151": date(2024, 3, 2)}


def test_provider_adjustments_with_composite_reason_and_reference(remittance):
    assert [(p.reason_code, p.reference, p.amount) for p in remittance.provider_adjustments] == [
        ("WO", "ICN0099", D("25.00")), ("L6", "", D("-5.00")), ("FB", "", D("10.00")),
        ("72", "REF72", D("-2.00")), ("J1", "", D("1.00"))]
    assert remittance.provider_adjustment_total == D("29.00")


def test_fixture_balances_at_every_level(remittance):
    assert check_balance(remittance) == []


def test_balance_findings_name_the_line_the_claim_and_the_payment(remittance):
    remittance.claims[0].service_lines[1].paid = D("151.00")
    findings = check_balance(remittance)
    assert [(f.level, f.patient_control_number, f.line_number) for f in findings] == [("line", "PCN1", 2)]
    assert findings[0].expected == D("150.00") and findings[0].actual == D("151.00")
    remittance.claims[0].service_lines[1].paid = D("150.00")
    remittance.claims[0].paid = D("374.00")
    findings = check_balance(remittance)
    assert [(f.level, f.difference) for f in findings] == [("claim", D("-1.00")), ("transaction", D("1.00"))]


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "position"),
    [
        ("CLP*PCN1*1*600.00", "CLP*PCN1*1*6O0.00", "CLP", 3),
        ("DTM*232*20240301", "DTM*232*20241301", "DTM", 2),
        ("CAS*PR*2*60.00", "CAS*PR*2*NaN", "CAS", 3),
        ("CAS*PR*2*60.00", "CAS*XX*2*60.00", "CAS", 1),
        ("CLP*PCN2*4*", "CLP*PCN2*9*", "CLP", 2),
        ("SVC*HC:36415", "SVC*HC>36415", "SVC", 1),
        ("PLB*1234567893*20241231", "PLB*1234567893*2024", "PLB", 2),
        # TR3 appendix B.1.1.3.1.2: no exponent, plus sign, triad separator, blank or non-ASCII digit in a
        # decimal; a monetary amount (DE 782) at most 99999999.99 under HIPAA, never a third place
        ("CLP*PCN1*1*600.00", "CLP*PCN1*1*6E2", "CLP", 3),
        ("CLP*PCN1*1*600.00", "CLP*PCN1*1*+600.00", "CLP", 3),
        ("SVC*HC:36415*200.00", "SVC*HC:36415*2,000.00", "SVC", 2),
        ("SVC*HC:36415*200.00*150.00", "SVC*HC:36415*200.00*150.00 ", "SVC", 3),
        ("CAS*PR*2*60.00", "CAS*PR*2*\u0666\u0660", "CAS", 3),
        ("CLP*PCN1*1*600.00", "CLP*PCN1*1*100000000000000000000", "CLP", 3),
        ("SVC*HC:36415*200.00", "SVC*HC:36415*100000000.00", "SVC", 2),
        ("AMT*B6*300.00", "AMT*B6*300.004", "AMT", 2),
        ("BPR*I*1012.50", "BPR*I*1012.505", "BPR", 2),
        ("PLB*1234567893*20241231*WO:ICN0099*25.00", "PLB*1234567893*20241231*WO:ICN0099*1e30", "PLB", 4),
        ("SVC*HC:99214:25:59:GT:95*400.00*240.00**1", "SVC*HC:99214:25:59:GT:95*400.00*240.00**1E9", "SVC", 5),
        # the trace number and the payer's id make the payment's identity: both required, within their size
        ("TRN*1*EFT0001234*", "TRN*1**", "TRN", 2),
        ("TRN*1*EFT0001234*", f"TRN*1*{'9' * 51}*", "TRN", 2),
        ("TRN*1*EFT0001234*1512345678", "TRN*1*EFT0001234*15123456789", "TRN", 3),
    ],
)
def test_bad_elements_raise_located_errors(old, new, segment_id, position):
    text = envelope(FULL_835).replace(old, new)
    [transaction] = iter_transactions(text.encode())
    with pytest.raises(X12Error) as caught:
        parse_835(transaction)
    error = caught.value
    assert (error.segment_id, error.element_position) == (segment_id, position)
    assert error.offset == text.index(new)
    assert error.segment_number == text[: error.offset].count("~") + 1


def test_the_largest_amounts_and_the_usual_forms_of_a_decimal_are_read():
    text = (envelope(FULL_835).replace("CLP*PCN4*19*300.00*250.00*50.00", "CLP*PCN4*19*99999999.99*99999949.99*50")
            .replace("CAS*PR*3*50.00", "CAS*PR*3*99999900.").replace("SVC*HC:97110*150.00*0", "SVC*HC:97110*150.*0")
            .replace("CAS*CO*97*150.00", "CAS*CO*97*.5*0.5"))
    [transaction] = iter_transactions(text.encode())
    claims = {claim.patient_control_number: claim for claim in parse_835(transaction).claims}
    assert (claims["PCN4"].charge, claims["PCN4"].paid) == (D("99999999.99"), D("99999949.99"))
    assert claims["PCN4"].adjustments[0].amount == D("99999900")
    assert claims["PCN2"].service_lines[0].charge == D("150")
    assert claims["PCN2"].service_lines[0].adjustments[0][2:] == (D("0.5"), D("0.5"))


def test_claim_segment_before_any_claim_is_a_located_error():
    text = envelope(["BPR*I*0*C*NON", "TRN*1*T*1", "N1*PR*P", "N1*PE*Q*XX*1", "CAS*CO*45*1.00"])
    [transaction] = iter_transactions(text.encode())
    with pytest.raises(X12Error) as caught:
        parse_835(transaction)
    assert caught.value.segment_id == "CAS" and caught.value.offset == text.index("CAS")


@pytest.mark.parametrize("segment", ["CAS*CO*45*1.00", "CAS*CO*45*X", "CAS*PR*1*1.00*1*2*2.00", "AMT*AU*1.00",
                                     "QTY*CA*1", "LQ*HE*N130", "SVC*HC:99213*1.00*1.00",
                                     # texts the `remittance` fixture read in their loops: the reader remembers them
                                     "CAS*CO*45*100.00", FULL_835[13], "AMT*B6*300.00", "SVC*HC:36415*200.00*150.00"])
def test_claim_and_line_segments_outside_a_claim_are_located_before_their_values_are_read(remittance, segment):
    text = envelope(["BPR*I*0*C*NON", "TRN*1*T*1", "N1*PR*P", "N1*PE*Q*XX*1", "LX*1", segment])
    [transaction] = iter_transactions(text.encode())
    with pytest.raises(X12Error) as caught:
        parse_835(transaction)
    assert caught.value.reason.endswith("outside the loop it belongs to")
    assert caught.value.offset == text.index(segment)


def test_repeated_segment_texts_read_the_same_each_time(remittance):
    [transaction] = iter_transactions(envelope(FULL_835).encode())
    again = parse_835(transaction)
    assert again == remittance
    assert again.claims[0].service_lines[0] is not remittance.claims[0].service_lines[0]
    assert again.claims[0].service_lines[0].adjustments is not remittance.claims[0].service_lines[0].adjustments


def test_lines_and_claims_the_reader_makes_equal_the_dataclasses_field_by_field(remittance):
    """The reader sets the slots of lines and claims one by one; a field it missed would be unset, not defaulted."""
    for claim in remittance.claims:
        for line in claim.service_lines:
            rebuilt = ServicePayment(**{f.name: getattr(line, f.name) for f in fields(ServicePayment)})
            assert rebuilt == line
        rebuilt = ClaimPayment(**{f.name: getattr(claim, f.name) for f in fields(ClaimPayment)})
        assert rebuilt == claim



FILLED_AND_BARE = [
    "BPR*I*80*C*ACH*CCP*01*021000021*DA*1*1512345678**01*011000015*DA*2*20240315",
    "TRN*1*EFT1*1512345678",
    "N1*PR*ACME HEALTH PLAN*XV*ACME01",
    "N1*PE*VALLEY FAMILY PRACTICE*XX*1234567893",
    "LX*1",
    "CLP*PCN1*1*100.00*80.00*20.00*12*ICN1",
    "REF*1L*GROUP77",
    "MOA***MA01*MA02",
    "QTY*CA*2",
    "SVC*HC:99213*60.00*50.00",
    "REF*LU*11",
    "QTY*ZK*1",
    "LQ*HE*N130",
    "LQ*HE*M15",
    "SVC*HC:36415*40.00*30.00",
    "CAS*PR*1*10.00",
    "CLP*PCN2*1*10.00*0*10.00*12*ICN2",
    "CAS*PR*1*10.00",
]


def test_empty_references_remarks_and_quantities_are_shared_and_read_only_and_filled_ones_are_owned():
    [transaction] = iter_transactions(envelope(FILLED_AND_BARE).encode())
    first, bare_claim = parse_835(transaction).claims
    filled, bare = first.service_lines
    assert first.references == [("1L", "GROUP77")] and first.quantities == {"CA": D("2")}
    assert [r.value for r in first.remarks] == ["MA01", "MA02"]
    assert filled.references == [("LU", "11")] and filled.quantities == {"ZK": D("1")}
    assert filled.remark_codes == ["N130", "M15"]
    for owner in (filled, first):
        owner.references.append(("EA", "1"))
        owner.quantities["PS"] = D("1")
    for owner in (bare, bare_claim):
        assert owner.references == [] and owner.remarks == [] and owner.quantities == {}
        assert owner.references is READ_ONLY_EMPTY_LIST and owner.quantities is READ_ONLY_EMPTY_DICT
        with pytest.raises(TypeError):
            owner.remarks.append(("HE", "N1"))
        with pytest.raises(TypeError):
            owner.quantities["ZK"] = D("1")
        with pytest.raises(TypeError):
            owner.references += [("EA", "1")]
    assert READ_ONLY_EMPTY_LIST == [] and READ_ONLY_EMPTY_DICT == {}
    assert bare == ServicePayment(bare.procedure, D("40.00"), D("30.00"), adjustments=bare.adjustments)
    bare.remarks = [Reference("HE", "N1")]  # a new list of its own may be assigned
    assert bare.remark_codes == ["N1"] and READ_ONLY_EMPTY_LIST == []


def test_a_remembered_adjustment_after_the_provider_adjustments_is_outside_its_loop(remittance):
    body = ["BPR*I*0*C*NON", "TRN*1*T*1", "N1*PR*P", "N1*PE*Q*XX*1", "LX*1", "CLP*PCN1*1*100.00*0*0*12*ICN1",
            "CAS*CO*45*100.00", "PLB*1234567893*20241231*WO*0", "CAS*CO*45*100.00"]
    text = envelope(body)
    [transaction] = iter_transactions(text.encode())
    with pytest.raises(X12Error) as caught:
        parse_835(transaction)
    assert caught.value.reason.endswith("outside the loop it belongs to")
    assert caught.value.offset == text.rindex("CAS*CO*45*100.00")


def test_only_a_dtm_405_outside_the_claims_is_the_production_date(remittance):
    body = ["BPR*I*0*C*NON", "TRN*1*T*1", "DTM*405*20240314", "N1*PR*P", "N1*PE*Q*XX*1", "LX*1",
            "CLP*PCN1*1*100.00*0*0*12*ICN1", "DTM*405*20240101", "CAS*CO*45*100.00", "LX*2", "DTM*232*20240102"]
    [transaction] = iter_transactions(envelope(body).encode())
    read = parse_835(transaction)
    assert read.production_date == date(2024, 3, 14)
    assert read.claims[0].dates == {"405": date(2024, 1, 1)}


def test_one_cas_dtm_or_amt_gives_a_shared_read_only_container_and_a_second_one_of_its_own():
    body = ["BPR*I*90*C*ACH", "TRN*1*T*1", "N1*PR*P", "N1*PE*Q*XX*1", "LX*1",
            "CLP*PCN1*1*100.00*90.00*10.00*12*ICN1", "CAS*OA*23*0", "DTM*232*20240301", "DTM*233*20240302",
            "AMT*AU*100.00",
            "SVC*HC:99213*50.00*45.00", "DTM*472*20240301", "AMT*B6*45.00", "CAS*PR*2*5.00",
            "SVC*HC:99213*50.00*45.00", "DTM*472*20240301", "AMT*B6*45.00", "CAS*PR*2*5.00",
            "SVC*HC:99214*0*0", "DTM*150*20240301", "DTM*151*20240302", "AMT*B6*0", "AMT*KH*0",
            "CAS*CO*45*0", "CAS*PR*1*0*1*2*0", "DTM*472*20240305", "AMT*B6*0", "CAS*OA*23*0"]
    [transaction] = iter_transactions(envelope(body).encode())
    claim = parse_835(transaction).claims[0]
    first, second, third = claim.service_lines
    assert first.dates == second.dates == {"472": date(2024, 3, 1)}
    assert first.amounts == second.amounts == {"B6": D("45.00")}
    assert first.adjustments == second.adjustments == [("PR", "2", D("5.00"), None)]
    for shared in ("dates", "amounts", "adjustments"):
        assert getattr(first, shared) is getattr(second, shared)
    assert third.dates == {"150": date(2024, 3, 1), "151": date(2024, 3, 2), "472": date(2024, 3, 5)}
    assert list(third.dates) == ["150", "151", "472"]
    assert third.amounts == {"B6": D("0"), "KH": D("0")}
    assert third.adjustments == [("CO", "45", D("0"), None), ("PR", "1", D("0"), D("1")), ("PR", "2", D("0"), None),
                                 ("OA", "23", D("0"), None)]
    assert claim.dates == {"232": date(2024, 3, 1), "233": date(2024, 3, 2)}
    assert claim.amounts == {"AU": D("100.00")} and claim.adjustments == [("OA", "23", D("0"), None)]
    for owned in (third.dates, third.amounts, claim.dates):
        owned["X"] = D("1")
    third.adjustments.append(("CO", "45", D("1"), None))
    for shared in (first.dates, first.amounts, claim.amounts):
        with pytest.raises(TypeError):
            shared["150"] = D("1")
        with pytest.raises(TypeError):
            shared.update({"KH": D("1")})
    with pytest.raises(TypeError):
        claim.adjustments.append(("CO", "45", D("1"), None))
    assert second.dates == {"472": date(2024, 3, 1)} and second.amounts == {"B6": D("45.00")}
    assert second.adjustments == [("PR", "2", D("5.00"), None)]
    copied = pickle.loads(pickle.dumps(claim))
    assert copied == claim
    assert type(copied.service_lines[0].dates) is dict and type(copied.adjustments) is list
    copied.service_lines[0].dates["150"] = date(2024, 3, 1)
    copied.adjustments.append(("CO", "45", D("1"), None))


@pytest.fixture
def fresh_memos(monkeypatch):
    """The reader's process-wide segment memos, replaced by an empty set for the test."""
    from openmso.x12 import remit835_reader

    memos: dict = {}
    monkeypatch.setattr(remit835_reader, "_MEMOS", memos)
    return memos


def _generated_835(tmp_path, seed: int, size: int = 1_000_000) -> list:
    from openmso.x12.samples import write_835_file

    path = tmp_path / f"generated_{seed}.835"
    write_835_file(path, size, seed=seed)
    return list(iter_transactions(path))


def _read_all(transactions) -> list:
    return [parse_835(transaction) for transaction in transactions]


def test_a_memo_full_of_another_periods_texts_is_emptied_and_learns_the_texts_now_read(tmp_path, fresh_memos):
    """A posting worker lives for months: the memo its first files filled must not stay frozen."""
    from openmso.x12.remit835_reader import _SegmentMemo

    transactions = _generated_835(tmp_path, seed=5)
    expected = _read_all(transactions)
    fresh_memos.clear()
    stale = fresh_memos["*", ":"] = _SegmentMemo()
    for day in range(stale.limit):  # dates of service no remittance read here has
        stale[f"DTM*472*1999{day:04d}"] = ("stale", None)
    assert _read_all(transactions) == expected
    assert not any(text.startswith("DTM*472*1999") for text in stale)
    texts = {text for transaction in transactions for text in transaction.raw_segments}
    assert len(stale) > 1000 and set(stale) <= texts


def test_a_memo_holding_the_texts_being_read_is_kept(tmp_path, fresh_memos):
    transactions = _generated_835(tmp_path, seed=5, size=4_000_000)
    expected = _read_all(transactions)
    [memo] = fresh_memos.values()
    assert len(memo) == memo.limit  # full: the file has more distinct texts than the memo holds
    remembered = dict(memo)
    for _ in range(3):
        assert _read_all(transactions) == expected
    assert memo == remembered
