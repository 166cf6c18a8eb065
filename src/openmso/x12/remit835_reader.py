"""Reading 835 transaction sets (005010X221A1) into the `remit835` model.

One pass over the segments with the loop kept in local variables (current claim, current service
line and their containers); the segments around the claims (header, payer, payee, PLB) are read by
`remit835_header.HeaderReader`. Values come from bounded caches (`AMOUNTS`, `DECIMALS`, `DATES`, procedure
composites), and whole CAS, DTM, SVC, AMT and LQ texts read before from a bounded memo
(`_SegmentMemo`): remittances repeat the same amounts, dates, codes and segments on thousands of
lines. Lines and claims are made slot by slot; their empty containers are shared read-only
empties, and the adjustments, dates and amounts that one CAS, DTM or AMT fills are the remembered
read-only list or dict of that segment (see `remit835`): making and freeing objects is most of
what is left.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import chain

from openmso.x12.collection import collection_paused
from openmso.x12.elements import (
    AMOUNTS,
    CONVERSION_ERRORS,
    DATES,
    DECIMALS,
    BoundedCache,
    locate_failure,
)
from openmso.x12.envelope import Transaction
from openmso.x12.errors import X12Error
from openmso.x12.remit835 import (
    CLAIM_STATUS_CODES,
    GROUP_CODES,
    READ_ONLY_EMPTY_DICT,
    READ_ONLY_EMPTY_LIST,
    Adjustment,
    ClaimPayment,
    EntityName,
    Procedure,
    ReadOnlyDict,
    ReadOnlyList,
    Reference,
    Remittance,
    ServicePayment,
)
from openmso.x12.remit835_header import HeaderReader

_RULES = {
    "BPR": {1: "req", 2: "M", 3: "req", 4: "req", 16: "DT"},
    "TRN": {1: "req", 2: "AN50", 3: "AN10"},
    "DTM": {1: "req", 2: "DT"},
    "LX": {1: "N"},
    "CLP": {1: "req", 2: "req", 3: "M", 4: "M", 5: "M"},
    "CAS": {1: "req", 2: "req", 3: "M", 4: "R", 6: "M", 7: "R", 9: "M", 10: "R", 12: "M", 13: "R",
            15: "M", 16: "R", 18: "M", 19: "R"},
    "SVC": {1: "req", 2: "M", 3: "M", 5: "R", 7: "R"},
    "AMT": {1: "req", 2: "M"},
    "QTY": {1: "req", 2: "R"},
    "PLB": {1: "req", 2: "DT", 3: "req", 4: "M", 6: "M", 8: "M", 10: "M", 12: "M", 14: "M"},
    "REF": {1: "req", 2: "req"},
    "N1": {1: "req"},
    "NM1": {1: "req", 2: "req"},
    "LQ": {1: "req", 2: "req"},
}
_REQUIRED = {
    "BPR": (1, 2, 3, 4),
    "TRN": (1, 2, 3),
    "CLP": (1, 2, 3, 4),
    "SVC": (1, 2, 3),
    "CAS": (1, 2, 3),
    "PLB": (1, 2, 3, 4),
    "DTM": (1, 2),
    "AMT": (1, 2),
}


def _procedure(value: str, component: str) -> Procedure:
    parts = value.split(component)
    qualifier = parts[0]
    if len(qualifier) != 2 or not qualifier.isalnum() or len(parts) < 2 or not parts[1]:
        raise _CompositeError(f"{value[:40]!r} is not a procedure composite (qualifier{component}code)")
    return Procedure(qualifier, parts[1], tuple(m for m in parts[2:6] if m), parts[6] if len(parts) > 6 else "")


class _CompositeError(ValueError):
    pass


class _OutsideLoop(Exception):
    """A claim or line segment with no open claim (loop 2100) or service line (loop 2110)."""


class _OutsideItems(list):
    """The open loop's adjustments outside any claim: adding one raises `_OutsideLoop`.

    With it (and `_OutsideValues`) the frequent CAS and AMT segments are applied without first
    testing whether a claim is open.
    """

    __slots__ = ()

    def append(self, item: object) -> None:
        raise _OutsideLoop

    def extend(self, items: object) -> None:
        raise _OutsideLoop


class _OutsideValues(dict):
    """The open loop's amounts and quantities outside any claim: setting one raises `_OutsideLoop`."""

    __slots__ = ()

    def __setitem__(self, key: object, value: object) -> None:
        raise _OutsideLoop

    def update(self, values: object) -> None:
        raise _OutsideLoop


_OUTSIDE_ITEMS = _OutsideItems()
_OUTSIDE_VALUES = _OutsideValues()


def _bad_group(transaction: Transaction, index: int, group: str) -> X12Error:
    return transaction.error(index, f"CAS01 {group!r} is not a claim adjustment group code",
                             element_position=1, expected="CO, CR, OA, PI or PR")


_PROCEDURES: dict[str, BoundedCache] = {}  # per component separator: SVC01/SVC06 text → Procedure

# What a remembered segment holds (`_SegmentMemo`): the kind, compared by identity, and a value.
_ADJUSTMENTS = "CAS adjustments"  # (kind, ReadOnlyList of Adjustment)
_DATE = "DTM date"  # (kind, ReadOnlyDict {qualifier: date})
_AMOUNT = "AMT amount"  # (kind, ReadOnlyDict {qualifier: Decimal})
_REMARK = "LQ remark"  # (kind, Reference)
_SERVICE = "SVC values"  # (kind, the SVC's seven values followed by `_LINE_START`)
# The rest of a new service line's slots: no REF*6R yet, and the shared read-only empty references, remarks,
# dates, adjustments, amounts and quantities (in the order the reader unpacks them).
_LINE_START = (None, READ_ONLY_EMPTY_LIST, READ_ONLY_EMPTY_LIST, READ_ONLY_EMPTY_DICT, READ_ONLY_EMPTY_LIST,
               READ_ONLY_EMPTY_DICT, READ_ONLY_EMPTY_DICT)


class _SegmentMemo(dict):
    """Segment text → what reading it gave, for the CAS, DTM, SVC, AMT and LQ segments of one pair of separators.

    A remittance repeats these texts on line after line (the same contractual adjustment of the
    same fee, the same date of service, charge, allowed amount and remark), and what they give is
    a pure function of the text: immutable values (`Adjustment`, `Reference`, `date`, `Decimal`,
    `Procedure`, the `ReadOnlyList` of a CAS, the one-entry `ReadOnlyDict` of a DTM or AMT) that claims
    may share; a service line
    is built anew from its SVC values. Only a
    text that read without error is remembered, so a repeated text has passed every check its
    first reading made, and the loop checks (is a claim or line open) are made at each
    occurrence. Bounded like `DecimalCache`: once full, new texts are read without being kept.

    A full memo is emptied when it has come to hold the wrong texts (`settle`). The memo lives as
    long as the process, and a posting worker reads months of remittances: the dates of service
    and the amounts of the first files it read stop recurring, and a memo kept as it was would
    miss every date from then on.
    """

    limit = 16384
    # Emptied when more than one in `refusal_share` of the segments read since the last check were
    # texts it had no room for. With the right texts the refused ones are those seen once (new claim
    # amounts): under a tenth of the segments of the generated remittances. A memo holding another
    # period's texts refuses every date and most amounts: over a quarter of them.
    refusal_share = 5

    def __init__(self) -> None:
        super().__init__()
        self.refused = self.read = 0

    def settle(self, refused: int, read: int) -> None:
        """Count `read` segments, `refused` of them turned away; every `limit` segments, empty the
        memo if too many were (it refills with the texts now read)."""
        self.refused += refused
        self.read += read
        if self.read >= self.limit:
            if self.refused * self.refusal_share > self.read:
                self.clear()
            self.refused = self.read = 0


_MEMOS: dict[tuple[str, str], _SegmentMemo] = {}


def parse_835(transaction: Transaction) -> Remittance:
    """Read one 835 transaction set (005010X221A1) into a `Remittance`; raises located `X12Error`.

    The cyclic garbage collector is paused while the remittance is built. The remittance is a
    tree of thousands of new GC-tracked objects (claims, lines, adjustments and their lists and
    dicts) with no reference cycles; they survive the young collections the build triggers, are
    promoted and soon set off full collections, which walk every live object of the process and
    free nothing. The cost grows with the rest of the heap: on the 20 MB benchmark file reading
    takes about 11% longer without the pause in a small process, and about 75% longer in one that
    holds the whole file's transactions. Allocating fewer containers does not remove it (each
    claim, line and adjustment is itself tracked). The pause is process-wide and short (see
    `collection_paused`). Concurrent parses in other threads are still correct; the first to
    finish turns collection back on for the rest.
    """
    with collection_paused():
        # The reader is run to its end (its one piece unpacked) rather than `next`ed and dropped: a
        # suspended generator is closed by raising GeneratorExit in it, a cost per transaction set.
        (remittance,) = _read_835((transaction,), None)
        return remittance


def stream_835(parts: Iterable[Transaction], claims_per_piece: int = 1000) -> Iterator[Remittance]:
    """Read one 835 transaction set given in parts (`iter_transaction_parts`) as a stream of pieces.

    Each piece is a `Remittance` with the header (BPR, TRN, payer, payee…) and the next claims, at
    most `claims_per_piece` of them; the last piece also carries the PLB provider adjustments, so
    memory stays bounded by a piece however many claims the payment has. Balancing the whole set
    (BPR02 = Σ CLP04 − Σ PLB) is for the caller, once the last piece is read. The collector is
    paused while each piece is read, as in `parse_835`, and running while the caller handles it.
    """
    reader = _read_835(parts, claims_per_piece)
    while True:
        with collection_paused():
            piece = next(reader, None)
        if piece is None:
            return
        yield piece


def _read_835(parts: Iterable[Transaction], claims_per_piece: int | None) -> Iterator[Remittance]:
    """Pieces of one transaction set read part by part (one piece with every claim when no limit)."""
    parts = iter(parts)
    transaction = opening = next(parts)
    if transaction.set_id != "835":
        raise transaction.error(0, f"transaction set {transaction.set_id} is not an 835", element_position=1,
                                expected="835")
    limit = claims_per_piece or sys.maxsize
    texts = transaction.raw_segments
    separator = transaction.delimiters.element
    component = transaction.delimiters.component
    decimals, money = DECIMALS, AMOUNTS  # quantities; monetary amounts (at most 99999999.99)
    dates = DATES
    # Service lines and claims, the most frequent objects, are made with object.__new__ and each slot
    # set here once: the dataclass __init__ is a call and a frame, and tests each default-factory field
    # against its sentinel (about 4 and 1% of reading). Every field must be set; a test compares the
    # objects read with the dataclasses field by field.
    new, line_type, claim_type = object.__new__, ServicePayment, ClaimPayment
    # The containers of a line or claim start as the shared read-only empties (see `remit835`). References,
    # remarks and quantities get a list or dict of their own when a segment fills them; adjustments, dates
    # and amounts get the remembered read-only list or dict of their first CAS, DTM or AMT, and one of their
    # own at the second.
    no_items, no_values, shared_items, shared_values = (READ_ONLY_EMPTY_LIST, READ_ONLY_EMPTY_DICT, ReadOnlyList,
                                                        ReadOnlyDict)
    # Adjustment, Reference and EntityName are NamedTuples: tuple.__new__ builds one in C.
    make = tuple.__new__
    adjustment_type, reference_type, group_codes = Adjustment, Reference, GROUP_CODES
    procedures = _PROCEDURES.get(component)
    if procedures is None:
        procedures = _PROCEDURES[component] = BoundedCache(partial(_procedure, component=component))
    memo = _MEMOS.get((separator, component))
    if memo is None:
        memo = _MEMOS[separator, component] = _SegmentMemo()
    recall, memo_limit = memo.get, memo.limit
    # The kinds of remembered values, compared on every CAS, DTM, AMT and SVC: locals are read faster than globals.
    some_adjustments, a_date, an_amount, service_values = _ADJUSTMENTS, _DATE, _AMOUNT, _SERVICE
    line_start = _LINE_START
    refused = 0  # texts of this part the full memo had no room for (see `_SegmentMemo.settle`)
    text: str | None = None
    header = HeaderReader(component)
    claims: list[ClaimPayment] = []
    claim: ClaimPayment | None = None
    line: ServicePayment | None = None
    loop: ClaimPayment | ServicePayment | None = None  # the open service line, else the open claim
    header_number: int | None = None
    # The open loop's containers (service line if one is open, else claim), kept in locals so the
    # frequent CAS/DTM/AMT segments do not look up `line` and `claim` each time. Outside a claim, CAS,
    # AMT and QTY go to containers that refuse them, and DTM to the header's dates (DTM*405).
    outside_items, outside_values = _OUTSIDE_ITEMS, _OUTSIDE_VALUES
    adjustments: list[Adjustment] = outside_items
    dates_into: dict = header.dates
    amounts: dict = outside_values
    quantities: dict = outside_values
    service_lines: list[ServicePayment] | None = None
    try:
        # Each segment not remembered is split here as the loop reaches it: the element lists die
        # young (see `tokenizer`). A plain `text.split` is cheaper than mapping a methodcaller over
        # the texts. The position of a segment is looked up only when it is reported (`_position`).
        for transaction in chain((opening,), parts):
            texts = transaction.raw_segments
            for text in texts:
                known = recall(text)
                if known is None:
                    segment = text.split(separator)
                    segment_id = segment[0]
                    # Segments that give memo values (CAS, DTM, SVC, AMT, LQ) set `known`, are remembered and
                    # applied below like a text read before; the others are applied here. Branches in order of
                    # how often a segment is not remembered in a remittance.
                    if segment_id == "REF":
                        if line is not None:
                            if segment[1] == "6R":
                                line.line_item_control_number = segment[2]
                            else:
                                line.references = [*line.references, make(reference_type, (segment[1], segment[2]))]
                        elif claim is not None:
                            claim.references = [*claim.references, make(reference_type, (segment[1], segment[2]))]
                        else:
                            header.reference(make(reference_type, (segment[1], segment[2])))
                        continue
                    elif segment_id == "SVC":
                        size = len(segment)
                        if size == 6:  # SVC01 to SVC05, no changed procedure: most lines
                            _, composite, charge, paid, revenue_code, units = segment
                            values = (procedures[composite], money[charge], money[paid], revenue_code,
                                      decimals[units] if units else None, None, None) + line_start
                        else:
                            values = (
                                procedures[segment[1]],
                                money[segment[2]],
                                money[segment[3]],
                                segment[4] if size > 4 else "",
                                decimals[segment[5]] if size > 5 and segment[5] else None,
                                procedures[segment[6]] if size > 6 and segment[6] else None,
                                decimals[segment[7]] if size > 7 and segment[7] else None,
                            ) + line_start
                        known = (_SERVICE, values)
                    elif segment_id == "NM1":
                        if claim is None or line is not None:
                            raise transaction.error(_position(texts, text), "NM1 outside a claim payment (loop 2100)",
                                                    expected="NM1 after CLP and before SVC")
                        if len(segment) == 10:
                            _, entity_code, entity_type, last, first, middle, _, suffix, id_qualifier, identifier = (
                                segment)
                            claim.names[entity_code] = make(EntityName, (entity_code, entity_type, last, first,
                                                                         middle, suffix, id_qualifier, identifier))
                            continue
                        size = len(segment)
                        claim.names[segment[1]] = make(EntityName, (
                            segment[1], segment[2],
                            segment[3] if size > 3 else "", segment[4] if size > 4 else "",
                            segment[5] if size > 5 else "", segment[7] if size > 7 else "",
                            segment[8] if size > 8 else "", segment[9] if size > 9 else "",
                        ))
                        continue
                    elif segment_id == "CLP":
                        size = len(segment)
                        status = segment[2]
                        if status not in CLAIM_STATUS_CODES:
                            raise transaction.error(_position(texts, text),
                                                    f"CLP02 {status!r} is not a claim status code", element_position=2,
                                                    expected="1, 2, 3, 4, 19, 20, 21, 22, 23 or 25")
                        if size == 10:  # CLP01 to CLP09: the usual professional claim
                            _, number, _, charge, paid, patient, filing, payer_number, facility, frequency = segment
                        else:
                            number, charge, paid = segment[1], segment[3], segment[4]
                            patient = segment[5] if size > 5 else ""
                            filing = segment[6] if size > 6 else ""
                            payer_number = segment[7] if size > 7 else ""
                            facility = segment[8] if size > 8 else ""
                            frequency = segment[9] if size > 9 else ""
                        if len(claims) >= limit:
                            yield header.piece(opening, claims, last=False)
                            claims = []
                        claim = new(claim_type)
                        claim.patient_control_number = number
                        claim.status_code = status
                        claim.charge = money[charge]
                        claim.paid = money[paid]
                        claim.patient_responsibility = money[patient] if patient else None
                        claim.filing_indicator = filing
                        claim.payer_claim_control_number = payer_number
                        claim.facility_type = facility
                        claim.frequency_code = frequency
                        claim.header_number = header_number
                        claim.adjustments = adjustments = no_items
                        claim.names = {}
                        claim.references = no_items
                        claim.dates = dates_into = no_values
                        claim.amounts = amounts = no_values
                        claim.quantities = quantities = no_values
                        claim.remarks = no_items
                        claim.service_lines = service_lines = []
                        claims.append(claim)
                        loop = claim
                        line = header.party = None
                        continue
                    elif segment_id == "CAS":
                        # The group code and the open loop are checked before any amount is read.
                        group = segment[1]
                        if group not in group_codes:
                            raise _bad_group(transaction, _position(texts, text), group)
                        if adjustments is outside_items:
                            raise _OutsideLoop
                        size = len(segment)
                        if size == 4:  # one reason and amount, no quantity: most CAS segments
                            if not segment[2]:
                                continue
                            known = (_ADJUSTMENTS, shared_items((make(adjustment_type, (
                                group, segment[2], money[segment[3]], None)),)))
                        else:
                            read = []
                            for position in range(2, size, 3):
                                reason = segment[position]
                                if not reason:
                                    continue
                                quantity = segment[position + 2] if position + 2 < size else ""
                                read.append(make(adjustment_type, (group, reason, money[segment[position + 1]],
                                                                   decimals[quantity] if quantity else None)))
                            known = (_ADJUSTMENTS, shared_items(read))
                    elif segment_id == "AMT":
                        if amounts is outside_values:
                            raise _OutsideLoop
                        known = (_AMOUNT, shared_values({segment[1]: money[segment[2]]}))
                    elif segment_id == "DTM":
                        known = (_DATE, shared_values({segment[1]: dates[segment[2]]}))
                    elif segment_id == "LQ":
                        if line is None:
                            raise _OutsideLoop
                        known = (_REMARK, make(reference_type, (segment[1], segment[2])))
                    else:
                        if segment_id == "LX":
                            header_number = int(segment[1])
                            claim = line = loop = header.party = None
                            adjustments, dates_into = outside_items, header.dates
                            amounts = quantities = outside_values
                            service_lines = None
                        elif segment_id == "QTY":
                            if quantities is outside_values:
                                raise _OutsideLoop
                            if quantities is no_values:
                                loop.quantities = quantities = {}
                            quantities[segment[1]] = decimals[segment[2]]
                        elif segment_id == "MOA":
                            claim.remarks = [*claim.remarks,
                                             *(make(reference_type, ("MOA", code)) for code in segment[3:8] if code)]
                        else:
                            # BPR, TRN, CUR, the payer and payee loops and PLB; TS3, TS2, MIA, claim-level PER,
                            # RDM and other situational segments carry nothing modelled here, and ST and SE pass
                            # through too (cheaper than slicing them off).
                            header.read(segment)
                            if segment_id == "PLB":
                                claim = line = loop = None
                                adjustments, dates_into = outside_items, header.dates
                                amounts = quantities = outside_values
                                service_lines = None
                        continue
                    if len(memo) < memo_limit:
                        memo[text] = known
                    else:
                        refused += 1
                # A CAS, DTM, SVC, AMT or LQ segment: its values applied to the open loop.
                kind, first = known
                if kind is some_adjustments:
                    if adjustments is no_items:  # the open loop's first CAS
                        loop.adjustments = adjustments = first
                    elif adjustments.__class__ is shared_items:  # its second
                        loop.adjustments = adjustments = [*adjustments, *first]
                    else:  # a third, or outside a claim (refused)
                        adjustments.extend(first)
                elif kind is a_date:
                    if dates_into is no_values:  # the open loop's first date
                        loop.dates = dates_into = first
                    elif dates_into.__class__ is shared_values:  # its second
                        loop.dates = dates_into = {**dates_into, **first}
                    else:  # a third, or the header's
                        dates_into.update(first)
                elif kind is an_amount:
                    if amounts is no_values:
                        loop.amounts = amounts = first
                    elif amounts.__class__ is shared_values:
                        loop.amounts = amounts = {**amounts, **first}
                    else:
                        amounts.update(first)
                elif kind is service_values:
                    # One unpacking sets every slot: the SVC values, then `_LINE_START`.
                    line = new(line_type)
                    (line.procedure, line.charge, line.paid, line.revenue_code, line.units_paid,
                     line.original_procedure, line.original_units, line.line_item_control_number, line.references,
                     line.remarks, line.dates, line.adjustments, line.amounts, line.quantities) = first
                    # The containers the line's CAS, DTM, AMT and QTY fill are kept in locals too.
                    adjustments = no_items
                    dates_into = amounts = quantities = no_values
                    service_lines.append(line)
                    loop = line
                else:  # _REMARK
                    line.remarks = [*line.remarks, first]
            memo.settle(refused, len(texts))
            refused = 0
    except X12Error:
        raise
    except _CompositeError as error:
        index = _position(texts, text)
        segment = transaction.segments[index]
        raise transaction.error(index, str(error), element_position=1 if segment[0] != "SVC" or
                                not _bad_svc06(segment, component) else 6,
                                expected="qualifier and code separated by the ISA16 component separator") from None
    except (AttributeError, _OutsideLoop):
        index = _position(texts, text)
        raise transaction.error(index, f"{transaction.segments[index][0]} outside the loop it belongs to",
                                expected="CLP before claim segments, SVC before line segments") from None
    except CONVERSION_ERRORS as error:
        raise locate_failure(transaction, _position(texts, text), _RULES, _REQUIRED, error) from None
    yield header.piece(opening, claims, last=True)


def _position(texts: list[str], text: str | None) -> int:
    """Index of the segment `text` (the very object, not an equal one) in the transaction set."""
    for index, candidate in enumerate(texts):
        if candidate is text:
            return index
    return texts.index(text) if text in texts else 0


def _bad_svc06(segment: list[str], component: str) -> bool:
    try:
        _procedure(segment[1], component)
    except _CompositeError:
        return False
    return True
