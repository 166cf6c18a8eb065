"""Pausing the cyclic garbage collector while the codec builds one transaction set.

Reading or writing a transaction set makes thousands of short-lived containers (segment and
element lists, model objects) with no reference cycles: reference counting frees them. The cyclic
collector still counts their allocations and runs every few hundred of them; its older
generations then walk every object the process holds, such as a batch of claims waiting to be
written, and free nothing. CPython has no per-thread switch, so the pause is process-wide: it
lasts one transaction set, is left alone when the collector is already off, and the previous
state is restored however the work ends. Work in other threads stays correct; it only collects
less often meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off, then restore its previous state."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
