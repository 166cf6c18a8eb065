"""Making what was written survive a crash: `fsync_path` flushes a file, or a directory's entries
(after a create, rename or link in it), to disk by name."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
