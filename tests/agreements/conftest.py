"""The browser fixtures of tests/browser (live demo server, Chromium), reused for the agreement pages."""

from tests.browser.conftest import browser, live_server, new_page, page  # noqa: F401
