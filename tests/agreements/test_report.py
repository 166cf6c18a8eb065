"""The due-diligence report (answers, gaps, flags), its PDF read back as text, the control map and
the comparison of versions."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date

from pypdf import PdfReader

from openmso.agreements import controlmap, diff, pdf, presets, report, schemas, service
from openmso.agreements.catalogue import DecisionKey, Holder
from openmso.agreements.terms import DecisionRight
from openmso.core.tenancy import SYSTEM
from tests.factories import add_practice, add_provider, add_signed_agreement

AS_OF = date(2026, 11, 1)


def _oregon_friendly_pc(db):
    practice = add_practice(db, "Willow", state="OR")
    add_provider(db, practice, "Willow")
    agreement = add_signed_agreement(db, practice, terms=presets.friendly_pc_terms(date(2026, 2, 1)),
                                     signed_on=date(2026, 2, 1))
    return practice, agreement.versions[-1]


def test_report_answers_the_seven_questions_and_marks_gaps_and_flags(db):
    _, version = _oregon_friendly_pc(db)
    add_signed_agreement(db, add_practice(db, "Peer", state="TX"))  # another affiliate on the same vendors
    result = report.due_diligence(db, SYSTEM, version, AS_OF)
    assert [a.number for a in result.answers] == [1, 2, 3, 4, 5, 6, 7]
    by_number = {a.number: a for a in result.answers}
    assert any(f.startswith("IN: Payer contracting") for f in by_number[1].facts)
    assert "affiliates have no say in any vendor category" not in by_number[2].gaps  # supplies stays with practice
    assert {f.rule_id for f in by_number[3].flags} >= {"US-HIPAA-AGGREGATION"}
    assert "no exit data formats or delivery window" in by_number[4].gaps
    assert "no statement of who collects the A/R open at exit, or for how long" in by_number[4].gaps
    assert "the practice cannot leave for convenience" in by_number[4].gaps
    assert {f.rule_id for f in by_number[6].flags} >= {"OR-SB951-CONTROL", "OR-SB951-STRUCTURE"}
    assert any("Sentinel MDR" in f and "2 affiliates" in f for f in by_number[7].facts)
    assert {f.rule_id for f in result.other_flags} >= {"US-AKS-SAFE-HARBOR", "US-STARK-FMV"}
    assert "not legal advice" in result.disclaimer


def test_report_pdf_renders_and_reads_back(db):
    _, version = _oregon_friendly_pc(db)
    document = pdf.render(report.due_diligence(db, SYSTEM, version, AS_OF))
    assert document.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
    text = " ".join(text.split())
    for expected in ("due-diligence report", "Willow Family Clinic", "1. What is in scope, and what is out?",
                     "7. How deep is each recommended vendor relationship?", "OR-SB951-STRUCTURE",
                     "GAP: no exit data formats or delivery window", "not legal advice", "Schedule B.1"):
        assert expected in text, expected


def test_control_map_places_clinical_decisions_with_the_practice_and_controls_with_the_mso():
    terms = presets.friendly_pc_terms(date(2026, 2, 1))
    placed = {p.label: p for p in controlmap.placements(terms)}
    assert placed["Clinical protocols and standards of care"].side == controlmap.PRACTICE
    assert placed["Clinical protocols and standards of care"].clinical
    assert placed["Clinical staffing, clinician schedules and compensation"].side == controlmap.MSO
    assert placed["Hiring and firing physicians and clinicians"].side == controlmap.SHARED
    svg = controlmap.render(terms, "Willow <MSA> & co")
    root = ET.fromstring(svg)  # well-formed, labels escaped
    assert root.tag.endswith("svg") and "Willow <MSA> & co" in "".join(root.itertext())
    assert svg.count('class="item side-2"') == sum(p.side == controlmap.MSO for p in placed.values())


def test_comparison_shows_where_control_moves():
    clean = presets.standard_terms(date(2025, 1, 1))
    risky = presets.friendly_pc_terms(date(2025, 1, 1))
    changes = {(c.section, c.item, c.field): c for c in diff.compare(clean, risky)}
    assert changes[("Decision rights", "Signing payer contracts", "holder")].control == "to MSO"
    assert changes[("Structure", "Friendly-PC controls", "stock_transfer_restriction")].control == "to MSO"
    assert changes[("Data rights", "", "benchmarking_consent")].control == "to practice"
    assert changes[("Fees", "", "kind")].control is None
    back = {(c.section, c.item, c.field): c.control for c in diff.compare(risky, clean)}
    assert back[("Decision rights", "Signing payer contracts", "holder")] == "to practice"
    assert diff.compare(clean, presets.revised(clean, {})) == []


def test_versions_diff_through_the_service(db):
    practice = add_practice(db, "Diff")
    agreement = add_signed_agreement(db, practice)
    draft = service.amend(db, SYSTEM, agreement.id, schemas.AmendmentCreate(change_note="MSO signs payer contracts"))
    terms = service.terms_of(draft)
    rights = [*terms.decision_rights, DecisionRight(decision=DecisionKey.PAYER_CONTRACT_SIGNING, holder=Holder.MSO)]
    service.update_draft(db, SYSTEM, draft.id, schemas.DraftUpdate(terms=presets.revised(terms, {
        "decision_rights": rights})))
    changes = diff.compare(service.terms_of(agreement.versions[0]), service.terms_of(draft))
    assert [(c.item, c.before, c.after, c.control) for c in changes] == [
        ("Signing payer contracts", "practice", "mso", "to MSO")]
