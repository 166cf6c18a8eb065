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


class collection_paused:  # noqa: N801 - used like a function: ``with collection_paused(): ...``
    """Run the block with the cyclic garbage collector off, then restore its previous state.

    A class rather than a generator-based context manager: leaving the block must not allocate
    after the collector is back on, or the first allocation would start a collection over every
    object the block just made (a whole remittance, when the caller drops it right away).
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        if self._was_enabled:
            gc.disable()

    def __exit__(self, *exception: object) -> None:
        if self._was_enabled:
            gc.enable()
