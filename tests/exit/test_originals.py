"""Stored X12 files leave in the package byte for byte, read a part at a time: an 835 stored in several
`remittance_file_part` rows, one kept in the single `content` column of files received before parts
existed, and a shared 835 stored in parts whose per-practice extract is cut from the joined parts."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from openmso.exit.verify import verify
from openmso.rcm.claims.models import Claim
from openmso.rcm.remittance import ingest
from openmso.rcm.remittance.models import RemittanceFile, RemittanceFilePart
from openmso.x12 import check_balance, iter_transactions, parse_835
from tests.exit.conftest import SIGNING_KEY, build_shared_network
from tests.rcm import remits

PART_BYTES = 100


def _stored(db, practice, text: bytes, name: str, *, parts: bool) -> RemittanceFile:
    """A received 835 kept as the platform keeps it: in parts of `PART_BYTES`, or in the old single column
    (latin-1 text)."""
    record = RemittanceFile(practice_id=practice.id, name=name, sha256=hashlib.sha256(text).hexdigest(),
                            stored_text="" if parts else text.decode("latin-1"), status="posted", received_by="test")
    db.add(record)
    db.flush()
    if parts:
        for number, start in enumerate(range(0, len(text), PART_BYTES), start=1):
            db.add(RemittanceFilePart(file_id=record.id, part=number, content=text[start:start + PART_BYTES]))
    db.flush()
    return record


def _entry(result, record: RemittanceFile) -> dict:
    return next(e for e in result.manifest["files"] if e.get("details", {}).get("source") ==
                f"remittance_file {record.id}")


def test_an_835_stored_in_parts_or_in_the_old_column_is_exported_byte_for_byte(db, network, package_of):
    practice = network.practices[0]
    claims = db.scalars(select(Claim).where(Claim.practice_id == practice.id).order_by(Claim.id)).all()
    texts = [remits.render(remits.transaction(practice, [remits.paid(claim) for claim in claims],
                                              trace=f"EFTPARTS{n}", control=f"{900 + n}")) for n in range(2)]
    in_parts = _stored(db, practice, texts[0], "parts.835", parts=True)
    in_column = _stored(db, practice, texts[1], "legacy.835", parts=False)
    assert db.scalar(select(func.count()).select_from(RemittanceFilePart)
                     .where(RemittanceFilePart.file_id == in_parts.id)) == -(-len(texts[0]) // PART_BYTES) > 3
    result = package_of(practice.id)
    for record, text in ((in_parts, texts[0]), (in_column, texts[1])):
        entry = _entry(result, record)
        assert (result.path / entry["path"]).read_bytes() == text
        assert entry["sha256"] == entry["details"]["original_sha256"] == hashlib.sha256(text).hexdigest()
        assert not entry["details"]["per_practice_extract"]
        assert entry["records"] == len(claims) == text.count(b"CLP*")
    assert verify(result.path).ok


def test_a_shared_835_stored_in_parts_gives_each_practice_its_balanced_extract(db, tmp_path, monkeypatch):
    from openmso.core.tenancy import SYSTEM
    from openmso.exit.package import service

    monkeypatch.setattr(ingest, "STORED_BYTES", PART_BYTES)
    network = build_shared_network(db)
    shared = db.get(RemittanceFile, network.shared_835_id)
    assert db.scalar(select(func.count()).select_from(RemittanceFilePart)
                     .where(RemittanceFilePart.file_id == shared.id)) > 3
    for practice in network.practices:
        result = service.build_package(db, SYSTEM, practice.id, tmp_path / f"package-{practice.id}",
                                       signing_key=SIGNING_KEY)
        entry = _entry(result, shared)
        assert entry["details"]["per_practice_extract"] and entry["details"]["transaction_sets"] == "1 of 2"
        data = (result.path / entry["path"]).read_bytes()
        pcns = set(db.scalars(select(Claim.patient_control_number)
                              .where(Claim.practice_id == practice.id, Claim.batch_id.is_not(None))))
        (transaction,) = iter_transactions(data)
        remittance = parse_835(transaction)
        assert not check_balance(remittance)
        assert {claim.patient_control_number for claim in remittance.claims} == pcns
        assert entry["records"] == len(pcns)
        assert verify(result.path).ok
