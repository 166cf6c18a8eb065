"""The parts of an 835 around its claims: BPR, TRN, CUR, header REF and DTM*405, payer and payee, PLB.

TR3 005010X221A1: header (BPR, TRN, CUR, REF, DTM*405), loops 1000A payer and 1000B payee (N1,
N3, N4, REF, PER) and the summary PLB provider adjustments. They occur a few times per
transaction set, so they are read here by plain method calls; the claim and service-line segments,
thousands per set, are read inline by the loop in `remit835_reader`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openmso.x12.elements import AMOUNTS, DATES, amount_value, element
from openmso.x12.envelope import Transaction
from openmso.x12.remit835 import (
    Address,
    ClaimPayment,
    Contact,
    Party,
    Payment,
    ProviderAdjustment,
    Reference,
    Remittance,
    Trace,
)


class HeaderReader:
    """What one transaction set says outside its claims, read segment by segment.

    `dates` are the DTM segments outside any claim (the reader puts them there); DTM*405 is the
    production date. `party` is the open payer or payee loop (N1 opens it; LX, CLP and PLB close it): its N3, N4,
    PER and REF segments belong to it. Conversion errors propagate to the reader, which locates them.
    """

    __slots__ = ("component", "payment", "trace", "currency", "references", "dates", "payer", "payee", "party",
                 "provider_adjustments")

    def __init__(self, component: str) -> None:
        self.component = component
        self.payment: Payment | None = None
        self.trace: Trace | None = None
        self.currency = ""
        self.references: list[Reference] = []
        self.dates: dict[str, date] = {}  # DTM outside any claim: DTM*405 is the production date
        self.payer: Party | None = None
        self.payee: Party | None = None
        self.party: Party | None = None
        self.provider_adjustments: list[ProviderAdjustment] = []

    def reference(self, reference: Reference) -> None:
        """A REF outside any claim: the open party's, else the header's (REF*EV, REF*F2)."""
        (self.party.references if self.party is not None else self.references).append(reference)

    def read(self, segment: list[str]) -> None:
        """Apply a BPR, TRN, CUR, N1, N3, N4, PER or PLB; other segments carry nothing modelled here."""
        segment_id = segment[0]
        size = len(segment)
        party = self.party
        if segment_id == "N1":
            self.party = party = Party(segment[1], segment[2] if size > 2 else "", segment[3] if size > 3 else "",
                                       segment[4] if size > 4 else "")
            if segment[1] == "PR":
                self.payer = party
            elif segment[1] == "PE":
                self.payee = party
        elif segment_id == "N3":
            if party is not None:
                _address(party).lines = tuple(segment[1:3])
        elif segment_id == "N4":
            if party is not None:
                address = _address(party)
                address.city = segment[1]
                address.state = segment[2] if size > 2 else ""
                address.postal_code = segment[3] if size > 3 else ""
                address.country = segment[4] if size > 4 else ""
        elif segment_id == "PER":
            if party is not None:
                pairs = segment[3:9]
                party.contacts.append(Contact(segment[1], element(segment, 2), tuple(
                    (pairs[i], pairs[i + 1]) for i in range(0, len(pairs) - 1, 2) if pairs[i])))
        elif segment_id == "PLB":
            self._provider_adjustments(segment)
            self.party = None
        elif segment_id == "BPR":
            self.payment = _payment(segment)
        elif segment_id == "TRN":
            self.trace = _trace(segment)
        elif segment_id == "CUR":
            self.currency = segment[2] if size > 2 else ""

    def _provider_adjustments(self, segment: list[str]) -> None:
        """PLB: provider id, fiscal period date, then up to six reason(:reference) and amount pairs."""
        provider_id = segment[1]
        fiscal_date = DATES[segment[2]]
        for position in range(3, len(segment), 2):
            if not segment[position]:
                continue
            reason, _, reference = segment[position].partition(self.component)
            amount: Decimal = AMOUNTS[segment[position + 1]]
            self.provider_adjustments.append(ProviderAdjustment(provider_id, fiscal_date, reason, reference, amount))

    def piece(self, first: Transaction, claims: list[ClaimPayment], last: bool) -> Remittance:
        """The header read so far with these claims (the PLBs on the last piece); it must be complete by now."""
        if self.payment is None:
            raise first.error(0, "835 has no BPR segment", expected="BPR after ST")
        if self.trace is None:
            raise first.error(0, "835 has no TRN segment", expected="TRN after BPR")
        if self.payer is None or self.payee is None:
            raise first.error(0, "835 lacks the payer (N1*PR) or payee (N1*PE) loop",
                              expected="loops 1000A and 1000B")
        return Remittance(
            control_number=first.control_number,
            payment=self.payment,
            trace=self.trace,
            payer=self.payer,
            payee=self.payee,
            implementation=first.implementation,
            currency=self.currency,
            references=self.references,
            production_date=self.dates.get("405"),
            claims=claims,
            provider_adjustments=self.provider_adjustments if last else [],
        )


def _trace(segment: list[str]) -> Trace:
    """TRN: the trace number (TRN02, 1–50 characters) and the payer's id (TRN03, at most 10) make the
    payment's identity (posted once), so both must be there and fit: a guess here could post a
    payment twice, or take a later payment for one already posted."""
    size = len(segment)
    number, originator = (segment[2] if size > 2 else ""), (segment[3] if size > 3 else "")
    if not segment[1] or not number or not originator or len(number) > 50 or len(originator) > 10:
        raise ValueError("TRN01, TRN02 and TRN03 are required: trace type, trace number and payer id")
    return Trace(segment[1], number, originator, segment[4] if size > 4 else "")


def _address(party: Party) -> Address:
    if party.address is None:
        party.address = Address()
    return party.address


def _payment(segment: list[str]) -> Payment:
    values = segment[1:17]
    values += [""] * (16 - len(values))
    return Payment(
        values[0],
        amount_value(values[1]),
        values[2],
        values[3],
        *values[4:15],
        DATES[values[15]] if values[15] else None,
    )
