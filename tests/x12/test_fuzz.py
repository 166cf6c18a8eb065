"""Fuzz and mutation tests: damaged input raises a located X12Error, never another exception or a hang."""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.x12.conftest import DATA
from tests.x12.fuzzing import assert_reads_or_fails_located, read_everything

from openmso.x12.claim837p_writer import write_837p
from openmso.x12.remit835_writer import write_835
from openmso.x12.samples import (
    generate_claim_transactions,
    generate_remittances,
    group_header,
    interchange_header,
)


def _generated_835() -> bytes:
    out = io.StringIO()
    write_835(out, generate_remittances(seed=11, count=4, claims_per_payment=(1, 8)), interchange_header(9),
              group_header("HP", 9, "005010X221A1"))
    return out.getvalue().encode()


def _generated_837() -> bytes:
    out = io.StringIO()
    write_837p(out, generate_claim_transactions(seed=11, count=2, claims_per_transaction=6), interchange_header(9),
               group_header("HC", 9, "005010X222A1"), line_breaks=True)
    return out.getvalue().encode()


BASES = {
    "835-generated": _generated_835(),
    "837p-generated": _generated_837(),
    "835-medicare": (DATA / "lfh_835_medicare_part_a.835").read_bytes(),
    "837p-sample": (DATA / "lfh_837p_example2.837").read_bytes(),
    "999-sample": (DATA / "ims_999_rejected.txt").read_bytes(),
    "277ca-sample": (DATA / "ims_277ca_rejected.txt").read_bytes(),
}


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _delete_range(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 40):]


def _insert_junk(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + rng.randbytes(rng.randint(1, 64)) + data[start:]


def _flip_byte(data: bytes, rng: random.Random) -> bytes:
    position = rng.randrange(len(data))
    return data[:position] + bytes([rng.randrange(256)]) + data[position + 1:]


def _swap_delimiter(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("latin-1")
    old = rng.choice([text[3], text[104], text[105], text[82]])
    new = rng.choice("*:~^|>!#\n")
    return text.replace(old, new, rng.choice((1, 2, -1))).encode("latin-1")


def _wrong_count(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("latin-1")
    for trailer in ("SE", "GE", "IEA"):
        index = text.find(trailer + text[3])
        if index >= 0 and rng.random() < 0.5:
            start = index + len(trailer) + 1
            text = text[:start] + str(rng.randint(0, 99)) + text[start:]
    return text.encode("latin-1")


def _huge_element(data: bytes, rng: random.Random) -> bytes:
    position = rng.randrange(len(data))
    return data[:position] + b"A" * rng.choice((70_000, 300_000, 2_000_000)) + data[position:]


def _duplicate_segment(data: bytes, rng: random.Random) -> bytes:
    terminator = data[105:106]
    segments = data.split(terminator)
    index = rng.randrange(len(segments))
    segments.insert(index, segments[index])
    return terminator.join(segments)


def _drop_segment(data: bytes, rng: random.Random) -> bytes:
    terminator = data[105:106]
    segments = data.split(terminator)
    del segments[rng.randrange(len(segments))]
    return terminator.join(segments)


def _swap_segments(data: bytes, rng: random.Random) -> bytes:
    terminator = data[105:106]
    segments = data.split(terminator)
    a, b = rng.randrange(len(segments)), rng.randrange(len(segments))
    segments[a], segments[b] = segments[b], segments[a]
    return terminator.join(segments)


def _mangle_element(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("latin-1")
    separator = text[3]
    positions = [i for i, c in enumerate(text) if c == separator]
    position = rng.choice(positions) + 1
    junk = rng.choice(["", "X", "-", "NaN", "1E99999", "99999999999999999999.999", "00000000", "20241301",
                       "²", "\x00", "sNaN", "Infinity", "12.3.4", " "])
    end = position
    while end < len(text) and text[end] not in (separator, text[105], text[104]):
        end += 1
    return (text[:position] + junk + text[end:]).encode("latin-1")


MUTATIONS = [_truncate, _delete_range, _insert_junk, _flip_byte, _swap_delimiter, _wrong_count, _huge_element,
             _duplicate_segment, _drop_segment, _swap_segments, _mangle_element]
SEEDS_PER_PAIR = 40
ALWAYS_FATAL = {_huge_element}


def test_every_base_file_is_valid_before_mutation():
    for name, data in BASES.items():
        assert read_everything(data) >= 1, name


@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__.strip("_"))
def test_mutated_files_fail_with_a_located_x12_error(base, mutation):
    rng = random.Random(f"{base}-{mutation.__name__}")
    failures = 0
    for _ in range(SEEDS_PER_PAIR):
        mutated = mutation(BASES[base], rng)
        failed = assert_reads_or_fails_located(mutated, f"mutation:{mutation.__name__.strip('_')}")
        failures += failed
        if mutation in ALWAYS_FATAL:
            assert failed, f"{mutation.__name__} of {base} was read without error"
    # Every kind of damage is detected in at least some cases (a mutation that never fails would
    # mean the reader ignores that part of the input).
    assert failures > 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_binary_junk_fails_with_a_located_x12_error(junk):
    assert_reads_or_fails_located(junk, "hypothesis:binary")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(BASES)), st.integers(min_value=0), st.binary(min_size=1, max_size=200))
def test_junk_spliced_into_valid_files_fails_located(base, position, junk):
    data = BASES[base]
    position %= len(data)
    assert_reads_or_fails_located(data[:position] + junk + data[position:], "hypothesis:splice")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(BASES)), st.text(alphabet="*:~^|>\r\nISAGSTE0123456789.-", max_size=300))
def test_delimiter_heavy_text_after_a_valid_isa_fails_located(base, tail):
    data = BASES[base]
    assert_reads_or_fails_located(data[:106] + tail.encode("latin-1"), "hypothesis:delimiters")
