"""What the demo patients' insurance cards read: member ids in each payer's format, and the member id as the
card shows it when the one on file was keyed with a digit wrong. The network generator issues the cards;
the demo's front desk and billers read them again when a payer does not know the member."""

from __future__ import annotations

import random

from openmso.network.models import Payer

MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # CMS Medicare Beneficiary Identifier: no S, L, O, I, B, Z


def medicare_beneficiary_identifier(rng: random.Random) -> str:
    """An 11-character MBI in CMS's format (e.g. 1EG4-TE5-MK73 without dashes)."""
    digit, alpha = "0123456789", MBI_LETTERS
    pattern = ["123456789", alpha, alpha + digit, digit, alpha, alpha + digit, digit, alpha, alpha, digit, digit]
    return "".join(rng.choice(chars) for chars in pattern)


def member_id(rng: random.Random, payer: Payer) -> str:
    """A member id as `payer` issues them: an MBI for traditional Medicare, else the payer's prefix and nine digits."""
    if payer.line_of_business == "medicare":
        return medicare_beneficiary_identifier(rng)
    return f"{payer.payer_code[:3].upper()}{rng.randrange(10**9):09d}"


def rekeyed(rng: random.Random, keyed: str) -> str:
    """The member id as the card reads it, when the one on file was keyed with one digit wrong: the same
    format (letters kept, a digit replaced by another; an MBI's first digit is never 0)."""
    positions = [index for index, char in enumerate(keyed) if char.isdigit()]
    if not positions:
        return keyed + str(rng.randrange(10))
    index = rng.choice(positions)
    digits = [digit for digit in "0123456789" if digit != keyed[index] and (index or digit != "0")]
    return keyed[:index] + rng.choice(digits) + keyed[index + 1:]
