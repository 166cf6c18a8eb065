"""Writing interchanges: ISA/GS/ST envelopes with correct counts around caller-built segments.

Control numbers (ISA13, GS06, ST02) are supplied by the caller, which persists them; this module
only formats them and writes the matching trailers (SE01/SE02, GE01/GE02, IEA01/IEA02).

A segment is a sequence of elements whose first item is the segment id. An element is a string,
`None` (empty), a `Decimal`/`int` (written as X12 type R/N0), a `date` (CCYYMMDD) or a tuple/list
of components (a composite, joined with the component separator). Trailing empty elements and
components are dropped, as X12.6 requires. A value containing a delimiter raises `X12Error`
naming the segment and element, since it would otherwise corrupt the interchange silently.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TextIO

from openmso.x12.elements import format_date, format_decimal
from openmso.x12.envelope import GroupHeader, InterchangeHeader
from openmso.x12.errors import X12Error
from openmso.x12.tokenizer import Delimiters

Segment = Sequence[object]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def render_segment(segment: Segment, delimiters: Delimiters) -> tuple[str, int, int]:
    """The segment text (without terminator) and how many element/component separators it has.

    Most segments of a claim hold only strings: one C-level ``join`` renders them, and only a
    segment with a decimal, date, composite or `None` takes the per-element path.
    """
    separator = delimiters.element
    try:
        text = separator.join(segment)  # type: ignore[arg-type]
    except TypeError:
        return _render_mixed(segment, delimiters)
    if segment[-1]:
        return text, len(segment) - 1, 0
    return (*_trimmed(segment, separator), 0)


def _render_mixed(segment: Segment, delimiters: Delimiters) -> tuple[str, int, int]:
    component_separator = delimiters.component
    parts: list[str] = []
    append = parts.append
    components = 0
    for value in segment:
        kind = type(value)
        if kind is str:
            append(value)  # type: ignore[arg-type]
        elif kind is Decimal:
            append(format_decimal(value))  # type: ignore[arg-type]
        elif kind is tuple or kind is list:
            try:
                if not value[-1]:  # type: ignore[index]
                    raise TypeError  # trailing empty components to drop
                append(component_separator.join(value))  # type: ignore[arg-type]
                components += len(value) - 1  # type: ignore[arg-type]
                continue
            except (TypeError, IndexError):
                pass
            texts = [v if type(v) is str else _text(v) for v in value]  # type: ignore[attr-defined]
            while texts and not texts[-1]:
                texts.pop()
            if len(texts) > 1:
                components += len(texts) - 1
            append(component_separator.join(texts))
        elif value is None:
            append("")
        else:
            append(_text(value))
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return delimiters.element.join(parts), len(parts) - 1, components


def _check_segment(segment: Segment, number: int, delimiters: Delimiters) -> None:
    """Find the element holding a delimiter (slow path, only after a count mismatch)."""
    forbidden = (delimiters.element, delimiters.segment, delimiters.repetition, delimiters.component)
    for position, value in enumerate(segment):
        values = value if isinstance(value, tuple | list) else (value,)
        for component_number, item in enumerate(values, start=1):
            text = _text(item)
            bad = next((c for c in forbidden if c in text), None)
            if bad is not None:
                where: int | str = position
                if isinstance(value, tuple | list):
                    where = f"{position}-{component_number}"
                raise X12Error(
                    f"value {text[:40]!r} contains the delimiter {bad!r}",
                    segment_number=number,
                    segment_id=str(segment[0]),
                    element_position=where,
                    expected="data without X12 delimiters",
                )


def _trimmed(segment: Segment, separator: str) -> tuple[str, int]:
    parts = list(segment)
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return separator.join(parts), len(parts) - 1  # type: ignore[arg-type]


class RenderedSegments(list):
    """Segments whose composites a builder already joined for one interchange's `delimiters`.

    `components` counts the component separators those joins put in, so `render_transaction`
    can still prove from the finished text that no value carried a delimiter. `generic` rebuilds
    the same segments with tuple composites; it runs only when that proof fails, to name the
    segment and element holding the bad value.
    """

    __slots__ = ("delimiters", "generic", "components")

    def __init__(self, delimiters: Delimiters, generic: Callable[[], Iterable[Segment]]) -> None:
        super().__init__()
        self.delimiters = delimiters
        self.generic = generic
        self.components = 0


_LAST = operator.itemgetter(-1)


def render_transaction(
    set_id: str,
    control_number: str,
    body: Iterable[Segment],
    delimiters: Delimiters,
    implementation: str | None = None,
) -> tuple[str, int]:
    """ST + body + SE as text (each segment followed by the terminator) and the segment count.

    No value is checked for delimiters one by one: the separators counted in the finished text
    are compared with the counts the segments imply, and only a mismatch looks for the culprit.
    When every element is a string (a `RenderedSegments` body usually is), the segments are
    joined by one C-level ``map`` and only those ending in an empty element are rendered again,
    trimmed; else each segment goes through `render_segment`.
    """
    st: list[object] = ["ST", set_id, control_number]
    if implementation:
        st.append(implementation)
    segments: list[Segment] = [st, *body]
    separator, terminator = delimiters.element, delimiters.segment
    component_count = 0
    if type(body) is RenderedSegments:
        if body.delimiters != delimiters:
            raise X12Error("segments were rendered for other delimiters than the interchange's", segment_id="ST",
                           expected=f"segments rendered for {delimiters}")
        component_count = body.components
    try:
        texts = list(map(separator.join, segments))  # type: ignore[arg-type]
    except TypeError:
        texts, element_count, mixed_components = _render_one_by_one(segments, delimiters)
        component_count += mixed_components
    else:
        element_count = sum(map(len, segments)) - len(segments)
        lasts = list(map(_LAST, segments))
        if "" in lasts:
            for index, last in enumerate(lasts):
                if not last:
                    texts[index], elements = _trimmed(segments[index], separator)
                    element_count -= len(segments[index]) - 1 - elements
    count = len(texts) + 1
    texts.append(f"SE{separator}{count}{separator}{control_number}")
    element_count += 2
    joined = terminator.join(texts) + terminator
    if (
        joined.count(separator) != element_count
        or joined.count(delimiters.component) != component_count
        or joined.count(terminator) != count
        or delimiters.repetition in joined
    ):
        if type(body) is RenderedSegments:
            return render_transaction(set_id, control_number, body.generic(), delimiters, implementation)
        for number, segment in enumerate(segments, start=1):
            _check_segment(segment, number, delimiters)
        raise X12Error("transaction set text does not match its segments", segment_id="ST",
                       expected="values without delimiters")
    return joined, count


def _render_one_by_one(segments: list[Segment], delimiters: Delimiters) -> tuple[list[str], int, int]:
    """Texts of `segments` (trailing empties dropped) and the element and component separators they hold."""
    texts: list[str] = []
    element_count = component_count = 0
    for segment in segments:
        text, elements, components = render_segment(segment, delimiters)
        texts.append(text)
        element_count += elements
        component_count += components
    return texts, element_count, component_count


def render_isa(header: InterchangeHeader, delimiters: Delimiters) -> str:
    """The fixed-width ISA segment (106 characters with its terminator)."""
    control = str(header.control_number)
    if not control.isdigit() or len(control) > 9:
        raise X12Error(f"ISA13 {control!r} is not a number of at most 9 digits", segment_id="ISA",
                       element_position=13, expected="1 to 9 digits")
    fields = [
        "ISA",
        header.authorization_qualifier.ljust(2)[:2],
        header.authorization.ljust(10)[:10],
        header.security_qualifier.ljust(2)[:2],
        header.security.ljust(10)[:10],
        header.sender_qualifier.ljust(2)[:2],
        header.sender_id.ljust(15)[:15],
        header.receiver_qualifier.ljust(2)[:2],
        header.receiver_id.ljust(15)[:15],
        header.date.strftime("%y%m%d"),
        header.time[:4].ljust(4, "0"),
        delimiters.repetition,
        header.version,
        control.zfill(9),
        header.acknowledgment_requested,
        header.usage_indicator,
        delimiters.component,
    ]
    text = delimiters.element.join(fields) + delimiters.segment
    for position, value in enumerate(fields[1:11] + fields[12:16], start=1):
        if any(c in value for c in (delimiters.element, delimiters.segment, delimiters.component)):
            raise X12Error(f"ISA value {value!r} contains a delimiter", segment_id="ISA",
                           element_position=position, expected="data without X12 delimiters")
    if len(text) != 106:
        raise X12Error(f"ISA would be {len(text)} characters", segment_id="ISA", expected="106 characters")
    return text


class InterchangeWriter:
    """Write one interchange to a text stream, group by group and transaction by transaction.

    ``with InterchangeWriter(out, isa) as w: w.begin_group(gs); w.write_transaction(...);
    w.end_group()`` writes ISA, GS, the transaction sets, GE and IEA with correct counts.
    `line_breaks` adds a newline after each terminator (readable files; readers tolerate it).
    """

    def __init__(
        self,
        out: TextIO,
        header: InterchangeHeader,
        delimiters: Delimiters | None = None,
        *,
        line_breaks: bool = False,
    ) -> None:
        self.out = out
        self.header = header
        self.delimiters = delimiters or Delimiters()
        if line_breaks:
            self._newline = "\n"
        else:
            self._newline = ""
        self._group: GroupHeader | None = None
        self._group_count = 0
        self._transaction_count = 0
        self._closed = False
        out.write(render_isa(header, self.delimiters) + self._newline)

    def _line(self, segment: Segment) -> None:
        text, _, _ = render_segment(segment, self.delimiters)
        self.out.write(text + self.delimiters.segment + self._newline)

    def begin_group(self, header: GroupHeader) -> None:
        if self._group is not None:
            raise X12Error("a functional group is already open", segment_id="GS", expected="GE first")
        self._group = header
        self._group_count += 1
        self._transaction_count = 0
        self._line(["GS", header.functional_id, header.sender_code, header.receiver_code,
                    header.date, header.time, str(header.control_number), header.agency, header.version])

    def write_transaction(
        self, set_id: str, control_number: str, body: Iterable[Segment], implementation: str | None = None
    ) -> int:
        """Write ST, the body segments and SE; returns the SE01 segment count."""
        if self._group is None:
            raise X12Error("transaction set outside a functional group", segment_id="ST", expected="GS first")
        text, count = render_transaction(set_id, str(control_number), body, self.delimiters, implementation)
        if self._newline:
            text = text.replace(self.delimiters.segment, self.delimiters.segment + self._newline)
        self.out.write(text)
        self._transaction_count += 1
        return count

    def end_group(self) -> None:
        if self._group is None:
            raise X12Error("no functional group is open", segment_id="GE", expected="GS first")
        self._line(["GE", str(self._transaction_count), str(self._group.control_number)])
        self._group = None

    def close(self) -> None:
        if self._closed:
            return
        if self._group is not None:
            self.end_group()
        control = str(self.header.control_number).zfill(9)
        self._line(["IEA", str(self._group_count), control])
        self._closed = True

    def __enter__(self) -> InterchangeWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
