"""`exit verify`: an intact package (directory, .tar or .zip) passes; any altered, missing, extra or
miscounted file fails with its name; a package whose export was interrupted is never complete."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile

import pytest

from openmso.core.errors import Conflict
from openmso.exit.verify import verify
from tests.exit.conftest import build_shared_network


@pytest.fixture
def package(db, package_of):
    network = build_shared_network(db)
    return package_of(network.practices[0].id)


def test_an_intact_package_verifies(package):
    report = verify(package.path)
    assert report.ok, report.problems
    assert report.files_checked == len(package.manifest["files"])


def test_one_changed_byte_fails_naming_the_file(package):
    target = package.path / "tables/patient.csv"
    data = bytearray(target.read_bytes())
    data[-3] = ord("X") if data[-3] != ord("X") else ord("Y")
    target.write_bytes(bytes(data))
    report = verify(package.path)
    assert not report.ok
    assert report.problems == ["tables/patient.csv: SHA-256 differs from the manifest (the file was altered)"]


def test_a_removed_resource_line_fails_on_hash_size_and_count(package):
    target = package.path / "fhir/Claim.ndjson"
    target.write_text("".join(target.read_text().splitlines(keepends=True)[1:]))
    problems = verify(package.path).problems
    assert all(p.startswith("fhir/Claim.ndjson: ") for p in problems) and len(problems) == 3
    assert any("records, the manifest says" in p for p in problems)


def test_missing_and_extra_files_are_named(package):
    (package.path / "fhir/Coverage.ndjson").unlink()
    (package.path / "fhir/Smuggled.ndjson").write_text("{}\n")
    problems = verify(package.path).problems
    assert "fhir/Coverage.ndjson: listed in the manifest but missing from the package" in problems
    assert "fhir/Smuggled.ndjson: not listed in the manifest (an extra file)" in problems


def test_a_manifest_edited_to_hide_missing_rows_fails(package):
    manifest = json.loads((package.path / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["path"] == "tables/claim.csv")
    entry["database_count"] += 1
    (package.path / "manifest.json").write_text(json.dumps(manifest))
    problems = verify(package.path).problems
    assert any(p.startswith("tables/claim.csv: ") and "incomplete" in p for p in problems)
    assert any(p.startswith("tables/claim.csv: database count") for p in problems)


def test_a_package_without_its_manifest_is_incomplete(package):
    (package.path / "manifest.json").unlink()
    problems = verify(package.path).problems
    assert len(problems) == 1 and problems[0].startswith("manifest.json: missing")


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_archives_verify_and_a_tampered_member_is_named(db, package_of, tmp_path, kind):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id, name="exit", archive=kind)
    assert result.path.name == f"exit.{kind}" and result.path.is_file()
    assert not (tmp_path / "exit").exists() and not (tmp_path / "exit.partial").exists()
    assert verify(result.path).ok
    tampered = tmp_path / f"tampered.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(result.path) as source, zipfile.ZipFile(tampered, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                target.writestr(info, data.replace(b"Qzalpha", b"Qzalphx") if info.filename.endswith(
                    "patient.csv") else data)
    else:
        with tarfile.open(result.path) as source, tarfile.open(tampered, "w") as target:
            for member in source:
                data = source.extractfile(member).read()
                if member.name.endswith("patient.csv"):
                    data = data.replace(b"Qzalpha", b"Qzalphx")
                member.size = len(data)
                target.addfile(member, io.BytesIO(data))
    problems = verify(tampered).problems
    assert problems == ["tables/patient.csv: SHA-256 differs from the manifest (the file was altered)"]


def test_an_existing_package_is_never_overwritten(db, package_of):
    network = build_shared_network(db)
    package_of(network.practices[0].id, name="same")
    with pytest.raises(Conflict, match="already exists"):
        package_of(network.practices[0].id, name="same")


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_a_truncated_archive_is_reported_not_crashed_on(db, package_of, tmp_path, kind):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id, name="cut", archive=kind)
    data = result.path.read_bytes()
    result.path.write_bytes(data[: len(data) // 2])
    report = verify(result.path)
    assert not report.ok and report.problems


def test_something_that_is_not_a_package_is_said_to_be_so(tmp_path):
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    assert verify(stray).problems == [f"{stray}: neither a package directory nor a .tar/.zip archive"]
    assert verify(tmp_path / "absent").problems == [f"{tmp_path / 'absent'}: no such package"]
    (tmp_path / "empty").mkdir()
    assert verify(tmp_path / "empty").problems[0].startswith("manifest.json: missing")
