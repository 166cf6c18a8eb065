"""Peak resident memory of the running process, for the benchmarks' memory columns."""

from __future__ import annotations

from pathlib import Path


def vm_hwm_kib() -> int:
    """Peak RSS of this process image (/proc VmHWM, Linux; 0 elsewhere). Unlike ru_maxrss it does not
    start from the parent's resident size at fork, so a child's small peak is not hidden under the parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
