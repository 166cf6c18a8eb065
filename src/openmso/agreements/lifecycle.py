"""The version state machine, as a pure function: draft → signed → amended | terminated.

A draft is the only editable state. Signing a draft makes it the practice's active version and
turns the version it replaces into `amended`; terminating ends the active version with no
successor. Nothing leaves `amended` or `terminated`: history is kept, never rewritten.
"""

from __future__ import annotations

from enum import StrEnum

from openmso.agreements.models import VersionStatus
from openmso.core.errors import Conflict


class Event(StrEnum):
    EDIT = "edit"
    SIGN = "sign"
    SUPERSEDE = "supersede"  # a later version of the practice was signed
    TERMINATE = "terminate"


TRANSITIONS: dict[tuple[VersionStatus, Event], VersionStatus] = {
    (VersionStatus.DRAFT, Event.EDIT): VersionStatus.DRAFT,
    (VersionStatus.DRAFT, Event.SIGN): VersionStatus.SIGNED,
    (VersionStatus.SIGNED, Event.SUPERSEDE): VersionStatus.AMENDED,
    (VersionStatus.SIGNED, Event.TERMINATE): VersionStatus.TERMINATED,
}


def next_status(status: str, event: Event) -> VersionStatus:
    """The status after `event`, or `Conflict` saying why the event does not apply."""
    current = VersionStatus(status)
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        allowed = sorted(e.value for (s, e) in TRANSITIONS if s is current) or ["nothing (final)"]
        raise Conflict(f"a {current.value} version cannot {event.value}; it allows {', '.join(allowed)}") from None
