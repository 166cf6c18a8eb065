"""The deadline filters worklists share: a day counted from today, in words a biller reads at a glance."""

from __future__ import annotations

from datetime import date, timedelta

from openmso.core.web import environment


def _render(text: str, day: date) -> str:
    return environment.from_string(text).render(day=day)


def test_a_deadline_reads_as_days_left_due_today_or_days_late():
    today = date.today()
    cases = {3: "3 days left", 1: "1 day left", 0: "due today", -1: "1 day late", -40: "40 days late"}
    for offset, words in cases.items():
        day = today + timedelta(days=offset)
        assert _render("{{ day|deadline }}", day) == words
        assert _render("{{ day|days_until }}", day) == str(offset)
