"""Receiving money by hand in the UI: an 835 upload and a bank deposit CSV, through the same services
as the API, with CSRF and tenancy checked."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import func, select

from openmso.core.tenancy import Role
from openmso.rcm.remittance.models import ClaimPosting, Deposit, Remittance
from tests.factories import add_practice, add_signed_agreement, add_user, signed_in
from tests.rcm.remits import accepted_claims, paid, render, transaction

CSV = "text/csv"


def _admin(client, db, settings, clinic):
    add_signed_agreement(db, clinic.practice)  # the MSA grants the MSO payment posting
    return signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))


def _upload(browser, name: str, content: bytes):
    return browser.post("/remittances/receive/835", files={"file": (name, content, "application/edi-x12")})


def test_uploading_an_835_posts_it_and_the_same_file_again_posts_nothing(client, db, settings, clinic):
    (claim,) = accepted_claims(db, clinic, 1)
    browser = _admin(client, db, settings, clinic)
    assert 'enctype="multipart/form-data"' in browser.get("/remittances/receive").text
    content = render(transaction(clinic.practice, [paid(claim)], trace="UPLOAD1"))
    page = _upload(browser, "era.835", content)
    assert page.status_code == 200 and "<strong>era.835</strong>: Posted" in page.text
    assert "1 of 1 payment(s) posted, 1 claim(s), 1 line(s)" in page.text
    assert db.scalar(select(func.count()).select_from(ClaimPosting).where(ClaimPosting.claim_id == claim.id)) == 1
    again = _upload(browser, "era-copy.835", content)
    assert "was received before (same content): nothing was posted again" in again.text
    assert db.scalar(select(func.count()).select_from(ClaimPosting).where(ClaimPosting.claim_id == claim.id)) == 1


def test_an_unbalanced_upload_is_quarantined_and_shows_where(client, db, settings, clinic):
    first, second = accepted_claims(db, clinic, 2)
    browser = _admin(client, db, settings, clinic)
    content = render(transaction(clinic.practice, [paid(first)], trace="BADSUM", amount=D("999.99"), control="0001"),
                     transaction(clinic.practice, [paid(second)], trace="GOODSUM", control="0002"))
    page = _upload(browser, "mixed.835", content)
    assert "Partial" in page.text and "1 of 2 payment(s) posted" in page.text and "1 quarantined" in page.text
    table = page.text.split('id="upload-exceptions"')[1]
    assert "Unbalanced" in table and "ST 0001" in table and "BPR02 = Σ CLP04 − Σ PLB" in table
    assert db.scalar(select(Remittance.status).where(Remittance.trace_number == "BADSUM")) == "quarantined"
    assert db.scalar(select(func.count()).select_from(ClaimPosting).where(ClaimPosting.claim_id == first.id)) == 0


def test_an_unreadable_upload_is_quarantined_with_its_located_error(client, db, settings, clinic):
    browser = _admin(client, db, settings, clinic)
    page = _upload(browser, "junk.835", b"ISA*00*not an interchange~")
    assert page.status_code == 200 and "Quarantined" in page.text and "the file cannot be read" in page.text
    assert "Malformed file" in page.text and "byte" in page.text.split('id="upload-exceptions"')[1]


def test_a_deposit_csv_with_bad_rows_imports_nothing_and_names_each_row(client, db, settings, clinic):
    browser = _admin(client, db, settings, clinic)
    bad = "deposit_date,amount,trace_number\n2026-13-01,10.00,T1\n2026-11-03,abc,T2\n2026-11-03,5.00,\n"
    page = browser.post("/remittances/receive/deposits", data={"practice_id": str(clinic.practice.id)},
                        files={"file": ("bank.csv", bad.encode(), CSV)})
    assert page.status_code == 422 and "nothing was imported" in page.text
    for where in ("line 2 deposit_date", "line 3 amount", "line 4 trace_number"):
        assert f"<strong>{where}</strong>" in page.text
    assert db.scalar(select(func.count()).select_from(Deposit)) == 0
    good = "deposit_date,amount,trace_number,payer\n2026-11-03,67.00,EFT-A,Aetna\n"
    done = browser.post("/remittances/receive/deposits", data={"practice_id": str(clinic.practice.id)},
                        files={"file": ("bank.csv", good.encode(), CSV)}, follow_redirects=False)
    assert done.status_code == 303
    assert "1 deposit(s) imported and reconciled" in browser.get(done.headers["location"]).text
    assert db.scalar(select(Deposit.trace_number)) == "EFT-A"


def test_receiving_forms_need_the_csrf_token(client, db, settings, clinic):
    browser = _admin(client, db, settings, clinic)
    del browser.headers["X-CSRF-Token"]
    refused = _upload(browser, "era.835", b"ISA")
    assert refused.status_code == 403
    refused = browser.post("/remittances/receive/deposits", data={"practice_id": str(clinic.practice.id)},
                           files={"file": ("bank.csv", b"deposit_date,amount,trace_number\n", CSV)})
    assert refused.status_code == 403 and db.scalar(select(func.count()).select_from(Deposit)) == 0


def test_practice_staff_cannot_post_835s_or_import_another_practices_deposits(client, db, settings, clinic):
    other = add_practice(db, "Qzother")
    staff = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice=other))
    assert _upload(staff, "era.835", b"ISA").status_code == 403
    hidden = staff.post("/remittances/receive/deposits", data={"practice_id": str(clinic.practice.id)},
                        files={"file": ("bank.csv", b"deposit_date,amount,trace_number\n2026-11-03,1.00,X\n", CSV)})
    assert hidden.status_code == 404 and db.scalar(select(func.count()).select_from(Deposit)) == 0
