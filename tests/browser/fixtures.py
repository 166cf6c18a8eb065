"""Browser-test fixtures every domain reuses: one live demo server and one headless Chromium per
test session, and a fresh browser context (cookies, JavaScript setting) per page.

Loaded once for the whole suite through `pytest_plugins` in tests/conftest.py: two sync Playwright
instances cannot run in one thread, so a domain must not re-import these into its own conftest.

Chromium is Debian's `/usr/bin/chromium`, never a downloaded build. Where it (or Playwright) is
missing the browser tests skip with the reason; CI sets OPENMSO_REQUIRE_ALL_TESTS=1 and they fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, LiveServer, serve_demo
from tests.conftest import skip_or_fail

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # the dev extra is not installed
    sync_playwright = None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The demo network (a few practices, a few hundred patients) served on a free loopback port."""
    with serve_demo(tmp_path_factory.mktemp("browser")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        skip_or_fail("browser tests need Playwright's Python package (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        skip_or_fail(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh contexts (no shared cookies); `new_page(java_script_enabled=False)` reads
    the site the way a browser without JavaScript does. Contexts close at the end of the test."""
    contexts: list[BrowserContext] = []

    def open_page(**options) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, accept_downloads=True,
                                      **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """A JavaScript-enabled page in its own context, not signed in."""
    return new_page()
