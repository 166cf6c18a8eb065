"""A bank deposit CSV that is wrong in any way imports nothing and says where, every bad field of every
row; one that is right is stored exactly, once, even when the same file is imported again."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.remittance import deposits
from openmso.rcm.remittance.models import Deposit
from tests.factories import add_signed_agreement, add_user, bearer

HEADER = "deposit_date,amount,trace_number,payer\n"


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(Deposit))


def _problems(db, clinic, text: str) -> list[tuple]:
    with pytest.raises(Invalid) as caught:
        deposits.import_deposits(db, SYSTEM, clinic.practice.id, text, "bank.csv")
    assert _count(db) == 0
    assert caught.value.detail == f"{len(caught.value.errors)} problem(s) in bank.csv; nothing was imported"
    return [(*e.location, e.message) for e in caught.value.errors]


@pytest.mark.parametrize("text", ['"1,50"', '"12,34.00"', '"1,2345.00"', "1e3", "NaN", "1.005", "-5.00", "0",
                                  "0.00", "100000000000000000.00", '"1,000,000,000.00"', "١٢"])
def test_an_amount_that_is_not_a_deposit_is_located(db, clinic, text):
    (problem,) = _problems(db, clinic, HEADER + f"2026-11-03,{text},EFT-1,Aetna\n")
    assert problem[:2] == ("line 2", "amount")


def test_thousands_separators_in_their_places_and_the_largest_amount_are_stored_exactly(db, clinic):
    count = deposits.import_deposits(db, SYSTEM, clinic.practice.id,
                                     HEADER + '2026-11-03,"1,234.56",EFT-1,\n2026-11-03,"999,999,999.99",EFT-2,\n'
                                              "2026-11-03,.5,EFT-3,\n")
    db.expire_all()
    assert count == 3
    assert sorted(db.scalars(select(Deposit.amount))) == [D("0.50"), D("1234.56"), D("999999999.99")]


def test_every_bad_field_of_a_row_is_reported(db, clinic):
    problems = _problems(db, clinic, HEADER + f"2026-02-30,abc,{'T' * 51},{'P' * 121}\n2026-11-03,5.00,,\n")
    assert [p[:2] for p in problems] == [("line 2", "deposit_date"), ("line 2", "amount"), ("line 2", "trace_number"),
                                         ("line 2", "payer"), ("line 3", "trace_number")]
    assert "51 characters; at most 50 fit" in problems[2][2]


def test_a_trace_number_of_fifty_characters_is_kept_whole(db, clinic):
    deposits.import_deposits(db, SYSTEM, clinic.practice.id, HEADER + f"2026-11-03,5.00,{'T' * 50},Aetna\n")
    assert db.scalar(select(Deposit.trace_number)) == "T" * 50


def test_a_column_named_twice_is_refused(db, clinic):
    problems = _problems(db, clinic, "deposit_date,amount,trace_number,Amount\n2026-11-03,5.00,EFT-1,6.00\n")
    assert [p[:2] for p in problems] == [("line 1", "amount")] and "columns 2, 4" in problems[0][2]


def test_a_field_the_csv_reader_cannot_take_is_located(db, clinic):
    problems = _problems(db, clinic, HEADER + "2026-11-03,5.00,EFT-1,\n" + f'2026-11-03,5.00,"{"x" * 140_000}",\n')
    assert problems[0][0] == "line 3" and "field larger than field limit" in problems[0][1]


def test_the_same_deposit_twice_in_a_file_names_both_lines(db, clinic):
    problems = _problems(db, clinic, HEADER + "2026-11-03,5.00,EFT-1,Aetna\n2026-11-04,5.00,EFT-1,Aetna\n"
                                              "2026-11-03,5.00,EFT-1,Aetna\n")
    assert problems == [("line 4", "the same deposit as line 2 (date, amount and trace number): a deposit is "
                                   "listed once")]


def test_importing_the_same_bank_file_again_adds_nothing_and_names_each_line(db, clinic):
    text = HEADER + "2026-11-03,5.00,EFT-1,Aetna\n2026-11-04,7.00,EFT-2,Aetna\n"
    assert deposits.import_deposits(db, SYSTEM, clinic.practice.id, text, "monday.csv") == 2
    with pytest.raises(Invalid) as caught:
        deposits.import_deposits(db, SYSTEM, clinic.practice.id, text + "2026-11-05,9.00,EFT-3,\n", "monday.csv")
    assert [(e.location, e.message) for e in caught.value.errors] == [
        (["line 2"], "already on file (monday.csv line 2): deposit of 5.00 on 2026-11-03 with trace number EFT-1"),
        (["line 3"], "already on file (monday.csv line 3): deposit of 7.00 on 2026-11-04 with trace number EFT-2")]
    assert _count(db) == 2
    # The same trace and amount on another day is another deposit.
    assert deposits.import_deposits(db, SYSTEM, clinic.practice.id, HEADER + "2026-11-06,5.00,EFT-1,\n") == 1


def test_an_amount_too_large_for_the_database_is_a_422_not_a_500(client, db, clinic):
    add_signed_agreement(db, clinic.practice)
    headers = {**bearer(db, add_user(db, Role.MSO_ADMIN)), "content-type": "text/csv"}
    answer = client.post(f"/api/v1/practices/{clinic.practice.id}/deposits", headers=headers,
                         content=(HEADER + "2026-11-03,100000000000000000.00,EFT-1,\n"
                                  + f'2026-11-03,5.00,"{"x" * 140_000}",\n').encode())
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in answer.json()["errors"]] == [["line 2", "amount"], ["line 3"]]
    assert _count(db) == 0


def test_a_nul_character_is_located_and_a_file_name_is_kept_printable(db, clinic):
    problems = _problems(db, clinic, HEADER + "2026-11-03,5.00,EFT\x001,Aet\x00na\n")
    assert [p[:2] for p in problems] == [("line 2", "trace_number"), ("line 2", "payer")]
    deposits.import_deposits(db, SYSTEM, clinic.practice.id, HEADER + "2026-11-03,5.00,EFT-1,\n", "bank\x00.csv")
    assert db.scalar(select(Deposit.source)) == "bank.csv line 2"


def test_a_deposit_file_that_is_not_utf8_is_located_over_the_api_and_the_page(client, db, clinic, settings):
    """Latin-1 bytes were read as replacement characters and stored; now refused with the byte's place."""
    from tests.factories import signed_in

    add_signed_agreement(db, clinic.practice)
    body = (HEADER + "2026-11-03,5.00,EFT-LATIN,Caf\xe9 Payer\n").encode("latin-1")
    headers = {**bearer(db, add_user(db, Role.MSO_ADMIN)), "content-type": "text/csv"}
    answer = client.post(f"/api/v1/practices/{clinic.practice.id}/deposits", headers=headers, content=body)
    where = body.index("\xe9".encode("latin-1")) + 1
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == [f"byte {where}"]
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    page = browser.post("/remittances/receive/deposits", data={"practice_id": clinic.practice.id,
                                                                "csrf_token": browser.headers["x-csrf-token"]},
                        files={"file": ("bank.csv", body, "text/csv")})
    assert page.status_code == 422 and "not UTF-8" in page.text
    assert _count(db) == 0
