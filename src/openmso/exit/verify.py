"""Checking an exit package against its manifest: every file present, unaltered, and as complete as
the database was when it was exported.

Works on a package directory or on its .tar/.zip without unpacking it: each file is read once as a
stream, hashed and counted at the same time. Every problem names the file it is about.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from openmso.exit.package import signature
from openmso.exit.package.manifest import FORMAT, MANIFEST
from openmso.exit.package.originals import count_records
from openmso.x12 import X12Error

CHUNK = 1 << 20


@dataclass
class Measured:
    sha256: str
    bytes: int
    records: int | None


@dataclass
class VerifyReport:
    path: Path
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    manifest: dict | None = None
    signed_by: str | None = None  # the fingerprint of the key whose signature of the manifest checks
    # (None: unsigned, a package of format version 1, made before manifests were signed)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Tee(io.RawIOBase):
    """A readable stream that hashes and counts the bytes its reader takes."""

    def __init__(self, source: BinaryIO):
        self._source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._source.read(len(buffer))
        self.digest.update(data)
        self.size += len(data)
        buffer[:len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def measure(source: BinaryIO, path: str, entry: dict | None) -> Measured:
    """SHA-256, size and record count of one file, read once."""
    tee = _Tee(source)
    records = None
    if path.endswith(".ndjson"):
        records = sum(chunk.count(b"\n") for chunk in iter(lambda: tee.read(CHUNK), b""))
    elif path.endswith(".csv"):
        text = io.TextIOWrapper(io.BufferedReader(tee, CHUNK), encoding="utf-8", newline="")
        records = max(sum(1 for _ in csv.reader(text)) - 1, 0)
    elif path.endswith(".x12") and entry is not None and (entry.get("details") or {}).get("x12_kind"):
        try:
            records = count_records(entry["details"]["x12_kind"], io.BufferedReader(tee, CHUNK))
        except X12Error:
            records = -1  # not readable as X12 any more: the hash check names the file
    tee.drain()
    return Measured(tee.digest.hexdigest(), tee.size, records)


@contextmanager
def _directory(root: Path) -> Iterator[Iterator[tuple[str, BinaryIO]]]:
    def members():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            with path.open("rb") as handle:
                yield path.relative_to(root).as_posix(), handle
    yield members()


@contextmanager
def _tar(path: Path):
    with tarfile.open(path, "r:*") as archive:
        def members():
            for member in archive:
                if member.isfile():
                    yield member.name, archive.extractfile(member)
        yield members()


@contextmanager
def _zip(path: Path):
    with zipfile.ZipFile(path) as archive:
        def members():
            for info in archive.infolist():
                if not info.is_dir():
                    with archive.open(info) as handle:
                        yield info.filename, handle
        yield members()


def _opener(path: Path):
    if path.is_dir():
        return _directory(path)
    if zipfile.is_zipfile(path):
        return _zip(path)
    if tarfile.is_tarfile(path):
        return _tar(path)
    return None


def _read_manifest(opener) -> bytes | None:
    with opener as members:
        for name, handle in members:
            if name == MANIFEST:
                return handle.read()  # the writer puts it first, so an archive is not read twice
    return None


def _load_manifest(report: VerifyReport, data: bytes | None) -> dict | None:
    if data is None:
        report.problems.append(f"{MANIFEST}: missing — the package is incomplete (an interrupted export) "
                               "or not an exit package")
        return None
    try:
        document = json.loads(data)
    except ValueError as error:
        report.problems.append(f"{MANIFEST}: not valid JSON ({error})")
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(
            document.get("files"), list):
        report.problems.append(f"{MANIFEST}: not an OpenMSO exit package manifest")
        return None
    if document.get("complete") is not True:
        report.problems.append(f"{MANIFEST}: the package is not marked complete")
    return document


def _check_entry(report: VerifyReport, entry: dict, found: Measured) -> None:
    path = entry.get("path", "?")
    if found.sha256 != entry.get("sha256"):
        report.problems.append(f"{path}: SHA-256 differs from the manifest (the file was altered)")
    if found.bytes != entry.get("bytes"):
        report.problems.append(f"{path}: {found.bytes} bytes, the manifest says {entry.get('bytes')}")
    if "records" in entry and found.records is not None and found.records != entry["records"]:
        report.problems.append(f"{path}: {found.records} records, the manifest says {entry['records']}")
    if "database_count" in entry and entry.get("records") != entry["database_count"]:
        report.problems.append(f"{path}: {entry.get('records')} records exported but the database held "
                               f"{entry['database_count']} (incomplete)")


def _check_counts(report: VerifyReport, document: dict) -> None:
    """The per-file database counts must agree with the manifest's summary of the database."""
    counts = document.get("database_counts") or {}
    for entry in document["files"]:
        details = entry.get("details") or {}
        if "table" in details:
            expected = (counts.get("tables") or {}).get(details["table"])
        elif "resource_type" in details:
            expected = (counts.get("fhir") or {}).get(details["resource_type"])
        else:
            continue
        if expected != entry.get("database_count"):
            report.problems.append(f"{entry['path']}: database count {entry.get('database_count')} does not match "
                                   f"the manifest's database_counts ({expected})")


def verify(path: Path, expected_fingerprint: str | None = None) -> VerifyReport:
    """Re-check every hash, size and count of the package at `path`, and the manifest's signature (by the
    key with `expected_fingerprint`, when given); each problem names its file."""
    path = Path(path)
    report = VerifyReport(path)
    if not path.exists():
        report.problems.append(f"{path}: no such package")
        return report
    if _opener(path) is None:
        report.problems.append(f"{path}: neither a package directory nor a .tar/.zip archive")
        return report
    try:
        _check_package(report, path, expected_fingerprint)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        report.problems.append(f"{path.name}: the archive is damaged and cannot be read to its end ({error})")
    return report


def _check_package(report: VerifyReport, path: Path, expected_fingerprint: str | None) -> None:
    data = _read_manifest(_opener(path))
    document = _load_manifest(report, data)
    if document is None:
        return
    report.manifest = document
    entries = {entry.get("path"): entry for entry in document["files"] if isinstance(entry, dict)}
    seen: set[str] = set()
    read: set[str] = set()
    signature_files: dict[str, bytes] = {}
    with _opener(path) as members:
        for name, handle in members:
            if name in read:  # extracting keeps the last copy, not the one checked: refuse either
                report.problems.append(f"{name}: appears more than once in the archive")
                continue
            read.add(name)
            if name == MANIFEST:
                continue
            if name in signature.FILES:
                signature_files[name] = handle.read(signature.MAX_BYTES + 1)
                continue
            entry = entries.get(name)
            if entry is None:
                report.problems.append(f"{name}: not listed in the manifest (an extra file)")
                continue
            seen.add(name)
            _check_entry(report, entry, measure(handle, name, entry))
            report.files_checked += 1
    for name in sorted(set(entries) - seen):
        report.problems.append(f"{name}: listed in the manifest but missing from the package")
    _check_counts(report, document)
    report.signed_by, problems = signature.check(data, document, signature_files, expected_fingerprint)
    report.problems += problems
