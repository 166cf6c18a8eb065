"""Building blocks for browser tests: the live demo server, Chromium launch options, and the steps
every domain's browser tests repeat (signing in, signing out, saving a screenshot).

The fixtures in `conftest.py` wire these together; tests import the plain functions from here
(`from tests.browser.support import login, screenshot`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openmso.app import create_app
from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.demo.generator import DEMO_PASSWORD, DemoSummary, build_demo
from openmso.network.models import Practice
from tests.conftest import test_settings
from tests.live_server import serve

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, headless, with nothing that phones home or needs a GPU or a user namespace.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
VIEWPORT = {"width": 1366, "height": 900}

# Small enough to build in a second or two, large enough that every practice has more than one
# page of patients and the overview has several states and specialties.
DEMO_PRACTICES = 5
DEMO_PATIENTS = 500
# The demo's "today": fixed, so the pages hold the same data whatever day the tests run. Built on the real today,
# the small network some days has no payer rejection waiting (its billers work them within two business days),
# and the rejection worklist's tests had nothing to open (2026-12-03).
DEMO_AS_OF = date(2026, 12, 2)


@dataclass
class LiveServer:
    """A running OpenMSO over its own demo database; `url` is the base for page.goto paths."""

    url: str
    session_factory: sessionmaker[Session]
    demo: DemoSummary

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A read-only look at the server's database, for choosing ids and names a test will look for."""
        session = self.session_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def practice(self, legal_name_start: str) -> Practice:
        with self.db() as db:
            practice = db.scalar(select(Practice).where(Practice.legal_name.startswith(legal_name_start)))
            assert practice is not None, f"no demo practice named {legal_name_start!r}…"
            db.expunge(practice)
            return practice


@contextmanager
def serve_demo(directory: Path) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite file, fill it with the demo network, and serve it with uvicorn on a
    free loopback port in a background thread until the block ends."""
    url = f"sqlite:///{directory / 'browser.db'}"
    migrate.upgrade(url)
    session_factory = make_session_factory(make_engine(url))
    with unit_of_work(session_factory) as db:
        demo = build_demo(db, practices=DEMO_PRACTICES, patients=DEMO_PATIENTS,
                          clearinghouse_dir=directory / "clearinghouse", as_of=DEMO_AS_OF)
    # Every test signs in from 127.0.0.1; a few deliberate failures must not lock the others out.
    settings = replace(test_settings(directory, url), login_max_failures=50, session_hours=2, job_workers=1)
    app = create_app(settings, session_factory)
    try:
        with serve(app) as base_url:
            yield LiveServer(url=base_url, session_factory=session_factory, demo=demo)
    finally:
        session_factory.kw["bind"].dispose()


def login(page, username: str, password: str = DEMO_PASSWORD, expect_success: bool = True) -> None:
    """Sign in through the login form, as a person would, and wait for the page after it.

    On a login form already open (after being sent there from another page) it signs in there, so
    the form's `next` takes the browser back to where it was going."""
    if urlparse(page.url).path != "/login":
        page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    if expect_success:
        assert "/login" not in page.url, f"{username} could not sign in: {page.inner_text('main')}"


def logout(page) -> None:
    """Sign out with the button in the top bar (a CSRF-protected POST form)."""
    with page.expect_navigation():
        page.click("header .who button[type=submit]")


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG as build/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def column(page, table: str, index: int) -> list[str]:
    """The text of one column (0-based) of a table's body rows, for asserting what a list shows."""
    return [cell.strip() for cell in page.locator(f"{table} tbody tr td:nth-child({index + 1})").all_inner_texts()]


def overflowing(page, container: str, child: str) -> list[str]:
    """The `child` elements that stick out of their `container` (each container checked against its own
    children), and "page" when the page is wider than the window: a layout a person must scroll
    sideways through, or a chart drawn over its neighbour's card."""
    return page.evaluate(
        """([container, child]) => {
            const out = [];
            if (document.documentElement.scrollWidth > window.innerWidth) out.push("page");
            for (const box of document.querySelectorAll(container)) {
                const outer = box.getBoundingClientRect();
                for (const inner of box.querySelectorAll(child)) {
                    const r = inner.getBoundingClientRect();
                    if (r.left < outer.left - 0.5 || r.right > outer.right + 0.5) out.push(box.id || container);
                }
            }
            return out;
        }""", [container, child])
