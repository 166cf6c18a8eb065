"""Interchange (ISA/IEA), functional group (GS/GE) and transaction set (ST/SE) structure.

The reader streams transaction sets one at a time, each as its segment texts (`raw_segments`;
`segments` splits them into element lists, ``segment[0]`` the segment id, on first use) and
checks the control structure defined in X12.5 and appendix B of every 005010 TR3:

- IEA01 is the number of functional groups, IEA02 equals ISA13;
- GE01 is the number of transaction sets, GE02 equals GS06;
- SE01 is the number of segments from ST to SE inclusive, SE02 equals ST02.

Memory is bounded by the largest transaction set, not by the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from operator import methodcaller

from openmso.x12.errors import X12Error
from openmso.x12.tokenizer import Batch, Delimiters, SegmentReader, Source

_CONTROL_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


@dataclass(slots=True)
class InterchangeHeader:
    """ISA: who sends to whom, when, and the interchange control number (ISA13)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    date: date
    time: str
    usage_indicator: str = "P"  # ISA15: P production, T test
    acknowledgment_requested: str = "0"  # ISA14
    version: str = "00501"  # ISA12
    authorization_qualifier: str = "00"
    authorization: str = ""
    security_qualifier: str = "00"
    security: str = ""


@dataclass(slots=True)
class GroupHeader:
    """GS: functional identifier (HP 835, HC 837, FA 999, HN 277), codes, GS06 control number."""

    functional_id: str
    sender_code: str
    receiver_code: str
    control_number: str
    date: date
    time: str
    version: str  # GS08, e.g. 005010X221A1
    agency: str = "X"


class Transaction:
    """One transaction set, ST to SE inclusive, with where each segment was in the input.

    Segments are kept as text (`raw_segments`); `segments` (element lists) and `offsets` (byte
    offset of each segment) are computed on first use. The typed 835 reader splits each text as it
    reads it, so a large remittance never holds a list per segment (see `tokenizer`).
    """

    __slots__ = ("set_id", "control_number", "implementation", "raw_segments", "first_segment_number",
                 "delimiters", "interchange", "group", "part", "last", "_spans", "_segments", "_offsets")

    def __init__(self, set_id: str, control_number: str, implementation: str, raw_segments: list[str],
                 spans: list[tuple[Batch, int, int]], first_segment_number: int, delimiters: Delimiters,
                 interchange: InterchangeHeader, group: GroupHeader, part: int = 0, last: bool = True) -> None:
        self.set_id = set_id
        self.control_number = control_number
        self.implementation = implementation  # ST03, or GS08 when ST03 is absent
        self.raw_segments = raw_segments
        self.first_segment_number = first_segment_number
        self.delimiters = delimiters
        self.interchange = interchange
        self.group = group
        # A transaction set read in parts (`EnvelopeReader(max_part_segments=...)`): the part's number
        # (0 holds the ST) and whether it is the last (holds the SE). A whole set is part 0 and last.
        self.part = part
        self.last = last
        self._spans = spans  # (batch, start, stop): where the segments lie in the tokenizer's batches
        self._segments: list[list[str]] | None = None
        self._offsets: list[int] | None = None

    @property
    def segments(self) -> list[list[str]]:
        """Each segment as a list of elements, ``[0]`` the segment id."""
        if self._segments is None:
            self._segments = list(map(methodcaller("split", self.delimiters.element), self.raw_segments))
        return self._segments

    @property
    def offsets(self) -> list[int]:
        """Byte offset of each segment in the input."""
        if self._offsets is None:
            self._offsets = [offset for batch, start, stop in self._spans for offset in batch.offsets[start:stop]]
        return self._offsets

    def __repr__(self) -> str:
        return (f"Transaction(set_id={self.set_id!r}, control_number={self.control_number!r}, "
                f"segments={len(self.raw_segments)}, first_segment_number={self.first_segment_number})")

    def error(
        self,
        index: int,
        reason: str,
        *,
        element_position: int | str | None = None,
        expected: str | None = None,
    ) -> X12Error:
        """An `X12Error` located at ``segments[index]`` (index 0 is the ST)."""
        index = min(max(index, 0), len(self.raw_segments) - 1)
        return X12Error(
            reason,
            offset=self.offsets[index],
            segment_number=self.first_segment_number + index,
            segment_id=self.raw_segments[index].split(self.delimiters.element, 1)[0],
            element_position=element_position,
            expected=expected,
        )


@dataclass(slots=True)
class FunctionalGroup:
    header: GroupHeader
    transactions: list[Transaction] = field(default_factory=list)


@dataclass(slots=True)
class Interchange:
    header: InterchangeHeader
    delimiters: Delimiters
    groups: list[FunctionalGroup] = field(default_factory=list)


def parse_date(value: str) -> date:
    """CCYYMMDD (or YYMMDD in ISA09) as a `date`; raises ValueError when it is not a date."""
    if len(value) == 6 and value.isascii() and value.isdigit():
        value = "20" + value
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise ValueError(f"{value!r} is not a CCYYMMDD date")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


class EnvelopeReader:
    """Stream the transaction sets of a file, checking envelopes, counts and control numbers.

    With ``strict=True`` the first problem raises `X12Error`. With ``strict=False`` count and
    control-number mismatches are collected in `errors` and reading goes on; structural problems
    (a segment outside any transaction set, a missing trailer at the end of input) always raise.
    """

    def __init__(self, source: Source, *, strict: bool = True, keep_structure: bool = False,
                 max_part_segments: int | None = None, **options):
        self._segments = SegmentReader(source, **options)
        # With a limit, a transaction set longer than it is yielded in parts of about that many
        # segments (each a `Transaction` with `part` and `last`), so memory stays bounded by the limit
        # instead of growing with the set; SE01 and SE02 are checked when the last part is read.
        self.max_part_segments = max_part_segments
        self.strict = strict
        self.errors: list[X12Error] = []
        self.keep_structure = keep_structure
        self.interchanges: list[Interchange] = []

    def _problem(self, error: X12Error) -> None:
        if self.strict:
            raise error
        self.errors.append(error)

    def __iter__(self) -> Iterator[Transaction]:
        reader = self._segments
        interchange: InterchangeHeader | None = None
        group: GroupHeader | None = None
        group_count = transaction_count = 0
        texts: list[str] | None = None  # the open transaction set's segments
        spans: list[tuple[Batch, int, int]] = []
        st: list[str] = []
        st_number = 0
        st_location: tuple[Batch, int] | None = None
        part_limit = self.max_part_segments
        part = earlier = 0  # the open set's current part and the segments of its earlier parts
        isa_number = gs_number = 0
        current_interchange: Interchange | None = None
        current_group: FunctionalGroup | None = None
        for batch in reader.batches():
            batch_texts = batch.texts
            separator = batch.separator
            first = batch.first_number
            position = 0
            for control in [*batch.controls, len(batch_texts)]:
                if control > position:
                    # Data segments between envelope segments: copied by slice, not one by one.
                    if texts is None:
                        raise X12Error(
                            "segment outside a transaction set",
                            offset=batch.offsets[position],
                            segment_number=first + position,
                            segment_id=batch_texts[position].split(separator, 1)[0],
                            expected="ST before any data segment" if group else "GS and ST before data",
                        )
                    texts.extend(batch_texts[position:control])
                    spans.append((batch, position, control))
                    if part_limit is not None and len(texts) >= part_limit:
                        yield Transaction(st[1], st[2], _implementation(st, group), texts, spans, st_number + earlier,
                                          reader.delimiters, interchange, group, part, last=False)
                        earlier += len(texts)
                        part += 1
                        texts, spans = [], []
                if control == len(batch_texts):
                    break
                position = control + 1
                elements = batch_texts[control].split(separator)
                number = first + control
                segment_id = elements[0]
                if texts is not None and segment_id != "SE":
                    raise X12Error(
                        f"{segment_id} inside transaction set {st[2] if len(st) > 2 else ''}",
                        offset=batch.offsets[control],
                        segment_number=number,
                        segment_id=segment_id,
                        expected="SE closing the open transaction set",
                    )
                if segment_id == "SE":
                    if texts is None:
                        raise self._located("SE without ST", batch.offsets[control], number, segment_id,
                                            "ST before SE")
                    texts.append(batch_texts[control])
                    spans.append((batch, control, position))
                    transaction = self._close_transaction(
                        texts, spans, st, st_number, number, (batch, control), elements, interchange, group, reader,
                        earlier, part,
                    )
                    transaction_count += 1
                    texts = None
                    if current_group is not None:
                        current_group.transactions.append(transaction)
                    yield transaction
                elif segment_id == "ST":
                    if group is None:
                        raise self._located("ST outside a functional group", batch.offsets[control], number, "ST",
                                            "GS before ST")
                    _require(elements, 3, (batch, control), number, "ST01 and ST02")
                    texts = [batch_texts[control]]
                    spans = [(batch, control, position)]
                    part = earlier = 0
                    st = elements
                    st_number, st_location = number, (batch, control)
                elif segment_id == "GS":
                    offset = batch.offsets[control]
                    if interchange is None:
                        raise self._located("GS outside an interchange", offset, number, "GS", "ISA before GS")
                    if group is not None:
                        raise self._located("GS inside an open functional group", offset, number, "GS", "GE")
                    group = _group_header(elements, offset, number)
                    gs_number = number
                    transaction_count = 0
                    group_count += 1
                    if self.keep_structure and current_interchange is not None:
                        current_group = FunctionalGroup(group)
                        current_interchange.groups.append(current_group)
                elif segment_id == "GE":
                    offset = batch.offsets[control]
                    if group is None:
                        raise self._located("GE without GS", offset, number, "GE", "GS before GE")
                    _require(elements, 3, (batch, control), number, "GE01 and GE02")
                    self._check_count(elements, 1, transaction_count, offset, number, "transaction sets")
                    self._check_control(elements, group.control_number, "GS06", gs_number, offset, number)
                    group = None
                    current_group = None
                elif segment_id == "ISA":
                    offset = batch.offsets[control]
                    if interchange is not None:
                        raise self._located("ISA inside an open interchange", offset, number, "ISA", "IEA")
                    interchange = _interchange_header(elements, offset, number)
                    isa_number = number
                    group_count = 0
                    if self.keep_structure:
                        current_interchange = Interchange(interchange, reader.delimiters)
                        self.interchanges.append(current_interchange)
                else:  # IEA
                    offset = batch.offsets[control]
                    if interchange is None:
                        raise self._located("IEA without ISA", offset, number, "IEA", "ISA before IEA")
                    if group is not None:
                        raise self._located("IEA inside an open functional group", offset, number, "IEA", "GE")
                    _require(elements, 3, (batch, control), number, "IEA01 and IEA02")
                    self._check_count(elements, 1, group_count, offset, number, "functional groups")
                    self._check_control(elements, interchange.control_number, "ISA13", isa_number, offset, number)
                    interchange = None
                    current_interchange = None
        number = reader.segment_count
        end = reader.end_offset
        if texts is not None:
            st_batch, st_index = st_location
            raise X12Error(
                f"input ends inside transaction set {st[2] if len(st) > 2 else ''} "
                f"opened at segment {st_number} (byte {st_batch.offsets[st_index]})",
                offset=end,
                segment_number=number + 1,
                expected="SE",
            )
        if group is not None:
            raise X12Error("input ends inside a functional group", offset=end, segment_number=number + 1,
                           expected="GE")
        if interchange is not None:
            raise X12Error("input ends inside an interchange", offset=end, segment_number=number + 1,
                           expected="IEA")

    @staticmethod
    def _located(reason: str, offset: int, number: int, segment_id: str, expected: str) -> X12Error:
        return X12Error(reason, offset=offset, segment_number=number, segment_id=segment_id, expected=expected)

    def _check_count(self, elements, position, actual, offset, number, what) -> None:
        declared = elements[position]
        if not (declared.isascii() and declared.isdigit()) or int(declared) != actual:
            self._problem(
                X12Error(
                    f"{elements[0]}{position:02d} says {declared!r} {what}",  # the count made: `expected`
                    offset=offset,
                    segment_number=number,
                    segment_id=elements[0],
                    element_position=position,
                    expected=str(actual),
                )
            )

    def _check_control(self, elements, expected, header_element, header_number, offset, number) -> None:
        """A trailer's element 02 (GE02, IEA02) must repeat its header's control number."""
        if elements[2] != expected:
            self._problem(
                X12Error(
                    f"{elements[0]}02 {elements[2]!r} does not match {header_element} {expected!r} "
                    f"(segment {header_number})",
                    offset=offset,
                    segment_number=number,
                    segment_id=elements[0],
                    element_position=2,
                    expected=expected,
                )
            )

    def _close_transaction(
        self, texts, spans, st, st_number, number, location, se, interchange, group, reader, earlier=0, part=0
    ) -> Transaction:
        _require(se, 3, location, number, "SE01 and SE02")
        batch, index = location
        counted = earlier + len(texts)
        if not self._count_matches(se[1], counted) or se[2] != st[2]:
            offset = batch.offsets[index]
            self._check_count(se, 1, counted, offset, number, "segments")
            if se[2] != st[2]:
                self._problem(
                    X12Error(
                        f"SE02 {se[2]!r} does not match ST02 {st[2]!r} (segment {st_number})",
                        offset=offset,
                        segment_number=number,
                        segment_id="SE",
                        element_position=2,
                        expected=st[2],
                    )
                )
        return Transaction(st[1], st[2], _implementation(st, group), texts, spans, st_number + earlier,
                           reader.delimiters, interchange, group, part)

    @staticmethod
    def _count_matches(declared: str, actual: int) -> bool:
        return declared.isascii() and declared.isdigit() and int(declared) == actual


def _implementation(st: list[str], group: GroupHeader) -> str:
    """ST03, or GS08 when ST03 is absent."""
    return st[3] if len(st) > 3 and st[3] else group.version


def _require(elements: list[str], length: int, location: tuple[Batch, int], number: int, what: str) -> None:
    """Raise when one of elements 1 to ``length - 1`` is missing; `location` is (batch, index) of the segment."""
    if len(elements) < length or not all(elements[1:length]):
        batch, index = location
        position = next((i for i in range(1, length) if i >= len(elements) or not elements[i]), length - 1)
        raise X12Error(
            f"{elements[0]}{position:02d} is missing",
            offset=batch.offsets[index],
            segment_number=number,
            segment_id=elements[0],
            element_position=position,
            expected=what,
        )


def _interchange_header(elements: list[str], offset: int, number: int) -> InterchangeHeader:
    if len(elements) != 17:
        raise X12Error(
            f"ISA has {len(elements) - 1} elements",
            offset=offset,
            segment_number=number,
            segment_id="ISA",
            expected="16 elements",
        )
    control = elements[13]
    if len(control) != 9 or not (control.isascii() and control.isdigit()):
        raise X12Error(
            f"ISA13 {control!r} is not a 9-digit control number",
            offset=offset,
            segment_number=number,
            segment_id="ISA",
            element_position=13,
            expected="9 digits",
        )
    try:
        when = parse_date(elements[9])
    except ValueError:
        raise X12Error(
            f"ISA09 {elements[9]!r} is not a YYMMDD date",
            offset=offset,
            segment_number=number,
            segment_id="ISA",
            element_position=9,
            expected="YYMMDD",
        ) from None
    return InterchangeHeader(
        sender_qualifier=elements[5],
        sender_id=elements[6].rstrip(),
        receiver_qualifier=elements[7],
        receiver_id=elements[8].rstrip(),
        control_number=control,
        date=when,
        time=elements[10],
        usage_indicator=elements[15],
        acknowledgment_requested=elements[14],
        version=elements[12],
        authorization_qualifier=elements[1],
        authorization=elements[2].rstrip(),
        security_qualifier=elements[3],
        security=elements[4].rstrip(),
    )


def _group_header(elements: list[str], offset: int, number: int) -> GroupHeader:
    if len(elements) < 9 or not elements[6] or not elements[8]:
        raise X12Error(
            f"GS has {len(elements) - 1} elements",
            offset=offset,
            segment_number=number,
            segment_id="GS",
            element_position=len(elements) if len(elements) < 9 else (6 if not elements[6] else 8),
            expected="GS01 to GS08 with GS06 control number and GS08 version",
        )
    try:
        when = parse_date(elements[4])
    except ValueError:
        raise X12Error(
            f"GS04 {elements[4]!r} is not a CCYYMMDD date",
            offset=offset,
            segment_number=number,
            segment_id="GS",
            element_position=4,
            expected="CCYYMMDD",
        ) from None
    return GroupHeader(
        functional_id=elements[1],
        sender_code=elements[2],
        receiver_code=elements[3],
        control_number=elements[6],
        date=when,
        time=elements[5],
        version=elements[8],
        agency=elements[7],
    )


def iter_transactions(source: Source, *, strict: bool = True, **options) -> Iterator[Transaction]:
    """Stream every transaction set of every group of every interchange in `source`."""
    return iter(EnvelopeReader(source, strict=strict, **options))


def iter_transaction_parts(source: Source, max_part_segments: int, **options) -> Iterator[Iterator[Transaction]]:
    """Stream each transaction set as an iterator of its parts of about `max_part_segments` segments.

    The parts of one set must be consumed before the next set's iterator is taken (like
    `itertools.groupby`); what a consumer leaves unread is read (and checked) before the next set.
    Envelope errors, SE01/SE02 included, are raised while the parts are read.
    """
    parts = iter(EnvelopeReader(source, strict=True, max_part_segments=max_part_segments, **options))

    def rest_of(first: Transaction) -> Iterator[Transaction]:
        part = first
        yield part
        while not part.last:
            part = next(parts, None)
            if part is None:  # the reader raises first when input ends inside a set; never reached
                return
            yield part

    for first in parts:
        group = rest_of(first)
        yield group
        for _ in group:
            pass


def read_interchanges(source: Source, *, strict: bool = True, **options) -> list[Interchange]:
    """Read the whole input into interchanges → functional groups → transaction sets."""
    reader = EnvelopeReader(source, strict=strict, keep_structure=True, **options)
    for _ in reader:
        pass
    return reader.interchanges
