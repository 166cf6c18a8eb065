"""The lines behind the underpayment worklist's sums: each posted line allowed below its contract, with the
claim, date of service and 835 a biller takes to the payer, as JSON, CSV and a page linked from the sums.

Hand-worked: the contract pays 99213 at 95.00 and 36415 at 12.50. Each claim (99213 145.00 + 36415 20.00)
is allowed at 60%: 99213 87.00 (8.00 short; 67.00 paid after the 20.00 PR-2), 36415 12.00 (0.50 short,
within the 1.00 tolerance). A third claim is denied: a denial, not an underpayment.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.ar import underpaid
from openmso.rcm.contracts import service as contracts
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, LinePosting
from tests.factories import add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction
from tests.rcm.test_cob_secondary_books import _books, _pay_secondary
from tests.rcm.test_first_payer_adjudicated_again import _split

RATES = "payer,code,allowed_amount,effective_from\n60054,99213,95.00,2026-01-01\n60054,36415,12.50,2026-01-01\n"


def _underpaid_clinic(db, marker: str):
    clinic = make_clinic(db, marker, patients=3)
    add_signed_agreement(db, clinic.practice)
    contracts.import_rates(db, SYSTEM, clinic.practice.id, RATES)
    claims = accepted_claims(db, clinic, 3, lines=(("99213", "145.00"), ("36415", "20.00")))
    payment = transaction(clinic.practice, [paid(claims[0]), paid(claims[1]), denied(claims[2])], trace=f"{marker}T")
    ingest_file(db, SYSTEM, f"{marker}.835", render(payment))
    return clinic, claims


def test_the_lines_behind_a_sum_name_the_claim_the_date_and_the_835(client, db, settings):
    clinic, claims = _underpaid_clinic(db, "Qzunderln")
    biller = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    (row,) = biller.get("/api/v1/underpayments").json()
    lines = biller.get("/api/v1/underpayments/lines",
                       params={"payer_id": row["payer_id"], "procedure_code": "99213"}).json()
    assert sorted((line["claim_id"], D(line["expected"]), D(line["allowed"]), D(line["paid"]), D(line["difference"]))
                  for line in lines) == [(claims[0].id, D("95.00"), D("87.00"), D("67.00"), D("8.00")),
                                         (claims[1].id, D("95.00"), D("87.00"), D("67.00"), D("8.00"))]
    assert sum(D(line["difference"]) for line in lines) == D(row["difference"]) == D("16.00")
    assert {line["trace_number"] for line in lines} == {"QzunderlnT"}
    assert {line["service_date"] for line in lines} == {claims[0].lines[0].service_date.isoformat()}
    assert biller.get("/api/v1/underpayments/lines", params={"tolerance": "9.00"}).json() == []

    exported = biller.get("/api/v1/underpayments/lines.csv", params={"procedure_code": "99213"})
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["claim_number"] for r in table) == sorted(c.patient_control_number for c in claims[:2])
    assert {(r["payer"], r["contracted"], r["allowed"], r["paid"], r["underpaid"]) for r in table} == {
        ("Aetna", "95.00", "87.00", "67.00", "8.00")}

    summary = biller.get("/underpayments").text
    assert f"/underpayments/lines?payer_id={row['payer_id']}&amp;procedure_code=99213" in summary
    page = biller.get("/underpayments/lines", params={"payer_id": row["payer_id"], "procedure_code": "99213"}).text
    assert "Underpaid lines · Aetna · 99213" in page and "2 lines, $16.00 underpaid" in page
    assert f'href="/claims/{claims[0].id}"' in page and claims[2].patient_control_number not in page


def test_bad_filters_are_refused_and_another_practice_sees_no_lines(client, db, settings):
    _underpaid_clinic(db, "Qzunderother")
    elsewhere = make_clinic(db, "Qzunderelse", patients=1)
    stranger = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, elsewhere.practice))
    assert stranger.get("/api/v1/underpayments/lines").json() == []
    refused = stranger.get("/api/v1/underpayments/lines", params={"procedure_code": "99213'--"})
    assert refused.status_code == 422 and "procedure_code" in refused.text
    assert stranger.get("/api/v1/underpayments/lines", params={"tolerance": "-1"}).status_code == 422


def test_a_payment_sent_twice_lists_its_underpaid_lines_once(db):
    """The payer sent claim 1's payment again in a second 835 (no reversal): its second decision replaces the
    first (`later_payers.replaced_parts`), so 99213 is still 2 lines short 8.00 each, 16.00, not 24.00."""
    clinic, claims = _underpaid_clinic(db, "Qzundertwice")
    ingest_file(db, SYSTEM, "twice.835", render(transaction(clinic.practice, [paid(claims[0])], trace="TWICE2")))
    lines = underpaid.underpaid_lines(db, [clinic.practice.id], D("0.00"), procedure_code="99213")
    assert sorted((line.claim_id, line.difference, line.trace_number) for line in lines) == [
        (claims[0].id, D("8.00"), "TWICE2"), (claims[1].id, D("8.00"), "QzundertwiceT")]


def test_a_secondary_payer_s_lines_are_not_compared_with_its_fee_schedule(db):
    """The secondary paid the patient's 30.00 and reported the primary's 170.00 as OA-23: its line's allowed
    amount reads 200 − 170 = 30.00, which against a 95.00 fee schedule would be a false 65.00 underpayment.
    A later payer pays what the earlier payers left (COB), so only the primary's line is compared."""
    clinic, primary, secondary = _books(db, "Qzundersecond")
    contracts.import_rates(db, SYSTEM, clinic.practice.id,
                           "payer,code,allowed_amount,effective_from\nSX001,99213,95.00,2026-01-01\n")
    _pay_secondary(db, clinic, secondary, "30.00", (("OA", "23", "170.00"),), "SECPAY")
    assert underpaid.underpaid_lines(db, [clinic.practice.id], D("0.00")) == []
    [posted] = db.scalars(select(LinePosting).join(ClaimPosting, ClaimPosting.id == LinePosting.claim_posting_id)
                          .where(ClaimPosting.claim_id == secondary.id)).all()
    assert (posted.allowed, posted.expected_allowed) == (D("30.00"), None)


def test_an_appeal_of_one_line_leaves_the_other_lines_underpayment_listed(db):
    """Claim 1's 36415 (allowed 12.00 of a 12.50 contract) is appealed and paid again alone at 12.50 in a new claim
    payment (no reversal): that line's first decision is replaced, but the 99213 of the same first payment still
    stands, 8.00 short — it is not dropped with its claim payment."""
    clinic, claims = _underpaid_clinic(db, "Qzunderappeal")
    draw = next(line for line in claims[0].lines if line.procedure_code == "36415")
    appeal = _split(claims[0], draw, "12.50", (("CO", "45", "7.50"),), claims[0].payer_claim_number or "")
    ingest_file(db, SYSTEM, "appeal.835", render(transaction(clinic.practice, [appeal], trace="APPEAL1")))
    lines = underpaid.underpaid_lines(db, [clinic.practice.id], D("0.00"))
    assert sorted((line.claim_id, line.procedure_code, line.difference) for line in lines) == [
        (claims[0].id, "99213", D("8.00")), (claims[1].id, "36415", D("0.50")), (claims[1].id, "99213", D("8.00"))]
