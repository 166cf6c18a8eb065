"""Shared pieces of the fuzz tests: the full reading pipeline and a counter of cases run."""

from __future__ import annotations

import time
from collections import Counter

from openmso.x12 import X12Error, iter_transactions
from openmso.x12.summary import summarize_transaction

CASES: Counter[str] = Counter()
MAX_SECONDS_PER_CASE = 5.0


def read_everything(data: bytes) -> int:
    """Tokenize, check envelopes, parse every typed transaction and balance 835s; transactions read."""
    count = 0
    for transaction in iter_transactions(data):
        summarize_transaction(transaction)
        count += 1
    return count


def assert_reads_or_fails_located(data: bytes, kind: str) -> bool:
    """The codec either reads `data` or raises X12Error with a location; never anything else, never slow.

    Returns whether an X12Error was raised.
    """
    CASES[kind] += 1
    started = time.perf_counter()
    failed = False
    try:
        read_everything(data)
    except X12Error as error:
        failed = True
        assert error.offset is not None, f"{kind}: error without offset: {error}"
        assert error.segment_number is not None, f"{kind}: error without segment number: {error}"
        assert 0 <= error.offset <= len(data), f"{kind}: offset {error.offset} outside the input"
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS_PER_CASE, f"{kind}: took {elapsed:.1f}s"
    return failed
