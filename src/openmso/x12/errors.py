"""The one error type of the X12 codec.

Every problem the reader, the envelope checks, the typed parsers or the writer find is an
`X12Error` that says where it is (byte offset, segment number counted from the start of the file,
segment id, element position) and what was expected there, so a clearinghouse rejection or a bad
payer file can be fixed without opening a hex editor.
"""

from __future__ import annotations


class X12Error(ValueError):
    """A located X12 problem.

    `offset` is the byte offset of the segment's first byte in the input, `segment_number` the
    1-based position of the segment in the input (the writer counts inside the transaction set),
    `segment_id` the segment's id (e.g. ``CLP``) and `element_position` the 1-based element
    position (``3`` for CLP03; ``"1-2"`` for the second component of the first element).
    """

    __slots__ = ("reason", "offset", "segment_number", "segment_id", "element_position", "expected")

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        segment_number: int | None = None,
        segment_id: str | None = None,
        element_position: int | str | None = None,
        expected: str | None = None,
    ) -> None:
        self.reason = printable(reason)
        self.offset = offset
        self.segment_number = segment_number
        self.segment_id = None if segment_id is None else printable(segment_id)
        self.element_position = element_position
        self.expected = expected
        super().__init__(self._render())

    @property
    def location(self) -> str:
        """Human-readable location, e.g. ``byte 512, segment 14 (CLP), element CLP03``."""
        parts: list[str] = []
        if self.offset is not None:
            parts.append(f"byte {self.offset}")
        if self.segment_number is not None:
            seg = f"segment {self.segment_number}"
            if self.segment_id:
                seg += f" ({self.segment_id})"
            parts.append(seg)
        elif self.segment_id:
            parts.append(f"segment {self.segment_id}")
        if self.element_position is not None:
            position = self.element_position
            if isinstance(position, int):
                position = f"{position:02d}"
            parts.append(f"element {self.segment_id or ''}{position}")
        return ", ".join(parts)

    def _render(self) -> str:
        text = self.reason
        location = self.location
        if location:
            text = f"{location}: {text}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text

    def as_dict(self) -> dict[str, object]:
        """The error as plain data, for JSON output and problem details."""
        return {
            "reason": self.reason,
            "offset": self.offset,
            "segment_number": self.segment_number,
            "segment_id": self.segment_id,
            "element_position": self.element_position,
            "expected": self.expected,
        }

    def __reduce__(self):  # keep the location when pickled across processes
        return (_rebuild, (self.reason, self.as_dict()))


_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7f, 0xa0))}


def printable(text: str) -> str:
    """`text` with control characters spelt out (``\\x1c``): a located error is shown in tables, pages
    and terminals, where a raw control character garbles the line or hides what was there."""
    return text.translate(_CONTROLS)


def _rebuild(reason: str, fields: dict) -> X12Error:
    fields = dict(fields)
    fields.pop("reason", None)
    return X12Error(reason, **fields)
