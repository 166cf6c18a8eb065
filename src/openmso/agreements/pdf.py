"""The due-diligence report as PDF (fpdf2: pure Python, no system libraries, no browser).

The PDF's core fonts carry Latin-1 only, so typographic characters are folded to their plain
equivalents; the content is the same `Report` the web page and the JSON show.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from openmso.agreements.report import Report
from openmso.agreements.schemas import FlagOut

FOLD = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "≥": ">=", "≤": "<=",
                      "…": "...", "•": "-", "\u00a0": " "})
SEVERITY_COLOUR = {"high": (179, 38, 30), "medium": (168, 100, 0), "low": (91, 107, 124)}


def plain(text: str) -> str:
    """`text` in the Latin-1 the PDF core fonts carry, typographic characters folded to plain ones."""
    return str(text).translate(FOLD).encode("latin-1", "replace").decode("latin-1")


class Document(FPDF):
    """A Letter page with the platform's margins, a one-line footer, and wrapped lines of text."""

    def __init__(self, footer: str):
        super().__init__(format="Letter")
        self.footer_text = footer
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.set_text_color(91, 107, 124)
        self.cell(0, 5, plain(f"{self.footer_text} - page {self.page_no()}"), align="C")

    def line_of(self, text: str, size: float = 9.5, style: str = "", indent: float = 0,
                colour: tuple[int, int, int] = (29, 39, 51)) -> None:
        self.set_font("Helvetica", style=style, size=size)
        self.set_text_color(*colour)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * 0.5, plain(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class _ReportDocument(Document):
    def __init__(self, report: Report):
        super().__init__(f"OpenMSO due-diligence report - {report.practice} - decision support, not legal advice")

    def flag(self, flag: FlagOut) -> None:
        self.line_of(f"FLAG [{flag.severity.upper()}, {flag.status}] {flag.rule_id} - {flag.title}: {flag.finding}",
                     size=9, style="B", indent=4, colour=SEVERITY_COLOUR.get(flag.severity, (0, 0, 0)))
        self.line_of(f"{flag.clause}. {flag.citation} (confidence: {flag.confidence})", size=8, indent=8,
                     colour=(91, 107, 124))


def render(report: Report) -> bytes:
    """The report as PDF bytes."""
    pdf = _ReportDocument(report)
    pdf.set_title(plain(f"Due-diligence report: {report.agreement}"))
    pdf.set_author("OpenMSO")
    pdf.add_page()
    pdf.line_of("Management services agreement: due-diligence report", size=15, style="B")
    pdf.line_of(report.agreement, size=11)
    pdf.ln(1)
    pdf.line_of(f"Practice: {report.practice} ({', '.join(report.states)})")
    pdf.line_of(f"Version {report.version} ({report.status}), model {report.model.replace('_', ' ')}, "
                f"fee {report.fee}")
    pdf.line_of(f"Effective {report.effective_on}; signed {report.signed_on or 'not yet'}; assessed as of "
                f"{report.as_of}")
    pdf.ln(1)
    pdf.line_of(report.disclaimer, size=8.5, style="I", colour=(168, 100, 0))
    for answer in report.answers:
        pdf.ln(3)
        pdf.line_of(f"{answer.number}. {answer.question}", size=11.5, style="B", colour=(20, 50, 79))
        for fact in answer.facts:
            pdf.line_of(f"- {fact}", indent=2)
        for gap in answer.gaps:
            pdf.line_of(f"GAP: {gap}", style="B", indent=4, colour=(168, 100, 0))
        for flag in answer.flags:
            pdf.flag(flag)
        if not (answer.gaps or answer.flags):
            pdf.line_of("No gaps or risk flags.", size=8.5, style="I", indent=4, colour=(29, 122, 70))
    if report.other_flags:
        pdf.ln(3)
        pdf.line_of("Other risk flags (fees, structure, filings)", size=11.5, style="B", colour=(20, 50, 79))
        for flag in report.other_flags:
            pdf.flag(flag)
    return bytes(pdf.output())
