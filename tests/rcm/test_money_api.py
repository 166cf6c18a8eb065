"""The money-in API over real postings: payments and their exceptions, the denial worklist and its
actions, underpayments, patient balances and payments, aging, KPIs as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

from pypdf import PdfReader
from sqlalchemy import select

from openmso.agreements import presets
from openmso.agreements.catalogue import ServiceKey
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.claims.models import Claim
from openmso.rcm.contracts import service as contracts
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import Remittance
from tests.factories import add_signed_agreement, add_user, build_world, signed_in
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


def _admin(client, db, settings):
    world = build_world(db)
    return world, signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))


def test_an_835_posted_through_the_api_is_listed_with_its_claims_lines_and_exceptions(client, db, settings, clinic):
    add_signed_agreement(db, clinic.practice)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    first, second = accepted_claims(db, clinic, 2, lines=(("99213", "145.00"), ("36415", "20.00")))
    body = render(transaction(clinic.practice, [paid(first), denied(second)], trace="APIEFT1"))
    posted = browser.post("/api/v1/remittances", params={"filename": "aetna.835"}, content=body).json()
    assert (posted["posted"], posted["claims"], posted["lines"], posted["duplicate"]) == (1, 2, 4, False)
    again = browser.post("/api/v1/remittances", params={"filename": "copy.835"}, content=body).json()
    assert again["duplicate"] is True and again["posted"] == 0
    listing = browser.get("/api/v1/remittances", params={"practice_id": clinic.practice.id}).json()
    assert listing["total"] == 1 and listing["items"][0]["trace_number"] == "APIEFT1"
    detail = browser.get(f"/api/v1/remittances/{listing['items'][0]['id']}").json()
    by_claim = {c["claim_id"]: c for c in detail["claims"]}
    assert by_claim[first.id]["outcome"] == "paid" and by_claim[second.id]["outcome"] == "denied"
    assert [line["adjustments"] for line in by_claim[first.id]["lines"]] == ["CO:45:58.00 PR:2:20.00", "CO:45:8.00"]
    assert by_claim[first.id]["patient_name"].startswith("Alex ")


def test_the_exceptions_queue_lists_an_unknown_claim_and_resolving_it_closes_it(client, db, settings):
    world, browser = _admin(client, db, settings)
    queue = browser.get("/api/v1/remittance-exceptions").json()
    assert {i["patient_control_number"] for i in queue["items"]} >= {"QzalphaX9", "QzbravoX9", "QzcharlieX9"}
    item = next(i for i in queue["items"] if i["patient_control_number"] == "QzalphaX9")
    assert item["kind"] == "unmatched_claim" and item["location"].startswith("ST ")
    short = browser.post(f"/api/v1/remittance-exceptions/{item['id']}/resolve", json={"resolution": "x"})
    assert short.status_code == 422
    done = browser.post(f"/api/v1/remittance-exceptions/{item['id']}/resolve",
                        json={"resolution": "returned to the payer"}).json()
    assert done["status"] == "resolved" and done["resolved_by"]
    again = browser.post(f"/api/v1/remittance-exceptions/{item['id']}/resolve", json={"resolution": "twice"})
    assert again.status_code == 409
    still_open = browser.get("/api/v1/remittance-exceptions").json()["items"]
    assert item["id"] not in [i["id"] for i in still_open]


def test_a_practice_user_sees_only_its_own_payments_and_another_practices_is_not_found(client, db, settings):
    world = build_world(db)
    mine, other = world.practices[0], world.practices[1]
    browser = signed_in(client, db, settings, add_user(db, Role.PRACTICE_USER, mine))
    items = browser.get("/api/v1/remittances").json()["items"]
    assert items and {i["practice_id"] for i in items} == {mine.id}
    theirs = db.scalar(select(Remittance.id).where(Remittance.practice_id == other.id))
    assert browser.get(f"/api/v1/remittances/{theirs}").status_code == 404
    assert browser.post("/api/v1/remittances", content=b"ISA").status_code == 403  # posting files is MSO work


def test_denial_worklist_actions_through_the_api(client, db, settings):
    world, browser = _admin(client, db, settings)
    rows = browser.get("/api/v1/denials").json()["items"]
    assert len(rows) == 3 and rows[0]["category"] == "authorization" and rows[0]["payer_name"]
    case = rows[0]
    staff = add_user(db, Role.MSO_STAFF, display_name="Denise Biller",
                     scope=[p for p in world.practices if p.id == case["practice_id"]])
    assigned = browser.post(f"/api/v1/denials/{case['id']}/assign", json={"user_id": staff.id}).json()
    assert assigned["assignee"] == "Denise Biller"
    mine = browser.get("/api/v1/denials", params={"assigned_to": staff.id}).json()
    assert [r["id"] for r in mine["items"]] == [case["id"]]
    browser.post(f"/api/v1/denials/{case['id']}/notes", json={"text": "called the payer, ref 123"})
    detail = browser.get(f"/api/v1/denials/{case['id']}").json()
    assert [n["action"] for n in detail["notes"]] == ["assign", "note"]
    letter = browser.post(f"/api/v1/denials/{case['id']}/appeal-letter", json={"argument": "Authorized by phone."})
    assert letter.headers["content-type"] == "application/pdf"
    assert "Authorized by phone." in PdfReader(io.BytesIO(letter.content)).pages[0].extract_text()
    assert browser.get(f"/api/v1/denials/{case['id']}").json()["status"] == "appealed"
    second = rows[1]
    refused = browser.post(f"/api/v1/denials/{second['id']}/transfer", json={"reason": "patient agreed"})
    assert refused.status_code == 409 and "CO:197" in refused.json()["detail"]  # the provider's, not the patient's
    balances = browser.get("/api/v1/patient-balances", params={"practice_id": second["practice_id"]}).json()["items"]
    assert sum(D(b["balance"]) for b in balances) == D("20.00")
    third = rows[2]
    resubmitted = browser.post(f"/api/v1/denials/{third['id']}/resubmit", json={"reason": "added authorization"})
    assert resubmitted.status_code == 201 and resubmitted.json()["frequency_code"] == "7"


def test_a_practice_user_may_not_write_off_and_an_administrator_may(client, db, settings):
    world = build_world(db)
    practice = world.practices[0]
    user = signed_in(client, db, settings, add_user(db, Role.PRACTICE_USER, practice))
    case = user.get("/api/v1/denials").json()["items"][0]
    assert user.post(f"/api/v1/denials/{case['id']}/write-off", json={"reason": "small balance"}).status_code == 403
    admin = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice))
    done = admin.post(f"/api/v1/denials/{case['id']}/write-off", json={"reason": "small balance"})
    assert done.status_code == 200 and done.json()["status"] == "written_off"


def test_patient_payment_reduces_the_balance_and_an_overpayment_is_refused(client, db, settings):
    world, browser = _admin(client, db, settings)
    practice = world.practices[0]
    (owing,) = browser.get("/api/v1/patient-balances", params={"practice_id": practice.id}).json()["items"]
    assert D(owing["balance"]) == D("20.00") and "Qzalphason" in owing["name"]
    url = f"/api/v1/practices/{practice.id}/patients/{owing['patient_id']}/payments"
    too_much = browser.post(url, json={"amount": "25.00", "paid_on": "2026-11-10"})
    assert too_much.status_code == 422 and "overpayment" in too_much.text
    paid_now = browser.post(url, json={"amount": "15.00", "paid_on": "2026-11-10", "reference": "card 4242"}).json()
    assert (D(paid_now["amount"]), D(paid_now["balance"])) == (D("15.00"), D("5.00"))
    pdf = browser.get(f"/api/v1/practices/{practice.id}/patients/{owing['patient_id']}/statement")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Amount due: $5.00" in text and "payment" in text


def test_aging_of_insurance_and_patient_ar_by_bucket(client, db, settings):
    world, browser = _admin(client, db, settings)
    insurance = browser.get("/api/v1/ar/aging", params={"as_of": "2026-11-20"}).json()
    assert len(insurance) == 3
    # each practice: the denied 145.00 is still recoverable; the rejected and paid claims are not insurance A/R
    for row in insurance:
        assert D(row["total"]) == D("145.00") and "Family Clinic" in row["label"]
    network = browser.get("/api/v1/ar/aging", params={"by": "network", "as_of": "2026-11-20"}).json()
    # 435.00 across the three practices, but from 3 patients: a cross-practice cell under 11 patients is hidden
    assert len(network) == 1 and network[0]["total"] is None and network[0]["buckets"]["31_60"] is None
    assert D(network[0]["buckets"]["0_30"]) == D("0.00")  # an empty cell says nothing about anyone: shown
    patient = browser.get("/api/v1/ar/aging", params={"kind": "patient", "as_of": "2027-01-15"}).json()
    # 20.00 posted 2026-11-02 is 74 days old on 2027-01-15
    assert all(D(r["buckets"]["61_90"]) == D("20.00") and D(r["total"]) == D("20.00") for r in patient)


def test_patient_balances_are_paged_and_a_payment_reports_the_balance_of_any_patient(client, db, settings, clinic):
    add_signed_agreement(db, clinic.practice)
    claims = accepted_claims(db, clinic, 3)  # three patients, each left owing a different share
    shares = [D("30.00"), D("20.00"), D("10.00")]
    ingest_file(db, SYSTEM, "shares.835", render(transaction(clinic.practice, [
        paid(claim, patient=share) for claim, share in zip(claims, shares, strict=True)])))
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    query = {"practice_id": clinic.practice.id, "limit": 2}
    first = browser.get("/api/v1/patient-balances", params=query).json()
    second = browser.get("/api/v1/patient-balances", params={**query, "page": 2}).json()
    assert (first["total"], second["total"], first["page"], second["page"]) == (3, 3, 1, 2)
    assert [D(r["balance"]) for r in first["items"] + second["items"]] == shares  # largest first, none lost
    page = browser.get("/patient-balances", params=query).text
    assert "Page 1 of 2" in page and page.count("Post payment") == 2
    last = second["items"][0]  # beyond the first page: its balance after a payment is still known
    url = f"/api/v1/practices/{clinic.practice.id}/patients/{last['patient_id']}/payments"
    paid_now = browser.post(url, json={"amount": "4.00", "paid_on": "2026-11-10"}).json()
    assert D(paid_now["balance"]) == D("6.00")


def test_underpayments_are_summed_by_payer_and_code(client, db, settings, clinic):
    add_signed_agreement(db, clinic.practice)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    contracts.import_rates(db, SYSTEM, clinic.practice.id,
                           "payer,code,modifier,allowed_amount,effective_from\n60054,99213,,95.00,2026-01-01\n")
    claims = accepted_claims(db, clinic, 2)
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [paid(c) for c in claims])))
    (row,) = browser.get("/api/v1/underpayments").json()
    # allowed 87.00 against 95.00 contracted, on two lines
    assert (row["procedure_code"], row["lines"], D(row["difference"]), row["payer_name"]) == (
        "99213", 2, D("16.00"), "Aetna")
    assert browser.get("/api/v1/underpayments", params={"tolerance": "9.00"}).json() == []


def test_kpis_as_json_and_csv(client, db, settings):
    world, browser = _admin(client, db, settings)
    practice = {"practice_id": world.practices[0].id}
    months = browser.get("/api/v1/kpis", params={"as_of": "2026-11-20", "months": 3, **practice}).json()
    assert [m["month"] for m in months] == ["2026-09", "2026-10", "2026-11"]
    october = months[1]
    assert october["claims"] == 4  # four claims of the practice served in October
    assert set(october["values"]) >= {"days_in_ar", "denial_rate", "net_collection_rate"}
    # of the two claims remitted, one was denied on its first remittance
    assert D(october["values"]["denial_rate"]) == D("50.0")
    network = browser.get("/api/v1/kpis", params={"as_of": "2026-11-20", "months": 3}).json()
    # twelve claims of six patients across three practices: every network cell is under 11 patients, hidden
    assert network[1]["claims"] is None and network[1]["values"]["denial_rate"] is None
    exported = browser.get("/api/v1/kpis.csv", params={"as_of": "2026-11-20", "months": 3, **practice})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 3 * 10 and {r["kpi"] for r in rows} >= {"clean_claim_rate", "charge_lag"}
    assert next(r for r in rows if r["month"] == "2026-10" and r["kpi"] == "denial_rate")["value"] == "50.0"
    definitions = browser.get("/api/v1/kpis/definitions").json()
    assert any("HFMA" in d["source"] for d in definitions)
    assert db.scalar(select(Claim.id).limit(1)) and date(2026, 11, 20)


def test_a_claims_payments_are_read_oldest_first_and_refused_where_the_practice_keeps_its_revenue_cycle(
        client, db, settings, clinic):
    add_signed_agreement(db, clinic.practice)
    api = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    [claim] = accepted_claims(db, clinic, 1, lines=(("99213", "145.00"), ("36415", "20.00")))
    ingest_file(db, SYSTEM, "denied.835", render(transaction(clinic.practice, [denied(claim)], trace="CPAY1")))
    ingest_file(db, SYSTEM, "again.835", render(transaction(clinic.practice, [denied(claim, sign=-1), paid(claim)],
                                                            trace="CPAY2")))
    answers = api.get(f"/api/v1/claims/{claim.id}/payments").json()
    assert [(a["trace_number"], a["status_code"], a["outcome"], a["paid"]) for a in answers] == [
        ("CPAY1", "4", "denied", "0.00"), ("CPAY2", "22", "reversed", "0.00"), ("CPAY2", "1", "paid", "79.00")]
    assert [(line["line_number"], line["adjustments"], line["denied"]) for line in answers[0]["lines"]] == [
        (1, "CO:197:145.00", True), (2, "CO:197:20.00", True)]
    assert answers[2]["payment_date"] == "2026-11-02" and answers[2]["lines"][1]["paid"] == "12.00"
    assert api.get("/api/v1/claims/987654321/payments").status_code == 404

    terms = presets.standard_terms(date(2025, 1, 1))
    add_signed_agreement(db, clinic.practice, signed_on=date(2026, 1, 1), terms=presets.revised(terms, {"services": [
        s for s in terms.services if s.service is not ServiceKey.REVENUE_CYCLE]}))
    refused = api.get(f"/api/v1/claims/{claim.id}/payments")
    assert refused.status_code == 403 and "Schedule A.1" in refused.json()["detail"]
