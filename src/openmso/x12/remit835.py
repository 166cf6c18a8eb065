"""Typed 835 Health Care Claim Payment/Advice, 005010X221A1 (the model; `remit835_reader` reads it).

Model choice: ``@dataclass(slots=True)`` rather than Pydantic. A large remittance has millions of
CAS/SVC/DTM segments; slots dataclasses are built with no per-field validation pass, use less
memory than dict-backed instances, and compare by value for round-trip tests. Every value is
validated once where it is read (`decimal_value`, `date_value`), so Pydantic's validation would
repeat work on the hot path. The small immutable leaves read most often (`Adjustment`, one per
CAS triple; `Reference`, one per REF or LQ; `EntityName`, one per NM1) are `NamedTuple`s: the
reader makes them with one C call (``tuple.__new__``) instead of a Python ``__init__`` frame,
about a third of the cost of a slots dataclass, and nothing ever changes them after reading.

In a remittance read from an 835, a service line's or claim's `references`, `remarks` and
`quantities` that the 835 leaves empty are one shared read-only empty list or dict
(`READ_ONLY_EMPTY_LIST`, `READ_ONLY_EMPTY_DICT`): most lines and claims have none, and three
containers made and freed per line are about 6% of reading. They equal ``[]`` and ``{}``, and
changing one raises `TypeError`; assign a new list or dict instead. In the same way the
`adjustments`, `dates` and `amounts` of a line or claim that one CAS, DTM or AMT fills (most lines:
CAS*CO*45, DTM*472, AMT*B6) are a read-only list or dict (`ReadOnlyList`, `ReadOnlyDict`) shared
by every line or claim with the same segment; a second CAS, DTM or AMT gives the line or claim a
list or dict of its own. Models built in code get their own lists and dicts as before.

Loops read (TR3 names): header BPR/TRN/CUR/REF/DTM*405; 1000A payer (N1*PR, N3, N4, REF, PER);
1000B payee (N1*PE, N3, N4, REF); 2000 header number (LX); 2100 claim payment (CLP, CAS, NM1,
MOA, REF, DTM, AMT, QTY); 2110 service payment (SVC, DTM, CAS, REF, AMT, QTY, LQ); summary PLB.
Money is `Decimal`, dates are `date`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

# CLP02 claim status codes (X221A1 2100 CLP02).
STATUS_PRIMARY = "1"
STATUS_SECONDARY = "2"
STATUS_TERTIARY = "3"
STATUS_DENIED = "4"
STATUS_PRIMARY_FORWARDED = "19"
STATUS_SECONDARY_FORWARDED = "20"
STATUS_TERTIARY_FORWARDED = "21"
STATUS_REVERSAL = "22"
STATUS_NOT_OUR_CLAIM_FORWARDED = "23"
STATUS_PREDETERMINATION = "25"
CLAIM_STATUS_CODES = frozenset({"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"})
# CAS01 claim adjustment group codes.
GROUP_CODES = frozenset({"CO", "CR", "OA", "PI", "PR"})


def _refuse_change(container: object, *arguments: object, **keywords: object) -> None:
    raise TypeError("a remittance read from an 835 shares this list or dict between its lines and claims; "
                    "assign a new one instead of changing it")


class ReadOnlyList(list):
    """A list that refuses every change once made (see the module docstring); a copy is a plain list."""

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse_change
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse_change

    def __reduce__(self) -> tuple:
        return list, (list(self),)


class ReadOnlyDict(dict):
    """A dict that refuses every change once made (see the module docstring); a copy is a plain dict."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = update = setdefault = pop = popitem = clear = _refuse_change

    def __reduce__(self) -> tuple:
        return dict, (dict(self),)


READ_ONLY_EMPTY_LIST = ReadOnlyList()
READ_ONLY_EMPTY_DICT = ReadOnlyDict()


class Adjustment(NamedTuple):
    """One CAS reason/amount/quantity triple with its group code (CAS01)."""

    group_code: str
    reason_code: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(slots=True, frozen=True)
class Procedure:
    """Composite medical procedure identifier (C003): qualifier, code, up to four modifiers.

    Immutable, so the reader can share one instance among every line with the same composite.
    """

    qualifier: str
    code: str
    modifiers: tuple[str, ...] = ()
    description: str = ""


class Reference(NamedTuple):
    """REF qualifier and value (or LQ qualifier and remark code)."""

    qualifier: str
    value: str


@dataclass(slots=True)
class Address:
    lines: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(slots=True)
class Contact:
    """PER: contact function (BL technical, CX business), name and (qualifier, number) pairs."""

    function_code: str
    name: str = ""
    numbers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Party:
    """1000A payer / 1000B payee: N1 name and id, N3/N4 address, REF identifications."""

    entity_code: str
    name: str
    id_qualifier: str = ""
    identifier: str = ""
    address: Address | None = None
    references: list[Reference] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    def reference(self, qualifier: str) -> str | None:
        for ref in self.references:
            if ref.qualifier == qualifier:
                return ref.value
        return None

    @property
    def npi(self) -> str | None:
        """N104 when N103 is XX (payee NPI)."""
        return self.identifier if self.id_qualifier == "XX" else None

    @property
    def tin(self) -> str | None:
        """N104 when N103 is FI, else REF*TJ (federal taxpayer identification number)."""
        return self.identifier if self.id_qualifier == "FI" else self.reference("TJ")


class EntityName(NamedTuple):
    """NM1 in loop 2100: patient (QC), insured (IL), corrected patient (74), rendering (82)..."""

    entity_code: str
    entity_type: str
    last_or_organization: str = ""
    first: str = ""
    middle: str = ""
    suffix: str = ""
    id_qualifier: str = ""
    identifier: str = ""


@dataclass(slots=True)
class Payment:
    """BPR financial information: what was paid, how, from which account to which, and when."""

    handling_code: str  # BPR01: I remittance+payment, H advice only, C payment+remittance, ...
    amount: Decimal  # BPR02 total actual provider payment
    credit_debit: str  # BPR03 C/D
    method: str  # BPR04 ACH, CHK, BOP, FWT, NON
    format: str = ""  # BPR05 CCP, CTX
    sender_dfi_qualifier: str = ""
    sender_dfi_id: str = ""
    sender_account_qualifier: str = ""
    sender_account: str = ""
    payer_company_id: str = ""  # BPR10
    payer_supplemental_code: str = ""  # BPR11
    receiver_dfi_qualifier: str = ""
    receiver_dfi_id: str = ""
    receiver_account_qualifier: str = ""
    receiver_account: str = ""
    date: date | None = None  # BPR16 check issue or EFT effective date


@dataclass(slots=True)
class Trace:
    """TRN reassociation trace: TRN02 is the check or EFT trace number."""

    type_code: str
    trace_number: str
    originator_id: str = ""
    supplemental_id: str = ""


@dataclass(slots=True)
class ServicePayment:
    """Loop 2110: SVC service payment with its dates, line CAS, REF*6R, AMT and LQ remarks."""

    procedure: Procedure
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    revenue_code: str = ""  # SVC04
    units_paid: Decimal | None = None  # SVC05
    original_procedure: Procedure | None = None  # SVC06, when the payer changed the code
    original_units: Decimal | None = None  # SVC07
    dates: dict[str, date] = field(default_factory=dict)  # DTM 472 / 150 / 151
    adjustments: list[Adjustment] = field(default_factory=list)
    line_item_control_number: str | None = None  # REF*6R
    references: list[Reference] = field(default_factory=list)
    amounts: dict[str, Decimal] = field(default_factory=dict)  # AMT B6 allowed, KH, T, ...
    quantities: dict[str, Decimal] = field(default_factory=dict)
    remarks: list[Reference] = field(default_factory=list)  # LQ*HE remark codes (RARC)

    @property
    def allowed_amount(self) -> Decimal | None:
        return self.amounts.get("B6")

    @property
    def remark_codes(self) -> list[str]:
        return [r.value for r in self.remarks if r.qualifier == "HE"]

    @property
    def service_date(self) -> date | None:
        return self.dates.get("472") or self.dates.get("150")


@dataclass(slots=True)
class ClaimPayment:
    """Loop 2100: CLP claim payment information and what belongs to it."""

    patient_control_number: str  # CLP01, the claim id the provider submitted (837 CLM01)
    status_code: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str = ""  # CLP06
    payer_claim_control_number: str = ""  # CLP07
    facility_type: str = ""  # CLP08
    frequency_code: str = ""  # CLP09
    header_number: int | None = None  # LX01 of the enclosing 2000 loop
    adjustments: list[Adjustment] = field(default_factory=list)
    names: dict[str, EntityName] = field(default_factory=dict)  # by NM101
    references: list[Reference] = field(default_factory=list)
    dates: dict[str, date] = field(default_factory=dict)  # DTM 232/233/050/036
    amounts: dict[str, Decimal] = field(default_factory=dict)
    quantities: dict[str, Decimal] = field(default_factory=dict)
    remarks: list[Reference] = field(default_factory=list)  # MOA remark codes
    service_lines: list[ServicePayment] = field(default_factory=list)

    @property
    def is_reversal(self) -> bool:
        return self.status_code == STATUS_REVERSAL

    @property
    def is_denied(self) -> bool:
        return self.status_code == STATUS_DENIED

    @property
    def forwarded_to_another_payer(self) -> bool:
        """CLP02 19/20/21: processed here and forwarded (crossed over) to the next payer."""
        return self.status_code in ("19", "20", "21")

    @property
    def processed_as_secondary(self) -> bool:
        return self.status_code in (STATUS_SECONDARY, STATUS_SECONDARY_FORWARDED)

    @property
    def patient(self) -> EntityName | None:
        return self.names.get("QC")

    @property
    def insured(self) -> EntityName | None:
        return self.names.get("IL")

    @property
    def corrected_patient(self) -> EntityName | None:
        return self.names.get("74")

    @property
    def rendering_provider(self) -> EntityName | None:
        return self.names.get("82")

    def all_adjustments(self) -> list[Adjustment]:
        """Claim-level CAS followed by every line's CAS."""
        result = list(self.adjustments)
        for line in self.service_lines:
            result.extend(line.adjustments)
        return result


def reversal_of(claim: ClaimPayment) -> ClaimPayment:
    """The payer's reversal (CLP02 22) of its earlier claim payment `claim`: every amount negated, the same
    claim, lines and codes, as a payer takes a decision back before it pays a corrected claim."""
    reversal = ClaimPayment(claim.patient_control_number, STATUS_REVERSAL, -claim.charge, -claim.paid,
                            -claim.patient_responsibility if claim.patient_responsibility else None,
                            claim.filing_indicator, claim.payer_claim_control_number, claim.facility_type,
                            claim.frequency_code, claim.header_number)
    reversal.names = dict(claim.names)
    reversal.dates = dict(claim.dates)
    reversal.adjustments = [Adjustment(a.group_code, a.reason_code, -a.amount, a.quantity) for a in claim.adjustments]
    for line in claim.service_lines:
        copy = ServicePayment(line.procedure, -line.charge, -line.paid, units_paid=line.units_paid)
        copy.dates = dict(line.dates)
        copy.line_item_control_number = line.line_item_control_number
        copy.adjustments = [Adjustment(a.group_code, a.reason_code, -a.amount, a.quantity)
                            for a in line.adjustments]
        reversal.service_lines.append(copy)
    return reversal


@dataclass(slots=True)
class ProviderAdjustment:
    """One PLB reason/amount pair: positive reduces the payment, negative increases it."""

    provider_id: str  # PLB01
    fiscal_period_date: date  # PLB02
    reason_code: str  # PLB03-1: WO, L6, FB, 72, J1, CS, ...
    reference: str  # PLB03-2
    amount: Decimal


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set: one payment (BPR/TRN) and its claims."""

    control_number: str
    payment: Payment
    trace: Trace
    payer: Party
    payee: Party
    implementation: str = "005010X221A1"
    currency: str = ""  # CUR02
    references: list[Reference] = field(default_factory=list)  # REF*EV, REF*F2
    production_date: date | None = None  # DTM*405
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)

    @property
    def service_line_count(self) -> int:
        return sum(len(claim.service_lines) for claim in self.claims)

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((plb.amount for plb in self.provider_adjustments), Decimal("0"))
