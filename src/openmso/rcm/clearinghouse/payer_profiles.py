"""How each simulated payer behaves: its rates of rejection, denial and payment (data), and the
deterministic dice the simulator rolls."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PayerRates:
    """How a payer answers, as fractions of claims (deterministic per claim)."""

    reject: Decimal = Decimal("0.03")  # 277CA rejections beyond the rule-based ones
    deny: Decimal = Decimal("0.08")  # 835 denials among accepted claims
    allowed: Decimal = Decimal("0.62")  # allowed amount as a share of the charge
    coinsurance: Decimal = Decimal("0.20")
    copay: Decimal = Decimal("25.00")
    deductible_share: Decimal = Decimal("0.10")  # share of paid claims applied to the deductible


DEFAULT_RATES = PayerRates()
LINE_OF_BUSINESS_RATES = {
    "MB": PayerRates(reject=Decimal("0.02"), deny=Decimal("0.06"), allowed=Decimal("0.48"), copay=Decimal(0)),
    "MC": PayerRates(reject=Decimal("0.05"), deny=Decimal("0.12"), allowed=Decimal("0.38"), coinsurance=Decimal(0),
                     copay=Decimal(0), deductible_share=Decimal(0)),
    "16": PayerRates(reject=Decimal("0.03"), deny=Decimal("0.09"), allowed=Decimal("0.50")),
}
# CARC group/reason and a remark (RARC) for each denial (X12 code sources 139 and 411).
DENIALS = (("CO", "16", "MA130"), ("CO", "97", "M15"), ("CO", "50", "N115"), ("CO", "29", ""), ("CO", "197", ""))


def fraction(*parts: object) -> Decimal:
    """A deterministic number in [0, 1) from the parts (SHA-256, so it is stable across runs and machines)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return Decimal(int.from_bytes(digest[:6], "big")) / Decimal(2**48)
