"""Where a package is written: a `.partial` directory renamed into place only when complete.

An export killed at any point leaves at most `<out>.partial` (or `<out>.tar.partial`), never a
directory or archive at the final path; the next export of the same path removes the leftovers and
starts again. A lock file (`flock`, released by the kernel when the process dies, even by
SIGKILL) stops two exports writing the same path at once without ever going stale.

An flock belongs to the open file, not the process: a forked child (the export's helper, `parallel`)
would hold it too, and a child still dying after its parent was killed would refuse the next export of
the same path. So a child's copy of every held lock is pointed at /dev/null as soon as it is forked:
only the exporting process ever holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

from openmso.core.durable import fsync_path
from openmso.core.errors import Conflict, Invalid
from openmso.exit.package.manifest import MANIFEST

ARCHIVE_FORMATS = ("tar", "zip")

_held_locks: set[int] = set()  # descriptors of the locks this process holds


def _drop_inherited_locks() -> None:
    """In a forked child: let go of the parent's locks without closing their descriptor numbers (the
    parent's objects, copied into the child, still name them)."""
    if not _held_locks:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    for descriptor in _held_locks:
        os.dup2(null, descriptor)
    os.close(null)
    _held_locks.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


def final_path(out: Path, archive: str | None) -> Path:
    if archive is None:
        return out
    if archive not in ARCHIVE_FORMATS:
        raise Invalid(f"archive format {archive!r} is not one of {', '.join(ARCHIVE_FORMATS)}")
    return out if out.suffix == f".{archive}" else out.with_name(f"{out.name}.{archive}")


def partial_of(path: Path) -> Path:
    return path.with_name(f"{path.name}.partial")


class Workspace:
    """Holds the lock on one output path for the time of one export."""

    def __init__(self, out: Path, archive: str | None):
        self.final = final_path(out, archive)
        self.archive = archive
        self.directory = partial_of(out if archive is None else self.final.with_suffix(""))
        self.lock_path = self.final.with_name(f"{self.final.name}.lock")
        self.cleaned: list[str] = []
        self._lock = None

    def __enter__(self) -> Workspace:
        if self.final.exists():
            raise Conflict(f"{self.final} already exists; choose another --out or remove it first")
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self._lock = self.lock_path.open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise Conflict(f"another export is writing {self.final}") from None
        _held_locks.add(self._lock.fileno())
        for leftover in (self.directory, partial_of(self.final)):
            if leftover.exists():
                _remove(leftover)
                self.cleaned.append(f"removed {leftover.name}, left by an interrupted export")
        self.directory.mkdir()
        return self

    def commit(self) -> Path:
        """Make the finished package visible at its final path, in one rename."""
        if self.archive is None:
            os.rename(self.directory, self.final)
        else:
            staging = partial_of(self.final)
            _archive(self.directory, staging, self.archive)
            os.rename(staging, self.final)
            shutil.rmtree(self.directory)
        fsync_path(self.final.parent)
        return self.final

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            for leftover in (self.directory, partial_of(self.final)):
                if leftover.exists():
                    _remove(leftover)
        if self._lock is not None:
            _held_locks.discard(self._lock.fileno())
            self.lock_path.unlink(missing_ok=True)
            self._lock.close()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def package_files(root: Path) -> list[str]:
    """Every file under `root` as a relative "/" path, the manifest first (so a reader meets it first)."""
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(names, key=lambda name: name != MANIFEST)


def _archive(root: Path, target: Path, kind: str) -> None:
    if kind == "tar":
        with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
            for name in package_files(root):
                archive.add(root / name, arcname=name, recursive=False)
    else:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name in package_files(root):
                archive.write(root / name, arcname=name)
    with target.open("rb") as handle:
        os.fsync(handle.fileno())
