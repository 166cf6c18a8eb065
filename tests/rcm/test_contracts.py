"""Payer fee schedules: CSV import with located errors, effective dates, % of Medicare terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from openmso.core.errors import Forbidden, Invalid, NotFound
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity.service import actor_for
from openmso.rcm.contracts import service
from openmso.rcm.contracts.medicare import MedicareFeeTable, default_table
from tests.factories import add_practice, add_user

SCHEDULE = """payer,code,modifier,allowed_amount,percent_of_medicare,effective_from,effective_to
60054,99213,,98.00,,2025-01-01,2025-12-31
60054,99213,,102.50,,2026-01-01,
60054,99213,25,95.00,,2026-01-01,
60054,99214,,,125,2025-01-01,
"""


def test_expected_allowed_follows_the_date_of_service(db, clinic):
    service.import_rates(db, SYSTEM, clinic.practice.id, SCHEDULE, "aetna.csv")
    price = lambda code, day, mods=(), units=1: service.expected_allowed(  # noqa: E731
        db, SYSTEM, clinic.practice.id, clinic.payer.id, code, list(mods), day, units)
    assert price("99213", date(2025, 6, 1)) == D("98.00")
    assert price("99213", date(2026, 3, 1)) == D("102.50")
    assert price("99213", date(2026, 3, 1), ["25"]) == D("95.00")
    assert price("99213", date(2026, 3, 1), ["59"]) == D("102.50")  # no 59 row: the code's own rate
    assert price("99213", date(2026, 3, 1), units=2) == D("205.00")
    assert price("99213", date(2024, 12, 31)) is None
    assert price("99215", date(2026, 3, 1)) is None


def test_percent_of_medicare_terms_price_against_the_fee_table_of_the_year(db, clinic):
    service.import_rates(db, SYSTEM, clinic.practice.id, SCHEDULE)
    medicare = default_table()
    assert medicare.fee("99214", "", date(2025, 5, 1)) == D("126.50")
    # 125% of 126.50 = 158.125 → 158.13; in 2026 125% of 129.08 = 161.35
    assert service.expected_allowed(db, SYSTEM, clinic.practice.id, clinic.payer.id, "99214", [],
                                    date(2025, 5, 1)) == D("158.13")
    assert service.expected_allowed(db, SYSTEM, clinic.practice.id, clinic.payer.id, "99214", [],
                                    date(2026, 5, 1)) == D("161.35")


def test_a_bad_file_imports_nothing_and_says_where_each_problem_is(db, clinic):
    bad = """payer,code,modifier,allowed_amount,percent_of_medicare,effective_from,effective_to
60054,99213,,98.00,,2025-01-01,
99999,99214,,90.00,,2025-01-01,
60054,9921,,90.00,,2025-01-01,
60054,99215,,90.00,120,2025-01-01,
60054,99212,,-4,,2025-02-30,
60054,99213,,99.00,,2025-06-01,2025-12-31
"""
    with pytest.raises(Invalid) as caught:
        service.import_rates(db, SYSTEM, clinic.practice.id, bad, "bad.csv")
    located = {tuple(e.location) for e in caught.value.errors}
    assert located == {("line 3", "payer"), ("line 4", "code"), ("line 5", "allowed_amount"),
                       ("line 6", "allowed_amount"), ("line 6", "effective_from"), ("line 7", "effective_from")}
    assert "overlaps" in next(e.message for e in caught.value.errors if e.location == ["line 7", "effective_from"])
    assert service.list_rates(db, SYSTEM, clinic.practice.id) == []


def test_a_rate_overlapping_one_on_file_is_refused(db, clinic):
    service.import_rates(db, SYSTEM, clinic.practice.id, SCHEDULE, "first.csv")
    again = "payer,code,allowed_amount,effective_from\n60054,99213,110.00,2026-06-01\n"
    with pytest.raises(Invalid, match="problem"):
        service.import_rates(db, SYSTEM, clinic.practice.id, again, "second.csv")
    assert len(service.list_rates(db, SYSTEM, clinic.practice.id)) == 4


def test_missing_columns_are_reported_on_the_header_line(db, clinic):
    with pytest.raises(Invalid) as caught:
        service.import_rates(db, SYSTEM, clinic.practice.id, "code,amount\n99213,1\n")
    assert caught.value.errors[0].location == ["line 1"]


def test_another_practices_schedule_is_not_found_and_auditors_cannot_load_one(db, clinic):
    other = add_practice(db, "Qzother")
    outsider = actor_for(add_user(db, Role.PRACTICE_ADMIN, other))
    with pytest.raises(NotFound):
        service.import_rates(db, outsider, clinic.practice.id, SCHEDULE)
    auditor = actor_for(add_user(db, Role.AUDITOR))
    with pytest.raises(Forbidden):
        service.import_rates(db, auditor, clinic.practice.id, SCHEDULE)


def test_a_loaded_medicare_table_replaces_the_packaged_one():
    table = MedicareFeeTable.from_csv("code,modifier,amount,effective_from,effective_to\n"
                                      "99213,,80.00,2026-01-01,\n99213,26,40.00,2026-01-01,\n")
    assert table.fee("99213", "26", date(2026, 2, 1)) == D("40.00")
    assert table.fee("99213", "59", date(2026, 2, 1)) == D("80.00")
    assert table.fee("99213", "", date(2025, 2, 1)) is None
