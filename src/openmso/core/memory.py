"""Peak resident memory of this process, for the memory figures exports and benchmarks report."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This process's own peak resident size in MB.

    Read from /proc VmHWM where Linux gives it: ru_maxrss starts a forked child at its parent's
    peak, so a child's small peak would be hidden under the parent's; VmHWM restarts at exec. A
    forked child's VmHWM still counts the pages it shares with its parent, so a sum over both
    processes overstates what they hold together. Elsewhere, ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
