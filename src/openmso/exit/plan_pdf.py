"""The transition plan as PDF, on the agreements' document layout (`agreements.pdf.Document`)."""

from __future__ import annotations

from openmso.agreements.pdf import Document
from openmso.exit.schemas import TransitionPlan

HEADING = (20, 50, 79)
MUTED = (91, 107, 124)
WARNING = (168, 100, 0)


def _money(amount) -> str:
    return f"${amount:,.2f}"


def render(plan: TransitionPlan) -> bytes:
    """The plan as PDF bytes: the same sections, in the same order, as the web page."""
    pdf = Document(f"OpenMSO transition plan - {plan.practice} - notice on {plan.as_of} - decision support, "
                   "not legal advice")
    pdf.set_title(f"Transition plan: {plan.practice}")
    pdf.set_author("OpenMSO")
    pdf.add_page()
    pdf.line_of("Transition plan: what leaving the MSO takes", size=15, style="B")
    pdf.line_of(f"{plan.practice} - {plan.agreement} ({plan.version_status})", size=11)
    pdf.line_of(f"Worked out for notice given on {plan.as_of}; generated {plan.generated_at:%Y-%m-%d %H:%M} UTC "
                f"by {plan.generated_by}", size=8.5, colour=MUTED)

    def section(title: str) -> None:
        pdf.ln(3)
        pdf.line_of(title, size=11.5, style="B", colour=HEADING)

    t = plan.timeline
    section("1. Timeline")
    pdf.line_of(f"Route: {t.route} ({t.clause})")
    pdf.line_of(f"Exit on {t.exit_on}" + (f"; current term ends {t.term_ends_on}" if t.term_ends_on else ""))
    pdf.line_of(f"For cause (MSO in material breach, not cured): out on {t.for_cause_exit_on}")
    pdf.line_of(f"Transition support until {t.transition_ends_on}, cost borne by {t.transition_cost_borne_by}"
                if t.transition_ends_on else "Transition support: agreement silent")
    section("2. Risks and terms the agreement does not state")
    for risk in plan.risks:
        pdf.line_of(f"- {risk.text} ({risk.clause})", style="B" if risk.silent else "", indent=2,
                    colour=WARNING if risk.silent else (179, 38, 30))
    if not plan.risks:
        pdf.line_of("None.", style="I", indent=2)
    section("3. Vendor and payer contracts")
    for c in plan.contracts:
        pdf.line_of(f"- {c.kind.title()}: {c.contract} - {c.disposition.replace('_', ' ')}", style="B", indent=2)
        pdf.line_of(c.action, size=8.5, indent=6, colour=WARNING if c.late else (29, 39, 51))
    for p in plan.payer_enrolments:
        pdf.line_of(f"- Payer enrolment {p.payer} ({p.payer_code}): {p.action}", size=8.5, indent=2)
    section("4. Systems the MSO selected")
    for s in plan.systems:
        pdf.line_of(f"- {s.label}: {s.vendor or 'vendor not named'} ({s.arrangement.replace('_', ' ')})"
                    + (" - MUST BE REPLACED" if s.must_replace else ""), style="B", indent=2)
        pdf.line_of(f"{s.action} ({s.clause})", size=8.5, indent=6)
    section("5. Services to take back")
    for s in plan.services:
        pdf.line_of(f"- {s.label}: {s.action}", indent=2)
    section("6. Assets")
    for a in plan.assets:
        pdf.line_of(f"- {a.label}: {a.action} ({a.clause})", indent=2)
    section("7. Compliance functions from day one")
    for c in plan.compliance:
        pdf.line_of(f"- {c.function} ({c.citation}): {c.action}", indent=2)
    ar = plan.open_ar
    section(f"8. Open A/R as of {ar.as_of}")
    for b in ar.buckets:
        pdf.line_of(f"{b.label} days: insurance {_money(b.insurance)}, patient {_money(b.patient)}", indent=2)
    pdf.line_of(f"Total {_money(ar.total)} (insurance {_money(ar.insurance_total)}, patient "
                f"{_money(ar.patient_total)})", style="B", indent=2)
    pdf.line_of(f"Collected after exit by: {ar.collected_by or 'agreement silent'}; run-out "
                f"{ar.run_out_days if ar.run_out_days is not None else 'agreement silent'} days"
                + (f" (until {ar.run_out_ends_on})" if ar.run_out_ends_on else ""), indent=2)
    pdf.line_of(ar.note, size=8.5, indent=2, colour=MUTED)
    d = plan.data
    section("9. Data delivery")
    pdf.line_of(f"Owner: {d.owner}; formats: {', '.join(d.formats) or 'agreement silent'}", indent=2)
    pdf.line_of(f"Delivered within {d.delivery_days} days, by {d.deliver_by}" if d.deliver_by else
                "Delivery window: agreement silent", indent=2)
    pdf.line_of(f"Cost: {_money(d.cost)}" if d.cost is not None else "Cost: agreement silent", indent=2)
    pdf.line_of(f"MSO keeps a copy {d.retention_days} days, until {d.retained_until}" if d.retained_until else
                "MSO retention after exit: agreement silent", indent=2)
    return bytes(pdf.output())
