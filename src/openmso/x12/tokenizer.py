"""Streaming X12 tokenizer: delimiters from the ISA header, segments read chunk by chunk.

X12.5/X12.6 (and every 005010 TR3, appendix B) fix the ISA segment at 106 characters: the
element separator is the 4th character, the repetition separator is ISA11 (character 83), the
component separator is ISA16 (character 105) and the segment terminator is the 106th character.
Nothing here assumes ``*``, ``:``, ``^`` or ``~``.

Speed: input is read in chunks (32 KiB; larger chunks make the split segments fall out of the CPU
cache), decoded as latin-1 (one byte is one character, so character offsets are byte offsets) and
split on the terminator with one `str.split`. Segments stay text: segment ids are checked and the
envelope segments found by regular-expression scans of each chunk (in C, no Python loop per
segment), and typed parsers split a segment into elements only when they read it, so no list per segment is
kept alive for a whole transaction set (millions of live lists make the cyclic garbage collector
walk them again and again). Byte offsets are computed only when a location is asked for. Memory
is bounded by the chunk size plus one segment, which may not exceed `max_segment_length`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import add, methodcaller, sub
from typing import BinaryIO

from openmso.x12.errors import X12Error

ISA_LENGTH = 106
DEFAULT_CHUNK_SIZE = 1 << 15  # small enough that one batch of split segments stays in CPU cache
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


_lstrip_newlines = methodcaller("lstrip", _NEWLINES)
_rstrip_newlines = methodcaller("rstrip", _NEWLINES)
_plus_one = (1).__add__


class Batch:
    """The complete segments of one chunk of input, as text (``texts[i]`` is one segment).

    `controls` are the indices of envelope segments (ISA, IEA, GS, GE, ST, SE), in order, so the
    envelope reader can copy the data segments between them with slices instead of a Python loop.
    `offsets` (byte offset of each segment) is computed on first use: only errors need it.
    """

    __slots__ = ("first_number", "texts", "controls", "separator", "_base", "_pieces", "_kept", "_offsets")

    def __init__(self, first_number: int, texts: list[str], controls: list[int], separator: str, base: int,
                 pieces: list[str], kept: list[int] | None) -> None:
        self.first_number = first_number
        self.texts = texts
        self.controls = controls
        self.separator = separator
        self._base = base
        self._pieces = pieces
        self._kept = kept
        self._offsets: list[int] | None = None

    @property
    def offsets(self) -> list[int]:
        if self._offsets is None:
            self._offsets = _piece_offsets(self._pieces, self._base, self._kept)[: len(self.texts)]
        return self._offsets

    @property
    def elements(self) -> list[list[str]]:
        """Every segment split into elements (``[0]`` is the id)."""
        return list(map(methodcaller("split", self.separator), self.texts))


def _piece_offsets(pieces: list[str], base: int, kept: list[int] | None) -> list[int]:
    """Offset of each piece's first non-newline character: base plus the pieces (and terminators) before it."""
    if not pieces:
        return []
    offsets = list(accumulate(map(_plus_one, map(len, pieces[:-1])), initial=base))
    offsets = list(map(add, offsets, map(sub, map(len, pieces), map(len, map(_lstrip_newlines, pieces)))))
    if kept is not None:
        offsets = [offsets[i] for i in kept]
    return offsets


class SegmentReader:
    """Read the segments of an input in chunks, each segment a list of elements (``[0]`` is the id).

    Iterate ``(segment_number, byte_offset, elements)`` one segment at a time, or call `batches()`
    for whole chunks of segment texts (the fast path the envelope reader uses). The current
    interchange's delimiters are in `delimiters`, updated at each ISA; when a later interchange
    uses other delimiters the rest of the buffer is split again from its ISA. Carriage returns and
    line feeds after terminators are skipped.
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
        for batch in self.batches():
            number = batch.first_number
            for offset, elements in zip(batch.offsets, batch.elements, strict=True):
                yield number, offset, elements
                number += 1

    def batches(self) -> Iterator[Batch]:
        stream, owned = _open(self._source)
        try:
            yield from self._batches(stream.read)
        finally:
            if owned:
                stream.close()

    def _read_text(self, read, size: int) -> str:
        chunk = read(size)
        if isinstance(chunk, bytes | bytearray):
            return chunk.decode("latin-1")
        return chunk or ""

    def _batches(self, read) -> Iterator[Batch]:
        chunk_size = self._chunk_size
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
        self.delimiters = Delimiters.from_isa(buffer[:ISA_LENGTH], base, 1)
        number = 0
        while True:
            terminator = self.delimiters.segment
            if "\x00" in buffer:  # one memchr per chunk
                _refuse_nul(buffer, base, number, self.delimiters)
            pieces = buffer.split(terminator)
            rest = pieces.pop()
            newlines = "\n" in buffer or "\r" in buffer
            batch, consumed, restart = self._split_chunk(buffer, pieces, rest, base, number, newlines)
            if batch.texts:
                number += len(batch.texts)
                yield batch
            base += consumed
            if restart is not None:
                buffer = restart  # a later interchange with other delimiters starts here
                continue
            tail = rest.lstrip(" \t\r\n")
            if tail.startswith("ISA") and len(tail) >= ISA_LENGTH:
                # The next interchange has no old terminator in it: it may use other delimiters.
                skipped = len(rest) - len(tail)
                new = Delimiters.from_isa(tail[:ISA_LENGTH], base + skipped, number + 1)
                if new != self.delimiters:
                    self.delimiters = new
                    buffer = tail
                    base += skipped
                    continue
            more = self._read_text(read, chunk_size)
            if not more:
                if tail.rstrip(" \t\r\n"):
                    raise X12Error(
                        "input ends inside a segment (no segment terminator "
                        f"{terminator!r} after the last segment)",
                        offset=base + len(rest) - len(tail),
                        segment_number=number + 1,
                        segment_id=tail.split(self.delimiters.element)[0][:20],
                        expected=f"segment terminator {terminator!r}",
                    )
                break
            buffer = rest + more
            if len(rest) > self._max_segment_length:
                self._too_long([], rest, base, number, terminator)
        self.end_offset = base + len(rest)
        self.segment_count = number

    def _split_chunk(
        self, buffer: str, pieces: list[str], rest: str, base: int, number: int, newlines: bool,
    ) -> tuple[Batch, int, str | None]:
        """Find the envelope segments of a chunk and check every segment id, with no per-segment loop.

        Ids are checked, and the envelope segments found, by two regular expressions run over the
        chunk's text (`_id_patterns`), so the cost per segment is paid in C. `pieces` and `rest` are
        ``buffer.split(terminator)``. Returns the batch, how many characters it consumed, and the text to
        split again when an ISA with other delimiters starts inside the chunk.
        """
        delimiters = self.delimiters
        terminator = delimiters.segment
        separator = delimiters.element
        consumed = len(buffer) - len(rest)  # the complete pieces and their terminators
        # No piece can be too long when all of them together are not (the usual chunk).
        if consumed - len(pieces) > self._max_segment_length and max(map(len, pieces)) > self._max_segment_length:
            self._too_long(pieces, rest, base, number, terminator)
        texts = pieces
        kept: list[int] | None = None
        if newlines:
            texts = list(map(_rstrip_newlines, map(_lstrip_newlines, pieces)))
            if "" in texts:
                kept = [i for i, text in enumerate(texts) if text]
                texts = [texts[i] for i in kept]
        batch = Batch(number + 1, texts, [], separator, base, pieces, kept)
        controls = batch.controls
        restart: str | None = None
        if not texts:
            return batch, consumed, restart
        invalid_start, control_start = _id_patterns(separator, terminator)
        # Every segment id but the first follows a terminator in the chunk's text (or, when newlines were
        # stripped, in its segments joined again): one regular-expression scan in C checks every id,
        # another finds the envelope ids. The first segment is checked behind a terminator of its own.
        if texts is pieces:
            scanned, end = buffer, consumed - 1
        else:
            scanned = terminator.join(texts)
            end = len(scanned)
        first = terminator + texts[0]
        if invalid_start.match(first):
            raise _invalid_id(batch, 0)
        bad = invalid_start.search(scanned, 0, end)
        if bad is not None:
            raise _invalid_id(batch, scanned.count(terminator, 0, bad.start()) + 1)
        if control_start.match(first):
            controls.append(0)
        # An envelope segment's index is found by looking its text up in the list after the one before: a
        # text equal to it in between would have matched first. Cheaper than counting the terminators.
        index = 0
        for match in control_start.finditer(scanned, 0, end):
            start = match.start() + 1
            stop = scanned.find(terminator, start, end)
            index = texts.index(scanned[start:stop if stop >= 0 else end], index + 1)
            controls.append(index)
        for position, index in enumerate(controls):
            segment_id = texts[index].split(separator, 1)[0]
            if not segment_id.startswith("ISA"):
                continue
            piece = (kept[index] if kept is not None else index)
            new = self._isa_delimiters(pieces, piece, rest, batch.offsets[index], number + index + 1)
            if new == delimiters:
                if segment_id != "ISA":  # same delimiters split the same way: a longer id such as ISAX
                    raise _invalid_id(batch, index)
                continue
            # Cut the batch before this ISA and split the rest again with its delimiters.
            restart = (terminator.join(pieces[piece:]) + terminator + rest).lstrip(_NEWLINES)
            consumed = batch.offsets[index] - base
            batch.texts = texts[:index]
            batch._offsets = batch.offsets[:index]
            del controls[position:]
            self.delimiters = new
            break
        return batch, consumed, restart

    def _isa_delimiters(self, pieces: list[str], index: int, rest: str, start: int, number: int) -> Delimiters:
        terminator = self.delimiters.segment
        raw = pieces[index].strip(_NEWLINES)
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


def _refuse_nul(buffer: str, base: int, number: int, delimiters: Delimiters) -> None:
    """A NUL byte is no X12 character (X12.6 basic and extended sets) and PostgreSQL text cannot hold
    one: data carrying it is refused here, located, rather than read into names and numbers."""
    if "\x00" in (delimiters.element, delimiters.component, delimiters.repetition, delimiters.segment):
        return
    at = buffer.index("\x00")
    start = buffer.rfind(delimiters.segment, 0, at) + 1
    raise X12Error(
        f"NUL byte at byte {base + at}",
        offset=base + start,
        segment_number=number + buffer.count(delimiters.segment, 0, at) + 1,
        segment_id=buffer[start:at].lstrip(" \t\r\n").split(delimiters.element, 1)[0][:3],
        expected="X12 characters (no control characters other than the delimiters)",
    )


def _invalid_id(batch: Batch, index: int) -> X12Error:
    segment_id = batch.texts[index].split(batch.separator, 1)[0][:20]
    return X12Error(
        f"invalid segment id {segment_id!r}",
        offset=batch.offsets[index],
        segment_number=batch.first_number + index,
        segment_id=segment_id,
        expected="2-3 upper-case letters or digits starting with a letter",
    )


@lru_cache(maxsize=32)
def _id_patterns(separator: str, terminator: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For segments that follow a terminator: (a terminator followed by an invalid segment id, a
    terminator followed by an envelope segment id). The envelope alternatives are spelt by their first
    letter so that the common data segments fail at their first or second character.

    A valid id is 2-3 upper-case letters or digits starting with a letter, ended by the element
    separator or the end of the segment. Anything starting with ISA counts as an envelope segment
    (an interchange with other delimiters does not split into the old elements); `_split_chunk`
    reads its delimiters and rejects an ISA-prefixed id such as ISAX.
    """
    sep, term = re.escape(separator), re.escape(terminator)
    end = f"(?:{sep}|{term}|\\Z)"
    # Three lookaheads in a row rather than one with alternatives: the usual id, ended by a delimiter,
    # fails the first at once (about a fifth less time per segment). The possessive `{1,2}+` (a delimiter is
    # never a letter or digit, so giving characters back could not help) is about a fifth cheaper again than
    # `[A-Z0-9][A-Z0-9]?`.
    invalid = re.compile(f"{term}(?![A-Z][A-Z0-9]{{1,2}}+[{sep}{term}])(?!ISA)(?![A-Z][A-Z0-9]{{1,2}}+\\Z)")
    control = re.compile(f"{term}(?:ISA|S[ET]{end}|G[SE]{end}|IEA{end})")
    return invalid, control


def iter_segments(source: Source, **options) -> Iterator[tuple[int, int, list[str]]]:
    """Iterate ``(segment_number, byte_offset, elements)`` over a file path, bytes or stream."""
    return iter(SegmentReader(source, **options))
