"""`utcnow()` follows a simulation's clock only inside `simulated_clock`, and only in that context."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from openmso.core.types import simulated_clock, utcnow


def test_the_clock_is_simulated_inside_the_block_and_the_wall_clock_after_it():
    at = datetime(2026, 8, 3, 16, tzinfo=UTC)
    with simulated_clock(at):
        assert utcnow() == at
        with simulated_clock(at + timedelta(days=1)):
            assert utcnow() == at + timedelta(days=1)
        assert utcnow() == at
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_other_threads_keep_the_wall_clock_while_a_simulation_runs():
    seen = []
    with simulated_clock(datetime(2026, 8, 3, tzinfo=UTC)):
        worker = threading.Thread(target=lambda: seen.append(utcnow()))
        worker.start()
        worker.join()
    assert seen[0].year == datetime.now(UTC).year and abs(seen[0] - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="naive"):
        with simulated_clock(datetime(2026, 8, 3)):
            pass
