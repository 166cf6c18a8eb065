"""Completeness and isolation: the manifest's counts equal the database's, every practice-owned table
is exported, and nothing of another practice is in the package — not even inside shared X12 files."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from sqlalchemy import func, select

from openmso.core.db import Base
from openmso.exit.package import tables
from openmso.exit.verify import verify
from openmso.network.models import Patient
from openmso.rcm.claims.models import Claim, ClaimBatch
from openmso.rcm.clearinghouse.models import InboundFile
from openmso.rcm.remittance.models import RemittanceFile
from openmso.x12 import check_balance, iter_segments, iter_transactions, parse_835, read_interchanges
from tests.exit.conftest import package_text
from tests.x12.conftest import pyx12_errors


def _practice_tables():
    return {table.name: table for table in Base.metadata.sorted_tables if "practice_id" in table.c}


def test_manifest_counts_equal_the_database_counts_for_every_practice_owned_table(db, network, package_of):
    practice = network.practices[0]
    result = package_of(practice.id)
    files = {entry["path"]: entry for entry in result.manifest["files"]}
    owned = _practice_tables()
    for name, table in owned.items():
        expected = db.scalar(select(func.count()).select_from(table).where(table.c.practice_id == practice.id))
        if name == "audit_entry":
            entry = files["audit/audit_trail.csv"]
            last = db.scalars(select(table.c.action).where(table.c.practice_id == practice.id)
                              .order_by(table.c.seq.desc()).limit(1)).one()
            assert last == "exit.package_completed"  # recorded once the package was written, so not in it
            expected -= 1
        else:
            entry = files[f"tables/{name}.csv"]
            assert result.manifest["database_counts"]["tables"][name] == expected
        assert entry["records"] == entry["database_count"] == expected, name
        with (result.path / entry["path"]).open(newline="", encoding="utf-8") as handle:
            assert sum(1 for _ in csv.reader(handle)) - 1 == expected, name
    exported = {e["details"]["table"] for e in result.manifest["files"] if "table" in e.get("details", {})}
    assert exported == (set(owned) - {"audit_entry"}) | {"practice"}
    patients = db.scalar(select(func.count()).select_from(Patient).where(Patient.practice_id == practice.id))
    claims = db.scalar(select(func.count()).select_from(Claim).where(Claim.practice_id == practice.id))
    assert files["fhir/Patient.ndjson"]["records"] == patients == 2
    assert files["fhir/Claim.ndjson"]["records"] == claims >= 2
    assert files["fhir/ExplanationOfBenefit.ndjson"]["records"] == 2  # the two claims the shared 835 paid
    assert practice.legal_name in (result.path / "README.txt").read_text(encoding="utf-8")
    assert verify(result.path).ok


def test_data_dictionary_describes_every_exported_column_and_withholds_credentials(network, package_of):
    result = package_of(network.practices[0].id)
    rows = list(csv.DictReader((result.path / "tables/data_dictionary.csv").open(encoding="utf-8")))
    described = {(row["table"], row["column"]) for row in rows}
    for owned in tables.owned_tables():
        header = next(csv.reader((result.path / owned.path).open(encoding="utf-8")))
        assert {(owned.name, column) for column in header} <= described
    by_key = {(row["table"], row["column"]): row for row in rows}
    assert by_key[("claim_batch", "interchange_control_number")]["meaning"] == "ISA13"  # the model's own note
    assert by_key[("claim", "total_charge")]["type"] == "decimal: US dollars with 2 places"
    assert by_key[("app_user", "password_hash")]["exported_as"].startswith("withheld")
    assert "password_hash" not in (result.path / "tables/app_user.csv").read_text().splitlines()[0]
    assert all(row["meaning"] for row in rows)


def test_package_holds_no_row_or_identifier_of_another_practice(db, network, package_of):
    mine, other = network.practices
    result = package_of(mine.id)
    others = [b"Qzbravo", other.group_npi.encode(), other.tin.encode()]
    others += [pcn.encode() for pcn in db.scalars(select(Claim.patient_control_number)
                                                  .where(Claim.practice_id == other.id))]
    contents = package_text(result.path)
    for path, data in contents.items():
        for needle in others:
            assert needle not in data, f"{path} holds {needle!r} of the other practice"
    assert b"Qzalpha" in contents["tables/patient.csv"] and b"Qzalpha" in contents["fhir/Patient.ndjson"]
    for line in contents["fhir/Patient.ndjson"].splitlines():
        patient_id = int(json.loads(line)["id"].removeprefix("patient-"))
        assert db.get(Patient, patient_id).practice_id == mine.id
    for line in contents["audit/audit_trail.csv"].decode().splitlines()[1:]:
        assert line.split(",")[8] == str(mine.id)


def _x12_entries(result, kind):
    return [e for e in result.manifest["files"] if e.get("details", {}).get("x12_kind") == kind]


def test_shared_277ca_and_835_become_valid_per_practice_extracts(db, network, package_of):
    for practice in network.practices:
        result = package_of(practice.id, name=f"package-{practice.id}")
        pcns = set(db.scalars(select(Claim.patient_control_number)
                              .where(Claim.practice_id == practice.id, Claim.batch_id.is_not(None))))
        kinds = {e["details"]["x12_kind"]: e for e in result.manifest["files"] if e["kind"] == "x12"}
        assert set(kinds) == {"837P", "999", "277CA", "835"}
        assert not kinds["837P"]["details"]["per_practice_extract"]  # its own batch: the original bytes
        for kind in ("277CA", "835"):
            entry = kinds[kind]
            assert entry["details"]["per_practice_extract"] and entry["records"] == len(pcns) == 2
            data = (result.path / entry["path"]).read_bytes()
            read_interchanges(data)  # strict: SE01, GE01 and IEA01 counts and control numbers hold
            segments = [elements for _, _, elements in iter_segments(data)]
            if kind == "835":
                assert entry["details"]["transaction_sets"] == "1 of 2"
                for transaction in iter_transactions(data):
                    remittance = parse_835(transaction)
                    assert not check_balance(remittance)
                    assert {c.patient_control_number for c in remittance.claims} == pcns
            else:
                assert {s[2] for s in segments if s[0] == "TRN" and s[1] == "2"} >= pcns
                hl = [s for s in segments if s[0] == "HL"]
                assert [int(s[1]) for s in hl] == list(range(1, len(hl) + 1))
                assert all(not s[2] or int(s[2]) < int(s[1]) for s in hl)
                assert {s[9] for s in segments if s[0] == "NM1" and s[1] == "85"} == {practice.group_npi}
        assert verify(result.path).ok


def test_per_practice_extracts_pass_an_independent_x12_validator_where_the_originals_do(db, network, package_of):
    result = package_of(network.practices[0].id)
    originals = {"inbound_file": InboundFile, "remittance_file": RemittanceFile, "claim_batch": ClaimBatch}
    checked = set()
    for entry in (e for e in result.manifest["files"] if e["kind"] == "x12"):
        table, row_id = entry["details"]["source"].split()
        original = db.get(originals[table], int(row_id)).content
        if isinstance(original, bytes):  # a received 835 is kept as bytes
            original = original.decode("latin-1")
        if pyx12_errors(original):
            continue  # a test fixture pyx12 already refuses (the hand-built 835 has no LX)
        assert pyx12_errors((result.path / entry["path"]).read_text(encoding="latin-1")) == [], entry["path"]
        checked.add(entry["details"]["x12_kind"])
    print(checked)
    assert {"837P", "999"} <= checked


def test_csv_values_are_written_as_the_dictionary_says_on_every_engine(db, network, package_of):
    practice = network.practices[0]
    result = package_of(practice.id)
    claims = list(csv.DictReader((result.path / "tables/claim.csv").open(encoding="utf-8")))
    stored = {c.id: c for c in db.scalars(select(Claim).where(Claim.practice_id == practice.id))}
    for row in claims:
        claim = stored[int(row["id"])]
        assert row["total_charge"] == f"{claim.total_charge:.2f}"
        assert row["service_date_from"] == claim.service_date_from.isoformat()
        assert datetime.fromisoformat(row["created_at"]) == claim.created_at
        assert row["primary_paid"] == "" and row["referring_provider_id"] == ""
    patient = next(csv.DictReader((result.path / "tables/patient.csv").open(encoding="utf-8")))
    assert {patient["consent_hipaa_notice"], patient["consent_email"]} <= {"true", "false"}
    version = next(csv.DictReader((result.path / "tables/agreement_version.csv").open(encoding="utf-8")))
    assert json.loads(version["terms"])["data_rights"]["baa_in_force"] is True


AWKWARD = ('O"Brien, Jr.', "Line one\nline two", "carriage\rreturn", "Zoë \u00e9\u4e2d", "", "plain")


def test_csv_lines_are_what_csv_writer_writes_even_for_awkward_text(db, network, package_of):
    """The database formats the CSV lines; they must be the bytes `csv.writer` writes for the same values
    (quoting only what needs it, quotes doubled, empty for NULL), and read back to the stored text."""
    practice = network.practices[0]
    patient = db.scalars(select(Patient).where(Patient.practice_id == practice.id).order_by(Patient.id)).first()
    patient.last_name, patient.address_line1, patient.city = AWKWARD[0], AWKWARD[1], AWKWARD[2]
    patient.first_name, patient.email, patient.phone = AWKWARD[3], AWKWARD[4], None
    db.flush()
    result = package_of(practice.id)
    for entry in (e for e in result.manifest["files"] if e["path"].startswith("tables/")
                  and e["path"].endswith(".csv")):
        data = (result.path / entry["path"]).read_bytes()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert data == _csv_bytes(rows), entry["path"]
    rows = list(csv.DictReader((result.path / "tables/patient.csv").open(encoding="utf-8", newline="")))
    row = next(r for r in rows if int(r["id"]) == patient.id)
    assert (row["last_name"], row["address_line1"], row["city"], row["first_name"]) == \
        (AWKWARD[0], AWKWARD[1], AWKWARD[2], AWKWARD[3])
    assert row["email"] == "" and row["phone"] == ""
    resource = next(json.loads(line) for line in (result.path / "fhir/Patient.ndjson").read_text().splitlines()
                    if json.loads(line)["id"] == f"patient-{patient.id}")
    assert resource["name"] == [{"family": AWKWARD[0], "given": [AWKWARD[3]]}]
    assert resource["address"][0]["line"] == [AWKWARD[1]] and resource["address"][0]["city"] == AWKWARD[2]


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")
