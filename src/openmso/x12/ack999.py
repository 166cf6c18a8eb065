"""Typed 999 Implementation Acknowledgment, 005010X231A1 (reader).

Loops: AK1 functional group response header; 2000 AK2 transaction set response header; 2100 IK3
segment error (segment id, position in the transaction set, loop id, error code) with CTX
context; 2110 IK4 element error (position, component, repetition, element reference, error code,
bad data); IK5 transaction set response trailer (A accepted, E accepted with errors, R rejected,
M/W/X); AK9 functional group response trailer (counts and group error codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openmso.x12.elements import CONVERSION_ERRORS, element, locate_failure
from openmso.x12.envelope import Transaction

ACCEPTED_CODES = frozenset({"A", "E"})


@dataclass(slots=True)
class ElementError:
    """IK4: which element (IK401-1 position, -2 component, -3 repetition) and why (IK403)."""

    position: int
    component_position: int | None
    repetition_position: int | None
    element_reference: str  # IK402 data element reference number
    error_code: str  # IK403: 1 required missing, 2 conditional, 4 too short, 5 too long, 7 invalid code, ...
    bad_data: str = ""  # IK404


@dataclass(slots=True)
class SegmentError:
    """IK3 (loop 2100): the segment in the acknowledged transaction set that is in error."""

    segment_id: str
    position: int  # IK302, position from the ST (ST is 1)
    loop_id: str  # IK303
    error_code: str  # IK304: 1 unrecognized, 2 unexpected, 3 required missing, 8 has data element errors, ...
    contexts: list[tuple[str, ...]] = field(default_factory=list)  # CTX
    element_errors: list[ElementError] = field(default_factory=list)


@dataclass(slots=True)
class TransactionAcknowledgment:
    """Loop 2000: AK2 ... IK5 for one acknowledged transaction set."""

    set_id: str  # AK201
    control_number: str  # AK202, the ST02 that was acknowledged
    implementation: str  # AK203
    status: str = ""  # IK501
    error_codes: tuple[str, ...] = ()  # IK502-IK506
    segment_errors: list[SegmentError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED_CODES


@dataclass(slots=True)
class ImplementationAcknowledgment:
    """One 999 transaction set: the response to one functional group."""

    control_number: str
    functional_id: str  # AK101
    group_control_number: str  # AK102, the GS06 that was acknowledged
    version: str  # AK103
    transactions: list[TransactionAcknowledgment] = field(default_factory=list)
    status: str = ""  # AK901
    included: int = 0  # AK902
    received: int = 0  # AK903
    accepted_count: int = 0  # AK904
    error_codes: tuple[str, ...] = ()  # AK905-AK909

    @property
    def accepted(self) -> bool:
        """AK901 A or E (accepted, possibly with errors); P partially accepted is not accepted."""
        return self.status in ACCEPTED_CODES

    def transaction(self, control_number: str) -> TransactionAcknowledgment | None:
        for acknowledgment in self.transactions:
            if acknowledgment.control_number == control_number:
                return acknowledgment
        return None


_RULES = {"AK1": {1: "req", 2: "req"}, "AK2": {1: "req", 2: "req"}, "IK3": {1: "req", 2: "N", 4: "req"},
          "IK4": {1: "req", 3: "req"}, "IK5": {1: "req"}, "AK9": {1: "req", 2: "N", 3: "N", 4: "N"}}
_REQUIRED = {"AK1": (1, 2), "AK2": (1, 2), "IK3": (1, 2), "IK4": (1, 3), "IK5": (1,), "AK9": (1, 2, 3, 4)}


def _optional_int(value: str) -> int | None:
    return int(value) if value else None


def parse_999(transaction: Transaction) -> ImplementationAcknowledgment:
    """Read one 999 transaction set; raises a located `X12Error` when it cannot be read."""
    if transaction.set_id != "999":
        raise transaction.error(0, f"transaction set {transaction.set_id} is not a 999", element_position=1,
                                expected="999")
    component = transaction.delimiters.component
    segments = transaction.segments
    result: ImplementationAcknowledgment | None = None
    current: TransactionAcknowledgment | None = None
    segment_error: SegmentError | None = None
    index = 0
    try:
        for index in range(1, len(segments) - 1):
            segment = segments[index]
            segment_id = segment[0]
            if segment_id == "AK1":
                result = ImplementationAcknowledgment(transaction.control_number, segment[1], segment[2],
                                                      element(segment, 3))
            elif segment_id == "AK2":
                current = TransactionAcknowledgment(segment[1], segment[2], element(segment, 3))
                result.transactions.append(current)
                segment_error = None
            elif segment_id == "IK3":
                segment_error = SegmentError(segment[1], int(segment[2]), element(segment, 3), element(segment, 4))
                current.segment_errors.append(segment_error)
            elif segment_id == "CTX":
                if segment_error is not None:
                    segment_error.contexts.append(tuple(segment[1:]))
            elif segment_id == "IK4":
                position = segment[1].split(component)
                segment_error.element_errors.append(ElementError(
                    int(position[0]),
                    _optional_int(position[1]) if len(position) > 1 else None,
                    _optional_int(position[2]) if len(position) > 2 else None,
                    element(segment, 2), segment[3], element(segment, 4),
                ))
            elif segment_id == "IK5":
                current.status = segment[1]
                current.error_codes = tuple(code for code in segment[2:7] if code)
                current = segment_error = None
            elif segment_id == "AK9":
                result.status = segment[1]
                result.included = int(segment[2])
                result.received = int(segment[3])
                result.accepted_count = int(segment[4])
                result.error_codes = tuple(code for code in segment[5:10] if code)
    except AttributeError:
        raise transaction.error(index, f"{segments[index][0]} outside the loop it belongs to",
                                expected="AK1, then AK2/IK3/IK4/IK5 per transaction set, then AK9") from None
    except CONVERSION_ERRORS as error:
        raise locate_failure(transaction, index, _RULES, _REQUIRED, error) from None
    if result is None:
        raise transaction.error(0, "999 has no AK1 segment", expected="AK1 after ST")
    if not result.status:
        raise transaction.error(len(segments) - 1, "999 has no AK9 segment", expected="AK9 before SE")
    return result
