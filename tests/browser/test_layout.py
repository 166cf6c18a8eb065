"""Every page of the demo, as an MSO administrator reaches it by following links, fits the window:
a worklist or form that needs sideways scrolling hides its actions and last columns from the person
working it."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import login, overflowing

pytestmark = pytest.mark.browser

SKIPPED = ("/logout", ".csv", ".pdf", ".zip", "/file", "download", "exit-package", "/docs", "/openapi", "/api/",
           "/redoc")  # files to download (an exit package the exit page's test built), not pages


def _shape(path: str) -> str:
    """One page per route: /claims/12 and /claims/13 are the same layout."""
    return re.sub(r"/\d+", "/N", path.split("?")[0])


def test_no_page_reached_from_the_menus_is_wider_than_the_window(new_page):
    page = new_page()
    login(page, "admin")
    queue, seen, wide = ["/"], set(), []
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if _shape(path) in seen:
            continue
        seen.add(_shape(path))
        response = page.goto(path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert response.status < 400, f"{path} answered {response.status}"
        if overflowing(page, "main", "table, form, figure, .card"):
            wide.append((path, page.evaluate("document.documentElement.scrollWidth")))
        links = page.eval_on_selector_all("a[href^='/']:not([download])",
                                          "links => links.map(a => a.getAttribute('href'))")
        queue += [link for link in links if not any(part in link for part in SKIPPED)]
    assert len(seen) >= 25, sorted(seen)  # the crawl reached the domains' pages, not just the home page
    assert wide == [], wide
