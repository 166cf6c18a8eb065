"""Fixtures for the X12 codec tests: sample file paths, a pyx12 referee, envelope builders."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "x12"


def pyx12_errors(text: str) -> list[str]:
    """Validate X12 text with pyx12 against its implementation-guide maps; return its error lines."""
    import pyx12.params
    import pyx12.x12n_document

    handler_stream = io.StringIO()
    handler = logging.StreamHandler(handler_stream)
    handler.setLevel(logging.ERROR)
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=None, fd_html=None
        )
    finally:
        logger.removeHandler(handler)
    errors = [line for line in handler_stream.getvalue().splitlines() if line.strip()]
    if not valid and not errors:
        errors.append("pyx12 reported the document invalid")
    return errors


@pytest.fixture
def data_dir() -> Path:
    return DATA


def isa(control: str = "000000001", *, element: str = "*", repetition: str = "^", component: str = ":",
        terminator: str = "~") -> str:
    """A valid fixed-width ISA segment with the given delimiters."""
    fields = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15),
              "240301", "1200", repetition, "00501", control, "0", "P", component]
    text = element.join(fields) + terminator
    assert len(text) == 106
    return text


def envelope(body_segments: list[str], *, set_id: str = "835", version: str = "005010X221A1",
             functional_id: str = "HP", control: str = "0001", sep: str = "*", term: str = "~",
             component: str = ":", repetition: str = "^", newline: str = "") -> str:
    """Wrap body segments (text without terminators) in ISA/GS/ST ... SE/GE/IEA with right counts."""
    segments = [f"ST{sep}{set_id}{sep}{control}", *body_segments, f"SE{sep}{len(body_segments) + 2}{sep}{control}"]
    parts = [isa(element=sep, component=component, repetition=repetition, terminator=term)[:-1],
             f"GS{sep}{functional_id}{sep}SENDER{sep}RECEIVER{sep}20240301{sep}1200{sep}1{sep}X{sep}{version}",
             *segments, f"GE{sep}1{sep}1", f"IEA{sep}1{sep}000000001"]
    return (term + newline).join(parts) + term + newline


def pytest_terminal_summary(terminalreporter):
    """Report how many fuzz/mutation cases the X12 fuzz tests ran."""
    from tests.x12.fuzzing import CASES

    if CASES:
        total = sum(CASES.values())
        detail = ", ".join(f"{kind} {count}" for kind, count in sorted(CASES.items()))
        terminalreporter.write_line(f"x12 fuzz cases run: {total} ({detail})")
