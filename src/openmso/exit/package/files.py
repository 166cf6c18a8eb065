"""Writing package files incrementally while hashing them, so no file is ever held in memory and
its SHA-256, size and record count are known the moment it is closed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from openmso.core.durable import fsync_path

BUFFER_BYTES = 256 * 1024
LINES_PER_WRITE = 2000
WRITE_BACK_BYTES = 64 * 1024 * 1024
LINE_END = "\r\n"  # csv.writer's (excel dialect)


@dataclass
class FileEntry:
    """One file of the package as the manifest lists it."""

    path: str  # relative to the package root, "/"-separated
    kind: str  # fhir, table, dictionary, x12, agreement, report, audit, contracts
    sha256: str = ""
    bytes: int = 0
    records: int | None = None  # NDJSON lines or CSV data rows
    database_count: int | None = None  # what the database held when the export began
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = {"path": self.path, "kind": self.kind, "sha256": self.sha256, "bytes": self.bytes}
        if self.records is not None:
            data["records"] = self.records
        if self.database_count is not None:
            data["database_count"] = self.database_count
        if self.details:
            data["details"] = self.details
        return data


class HashingWriter:
    """A binary file opened for writing that hashes and counts what passes through it."""

    def __init__(self, root: Path, relative: str, kind: str):
        self.entry = FileEntry(relative, kind)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        self._handle = target.open("wb", buffering=BUFFER_BYTES)
        self._digest = hashlib.sha256()
        self._written_back = 0

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self._handle.write(data)
        self.entry.bytes += len(data)
        if self.entry.bytes - self._written_back >= WRITE_BACK_BYTES:
            self._write_back()

    def _write_back(self) -> None:
        """Start writing what the file holds so far to disk, without waiting (Linux starts the writeback
        of dirty pages on POSIX_FADV_DONTNEED), so `sync` at the end waits only for the last part; the
        pages, which the export does not read again, leave the cache once written."""
        if hasattr(os, "posix_fadvise"):
            self._handle.flush()
            os.posix_fadvise(self._handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        self._written_back = self.entry.bytes

    def close(self) -> FileEntry:
        """Close (the file reaches the disk at `sync`, before the manifest is written)."""
        self._handle.close()
        self.entry.sha256 = self._digest.hexdigest()
        return self.entry

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._handle.close()


class _TextSink:
    """Adapts `HashingWriter` to the text `write` that `csv.writer` calls, buffering to whole chunks."""

    def __init__(self, writer: HashingWriter):
        self._writer = writer
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._writer.write("".join(self._parts).encode("utf-8"))
            self._parts.clear()
            self._size = 0


class CsvFile:
    """A UTF-8 CSV file (RFC 4180, CRLF line ends) written row by row; `records` counts data rows."""

    def __init__(self, root: Path, relative: str, kind: str, header: list[str]):
        self._file = HashingWriter(root, relative, kind)
        self._sink = _TextSink(self._file)
        self._writer = csv.writer(self._sink)
        self._writer.writerow(header)
        self._file.entry.records = 0

    def writerows(self, rows) -> None:
        before = len(rows)
        self._writer.writerows(rows)
        self._file.entry.records += before

    def write_lines(self, lines: list[str]) -> None:
        """Rows already formatted as CSV lines (without their line end)."""
        if lines:
            self._sink.flush()
            lines.append("")
            self._file.write(LINE_END.join(lines).encode("utf-8"))
            self._file.entry.records += len(lines) - 1

    def close(self) -> FileEntry:
        self._sink.flush()
        return self._file.close()


class NdjsonFile:
    """Newline-delimited JSON (FHIR bulk data format): one resource per line, given as JSON text."""

    def __init__(self, root: Path, relative: str, kind: str = "fhir"):
        self._file = HashingWriter(root, relative, kind)
        self._file.entry.records = 0
        self._lines: list[str] = []

    def write(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= LINES_PER_WRITE:
            self.flush()

    def write_all(self, lines: Iterable[str]) -> None:
        lines = iter(lines)
        self.flush()
        while chunk := list(islice(lines, LINES_PER_WRITE)):
            self._lines = chunk
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._lines.append("")
            self._file.write("\n".join(self._lines).encode("utf-8"))
            self._file.entry.records += len(self._lines) - 1
            self._lines = []

    def close(self) -> FileEntry:
        self.flush()
        return self._file.close()


def sync(root: Path, entries: list[FileEntry]) -> None:
    """Flush every file of the package to disk before the manifest that declares it complete is written.

    Once for all at the end rather than as each file closes: the kernel writes the files back while
    the next ones are made, and only what is still pending is waited for.
    """
    for entry in entries:
        fsync_path(root / entry.path)


def write_bytes(root: Path, relative: str, kind: str, data: bytes, records: int | None = None) -> FileEntry:
    """A small file written whole (agreements, reports, the contract list)."""
    with HashingWriter(root, relative, kind) as writer:
        writer.write(data)
    writer.entry.records = records
    return writer.entry


def write_json(root: Path, relative: str, kind: str, data, records: int | None = None) -> FileEntry:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str, sort_keys=False) + "\n"
    return write_bytes(root, relative, kind, text.encode("utf-8"), records)
