"""Appeal letters and patient statements as PDF (fpdf2), filled from templates with the claim's facts.

The templates are plain text with `{placeholders}` (kept here as data so a billing lead can read and
change them); core PDF fonts carry Latin-1 only, so typographic characters are folded.
"""

from __future__ import annotations

from fpdf import FPDF

FOLD = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " "})

APPEAL_TEMPLATE = """{practice}
{today}

{payer}
Appeals Department

Re: Request for reconsideration - claim {payer_claim_number}
Patient: {patient}    Member ID: {member_id}
Our claim number: {patient_control_number}    Date(s) of service: {service_dates}
Billed: ${charge}    Denied: ${amount}
Denial reason(s): {reasons}

To whom it may concern:

We ask you to reconsider the denial of the services above ({category}). The services were
medically necessary, rendered as documented and billed correctly:

{lines}

{argument}

Please reprocess the claim for payment. Supporting documentation is enclosed. This appeal is
filed within your appeal window (deadline {deadline}).

Sincerely,

Billing office, {practice}
"""

STATEMENT_TEMPLATE = """{practice}
Patient statement - {today}

{patient}

Amount due: ${balance}

{lines}

Please pay within 30 days. Questions: call the billing office.
"""


def _plain(text: str) -> str:
    return str(text).translate(FOLD).encode("latin-1", "replace").decode("latin-1")


def render_pdf(text: str, title: str) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.set_title(_plain(title))
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for paragraph in text.splitlines():
        pdf.multi_cell(0, 5, _plain(paragraph) or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
