"""Fee schedule import from every door (API, page, command line) and the checks that keep a bad file
from crashing the import or reaching the database: located errors, nothing half-written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from openmso.cli import app as cli_app
from openmso.core import csv_input
from openmso.core.db import unit_of_work
from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.contracts import cli as contracts_cli
from openmso.rcm.contracts import service
from openmso.rcm.contracts.medicare import MedicareFeeTable
from openmso.rcm.contracts.models import ContractRate
from tests.factories import add_practice, add_signed_agreement, add_user, bearer, signed_in
from tests.rcm.conftest import make_clinic

HEADER = "payer,code,modifier,allowed_amount,percent_of_medicare,effective_from,effective_to\n"
SCHEDULE = HEADER + """60054,99213,,98.00,,2025-01-01,2025-12-31
60054,99213,,102.50,,2026-01-01,
60054,99213,25,95.00,,2026-01-01,
60054,99214,,,125,2025-01-01,
"""
BAD = HEADER + """60054,99213,,98.00,,2025-01-01,
99999,9921,,1e30,,2025-02-30,
60054,99215,,"1,50",,2025-01-01,2024-01-01
"""
CSV = "text/csv"


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(ContractRate))


def _located(error: Invalid) -> set[tuple]:
    return {tuple(e.location) for e in error.errors}


def _admin(db, clinic):
    add_signed_agreement(db, clinic.practice)  # the MSA grants the MSO payment posting
    return add_user(db, Role.MSO_ADMIN)


# --- the API ---------------------------------------------------------------------------------------

def test_api_imports_a_schedule_and_lists_it_by_payer_and_code(client, db, clinic):
    headers = {**bearer(db, _admin(db, clinic)), "content-type": CSV}
    url = f"/api/v1/practices/{clinic.practice.id}/contract-rates"
    done = client.post(url, content=SCHEDULE.encode(), headers=headers, params={"filename": "aetna.csv"})
    assert done.status_code == 200, done.text
    assert done.json() == {"imported": 4, "by_payer": {"60054": 4}}
    everything = client.get(url, headers=headers).json()
    assert everything["total"] == 4 and everything["page"] == 1
    first = everything["items"][0]
    assert (first["payer_code"], first["procedure_code"], first["allowed_amount"], first["effective_to"]) == (
        "60054", "99213", "98.00", "2025-12-31")
    assert first["source"] == "aetna.csv line 2"
    percent = client.get(url, headers=headers, params={"q": "99214"}).json()["items"]
    assert [(r["percent_of_medicare"], r["allowed_amount"]) for r in percent] == [("125.00", None)]
    assert client.get(url, headers=headers, params={"q": "9921", "limit": 2}).json()["total"] == 4
    assert client.get(url, headers=headers, params={"payer_id": clinic.payer.id + 1000}).json()["total"] == 0


def test_api_refuses_a_bad_file_whole_with_every_problem_located(client, db, clinic):
    headers = {**bearer(db, _admin(db, clinic)), "content-type": CSV}
    refused = client.post(f"/api/v1/practices/{clinic.practice.id}/contract-rates", content=BAD.encode(),
                          headers=headers)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    located = {tuple(e["loc"]) for e in refused.json()["errors"]}
    assert located == {("line 3", "payer"), ("line 3", "code"), ("line 3", "allowed_amount"),
                       ("line 3", "effective_from"), ("line 4", "allowed_amount"), ("line 4", "effective_to")}
    assert _count(db) == 0
    not_utf8 = client.post(f"/api/v1/practices/{clinic.practice.id}/contract-rates",
                           content=HEADER.encode() + "60054,99213,,98.00,,2025-01-01,é\n".encode("latin-1"),
                           headers=headers)
    where = len(HEADER) + len("60054,99213,,98.00,,2025-01-01,") + 1
    assert not_utf8.status_code == 422 and not_utf8.json()["errors"][0]["loc"] == [f"byte {where}"]


@pytest.mark.parametrize("role", [Role.PRACTICE_ADMIN, Role.AUDITOR])
def test_api_import_follows_the_deposit_import_rules_for_other_practices_and_read_only_users(client, db, clinic,
                                                                                              role):
    add_signed_agreement(db, clinic.practice)
    other = add_practice(db, "Qzother")
    user = add_user(db, role, practice=other if role is Role.PRACTICE_ADMIN else None)
    answer = client.post(f"/api/v1/practices/{clinic.practice.id}/contract-rates", content=SCHEDULE.encode(),
                         headers={**bearer(db, user), "content-type": CSV})
    assert answer.status_code == (404 if role is Role.PRACTICE_ADMIN else 403)
    listed = client.get(f"/api/v1/practices/{clinic.practice.id}/contract-rates", headers=bearer(db, user))
    assert listed.status_code == (404 if role is Role.PRACTICE_ADMIN else 200)
    assert _count(db) == 0


# --- the page --------------------------------------------------------------------------------------

def test_the_page_shows_each_problem_by_line_and_column_then_the_rates_once_imported(client, db, settings, clinic):
    browser = signed_in(client, db, settings, _admin(db, clinic))
    url = f"/practices/{clinic.practice.id}/contract-rates"
    assert 'href="/contracts"' in browser.get("/").text
    index = browser.get("/contracts").text
    assert f'href="{url}"' in index
    refused = browser.post(url, files={"file": ("aetna.csv", BAD.encode(), CSV)})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    problems = refused.text.split('id="import-problems"')[1].split("</table>")[0]
    assert "<td>line 3</td><td>code</td><td>&#39;9921&#39; is not a 5-character CPT/HCPCS code</td>" in problems
    assert "<td>line 4</td><td>effective_to</td><td>ends (2024-01-01) before it starts (2025-01-01)</td>" in problems
    assert problems.count("<tr>") == 1 + 6 and _count(db) == 0
    done = browser.post(url, files={"file": ("aetna.csv", SCHEDULE.encode("utf-8-sig"), CSV)},
                        follow_redirects=False)
    assert done.status_code == 303
    page = browser.get(done.headers["location"])
    assert "4 rate(s) imported" in page.text
    rates = page.text.split('id="rates"')[1]
    assert "102.50" in rates and "125.00%" in rates and "open" in rates and "aetna.csv line 5" in rates
    filtered = browser.get(url, params={"q": "99214"}).text.split('id="rates"')[1]
    assert "125.00%" in filtered and "102.50" not in filtered
    assert "4" in browser.get("/contracts").text.split('id="contract-practices"')[1]


def test_another_practices_rate_page_is_not_found(client, db, settings, clinic):
    service.import_rates(db, SYSTEM, clinic.practice.id, SCHEDULE)
    other = add_practice(db, "Qzother")
    staff = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice=other))
    assert staff.get(f"/practices/{clinic.practice.id}/contract-rates").status_code == 404
    refused = staff.post(f"/practices/{clinic.practice.id}/contract-rates",
                         files={"file": ("aetna.csv", SCHEDULE.encode(), CSV)})
    assert refused.status_code == 404 and _count(db) == 4
    assert clinic.practice.legal_name not in staff.get("/contracts").text


# --- the command line ------------------------------------------------------------------------------

@pytest.fixture
def cli_clinic(cli_sessions, monkeypatch):
    monkeypatch.setattr(contracts_cli.console, "width", 200)
    with unit_of_work(cli_sessions) as db:
        clinic = make_clinic(db, "Cliclinic")
        add_signed_agreement(db, clinic.practice)
        practice_id = clinic.practice.id
    return practice_id, cli_sessions


def test_cli_imports_a_file_and_lists_the_rates(cli_clinic, tmp_path):
    practice_id, factory = cli_clinic
    path = tmp_path / "aetna.csv"
    path.write_text(SCHEDULE)
    result = CliRunner().invoke(cli_app, ["contracts", "import", str(practice_id), str(path)])
    assert result.exit_code == 0, result.output
    assert "aetna.csv: 4 rate(s) imported" in result.output and "60054" in result.output
    listed = CliRunner().invoke(cli_app, ["contracts", "list", str(practice_id), "--code", "99213"])
    assert listed.exit_code == 0, listed.output
    assert "3 rate(s) on file" in listed.output and "102.50" in listed.output and "aetna.csv line 4" in listed.output
    with factory() as db:
        assert _count(db) == 4


def test_cli_prints_every_problem_of_a_bad_file_imports_nothing_and_exits_1(cli_clinic, tmp_path):
    practice_id, factory = cli_clinic
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    result = CliRunner().invoke(cli_app, ["contracts", "import", str(practice_id), str(path)])
    assert result.exit_code == 1
    assert "6 problem(s) in bad.csv; nothing was imported" in result.output
    for text in ("no payer with electronic id '99999'", "'9921' is not a 5-character", "'1e30' is not an amount",
                 "'2025-02-30' is not a day", "'1,50' is not an amount", "ends (2024-01-01) before"):
        assert text in result.output
    missing = CliRunner().invoke(cli_app, ["contracts", "list", "999999"])
    assert missing.exit_code == 1 and "Practice not found" in missing.output
    with factory() as db:
        assert _count(db) == 0


# --- what the parser refuses, and the largest values it takes --------------------------------------

def test_a_byte_order_mark_and_a_spreadsheets_blank_rows_are_not_problems(db, clinic):
    report = service.import_rates(db, SYSTEM, clinic.practice.id, "\ufeff" + SCHEDULE + ",,,,,,\n\n")
    assert report.imported == 4


def test_a_field_too_large_for_the_csv_reader_is_a_located_problem(db, clinic):
    text = HEADER + "60054,99213,,98.00,,2025-01-01,\n" + f'60054,"{"9" * 140_000}",,1.00,,2025-01-01,\n'
    with pytest.raises(Invalid) as caught:
        service.import_rates(db, SYSTEM, clinic.practice.id, text)
    assert caught.value.errors[0].location == ["line 3"] and "field larger than field limit" in \
        caught.value.errors[0].message
    assert _count(db) == 0


def test_a_column_named_twice_is_refused_rather_than_guessed(db, clinic):
    with pytest.raises(Invalid) as caught:
        service.import_rates(db, SYSTEM, clinic.practice.id,
                             "payer,code,allowed_amount,effective_from,Allowed_Amount\n60054,99213,1.00,2025-01-01,2\n")
    assert _located(caught.value) == {("line 1", "allowed_amount")} and "columns 3, 5" in caught.value.errors[0].message


@pytest.mark.parametrize(("column", "text"), [
    ("allowed_amount", "1e30"), ("allowed_amount", "NaN"), ("allowed_amount", "10000000.00"),
    ("allowed_amount", '"10,000,000"'), ("allowed_amount", '"1,50"'), ("allowed_amount", "1.005"),
    ("allowed_amount", "-1"),
    ("percent_of_medicare", "1000.01"), ("percent_of_medicare", "21474837"), ("percent_of_medicare", "1e3"),
    ("effective_from", "2026-W01-1"), ("effective_from", "20260101"),
])
def test_values_that_are_not_amounts_dates_or_do_not_fit_are_located(db, clinic, column, text):
    values = {"allowed_amount": "" if column == "percent_of_medicare" else "1.00", "percent_of_medicare": "",
              "effective_from": "2026-01-01", column: text}
    line = f"60054,99213,,{values['allowed_amount']},{values['percent_of_medicare']},{values['effective_from']},\n"
    with pytest.raises(Invalid) as caught:
        service.import_rates(db, SYSTEM, clinic.practice.id, HEADER + line)
    assert _located(caught.value) == {("line 2", column)}
    assert _count(db) == 0


def test_the_largest_amount_and_percentage_are_stored_and_read_back_exactly(db, clinic):
    service.import_rates(db, SYSTEM, clinic.practice.id, HEADER + "60054,99213,,\"9,999,999.99\",,2026-01-01,\n"
                                                                  "60054,99214,,,1000,2026-01-01,\n")
    db.expire_all()
    rates = {r.procedure_code: r for r in service.list_rates(db, SYSTEM, clinic.practice.id)}
    assert rates["99213"].allowed_amount == D("9999999.99") and rates["99214"].percent_of_medicare == D("1000.00")


# --- the Medicare fee table ------------------------------------------------------------------------

MEDICARE_HEADER = "code,modifier,amount,effective_from,effective_to\n"


def _medicare_problems(text: str) -> set[tuple]:
    with pytest.raises(Invalid) as caught:
        MedicareFeeTable.from_csv(text)
    return _located(caught.value)


def test_a_medicare_table_with_a_byte_order_mark_loads():
    table = MedicareFeeTable.from_csv("\ufeff" + MEDICARE_HEADER + "99213,,80.00,2026-01-01,\n")
    assert table.fee("99213", "", date(2026, 3, 1)) == D("80.00")


def test_every_problem_of_a_medicare_table_is_located_and_none_of_it_is_used():
    problems = _medicare_problems(MEDICARE_HEADER + "\n".join([
        "99213,,80.00,2026-01-01,",
        "99214,,abc,2026-01-01,",          # 3: not a number
        "99215,,90.00,2026-02-30,",        # 4: not a day
        "99203",                           # 5: short row: amount and effective_from missing
        "99204,,-5.00,2026-01-01,",        # 6: negative
        "99205,,5.00,2026-06-01,2026-01-01",  # 7: ends before it starts
        "99213,,81.00,2026-06-01,",        # 8: overlaps line 2
        "99213,XYZ,1.00,2026-01-01,",      # 9: not a modifier
        "99212,,1e30,2026-01-01,",         # 10: not a number
        "99211,,10000000.00,2026-01-01,",  # 11: does not fit
    ]) + "\n")
    assert problems == {("line 3", "amount"), ("line 4", "effective_from"), ("line 5", "amount"),
                        ("line 5", "effective_from"), ("line 6", "amount"), ("line 7", "effective_to"),
                        ("line 8", "effective_from"), ("line 9", "modifier"), ("line 10", "amount"),
                        ("line 11", "amount")}


def test_a_medicare_table_without_a_column_or_with_one_twice_is_refused_on_its_header():
    assert _medicare_problems("code,modifier,effective_from\n99213,,2026-01-01\n") == {("line 1",)}
    assert _medicare_problems("code,amount,amount,effective_from\n99213,1,2,2026-01-01\n") == {("line 1", "amount")}


def test_overlapping_medicare_rows_name_the_earlier_line():
    with pytest.raises(Invalid) as caught:
        MedicareFeeTable.from_csv(MEDICARE_HEADER + "99213,26,40.00,2026-01-01,2026-12-31\n"
                                                    "99213,,80.00,2026-01-01,\n99213,26,41.00,2026-12-31,\n")
    (problem,) = caught.value.errors
    assert problem.location == ["line 4", "effective_from"] and "overlaps line 2" in problem.message


# --- the readers themselves ------------------------------------------------------------------------

@given(cents=st.integers(min_value=0, max_value=10**9 * 100 - 1), commas=st.booleans())
def test_an_amount_written_with_or_without_thousands_separators_reads_back_exactly(cents, commas):
    value = D(cents) / 100
    assert csv_input.parse_amount(f"{value:,.2f}" if commas else f"{value:.2f}", below=D("1000000000")) == value


@given(text=st.text(max_size=30))
def test_any_text_is_an_amount_in_bounds_or_a_reason(text):
    try:
        value = csv_input.parse_amount(text, below=D("10000000"))
    except ValueError as error:
        assert repr(text) in str(error)
    else:
        assert D(0) <= value < D("10000000") and value == value.quantize(D("0.01"))


@given(text=st.text(alphabet=st.sampled_from(list('ab,"\n\r\x00;é')), max_size=60))
def test_any_csv_text_gives_rows_or_located_problems_never_an_exception(text):
    errors = []
    rows = list(csv_input.read_rows(HEADER + text, ("payer", "code"), ("payer",), errors))
    assert all(number >= 2 and set(row) <= set(HEADER.strip().split(",")) for number, row in rows)
    assert all(str(e.location[0]).startswith("line ") for e in errors)


def test_a_nul_character_is_located_and_a_file_name_is_kept_printable(db, clinic):
    with pytest.raises(Invalid) as caught:
        service.import_rates(db, SYSTEM, clinic.practice.id, HEADER + "60054,99213,,98.00,,2025-01-01,\x00\n")
    assert _located(caught.value) == {("line 2", "effective_to")}
    service.import_rates(db, SYSTEM, clinic.practice.id, HEADER + "60054,99213,,98.00,,2025-01-01,\n", "a\x00\n.csv")
    assert [rate.source for rate in service.list_rates(db, SYSTEM, clinic.practice.id)] == ["a.csv line 2"]
