"""Hypothesis round trips: typed model → writer → reader → the same typed model (835 and 837P)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmso.x12 import (
    Address,
    Adjustment,
    ClaimPayment,
    Contact,
    Delimiters,
    EntityName,
    Party,
    Patient,
    Payer,
    Payment,
    Procedure,
    ProfessionalClaim,
    ProfessionalClaimTransaction,
    Provider,
    ProviderAdjustment,
    Receiver,
    Reference,
    Remittance,
    ServiceLine,
    ServicePayment,
    Submitter,
    Subscriber,
    Trace,
    iter_transactions,
    parse_835,
    parse_837p,
    render_837p,
    write_835,
)
from openmso.x12.samples import group_header, interchange_header

SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-&/#"
text = st.text(alphabet=SAFE, min_size=1, max_size=20).filter(lambda s: s.strip() == s)
optional_text = st.one_of(st.just(""), text)
code = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=5)
money = st.decimals(min_value=-99999, max_value=99999, places=2, allow_nan=False, allow_infinity=False)
positive_money = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)
quantity = st.one_of(st.none(), st.decimals(min_value=0, max_value=999, places=0, allow_nan=False,
                                            allow_infinity=False))
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
trace_payer = st.text(alphabet="0123456789", min_size=10, max_size=10)  # TRN03: "1" and the payer's EIN, as a rule
delimiters = st.sampled_from([Delimiters(), Delimiters("|", ">", "!", "\n"), Delimiters("^", "\\", "{", "}")])
procedure = st.builds(Procedure, st.sampled_from(["HC", "AD", "N4"]), code,
                      st.lists(st.sampled_from(["25", "59", "26", "TC", "GT"]), max_size=4).map(tuple))
address = st.builds(Address, st.lists(text, min_size=1, max_size=2).map(tuple), text, st.sampled_from(["PA", "NY"]),
                    st.sampled_from(["17101", "171010001"]))


def adjustments(max_size: int) -> st.SearchStrategy[list[Adjustment]]:
    return st.lists(st.builds(Adjustment, st.sampled_from(["CO", "PR", "OA", "PI", "CR"]), code, money, quantity),
                    max_size=max_size)


service_payment = st.builds(
    ServicePayment, procedure, money, money, st.sampled_from(["", "0450"]), quantity,
    st.one_of(st.none(), procedure), quantity,
    st.dictionaries(st.sampled_from(["472", "150", "151"]), dates, max_size=2), adjustments(8),
    st.one_of(st.none(), text),
    st.lists(st.builds(Reference, st.sampled_from(["1S", "G1", "LU"]), text), max_size=1),
    st.dictionaries(st.sampled_from(["B6", "KH"]), money, max_size=2),
    st.dictionaries(st.sampled_from(["ZK", "ZL"]), positive_money, max_size=1),
    st.lists(st.builds(Reference, st.just("HE"), code), max_size=3),
)


@st.composite
def claim_payment(draw, header_number: int) -> ClaimPayment:
    names = draw(st.lists(st.sampled_from(["QC", "IL", "74", "82"]), unique=True, max_size=4))
    return ClaimPayment(
        draw(text), draw(st.sampled_from(["1", "2", "3", "4", "19", "20", "22"])), draw(money), draw(money),
        draw(st.one_of(st.none(), money)), draw(st.sampled_from(["12", "MB", "MC"])), draw(text),
        draw(st.sampled_from(["", "11"])), draw(st.sampled_from(["", "1", "7"])), header_number,
        draw(adjustments(7)),
        {name: EntityName(name, "1", draw(text), draw(optional_text), "", "", "MI", draw(text)) for name in names},
        draw(st.lists(st.builds(Reference, st.sampled_from(["1L", "EA", "F8"]), text), max_size=2)),
        draw(st.dictionaries(st.sampled_from(["232", "233", "050"]), dates, max_size=3)),
        draw(st.dictionaries(st.sampled_from(["AU", "F5"]), money, max_size=2)),
        draw(st.dictionaries(st.sampled_from(["CA", "ZK"]), positive_money, max_size=1)),
        [Reference("MOA", c) for c in draw(st.lists(code, max_size=3))],
        draw(st.lists(service_payment, max_size=4)),
    )


@st.composite
def remittance(draw) -> Remittance:
    headers = sorted(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    claims = [draw(claim_payment(number)) for number in headers]
    payee_id = draw(text)
    return Remittance(
        control_number=draw(st.sampled_from(["0001", "123456789"])),
        payment=Payment(draw(st.sampled_from(["I", "H", "C"])), draw(positive_money), "C",
                        draw(st.sampled_from(["ACH", "CHK", "NON"])), date=draw(st.one_of(st.none(), dates))),
        trace=Trace("1", draw(text), draw(trace_payer)),
        payer=Party("PR", draw(text), "XV", draw(text), draw(address), [Reference("2U", draw(text))],
                    [Contact("BL", draw(text), (("TE", "8005551212"),))]),
        payee=Party("PE", draw(text), "XX", payee_id, draw(st.one_of(st.none(), address)),
                    draw(st.lists(st.builds(Reference, st.sampled_from(["TJ", "PQ"]), text), max_size=2))),
        currency=draw(st.sampled_from(["", "USD"])),
        references=draw(st.lists(st.builds(Reference, st.just("EV"), text), max_size=1)),
        production_date=draw(st.one_of(st.none(), dates)),
        claims=claims,
        provider_adjustments=draw(st.lists(st.builds(ProviderAdjustment, st.just(payee_id), dates,
                                                     st.sampled_from(["WO", "L6", "FB", "72", "J1"]),
                                                     optional_text, money), max_size=8)),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(remittance(), min_size=1, max_size=3), delimiters)
def test_835_write_then_read_gives_the_same_remittances(remittances, delims):
    for number, item in enumerate(remittances, start=1):
        item.control_number = f"{number:04d}"
    out = io.StringIO()
    write_835(out, remittances, interchange_header(1), group_header("HP", 1, "005010X221A1"), delims)
    read = [parse_835(t) for t in iter_transactions(out.getvalue().encode("latin-1"))]
    assert read == remittances


@st.composite
def professional_claim(draw, number: int) -> ProfessionalClaim:
    diagnoses = draw(st.lists(code, min_size=1, max_size=12))
    lines = draw(st.lists(st.builds(
        ServiceLine, procedure, positive_money, st.decimals(min_value=1, max_value=99, places=0), dates,
        st.one_of(st.none(), dates),
        st.lists(st.integers(1, len(diagnoses)), min_size=1, max_size=4).map(tuple),
        st.sampled_from(["", "11", "22"]), st.sampled_from(["UN", "MJ"]), st.one_of(st.none(), text),
    ), min_size=1, max_size=6))
    frequency = draw(st.sampled_from(["1", "7", "8"]))
    # DMG carries birth date and gender together: both or neither.
    birth_date, gender = draw(st.one_of(st.just((None, "")), st.tuples(dates, st.sampled_from(["F", "M", "U"]))))
    individual = st.builds(Provider, text, st.sampled_from(["1234567893", "1999999992"]), st.just("1"), text)
    return ProfessionalClaim(
        patient_control_number=f"PCN{number}-{draw(code)}",
        total_charge=sum((line.charge for line in lines), Decimal("0")),
        place_of_service=draw(st.sampled_from(["11", "02", "22"])),
        subscriber=Subscriber(draw(text), draw(text), draw(optional_text), payer_responsibility=draw(
            st.sampled_from(["P", "S", "T"])), group_number=draw(optional_text),
            filing_indicator=draw(st.sampled_from(["CI", "MB", "MC", "BL"])),
            address=draw(st.one_of(st.none(), address)), birth_date=birth_date, gender=gender),
        payer=Payer(draw(text), draw(text)),
        diagnoses=diagnoses,
        lines=lines,
        frequency_code=frequency,
        patient=draw(st.one_of(st.none(), st.builds(Patient, st.sampled_from(["01", "19", "G8"]), text, text,
                                                    address=address, birth_date=dates, gender=st.just("F")))),
        prior_authorization=draw(st.one_of(st.none(), text)),
        payer_claim_control_number=draw(text) if frequency != "1" else None,
        referring_provider=draw(st.one_of(st.none(), individual)),
        rendering_provider=draw(st.one_of(st.none(), individual)),
        service_facility=draw(st.one_of(st.none(), st.builds(Provider, text, st.just("1222222220"),
                                                              st.just("2"), address=address))),
    )


@st.composite
def claim_transaction(draw) -> ProfessionalClaimTransaction:
    count = draw(st.integers(1, 4))
    return ProfessionalClaimTransaction(
        "0001", draw(text), draw(dates), "1200",
        Submitter(draw(text), draw(text), draw(text), "8005550100"), Receiver(draw(text), draw(text)),
        Provider(draw(text), "1234567893", "2", taxonomy="207Q00000X", tax_id="251234567", address=draw(address)),
        [draw(professional_claim(number)) for number in range(count)],
        pay_to_address=draw(st.one_of(st.none(), address)),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_transaction(), delimiters)
def test_837p_write_then_read_gives_the_same_claims(transaction, delims):
    text_out = render_837p([transaction], interchange_header(1), group_header("HC", 1, "005010X222A1"), delims)
    [read] = [parse_837p(t) for t in iter_transactions(text_out.encode("latin-1"))]
    assert read == transaction
