"""837P (005010X222A1): writer output validated by pyx12, reader round trip, writer rules."""

from __future__ import annotations

import copy
import io
from datetime import date
from decimal import Decimal

import pytest
from tests.x12.conftest import pyx12_errors

from openmso.x12 import (
    Address,
    Delimiters,
    InterchangeWriter,
    Patient,
    Payer,
    Procedure,
    ProfessionalClaim,
    ProfessionalClaimTransaction,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
    X12Error,
    iter_transactions,
    parse_837p,
    professional_claim_segments,
    render_837p,
)
from openmso.x12.claim837p import LineAdjudication, OtherPayer
from openmso.x12.remit835 import Adjustment
from openmso.x12.samples import generate_claim_transactions, group_header, interchange_header

D = Decimal


def _transaction() -> ProfessionalClaimTransaction:
    billing = Provider("VALLEY FAMILY PRACTICE", "1234567893", "2", taxonomy="207Q00000X", tax_id="251234567",
                       address=Address(("100 MAIN ST",), "HARRISBURG", "PA", "171010001"))
    subscriber = Subscriber("DOE", "M100", "JOHN", middle_name="Q", suffix="JR", group_number="G77",
                            filing_indicator="CI", address=Address(("1 OAK ST",), "HARRISBURG", "PA", "17101"),
                            birth_date=date(1970, 5, 1), gender="M")
    payer = Payer("ACME HEALTH PLAN", "ACME01")
    lines = [
        ServiceLine(Procedure("HC", "99214", ("25", "59", "GT", "95")), D("200.00"), D("1"), date(2024, 3, 1),
                    diagnosis_pointers=(1, 2, 3, 4), line_item_control_number="L-1"),
        ServiceLine(Procedure("HC", "97110"), D("150.00"), D("3"), date(2024, 3, 1), date(2024, 3, 3),
                    diagnosis_pointers=(2,), place_of_service="22", line_item_control_number="L-2"),
    ]
    original = ProfessionalClaim(
        "PCN1", D("350.00"), "11", subscriber, payer,
        ["E119", "I10", "M545", "Z0000", "E785", "R0602", "K219", "F419", "N390", "M170", "Z23", "E039"],
        lines, prior_authorization="AUTH9",
        referring_provider=Provider("HOUSE", "1111111112", "1", "GREG"),
        rendering_provider=Provider("WELBY", "1999999992", "1", "MARCUS", taxonomy="207Q00000X"),
        service_facility=Provider("VALLEY SURGERY CENTER", "1222222220", "2",
                                  address=Address(("5 ELM ST",), "HARRISBURG", "PA", "171010002")),
    )
    child = copy.deepcopy(original)
    child.patient_control_number = "PCN2"
    child.patient = Patient("19", "DOE", "JILL", address=subscriber.address, birth_date=date(2012, 2, 2),
                            gender="F")
    replacement = copy.deepcopy(original)
    replacement.patient_control_number = "PCN3"
    replacement.frequency_code = "7"
    replacement.payer_claim_control_number = "ICN777"
    void = copy.deepcopy(original)
    void.patient_control_number = "PCN4"
    void.frequency_code = "8"
    void.payer_claim_control_number = "ICN778"
    return ProfessionalClaimTransaction(
        "0001", "BATCH1", date(2024, 3, 4), "0930",
        Submitter("OPENMSO BILLING", "OPENMSO01", "BILLING DESK", "8005550100", "edi@example.org"),
        Receiver("CLEARINGHOUSE", "CH0001"), billing, [original, child, replacement, void],
        pay_to_address=Address(("PO BOX 9",), "HARRISBURG", "PA", "171019999"),
    )


def _render(transactions, delimiters=None) -> str:
    return render_837p(transactions, interchange_header(42), group_header("HC", 42, "005010X222A1"),
                       delimiters, line_breaks=True)


def test_hand_built_837p_passes_pyx12_and_reads_back_equal():
    transaction = _transaction()
    text = _render([transaction])
    assert pyx12_errors(text) == []
    [read] = [parse_837p(t) for t in iter_transactions(text.encode())]
    assert read == transaction


def test_hand_built_837p_contains_the_loops_a_payer_needs():
    text = _render([_transaction()])
    for segment in ["NM1*41*2*OPENMSO BILLING*****46*OPENMSO01", "PER*IC*BILLING DESK*TE*8005550100*EM*",
                    "NM1*87*2", "HL*3*1*22*1", "HL*4*3*23*0", "PAT*19", "CLM*PCN3*350.00***11:B:7*Y*A*Y*Y",
                    "REF*F8*ICN777",
                    "REF*G1*AUTH9", "HI*ABK:E119*ABF:I10", "NM1*DN*1*HOUSE*GREG****XX*1111111112",
                    "NM1*77*2*VALLEY SURGERY CENTER*****XX*1222222220", "SV1*HC:99214:25:59:GT:95*200.00*UN*1**",
                    "DTP*472*RD8*20240301-20240303", "REF*6R*L-2", "SV1*HC:97110*150.00*UN*3*22**2"]:
        assert segment in text


def test_a_flawed_claim_is_caught_by_pyx12_so_the_referee_is_real():
    text = _render([_transaction()]).replace("HI*ABK:E119", "HI*XXX:E119", 1)
    assert pyx12_errors(text)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_837p_batches_pass_pyx12_and_round_trip(seed):
    transactions = list(generate_claim_transactions(seed, count=2, claims_per_transaction=25))
    text = _render(transactions, Delimiters("|", ">", "!", "~"))
    assert pyx12_errors(text) == []
    assert [parse_837p(t) for t in iter_transactions(text.encode())] == transactions


@pytest.mark.parametrize(
    ("change", "segment_id", "position"),
    [
        (lambda c: setattr(c, "total_charge", D("1.00")), "CLM", 2),
        (lambda c: setattr(c, "diagnoses", []), "HI", 1),
        (lambda c: setattr(c, "diagnoses", ["A00"] * 13), "HI", 1),
        (lambda c: setattr(c, "frequency_code", "5"), "CLM", "5-3"),
        (lambda c: setattr(c, "frequency_code", "7"), "REF", 2),
        (lambda c: setattr(c.lines[0], "diagnosis_pointers", (1, 2, 3, 4, 5)), "SV1", 7),
        (lambda c: setattr(c.lines[0], "procedure", Procedure("HC", "99213", tuple("12345"))), "SV1", "1-3"),
        (lambda c: setattr(c.subscriber, "last_name", "DOE*SMITH"), "NM1", 3),
        (lambda c: setattr(c, "prior_authorization", "A~B"), "REF", 2),
        (lambda c: c.diagnoses.__setitem__(0, "E11:9"), "HI", "1-2"),
        (lambda c: setattr(c.subscriber, "member_id", "M:1"), "NM1", 9),
        (lambda c: setattr(c.lines[0], "procedure", Procedure("HC", "992^13")), "SV1", "1-2"),
    ],
)
def test_writer_rejects_claims_that_break_the_tr3(change, segment_id, position):
    assert _refusal(_transaction(), change) == (segment_id, position)


def test_segments_rendered_for_other_delimiters_are_refused():
    transaction = _transaction()
    body = professional_claim_segments(transaction, Delimiters("|", ">", "!", "~"))
    out = io.StringIO()
    with InterchangeWriter(out, interchange_header(1)) as writer:
        writer.begin_group(group_header("HC", 1, "005010X222A1"))
        with pytest.raises(X12Error, match="other delimiters"):
            writer.write_transaction("837", "0001", body, "005010X222A1")


def _refusal(transaction, change) -> tuple[str, int | str]:
    """Where the writer locates its refusal of `transaction` once `change` is applied to its first claim."""
    change(transaction.claims[0])
    with pytest.raises(X12Error) as caught:
        _render([transaction])
    return caught.value.segment_id, caught.value.element_position


def test_public_837p_samples_are_read(data_dir):
    [first] = [parse_837p(t) for t in iter_transactions(data_dir / "lfh_837p_example1.837")]
    [claim] = first.claims
    assert claim.patient_control_number == "26463774" and claim.total_charge == D("100.00")
    assert claim.patient.relationship == "19" and claim.patient.first_name == "TED"
    assert claim.subscriber.member_id == "JS00111223333"
    assert claim.diagnosis_qualifier == "BK" and claim.diagnoses == ["0340", "V7389"]
    assert claim.clearinghouse_trace == "17312345600006351"
    assert [line.procedure.code for line in claim.lines] == ["99213", "87070", "99214", "86663"]
    assert claim.lines[2].diagnosis_pointers == (2,) and claim.lines[2].service_date == date(2006, 10, 10)
    assert first.billing_provider.npi == "1912301953" and first.billing_provider.tax_id == "587654321"
    assert first.submitter.contact_phone == "3055552222"
    [second] = [parse_837p(t) for t in iter_transactions(data_dir / "lfh_837p_example2.837")]
    assert second.claims[0].patient is None
    assert second.claims[0].service_facility.npi == "5812345679"
    assert second.claims[0].payer.payer_id == "741234"


def _secondary_transaction() -> ProfessionalClaimTransaction:
    """The first claim of `_transaction` billed to a secondary payer after the primary paid:
    line 1 paid 120 (CO-45 50, PR-2 30), line 2 paid 100 (CO-45 20, PR-1 30), claim-level CO-253 2.20."""
    transaction = _transaction()
    claim = transaction.claims[0]
    transaction.claims = [claim]
    claim.subscriber.payer_responsibility = "S"
    claim.payer = Payer("SECOND CHANCE INSURANCE", "SCI02")
    claim.other_payers = [OtherPayer(
        "P", "18", "DOE", "PRIME123", Payer("ACME HEALTH PLAN", "ACME01"), subscriber_first_name="JOHN",
        group_number="G77", filing_indicator="CI", adjustments=[Adjustment("CO", "253", D("2.20"))],
        paid=D("217.80"), remaining_patient_liability=D("60.00"), payer_claim_number="ACME-ICN-1")]
    paid_on = date(2024, 4, 2)
    claim.lines[0].adjudications = [LineAdjudication(
        "ACME01", D("120.00"), Procedure("HC", "99214", ("25", "59", "GT", "95")), D("1"), paid_on,
        [Adjustment("CO", "45", D("50.00")), Adjustment("PR", "2", D("30.00"))],
        remaining_patient_liability=D("30.00"))]
    claim.lines[1].adjudications = [LineAdjudication(
        "ACME01", D("100.00"), Procedure("HC", "97110"), D("3"), paid_on,
        [Adjustment("CO", "45", D("20.00")), Adjustment("PR", "1", D("30.00"))])]
    return transaction


def test_secondary_claim_with_the_primarys_adjudication_passes_pyx12_and_reads_back_equal():
    transaction = _secondary_transaction()
    text = _render([transaction])
    assert pyx12_errors(text) == []
    for segment in ["SBR*S*18*G77******CI", "SBR*P*18*G77******CI", "CAS*CO*253*2.20", "AMT*D*217.80",
                    "AMT*EAF*60.00", "OI***Y***Y", "NM1*IL*1*DOE*JOHN****MI*PRIME123",
                    "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME01", "REF*F8*ACME-ICN-1",
                    "SVD*ACME01*120.00*HC:99214:25:59:GT:95**1", "CAS*CO*45*50.00", "CAS*PR*2*30.00",
                    "DTP*573*D8*20240402", "SVD*ACME01*100.00*HC:97110**3", "CAS*PR*1*30.00"]:
        assert segment in text
    # 2320 comes after the 2310 providers, 2430 after the line's REF*6R (X222A1 loop order)
    assert text.index("NM1*77*2") < text.index("SBR*P*18") < text.index("LX*1")
    assert text.index("REF*6R*L-1") < text.index("SVD*ACME01*120.00") < text.index("LX*2")
    [read] = [parse_837p(t) for t in iter_transactions(text.encode())]
    assert read == transaction


def test_a_payer_adjudicated_only_at_claim_level_carries_its_remittance_date_in_2330b():
    transaction = _secondary_transaction()
    claim = transaction.claims[0]
    for line in claim.lines:
        line.adjudications = []
    other = claim.other_payers[0]
    other.adjustments = [Adjustment("CO", "45", D("70.00")), Adjustment("PR", "2", D("60.00"))]
    other.paid, other.adjudicated_on = D("220.00"), date(2024, 4, 2)
    text = _render([transaction])
    assert pyx12_errors(text) == []
    assert "CAS*CO*45*70.00~\nCAS*PR*2*60.00" in text and "DTP*573*D8*20240402" in text
    [read] = [parse_837p(t) for t in iter_transactions(text.encode())]
    assert read == transaction


@pytest.mark.parametrize(
    ("change", "segment_id", "position"),
    [
        (lambda c: setattr(c.other_payers[0], "paid", D("217.81")), "AMT", 2),
        (lambda c: setattr(c.other_payers[0], "paid", None), "AMT", 1),
        (lambda c: setattr(c.lines[0].adjudications[0], "paid", D("119.00")), "SVD", 2),
        (lambda c: setattr(c.lines[1].adjudications[0], "payer_id", "NOBODY"), "SVD", 1),
        (lambda c: setattr(c, "other_payers", c.other_payers * 11), "SBR", 1),
    ],
)
def test_writer_rejects_coordination_of_benefits_that_does_not_balance(change, segment_id, position):
    assert _refusal(_secondary_transaction(), change) == (segment_id, position)
