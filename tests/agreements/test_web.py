"""Agreement pages: the editor validates with the API's model and re-renders with located errors;
the version page carries the risk panel and control map; history diffs; report; network page."""

from __future__ import annotations

from datetime import date

from openmso.agreements import diff, forms, presets, service
from openmso.core.tenancy import SYSTEM, Role
from tests.factories import add_practice, add_signed_agreement, add_user, signed_in


def _form(terms, **changes) -> dict:
    values = {k: ("on" if v is True else v) for k, v in forms.form_values(terms).items()
              if v is not None and v is not False}
    values.update(changes)
    return {k: str(v) for k, v in values.items()}


def test_form_round_trips_the_terms():
    for terms in (presets.standard_terms(date(2026, 1, 1)), presets.friendly_pc_terms(date(2026, 2, 1))):
        parsed, errors = forms.parse(_form(terms))
        assert errors == [] and diff.compare(terms, parsed) == []  # same terms (list order aside)


def test_editor_creates_a_draft_and_refuses_clinical_control_naming_the_clause(client, db, settings):
    practice = add_practice(db, "Editor")
    http = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    page = http.get(f"/agreements/new?practice_id={practice.id}")
    assert page.status_code == 200 and 'name="decision.clinical_protocols.holder"' in page.text
    terms = presets.standard_terms(date(2026, 1, 1))
    refused = http.post("/agreements/new", data=_form(terms, practice_id=practice.id, title="Editor MSA",
                                                      **{"decision.clinical_protocols.holder": "mso"}))
    assert refused.status_code == 422
    assert "Schedule C.4 (Clinical protocols and standards of care) is a clinical decision" in refused.text
    assert 'value="Editor MSA"' in refused.text  # the form comes back filled in
    bad_fee = http.post("/agreements/new", data=_form(terms, practice_id=practice.id, title="Editor MSA",
                                                      **{"fees.kind": "percent_of_net_collections"}))
    assert bad_fee.status_code == 422 and "needs collections_percent" in bad_fee.text
    created = http.post("/agreements/new", data=_form(terms, practice_id=practice.id, title="Editor MSA"),
                        follow_redirects=False)
    assert created.status_code == 303
    [agreement] = service.list_agreements(db, SYSTEM, practice.id)
    assert agreement.versions[0].status == "draft"
    assert diff.compare(terms, service.terms_of(agreement.versions[0])) == []


def test_version_page_history_report_network_and_compare(client, db, settings):
    oregon = add_practice(db, "Pages", state="OR")
    agreement = add_signed_agreement(db, oregon, terms=presets.friendly_pc_terms(date(2026, 2, 1)),
                                     signed_on=date(2026, 2, 1))
    http = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    version_id = agreement.versions[0].id
    page = http.get(f"/agreement-versions/{version_id}?as_of=2026-11-01")
    assert page.status_code == 200
    assert 'id="risk-panel"' in page.text and "OR-SB951-STRUCTURE" in page.text and "<svg" in page.text
    assert "Decision support, not legal advice" in page.text
    amended = http.post(f"/agreements/{agreement.id}/amend", data={"change_note": "Return payer contracting"},
                        follow_redirects=False)
    draft_id = int(amended.headers["location"].split("/")[2])
    editor = http.get(amended.headers["location"])
    assert editor.status_code == 200
    terms = service.terms_of(service.get_version(db, SYSTEM, draft_id))
    saved = http.post(f"/agreement-versions/{draft_id}/edit", follow_redirects=False,
                      data=_form(terms, **{"decision.payer_contract_signing.holder": "practice"}))
    assert saved.status_code == 303
    signed = http.post(f"/agreement-versions/{draft_id}/sign", follow_redirects=False,
                       data={"signed_on": "2026-06-01", "signed_by_practice": "Dr P", "signed_by_mso": "CEO"})
    assert signed.status_code == 303
    history = http.get(f"/agreements/{agreement.id}")
    assert "v1 → v2" in history.text and "to practice" in history.text
    report = http.get(f"/agreement-versions/{draft_id}/report?as_of=2026-11-01")
    assert report.status_code == 200 and "7. How deep is each recommended vendor relationship?" in report.text
    network = http.get("/agreements?as_of=2026-11-01")
    assert network.status_code == 200 and "Pages Family Clinic" in network.text
    assert "friendly pc" in network.text.lower()
    compare = http.get(f"/agreements/compare?version_id={version_id}&other_version_id={draft_id}")
    assert compare.status_code == 200 and "return it to the practice" in compare.text
    assert http.get("/agreements/rules").status_code == 200
