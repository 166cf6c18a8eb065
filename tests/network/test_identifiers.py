"""NPI (Luhn over 80840), TIN, taxonomy and place-of-service validation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openmso.network.identifiers import (
    is_valid_npi,
    luhn_check_digit,
    npi_check_digit,
    npi_problem,
    place_of_service_problem,
    taxonomy_problem,
    tin_problem,
)

nine_digits = st.text(alphabet="0123456789", min_size=8, max_size=8).map(lambda s: "1" + s)


def test_cms_published_example_npi_is_valid():
    # CMS's worked example in the NPI check-digit specification.
    assert npi_check_digit("123456789") == 3
    assert is_valid_npi("1234567893")


def test_luhn_matches_the_textbook_example():
    assert luhn_check_digit("7992739871") == 3


@given(nine_digits)
def test_every_base_with_its_check_digit_is_valid(base):
    assert is_valid_npi(base + str(npi_check_digit(base)))


@given(nine_digits, st.integers(1, 9))
def test_any_other_check_digit_is_rejected(base, delta):
    wrong = (npi_check_digit(base) + delta) % 10
    assert "check digit" in npi_problem(base + str(wrong))


@given(nine_digits, st.integers(0, 8), st.integers(1, 9))
def test_a_single_digit_typo_is_caught(base, position, delta):
    npi = base + str(npi_check_digit(base))
    typo = npi[:position] + str((int(npi[position]) + delta) % 10) + npi[position + 1:]
    assert not is_valid_npi(typo)


def test_malformed_npis_say_why():
    assert "10 digits" in npi_problem("12345")
    assert "10 digits" in npi_problem("12345678a3")
    assert "starts with 1" in npi_problem("3234567893")


def test_other_identifiers():
    assert tin_problem("741234567") is None and tin_problem("74-123456") and tin_problem("001234567")
    assert taxonomy_problem("207Q00000X") is None and taxonomy_problem("207Q00000")
    assert place_of_service_problem("11") is None and place_of_service_problem("00")
