"""Work waiting, as the API returns it."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel


class WaitingOut(BaseModel):
    key: str
    label: str
    count: int
    amount: Decimal | None
    href: str
    why: str
