"""Reading the next piece of an 835 while the current one is posted (`ingest._read_ahead`): the pieces
come in order, an error of the reading is raised where it happened, reading ahead is bounded, and a
transaction set unreadable in a later piece is still quarantined whole while the next set posts."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims.models import Claim
from openmso.rcm.remittance import ingest
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, Remittance, RemittanceException
from tests.rcm.remits import accepted_claims, paid, render, transaction


class Broken(Exception):
    pass


def _counting(items, fail_at=None, seen=None):
    for index, item in enumerate(items):
        if index == fail_at:
            raise Broken(f"item {index}")
        if seen is not None:
            seen.append(item)
        yield item


def _readers():
    return [t for t in threading.enumerate() if t.name == "835-reader"]


def test_pieces_come_in_order_and_the_reading_error_after_the_pieces_before_it():
    got = []
    with pytest.raises(Broken, match="item 3"):
        for item in ingest._read_ahead(_counting(range(10), fail_at=3)):
            got.append(item)
    assert got == [0, 1, 2]
    assert list(ingest._read_ahead(_counting(range(5)))) == [0, 1, 2, 3, 4]
    assert not _readers()


def test_leaving_early_stops_the_reader_one_or_two_pieces_ahead():
    seen = []
    pieces = ingest._read_ahead(_counting(range(1000), seen=seen))
    assert next(pieces) == 0
    pieces.close()  # the poster stops (a failed write): the reader stops too, and is waited for
    assert not _readers()
    assert len(seen) <= 3  # the piece handed over, one waiting in the slot, one being handed over


def test_a_set_unreadable_in_a_later_piece_is_quarantined_whole_and_the_next_set_posts(db, clinic, monkeypatch):
    monkeypatch.setattr(ingest, "CLAIMS_PER_PIECE", 1)
    claims = accepted_claims(db, clinic, 3)
    broken = transaction(clinic.practice, [paid(c) for c in claims[:2]], trace="T1", control="0001")
    good = transaction(clinic.practice, [paid(claims[2])], trace="T2", control="0002")
    content = render(broken, good)
    second = content.index(f"CLP*{claims[1].patient_control_number}*".encode())
    content = content[:second] + content[second:].replace(b"*1*", b"*Q*", 1)  # its CLP02 is no status code
    report = ingest_file(db, SYSTEM, "era.835", content)
    assert (report.transactions, report.posted, report.quarantined, report.claims) == (2, 1, 1, 1)
    statuses = dict(db.execute(select(Remittance.control_number, Remittance.status)).all())
    assert statuses == {"0001": "quarantined", "0002": "posted"}
    # the first claim of the broken set was posted in its own piece, then rolled back with the set
    assert db.scalars(select(ClaimPosting.claim_id)).all() == [claims[2].id]
    assert [db.get(Claim, c.id).status for c in claims] == ["payer_accepted", "payer_accepted", "paid"]
    problem = db.scalars(select(RemittanceException)).one()
    assert problem.kind == "malformed" and "CLP" in problem.location
