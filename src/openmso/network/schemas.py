"""Pydantic shapes of the network domain, shared by the API and the UI forms.

Identifier rules live in `identifiers`; these types attach them to fields so that a bad NPI is a
422 naming the field, whichever door it came in by.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from openmso.network import identifiers
from openmso.network.models import AffiliationStatus, EntityType, LineOfBusiness, SubscriberRelation


def _checked(problem_of):
    def check(value: str) -> str:
        if problem := problem_of(value):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


NPI = Annotated[str, Field(min_length=10, max_length=10, examples=["1234567893"]), _checked(identifiers.npi_problem)]
TIN = Annotated[str, Field(min_length=9, max_length=9, examples=["741234567"]), _checked(identifiers.tin_problem)]
StateCode = Annotated[str, Field(min_length=2, max_length=2, examples=["TX"]), _checked(identifiers.state_problem)]
Taxonomy = Annotated[str, Field(min_length=10, max_length=10, examples=["207Q00000X"]),
                     _checked(identifiers.taxonomy_problem)]
PlaceOfService = Annotated[str, Field(min_length=2, max_length=2, examples=["11"]),
                           _checked(identifiers.place_of_service_problem)]
PostalCode = Annotated[str, Field(max_length=10, examples=["78701"]), _checked(identifiers.postal_code_problem)]
Name = Annotated[str, Field(min_length=1, max_length=80)]
PastDate = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2200, 1, 1))]
# A patient's and a coverage's fields, one rule each for creating a record and correcting it.
Sex = Annotated[str, Field(pattern=r"^[FMU]$")]
AddressLine = Annotated[str, Field(max_length=160)]
City = Annotated[str, Field(max_length=80)]
Phone = Annotated[str, Field(max_length=20, pattern=r"^[0-9()+\-. ]{7,20}$")]
Email = Annotated[str, Field(max_length=160, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
MemberId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
GroupNumber = Annotated[str, Field(max_length=40)]
SubscriberName = Annotated[str, Field(max_length=80)]
Priority = Annotated[int, Field(ge=1, le=3)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- practices ----------------------------------------------------------------------------------


class OwnerIn(Strict):
    name: str = Field(min_length=1, max_length=160)
    npi: NPI | None = None
    ownership_percent: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)


class OwnerOut(Read):
    id: int
    name: str
    npi: str | None
    ownership_percent: Annotated[Decimal, AfterValidator(lambda value: value.quantize(Decimal("0.01")))]


class PracticeCreate(Strict):
    legal_name: str = Field(min_length=2, max_length=200)
    dba_name: str | None = Field(default=None, max_length=200)
    entity_type: EntityType
    tin: TIN
    group_npi: NPI
    primary_state: StateCode
    states_of_operation: list[StateCode] = Field(default_factory=list, max_length=60)
    specialty: str = Field(min_length=2, max_length=80)
    affiliation_status: AffiliationStatus = AffiliationStatus.ACTIVE
    affiliated_on: PastDate | None = None
    owners: list[OwnerIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _ownership_adds_up(self) -> PracticeCreate:
        total = sum((o.ownership_percent for o in self.owners), Decimal(0))
        if total > 100:
            raise ValueError(f"owners' ownership_percent adds up to {total}, more than 100")
        return self


class PracticeUpdate(Strict):
    dba_name: str | None = Field(default=None, max_length=200)
    specialty: str | None = Field(default=None, min_length=2, max_length=80)
    affiliation_status: AffiliationStatus | None = None
    affiliated_on: PastDate | None = None
    disaffiliated_on: PastDate | None = None
    states_of_operation: list[StateCode] | None = Field(default=None, max_length=60)


class PracticeOut(Read):
    id: int
    legal_name: str
    dba_name: str | None
    entity_type: str
    tin: str
    group_npi: str
    primary_state: str
    states_of_operation: list[str]
    specialty: str
    affiliation_status: str
    affiliated_on: date | None
    disaffiliated_on: date | None
    owners: list[OwnerOut]


class PracticeSummary(BaseModel):
    """A row of the network overview."""

    id: int
    legal_name: str
    primary_state: str
    states_of_operation: list[str]
    specialty: str
    affiliation_status: str
    providers: int
    locations: int
    patients: int


class NetworkOverview(BaseModel):
    mso_name: str
    practices: list[PracticeSummary]
    totals: dict[str, int]
    by_state: dict[str, int]
    by_specialty: dict[str, int]


# --- locations ----------------------------------------------------------------------------------


class LocationCreate(Strict):
    name: str = Field(min_length=1, max_length=160)
    address_line1: str = Field(min_length=1, max_length=160)
    address_line2: str | None = Field(default=None, max_length=160)
    city: str = Field(min_length=1, max_length=80)
    state: StateCode
    postal_code: PostalCode
    place_of_service: PlaceOfService = "11"
    phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9()+\-. ]{7,20}$")


class LocationOut(Read):
    id: int
    practice_id: int
    name: str
    address_line1: str
    address_line2: str | None
    city: str
    state: str
    postal_code: str
    place_of_service: str
    phone: str | None


# --- providers ----------------------------------------------------------------------------------


class LicenseIn(Strict):
    state: StateCode
    number: str = Field(min_length=1, max_length=30)
    expires_on: PastDate


class LicenseOut(Read):
    id: int
    state: str
    number: str
    expires_on: date


class ProviderCreate(Strict):
    npi: NPI
    first_name: Name
    last_name: Name
    credential: str = Field(min_length=1, max_length=20, examples=["MD"])
    taxonomy_code: Taxonomy
    specialty: str = Field(min_length=2, max_length=80)
    licenses: list[LicenseIn] = Field(default_factory=list, max_length=60)


class ProviderOut(Read):
    id: int
    practice_id: int
    npi: str
    first_name: str
    last_name: str
    credential: str
    taxonomy_code: str
    specialty: str
    active: bool
    licenses: list[LicenseOut]


# --- payers -------------------------------------------------------------------------------------


class PayerCreate(Strict):
    name: str = Field(min_length=2, max_length=160)
    payer_code: str = Field(min_length=2, max_length=20, pattern=r"^[A-Za-z0-9]+$")
    line_of_business: LineOfBusiness
    timely_filing_days: int = Field(default=365, ge=30, le=3650)


class PayerOut(Read):
    id: int
    name: str
    payer_code: str
    line_of_business: str
    timely_filing_days: int


# --- patients and coverage ----------------------------------------------------------------------


class PatientCreate(Strict):
    mrn: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9-]+$")
    first_name: Name
    last_name: Name
    birth_date: PastDate
    sex: Sex
    address_line1: AddressLine | None = None
    city: City | None = None
    state: StateCode | None = None
    postal_code: PostalCode | None = None
    phone: Phone | None = None
    email: Email | None = None
    consent_hipaa_notice: bool = False
    consent_text_messages: bool = False
    consent_email: bool = False
    consent_data_sharing: bool = False

    @field_validator("birth_date")
    @classmethod
    def _born_in_the_past(cls, birth_date: date) -> date:
        if birth_date > date.today():
            raise ValueError("birth_date is in the future")
        return birth_date


class CoverageCreate(Strict):
    payer_id: int = Field(ge=1)
    member_id: MemberId
    group_number: GroupNumber | None = None
    priority: Priority = 1
    subscriber_relation: SubscriberRelation = SubscriberRelation.SELF
    subscriber_first_name: SubscriberName | None = None
    subscriber_last_name: SubscriberName | None = None
    subscriber_birth_date: PastDate | None = None
    effective_from: PastDate
    effective_to: PastDate | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CoverageCreate:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.subscriber_relation is not SubscriberRelation.SELF and not (
            self.subscriber_first_name and self.subscriber_last_name and self.subscriber_birth_date
        ):
            raise ValueError("a subscriber other than the patient needs first name, last name and birth date")
        return self


class CoverageOut(Read):
    id: int
    patient_id: int
    payer_id: int
    payer_name: str
    member_id: str
    group_number: str | None
    priority: int
    subscriber_relation: str
    effective_from: date
    effective_to: date | None
    entered_at: datetime | None  # put on file then (None: before entry times were kept); A/R counts it from then


class RecordCorrection(Strict):
    """A correction of a record a payer or the patient showed to be wrong: only the fields sent change, the
    record must still pass the rules it was created under, and `reason` goes to the audit trail."""

    reason: str = Field(min_length=3, max_length=300)

    def changes(self) -> dict:
        """The fields sent, with their new values (None clears an optional field)."""
        return self.model_dump(exclude_unset=True, exclude={"reason"})


class PatientUpdate(RecordCorrection):
    """A payer rejected the birth date (277CA A7:158), a name was misspelt, the patient moved."""

    first_name: Name | None = None
    last_name: Name | None = None
    birth_date: PastDate | None = None
    sex: Sex | None = None
    address_line1: AddressLine | None = None
    city: City | None = None
    state: StateCode | None = None
    postal_code: PostalCode | None = None
    phone: Phone | None = None
    email: Email | None = None


class CoverageUpdate(RecordCorrection):
    """The member id the payer does not know (277CA A7:164), a group number, the subscriber, the dates the
    plan is in force. The payer is not changed here: another payer is another coverage."""

    member_id: MemberId | None = None
    group_number: GroupNumber | None = None
    priority: Priority | None = None
    subscriber_relation: SubscriberRelation | None = None
    subscriber_first_name: SubscriberName | None = None
    subscriber_last_name: SubscriberName | None = None
    subscriber_birth_date: PastDate | None = None
    effective_from: PastDate | None = None
    effective_to: PastDate | None = None


class PatientOut(Read):
    id: int
    practice_id: int
    mrn: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    address_line1: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    phone: str | None
    email: str | None
    consent_hipaa_notice: bool
    consent_text_messages: bool
    consent_email: bool
    consent_data_sharing: bool
    coverages: list[CoverageOut]
