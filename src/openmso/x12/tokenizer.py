"""Streaming X12 tokenizer: delimiters from the ISA header, segments from large chunks.

X12.5/X12.6 (and every 005010 TR3, appendix B) fix the ISA segment at 106 characters: the
element separator is the 4th character, the repetition separator is ISA11 (character 83), the
component separator is ISA16 (character 105) and the segment terminator is the 106th character.
Nothing here assumes ``*``, ``:``, ``^`` or ``~``.

Speed: input is read in large chunks, decoded as latin-1 (one byte is one character, so character
offsets are byte offsets), split on the terminator and each segment on the element separator with
`str.split`; there is no per-character Python loop. Memory is bounded by the chunk size plus one
segment, which may not exceed `max_segment_length`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from openmso.x12.errors import X12Error

ISA_LENGTH = 106
DEFAULT_CHUNK_SIZE = 1 << 20
DEFAULT_MAX_SEGMENT_LENGTH = 1 << 16
_NEWLINES = "\r\n"
# Positions of the 16 element separators inside the fixed-width ISA segment.
_ISA_SEPARATOR_POSITIONS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_BOM = "\xef\xbb\xbf"  # a UTF-8 byte order mark, decoded as latin-1


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four X12 delimiters of one interchange (X12.5 section 3.1)."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = (self.element, self.component, self.repetition, self.segment)
        for char in chars:
            if len(char) != 1 or char.isalnum() or char == " ":
                raise X12Error(
                    f"delimiter {char!r} is not a single non-alphanumeric character",
                    segment_id="ISA",
                    expected="one special character per delimiter",
                )
        if len(set(chars)) != 4:
            raise X12Error(
                f"delimiters are not distinct: {chars!r}",
                segment_id="ISA",
                expected="four different delimiter characters",
            )

    @classmethod
    def from_isa(cls, isa: str, offset: int = 0, segment_number: int = 1) -> Delimiters:
        """Read the delimiters from the first 106 characters of an ISA segment."""
        if len(isa) < ISA_LENGTH:
            raise X12Error(
                f"ISA segment is {len(isa)} characters long",
                offset=offset,
                segment_number=segment_number,
                segment_id="ISA",
                expected=f"{ISA_LENGTH} characters (fixed-width ISA)",
            )
        if not isa.startswith("ISA"):
            raise X12Error(
                f"interchange starts with {isa[:3]!r}",
                offset=offset,
                segment_number=segment_number,
                segment_id=isa[:3],
                expected="ISA",
            )
        element = isa[3]
        for number, position in enumerate(_ISA_SEPARATOR_POSITIONS, start=1):
            if isa[position] != element:
                raise X12Error(
                    f"character {position} of the ISA is {isa[position]!r}, not the element separator "
                    f"{element!r}",
                    offset=offset + position,
                    segment_number=segment_number,
                    segment_id="ISA",
                    element_position=number,
                    expected=f"ISA{number:02d} to have its fixed width",
                )
        try:
            return cls(element=element, component=isa[104], repetition=isa[82], segment=isa[105])
        except X12Error as error:
            raise X12Error(
                error.reason,
                offset=offset,
                segment_number=segment_number,
                segment_id="ISA",
                expected=error.expected,
            ) from None


Source = str | os.PathLike | bytes | BinaryIO | io.TextIOBase


def _open(source: Source) -> tuple[object, bool]:
    """Return a readable object and whether we opened it (and so must close it)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the iterator
    if hasattr(source, "read"):
        return source, False
    raise TypeError(f"cannot read X12 from {type(source).__name__}")


class SegmentReader:
    """Iterate ``(segment_number, byte_offset, elements)`` over every segment of the input.

    `elements[0]` is the segment id. The current interchange's delimiters are in `delimiters`
    (updated at each ISA, re-splitting the buffer when a later interchange uses other
    delimiters). Carriage returns and line feeds after terminators are skipped.
    """

    def __init__(
        self,
        source: Source,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_segment_length: int = DEFAULT_MAX_SEGMENT_LENGTH,
    ) -> None:
        self._source = source
        self._chunk_size = max(chunk_size, ISA_LENGTH)
        self._max_segment_length = max_segment_length
        self.delimiters: Delimiters | None = None
        self.end_offset = 0
        self.segment_count = 0

    def __iter__(self) -> Iterator[tuple[int, int, list[str]]]:
        stream, owned = _open(self._source)
        try:
            yield from self._segments(stream.read)
        finally:
            if owned:
                stream.close()

    def _read_text(self, read, size: int) -> str:
        chunk = read(size)
        if isinstance(chunk, bytes | bytearray):
            return chunk.decode("latin-1")
        return chunk or ""

    def _segments(self, read) -> Iterator[tuple[int, int, list[str]]]:
        chunk_size = self._chunk_size
        max_length = self._max_segment_length
        buffer = self._read_text(read, chunk_size)
        base = 0
        if buffer.startswith(_BOM):
            buffer = buffer[3:]
            base = 3
        stripped = buffer.lstrip(" \t\r\n")
        base += len(buffer) - len(stripped)
        buffer = stripped
        while len(buffer) < ISA_LENGTH:
            more = self._read_text(read, chunk_size)
            if not more:
                break
            buffer += more
        if not buffer:
            raise X12Error("input is empty", offset=base, segment_number=1, expected="an ISA segment")
        delimiters = Delimiters.from_isa(buffer[:ISA_LENGTH], base, 1)
        self.delimiters = delimiters
        terminator = delimiters.segment
        separator = delimiters.element
        known_ids: set[str] = set()
        number = 0
        while True:
            pieces = buffer.split(terminator)
            rest = pieces.pop()
            if len(rest) > max_length or (pieces and max(map(len, pieces)) > max_length):
                self._too_long(pieces, rest, base, number, terminator)
            resplit = False
            for index, raw in enumerate(pieces):
                start = base
                base += len(raw) + 1
                if not raw or raw[0] in _NEWLINES or raw[-1] in _NEWLINES:
                    text = raw.lstrip(_NEWLINES)
                    start += len(raw) - len(text)
                    raw = text.rstrip(_NEWLINES)
                    if not raw:
                        continue
                elements = raw.split(separator)
                segment_id = elements[0]
                if segment_id not in known_ids:
                    if segment_id == "ISA" or raw.startswith("ISA"):
                        new = self._isa_delimiters(pieces, index, rest, start, number + 1, terminator)
                        if new != delimiters:
                            # A later interchange uses other delimiters: re-split from its ISA.
                            text = terminator.join(pieces[index:]) + terminator + rest
                            buffer = text.lstrip(_NEWLINES)
                            base = start
                            delimiters = self.delimiters = new
                            terminator = new.segment
                            separator = new.element
                            resplit = True
                            break
                        elements = raw.split(separator)
                    elif _valid_segment_id(segment_id):
                        known_ids.add(segment_id)
                    else:
                        raise X12Error(
                            f"invalid segment id {segment_id[:20]!r}",
                            offset=start,
                            segment_number=number + 1,
                            segment_id=segment_id[:20],
                            expected="2-3 upper-case letters or digits starting with a letter",
                        )
                number += 1
                yield number, start, elements
            if resplit:
                continue
            tail = rest.lstrip(" \t\r\n")
            if tail.startswith("ISA") and len(tail) >= ISA_LENGTH:
                # The next interchange has no old terminator in it: it may use other delimiters.
                skipped = len(rest) - len(tail)
                new = Delimiters.from_isa(tail[:ISA_LENGTH], base + skipped, number + 1)
                if new != delimiters:
                    delimiters = self.delimiters = new
                    terminator = new.segment
                    separator = new.element
                    buffer = tail
                    base += skipped
                    continue
            more = self._read_text(read, chunk_size)
            if not more:
                tail = rest.lstrip(" \t\r\n")
                if tail.rstrip(" \t\r\n"):
                    raise X12Error(
                        "input ends inside a segment (no segment terminator "
                        f"{terminator!r} after the last segment)",
                        offset=base + len(rest) - len(tail),
                        segment_number=number + 1,
                        segment_id=tail.split(separator)[0][:20],
                        expected=f"segment terminator {terminator!r}",
                    )
                break
            buffer = rest + more
        self.end_offset = base + len(rest)
        self.segment_count = number

    def _isa_delimiters(
        self, pieces: list[str], index: int, rest: str, start: int, number: int, terminator: str
    ) -> Delimiters:
        raw = pieces[index].lstrip(_NEWLINES)
        if len(raw) == ISA_LENGTH - 1:
            return Delimiters.from_isa(raw + terminator, start, number)
        # The ISA is not 105 characters up to the old terminator: it may use another terminator.
        text = terminator.join(pieces[index:]) + terminator + rest
        return Delimiters.from_isa(text.lstrip(_NEWLINES)[:ISA_LENGTH], start, number)

    def _too_long(self, pieces: list[str], rest: str, base: int, number: int, terminator: str) -> None:
        for raw in pieces:
            if len(raw) > self._max_segment_length:
                break
            base += len(raw) + 1
            number += 1
        else:
            raw = rest
        raise X12Error(
            f"segment is longer than {self._max_segment_length} bytes",
            offset=base,
            segment_number=number + 1,
            segment_id=raw.lstrip(_NEWLINES)[:3],
            expected=f"segment terminator {terminator!r} within {self._max_segment_length} bytes",
        )


def _valid_segment_id(segment_id: str) -> bool:
    return (
        2 <= len(segment_id) <= 3
        and segment_id.isascii()
        and segment_id.isalnum()
        and segment_id[0].isalpha()
        and segment_id.upper() == segment_id
    )


def iter_segments(source: Source, **options) -> Iterator[tuple[int, int, list[str]]]:
    """Iterate ``(segment_number, byte_offset, elements)`` over a file path, bytes or stream."""
    return iter(SegmentReader(source, **options))
