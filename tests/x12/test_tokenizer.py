"""Tokenizer and envelope: delimiters from ISA, streaming, control numbers and counts, located errors."""

from __future__ import annotations

import io

import pytest
from tests.x12.conftest import envelope, isa

from openmso.x12 import Delimiters, X12Error, iter_segments, iter_transactions, read_interchanges
from openmso.x12.envelope import EnvelopeReader

BODY = ["BPR*I*10*C*CHK************20240301", "TRN*1*T1*1234567890"]


def test_delimiters_come_from_the_isa_header_not_from_defaults():
    text = envelope(["BPR|I|10|C|CHK", "SVC|HC>99213>25|10|10"], sep="|", term="\n", component=">",
                    repetition="!")
    [transaction] = iter_transactions(text.encode())
    assert transaction.delimiters == Delimiters("|", ">", "!", "\n")
    assert transaction.segments[2] == ["SVC", "HC>99213>25", "10", "10"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_breaks_after_terminators_are_tolerated_and_offsets_stay_exact(newline):
    text = envelope(BODY, newline=newline)
    segments = list(iter_segments(text.encode()))
    assert [s[2][0] for s in segments] == ["ISA", "GS", "ST", "BPR", "TRN", "SE", "GE", "IEA"]
    for _number, offset, elements in segments:
        assert text[offset:offset + len(elements[0])] == elements[0]


def test_small_chunks_give_the_same_segments_as_one_read():
    text = envelope(BODY * 50, newline="\n").encode()
    assert list(iter_segments(text, chunk_size=1)) == list(iter_segments(text))


def test_several_interchanges_with_different_delimiters_in_one_stream():
    first = envelope(BODY)
    second = envelope(["BPR|I|10|C|CHK", "TRN|1|T2|1234567890"], sep="|", term="\n", component=">")
    interchanges = read_interchanges(io.BytesIO((first + second).encode()), chunk_size=300)
    assert len(interchanges) == 2
    assert interchanges[1].delimiters.element == "|"
    assert interchanges[1].groups[0].transactions[0].segments[2] == ["TRN", "1", "T2", "1234567890"]


def test_several_groups_and_transactions_are_counted_per_group():
    st = ["ST*835*0001", *BODY, "SE*4*0001", "ST*835*0002", *BODY, "SE*4*0002"]
    text = "~".join([isa()[:-1], "GS*HP*S*R*20240301*1200*7*X*005010X221A1", *st, "GE*2*7",
                     "GS*HP*S*R*20240301*1200*8*X*005010X221A1", *st[:4], "GE*1*8", "IEA*2*000000001"]) + "~"
    [interchange] = read_interchanges(text.encode())
    assert [len(g.transactions) for g in interchange.groups] == [2, 1]
    assert [t.control_number for t in interchange.groups[0].transactions] == ["0001", "0002"]


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "position"),
    [
        ("SE*4*0001", "SE*5*0001", "SE", 1),
        ("SE*4*0001", "SE*4*0002", "SE", 2),
        ("GE*1*1", "GE*2*1", "GE", 1),
        ("GE*1*1", "GE*1*9", "GE", 2),
        ("IEA*1*000000001", "IEA*3*000000001", "IEA", 1),
        ("IEA*1*000000001", "IEA*1*000000002", "IEA", 2),
    ],
)
def test_wrong_counts_and_control_numbers_are_located(old, new, segment_id, position):
    text = envelope(BODY).replace(old, new)
    with pytest.raises(X12Error) as caught:
        list(iter_transactions(text.encode()))
    error = caught.value
    assert error.segment_id == segment_id
    assert error.element_position == position
    assert error.offset == text.index(new)
    assert error.segment_number == text[: error.offset].count("~") + 1
    assert error.expected


def test_a_wrong_count_says_what_the_trailer_declares_and_what_was_counted_once():
    text = envelope(BODY).replace("SE*4*0001", "SE*11*0001")
    with pytest.raises(X12Error) as caught:
        list(iter_transactions(text.encode()))
    assert caught.value.reason == "SE01 says '11' segments" and caught.value.expected == "4"
    assert str(caught.value).endswith("element SE01: SE01 says '11' segments (expected 4)")


def test_non_strict_reading_collects_every_control_problem():
    text = envelope(BODY).replace("SE*4*0001", "SE*9*0001").replace("IEA*1*000000001", "IEA*1*000000005")
    reader = EnvelopeReader(text.encode(), strict=False)
    assert len(list(reader)) == 1
    assert [(e.segment_id, e.element_position) for e in reader.errors] == [("SE", 1), ("IEA", 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (envelope(BODY).replace("IEA*1*000000001~", ""), "IEA"),
        (envelope(BODY)[:-5], "terminator"),
        (envelope(BODY).replace("GE*1*1~", ""), "GE"),
        (envelope(BODY).replace("SE*4*0001~", ""), "SE"),
    ],
)
def test_missing_trailers_are_reported_with_what_was_expected(text, expected):
    with pytest.raises(X12Error) as caught:
        list(iter_transactions(text.encode()))
    assert expected in (caught.value.expected or "")
    assert caught.value.offset is not None


def test_segment_outside_a_transaction_set_is_an_error():
    text = envelope(BODY).replace("ST*835*0001~", "")
    with pytest.raises(X12Error) as caught:
        list(iter_transactions(text.encode()))
    assert caught.value.segment_id == "BPR"
    assert caught.value.offset == text.index("BPR")


def test_input_that_does_not_start_with_isa_is_rejected_at_byte_zero():
    with pytest.raises(X12Error) as caught:
        list(iter_segments(b"GS*HP*S*R*20240301" + b" " * 120))
    assert caught.value.offset == 0
    assert caught.value.expected == "ISA"


@pytest.mark.parametrize("chunk_size", [64, 1 << 15])
def test_a_nul_byte_is_refused_with_its_place_in_any_chunk(chunk_size):
    """No X12 character, and PostgreSQL text cannot hold it: refused where it is, not read into a name."""
    text = envelope(BODY).replace("TRN*1*T1", "TRN*1*T\x001")
    with pytest.raises(X12Error) as caught:
        list(iter_segments(text.encode("latin-1"), chunk_size=chunk_size))
    error = caught.value
    assert (error.segment_id, error.offset) == ("TRN", text.index("TRN*1"))
    assert error.segment_number == text[:error.offset].count("~") + 1
    assert f"NUL byte at byte {text.index(chr(0))}" in str(error)


def test_control_characters_in_a_located_error_are_spelt_out():
    """A garbled id shows as escapes in tables, pages and terminals, not as raw control characters."""
    text = envelope(BODY).replace("TRN*1", "\x1c\x1dTRN*1")
    with pytest.raises(X12Error) as caught:
        list(iter_segments(text.encode("latin-1")))
    assert caught.value.segment_id == "\\x1c\\x1dTRN"
    assert not any(ord(char) < 32 for char in str(caught.value))


def test_isa_with_a_shifted_field_names_the_element():
    text = envelope(BODY).replace("SENDER         ", "SENDER          ", 1)
    with pytest.raises(X12Error) as caught:
        list(iter_segments(text.encode()))
    assert caught.value.segment_id == "ISA"
    assert caught.value.element_position == 7


def test_reading_from_a_path_and_a_stream_gives_the_same_transactions(tmp_path):
    path = tmp_path / "a.835"
    path.write_text(envelope(BODY))
    from_path = [t.segments for t in iter_transactions(path)]
    with open(path, "rb") as stream:
        from_stream = [t.segments for t in iter_transactions(stream)]
    assert from_path == from_stream == [[["ST", "835", "0001"], BODY[0].split("*"), BODY[1].split("*"),
                                         ["SE", "4", "0001"]]]


@pytest.mark.parametrize("newline", ["", "\n"])
def test_every_chunk_boundary_finds_the_envelope_and_locates_a_bad_id(newline):
    """Each chunk's first segment is checked apart from the rest: put every segment first in a chunk."""
    body = BODY * 3
    text = envelope(body, newline=newline)
    whole = [(t.control_number, t.raw_segments) for t in iter_transactions(text.encode())]
    bad_text = envelope([*body[:2], "bpr*I", *body[2:]], newline=newline)
    bad_offset = bad_text.index("bpr*I")
    for chunk_size in range(106, len(text), 7):
        assert [(t.control_number, t.raw_segments)
                for t in iter_transactions(text.encode(), chunk_size=chunk_size)] == whole
        with pytest.raises(X12Error) as caught:
            list(iter_transactions(bad_text.encode(), chunk_size=chunk_size))
        assert (caught.value.offset, caught.value.segment_number, caught.value.segment_id) == (bad_offset, 6, "bpr")


@pytest.mark.parametrize("newline", ["", "\n"])
def test_repeated_envelope_texts_in_one_chunk_are_each_found(newline):
    """Transaction sets whose ST and SE texts repeat word for word are told apart by position."""
    st = ["ST*835*0001", *BODY, "SE*4*0001"]
    text = (newline.join([isa()[:-1] + "~", "GS*HP*S*R*20240301*1200*7*X*005010X221A1~", *(s + "~" for s in st * 3),
                          "GE*3*7~", "IEA*1*000000001~"]) + newline)
    transactions = list(iter_transactions(text.encode()))
    assert [t.raw_segments for t in transactions] == [st] * 3
    assert [t.first_segment_number for t in transactions] == [3, 7, 11]
    assert [t.offsets[0] for t in transactions] == [m for m in range(len(text)) if text.startswith("ST*", m)]


@pytest.mark.parametrize(("separator", "terminator"), [("*", "~"), ("|", "\n")])
def test_the_invalid_id_pattern_agrees_with_the_definition_on_every_short_text(separator, terminator):
    """Every text of up to five characters over letters, digits and delimiters, checked against the rule itself."""
    from itertools import product
    from string import ascii_uppercase, digits

    from openmso.x12.tokenizer import _id_patterns

    invalid, _ = _id_patterns(separator, terminator)
    for length in range(6):
        for characters in product(f"AIS0a{separator}{terminator}*", repeat=length):
            text = "".join(characters)
            segment = text.split(terminator, 1)[0]
            segment_id = segment.split(separator, 1)[0]
            valid = segment.startswith("ISA") or (
                2 <= len(segment_id) <= 3 and segment_id[0] in ascii_uppercase
                and all(c in ascii_uppercase + digits for c in segment_id))
            assert (invalid.match(terminator + text) is None) == valid, text
