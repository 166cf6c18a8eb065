"""Per-practice extracts of X12 interchanges that held several practices' claims.

A clearinghouse file may carry more than one billing provider: a 277CA answers several 837
transactions in one interchange, an 835 file may hold payments to several payees. The practice
gets what is its own, re-enveloped so the extract is itself a valid interchange:

- 837P (005010X222A1) and 277CA (005010X214): the HL tree is cut at the billing-provider level
  (837P loop 2000A, HL03 20; 277CA loop 2000C, HL03 19, identified by NM1*85 NM109, the NPI); a
  provider's subscribers, patients and claims go with it, the levels above are kept, and HL01/HL02
  are renumbered from 1 as X12 requires. In a 277CA the information receiver's trace and totals
  (loop 2200B) are kept for the practice's own 837 batches only (TRN02 is the batch's BHT03).
- 835 (005010X221A1): a transaction set pays one payee (N1*PE), so sets are kept or left out
  whole and every kept set still balances (BPR02 = ΣCLP04 − ΣPLB).
- 999: acknowledges one functional group; kept when the group was one of the practice's batches.

SE01, GE01 and IEA01 are recomputed by `x12.InterchangeWriter`; control numbers stay those of the
original interchange, so the extract can be traced to the file the MSO received. No database here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from openmso.x12 import InterchangeWriter, Transaction, X12Error, iter_transactions
from openmso.x12.tokenizer import Source

Body = list[list[str]]


@dataclass(frozen=True)
class Ownership:
    """What identifies the practice inside X12: its NPI and TIN, its batches' group numbers and BHT03s."""

    npi: str
    tin: str
    group_control_numbers: frozenset[str] = frozenset()
    batch_references: frozenset[str] = frozenset()


@dataclass
class Extract:
    whole: bool  # True: every transaction set is the practice's, the original bytes stand
    kept: int = 0  # 0: nothing in the file is the practice's
    total: int = 0
    notes: list[str] = field(default_factory=list)


def _hl_blocks(body: Body) -> tuple[Body, list[Body]]:
    head: Body = []
    blocks: list[Body] = []
    for segment in body:
        if segment[0] == "HL":
            blocks.append([segment])
        elif blocks:
            blocks[-1].append(segment)
        else:
            head.append(segment)
    return head, blocks


def _element(segment: list[str], position: int) -> str:
    return segment[position] if len(segment) > position else ""


def _provider_npi(block: Body) -> str:
    for segment in block:
        if segment[0] == "NM1" and _element(segment, 1) == "85":
            return _element(segment, 9)
    return ""


def cut_hl_tree(body: Body, provider_level: str, owns: Callable[[Body], bool]) -> Body | None:
    """Keep the provider-level HL loops `owns` accepts, their descendants, and the ancestors of what is kept."""
    head, blocks = _hl_blocks(body)
    parents = {_element(block[0], 1): _element(block[0], 2) for block in blocks}
    below: set[str] = set()  # ids at or under the provider level
    kept_ids: set[str] = set()
    for block in blocks:
        own_id, parent, level = _element(block[0], 1), _element(block[0], 2), _element(block[0], 3)
        if level == provider_level:
            below.add(own_id)
            if owns(block):
                kept_ids.add(own_id)
        elif parent in below:
            below.add(own_id)
            if parent in kept_ids:
                kept_ids.add(own_id)
    if not kept_ids:
        return None
    for own_id in list(kept_ids):
        parent = parents.get(own_id, "")
        while parent and parent not in kept_ids:  # a payer or receiver level above a kept provider
            kept_ids.add(parent)
            parent = parents.get(parent, "")
    kept = [block for block in blocks if _element(block[0], 1) in kept_ids]
    numbers = {_element(block[0], 1): str(n) for n, block in enumerate(kept, start=1)}
    out = list(head)
    for block in kept:
        hl = list(block[0])
        hl[1] = numbers[hl[1]]
        if len(hl) > 2 and hl[2]:
            hl[2] = numbers.get(hl[2], hl[2])
        out.append(hl)
        out.extend(block[1:])
    return out


def _receiver_traces(block: Body, references: frozenset[str]) -> tuple[Body, int]:
    """Loop 2200B inside the information receiver's HL: keep the trace groups of the practice's batches."""
    out, dropped, keep = [], 0, True
    for segment in block:
        if segment[0] == "TRN":
            keep = _element(segment, 2) in references
            dropped += not keep
        if keep:
            out.append(segment)
    return out, dropped


def _filter_837(transaction: Transaction, owner: Ownership, notes: list[str]) -> Body | None:
    return cut_hl_tree(transaction.segments[1:-1], "20", lambda block: _provider_npi(block) == owner.npi)


def _filter_277(transaction: Transaction, owner: Ownership, notes: list[str]) -> Body | None:
    body = cut_hl_tree(transaction.segments[1:-1], "19", lambda block: _provider_npi(block) == owner.npi)
    if body is None:
        return None
    head, blocks = _hl_blocks(body)
    out = list(head)
    for block in blocks:
        if _element(block[0], 3) == "21":
            block, dropped = _receiver_traces(block, owner.batch_references)
            if dropped:
                notes.append(f"{dropped} information-receiver trace group(s) (2200B) of other practices' "
                             "batches left out")
        out.extend(block)
    return out


def _filter_835(transaction: Transaction, owner: Ownership, notes: list[str]) -> Body | None:
    for segment in transaction.segments:
        if segment[0] == "N1" and _element(segment, 1) == "PE":
            qualifier, identifier = _element(segment, 3), _element(segment, 4)
            mine = (qualifier == "XX" and identifier == owner.npi) or (qualifier == "FI" and identifier == owner.tin)
            return transaction.segments[1:-1] if mine else None
    return None


def _filter_999(transaction: Transaction, owner: Ownership, notes: list[str]) -> Body | None:
    for segment in transaction.segments:
        if segment[0] == "AK1":
            return transaction.segments[1:-1] if _element(segment, 2) in owner.group_control_numbers else None
    return None


FILTERS = {"837": _filter_837, "277": _filter_277, "835": _filter_835, "999": _filter_999}


def _composites(segment: list[str], component: str) -> list:
    return [tuple(value.split(component)) if component in value else value for value in segment]


def extract(source: Source, owner: Ownership, out: TextIO) -> Extract:
    """Write the practice's part of the interchanges in `source` to `out`, one transaction set at a time:
    memory holds one set, never the file. When `whole`, every set is the practice's and the original
    bytes stand (what was written to `out` is then not needed)."""
    result = Extract(whole=False)
    unchanged = True
    writer: InterchangeWriter | None = None
    interchange = group = None
    for transaction in iter_transactions(source):
        result.total += 1
        chooser = FILTERS.get(transaction.set_id)
        if chooser is None:
            raise X12Error(f"transaction set {transaction.set_id} is not one the exit package extracts",
                           segment_id="ST", expected="837, 277, 835 or 999")
        body = chooser(transaction, owner, result.notes)
        if body is None or body != transaction.segments[1:-1]:
            unchanged = False
        if body is None:
            continue
        delimiters = transaction.delimiters
        if transaction.interchange is not interchange:
            if writer is not None:
                writer.close()
            interchange, group = transaction.interchange, None
            writer = InterchangeWriter(out, interchange, delimiters, line_breaks=True)
        if transaction.group is not group:
            if group is not None:
                writer.end_group()
            group = transaction.group
            writer.begin_group(group)
        st = transaction.segments[0]
        writer.write_transaction(transaction.set_id, transaction.control_number,
                                 [_composites(s, delimiters.component) for s in body], st[3] if len(st) > 3 else None)
        result.kept += 1
    if writer is not None:
        writer.close()
    result.whole = bool(result.kept) and unchanged and not result.notes
    return result
