"""`manifest.json`: what the package holds and what the database held, so completeness is provable.

Written last, after every other file is closed: a package without it was interrupted. Each file is
listed with its SHA-256, size and record count (NDJSON lines, CSV data rows, claims in an X12 file);
where the database has a count for the same thing (rows of a table, rows a FHIR type is made
from) it is beside it, and the export refuses to finish when the two differ.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from openmso.exit.package.files import FileEntry

MANIFEST = "manifest.json"
FORMAT = "openmso.exit-package"
FORMAT_VERSION = 2  # 2: the manifest is signed (`signature`)


def build(practice: dict, created: dict, files: list[FileEntry], database_counts: dict, notes: list[str]) -> dict:
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "complete": True,
        "practice": practice, **created,
        "fhir": {"version": "4.0.1", "format": "application/fhir+ndjson"},
        "files": [entry.as_json() for entry in sorted(files, key=lambda e: e.path)],
        "database_counts": database_counts,
        "notes": notes,
    }


def mismatches(files: list[FileEntry]) -> list[str]:
    return [f"{entry.path}: {entry.records} records written, the database holds {entry.database_count}"
            for entry in files if entry.database_count is not None and entry.records != entry.database_count]


def write(root: Path, manifest: dict) -> None:
    """Write and flush the manifest to disk before the package is renamed into place."""
    target = root / MANIFEST
    with target.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
