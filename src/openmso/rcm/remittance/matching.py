"""Pure rules of posting: which claim line an SVC pays, how its adjustments split, what the claim's
outcome is. No I/O; `posting` loads the rows, calls these, and writes the result.

Line matching (005010X221A1 loop 2110): the line item control number we sent in the 837 REF*6R
("<claim id>-<line number>") comes back in the 835 REF*6R and decides. Without it, the line is the
unpaid line with the same procedure, modifiers, date and units — taking the procedure and
modifiers we submitted from SVC06 when the payer changed them, and the units from SVC07. Failing
that, the one unpaid line with the same procedure and date. Anything else is not matched (an
exception), never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from openmso.rcm.denials.rules import DenialCategory, classify
from openmso.x12 import Adjustment, ServicePayment
from openmso.x12.elements import BoundedCache

ZERO = Decimal("0.00")


class LineRef(NamedTuple):
    """What matching needs to know about one of our claim lines (a tuple: built by the thousand)."""

    id: int
    line_number: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    service_date: date


def match_lines(claim_id: int, lines: list[LineRef], services: list[ServicePayment]
                ) -> tuple[list[LineRef | None], list[str]]:
    """For each SVC, the claim line it pays (or None) and the reasons for the ones not matched."""
    used: set[int] = set()
    matched: list[LineRef | None] = []
    problems: list[str] = []
    owner = f"{claim_id}-"
    for position, service in enumerate(services, start=1):
        line = _by_control_number(owner, lines, service.line_item_control_number, used)
        if line is None:
            line = _by_attributes(lines, service, used)
        if line is None:
            submitted = service.original_procedure or service.procedure
            problems.append(f"SVC {position} ({submitted.code}{''.join(':' + m for m in submitted.modifiers)} "
                            f"on {service.service_date or 'no date'}): no unpaid claim line matches")
        else:
            used.add(line.id)
        matched.append(line)
    return matched, problems


def _by_control_number(owner: str, lines: list[LineRef], control: str | None, used: set[int]) -> LineRef | None:
    """The line `control` ("<claim id>-<line number>") names, when `owner` ("<claim id>-") is its claim.
    `lines` are in line-number order, numbered from 1 as a rule: line n is looked for at n − 1 first."""
    if not control or not control.startswith(owner):
        return None
    number = control[len(owner):]
    if not number.isdigit():
        return None
    number = int(number)
    line = lines[number - 1] if 0 < number <= len(lines) else None
    if line is None or line.line_number != number:
        line = next((candidate for candidate in lines if candidate.line_number == number), None)
    return line if line is not None and line.id not in used else None


def _by_attributes(lines: list[LineRef], service: ServicePayment, used: set[int]) -> LineRef | None:
    submitted = service.original_procedure or service.procedure
    units = service.original_units if service.original_units is not None else service.units_paid
    day = service.service_date
    open_lines = [line for line in lines if line.id not in used and line.procedure_code == submitted.code
                  and (day is None or line.service_date == day)]
    exact = [line for line in open_lines if line.modifiers == tuple(submitted.modifiers)
             and (units is None or abs(units) == line.units)]
    if exact:
        return exact[0]  # identical lines are interchangeable: the first in line order
    return open_lines[0] if len(open_lines) == 1 else None


@dataclass(frozen=True, slots=True)
class Split:
    """Adjustments of a line or claim split the way the ledger keeps them."""

    contractual: Decimal = ZERO
    patient: Decimal = ZERO
    other: Decimal = ZERO
    text: str = ""
    reasons: tuple[tuple[str, str], ...] = ()
    prior_payer: Decimal = ZERO  # CARC 23 (part of `other`): what an earlier payer paid or adjusted


_NO_ADJUSTMENTS = Split()
PRIOR_PAYER_CARC = "23"  # "impact of prior payer(s) adjudication including payments and/or adjustments"
CENT = Decimal("0.01")


def split_adjustments(adjustments: Sequence[Adjustment]) -> Split:
    """PR → patient responsibility; contractual CARCs (CO-45 …) → contractual; the rest → other
    (denied or otherwise adjusted, still open until worked).

    A payment repeats the same adjustments on thousands of lines (CO-45 of the same fee, PR-2 of
    the same copay), so a split is remembered by the adjustments themselves (tuples of group, code,
    amount and quantity). Its text spells out every group, code and amount, the amount to the cent
    (`amount_text`), so adjustments equal in value read the same whichever way the payer wrote them.
    The memory is emptied when full, not frozen: it lives as long as the process, and the amounts
    a posting worker met first (last year's fee schedules) stop recurring."""
    if not adjustments:
        return _NO_ADJUSTMENTS
    return _SPLITS[tuple(adjustments)]


def amount_text(amount: Decimal) -> str:
    """An amount to the cent ("55.1" and "55.10" both "55.10"), or with every place it has when it
    has more than two."""
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:  # too many digits to hold in cents: as it is
        return str(amount)
    return str(cents if cents == amount else amount)


def _split(adjustments: Sequence[Adjustment]) -> Split:
    contractual = patient = other = prior = ZERO
    for adjustment in adjustments:
        group, amount = adjustment.group_code, adjustment.amount
        if group == "PR":
            patient += amount
        elif _contractual(group, adjustment.reason_code):
            contractual += amount
        else:
            other += amount
            if adjustment.reason_code == PRIOR_PAYER_CARC:
                prior += amount
    text = " ".join(f"{a.group_code}:{a.reason_code}:{amount_text(a.amount)}" for a in adjustments)
    return Split(contractual, patient, other, text, tuple((a.group_code, a.reason_code) for a in adjustments),
                 prior)


def own_decision(split: Split) -> Split:
    """A later payer's (secondary, tertiary) adjustments without the earlier payers' decision it repeats.

    On a claim billed after another payer, CARC 23 ("impact of prior payer adjudication", usually group
    OA) is the part of the charge the earlier payers paid or wrote off: the later payer reports it so its
    835 balances (charge = paid + adjustments), but it is neither a denial nor money this payer owes. What
    is left of `other` is this payer's own denial or adjustment, worked as on any claim."""
    if not split.prior_payer:
        return split
    return Split(split.contractual, split.patient, split.other - split.prior_payer, split.text,
                 tuple(reason for reason in split.reasons if reason[1] != PRIOR_PAYER_CARC or reason[0] == "PR"))


def prior_payer_amount(text: str) -> Decimal:
    """CARC 23 amounts in a posting's adjustment text ("OA:23:170.00 PR:2:10.00" → 170.00), group PR aside."""
    total = ZERO
    for part in text.split():
        group, reason, amount = part.split(":")
        if reason == PRIOR_PAYER_CARC and group != "PR":
            total += Decimal(amount)
    return total


_SPLITS = BoundedCache(_split, 65536)  # tuple of adjustments → its Split


UNITS_LIMIT = 2**31 - 1  # units are whole numbers in a 4-byte integer column


def _whole_units(value: Decimal) -> int | None:
    """Units paid (SVC05) as the ledger keeps them: a whole number, or None when the payer paid a
    fraction of a unit or a count no column holds, which rounding would hide."""
    if value != value.to_integral_value() or abs(value) > UNITS_LIMIT:
        return None
    return int(value)


WHOLE_UNITS = BoundedCache(_whole_units, 4096)  # units paid → int or None


def unpostable_line(number: int, service: ServicePayment, code_size: int, modifiers_size: int) -> str:
    """Why SVC `number` cannot be posted as it was paid (the claim goes to the exceptions queue, not
    into columns that would cut or round it)."""
    for name, paid in (("SVC01", service.procedure), ("SVC06", service.original_procedure)):
        if paid is not None and len(paid.code) > code_size:
            return (f"SVC {number}: {name} {paid.qualifier}:{paid.code[:48]} is not a {code_size}-character "
                    "HCPCS/CPT code; post it by hand")
    if len(":".join(service.procedure.modifiers)) > modifiers_size:
        return (f"SVC {number}: modifiers {':'.join(service.procedure.modifiers)[:40]} are not up to four "
                "2-character modifiers; post it by hand")
    return (f"SVC {number}: {service.units_paid} units paid (SVC05) is not a whole number of units "
            f"up to {UNITS_LIMIT:,}; post it by hand")


@lru_cache(maxsize=4096)
def _contractual(group: str, code: str) -> bool:
    """Whether the CARC is a contractual write-down (the rules are data; a payment repeats a few codes)."""
    return classify(group, code).category is DenialCategory.CONTRACTUAL


def line_denied(charge: Decimal, paid: Decimal, split: Split) -> bool:
    return split.other > 0 and paid == 0 and charge > 0 and split.patient == 0


def claim_outcome(status_code: str, line_denials: list[bool], paid: Decimal, split: Split) -> str:
    """paid, partially_paid, denied or reversed (CLP02 22)."""
    if status_code == "22":
        return "reversed"
    if status_code == "4" or (line_denials and all(line_denials)):
        return "denied"
    if not line_denials and paid == 0 and split.patient == 0 and split.other > 0:
        return "denied"
    if any(line_denials) or (split.other > 0 and paid > 0 and not line_denials):
        return "partially_paid"
    return "paid"
