"""Agreement pages: the network of agreements, an agreement's history, a version with its risk
panel and control map, the editor, the due-diligence report, the comparison and the rule table."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from openmso.agreements import assessment, catalogue, controlmap, diff, forms, presets, report, rules, schemas, service
from openmso.agreements.api import AsOf, today
from openmso.agreements.terms import ConvenienceTermination, FeeKind
from openmso.core.deps import DB, CurrentActor, OptionalId, RowId
from openmso.core.errors import Conflict, FieldError, Invalid
from openmso.core.web import environment, render

router = APIRouter(include_in_schema=False)
environment.globals["agreement_catalogue"] = catalogue
environment.globals["agreement_choices"] = {"fee_kind": FeeKind, "convenience": ConvenienceTermination}

Text = Annotated[str, Form(max_length=2000)]
SignDate = Annotated[date, Form(ge=date(1990, 1, 1), le=date(2200, 1, 1))]
Signatory = Annotated[str, Form(min_length=2, max_length=160)]


def _errors(errors: list[FieldError]) -> list[dict]:
    return [e.as_dict() for e in errors]


@router.get("/agreements")
def network_page(request: Request, db: DB, actor: CurrentActor, as_of: AsOf = None):
    rows = assessment.network_rows(db, actor, today(as_of))
    return render(request, "agreements/network.html", rows=rows, as_of=today(as_of), disclaimer=rules.DISCLAIMER)


@router.get("/agreements/rules")
def rules_page(request: Request, actor: CurrentActor):
    return render(request, "agreements/rules.html", rules=rules.RULES, disclaimer=rules.DISCLAIMER)


@router.get("/agreements/compare")
def compare_page(request: Request, db: DB, actor: CurrentActor, version_id: OptionalId = None,
                 other_version_id: OptionalId = None):
    versions = [v for a in service.list_agreements(db, actor) for v in a.versions]
    changes = left = right = None
    if version_id and other_version_id:
        left, right = service.get_version(db, actor, version_id), service.get_version(db, actor, other_version_id)
        changes = diff.compare(service.terms_of(left), service.terms_of(right))
    return render(request, "agreements/compare.html", versions=versions, left=left, right=right, changes=changes)


@router.get("/agreements/new")
def new_agreement_form(request: Request, db: DB, actor: CurrentActor, practice_id: OptionalId = None):
    practice = service.practice_of(db, actor, practice_id) if practice_id else None
    terms = presets.standard_terms(today(None))
    return render(request, "agreements/editor.html", practice=practice, version=None, errors=[],
                  title=f"Management Services Agreement — {practice.legal_name}" if practice else "",
                  values=forms.form_values(terms), change_note="Initial draft",
                  practices=list(db.scalars(service.visible_practices(actor))))


@router.post("/agreements/new")
async def create_agreement(request: Request, db: DB, actor: CurrentActor):
    form = await request.form()
    terms, errors = forms.parse(form)
    if terms is not None:
        try:
            data = schemas.AgreementCreate(practice_id=form.get("practice_id") or 0, title=form.get("title") or "",
                                           terms=terms, change_note=form.get("change_note") or None)
            agreement = service.create_agreement(db, actor, data)
            return RedirectResponse(f"/agreement-versions/{agreement.versions[-1].id}", status_code=303)
        except ValidationError as error:
            errors = [FieldError(list(e["loc"]), e["msg"]) for e in error.errors()]
        except (Invalid, Conflict) as error:
            errors = error.errors or [FieldError([], error.detail)]
    return _editor_again(request, db, actor, form, errors, version=None)


def _editor_again(request: Request, db, actor, form: FormData, errors: list[FieldError], version):
    return render(request, "agreements/editor.html", status_code=422, practice=None, version=version,
                  errors=_errors(errors), title=form.get("title") or "", values=dict(form.multi_items()),
                  change_note=form.get("change_note") or "",
                  practices=list(db.scalars(service.visible_practices(actor))))


@router.get("/agreements/{agreement_id}")
def agreement_page(agreement_id: RowId, request: Request, db: DB, actor: CurrentActor):
    agreement = service.get_agreement(db, actor, agreement_id)
    practice = service.practice_of(db, actor, agreement.practice_id)
    versions = agreement.versions
    steps = [(a, b, diff.compare(service.terms_of(a), service.terms_of(b)))
             for a, b in zip(versions, versions[1:], strict=False)]
    return render(request, "agreements/agreement.html", agreement=agreement, practice=practice, steps=steps)


@router.post("/agreements/{agreement_id}/amend")
def amend(agreement_id: RowId, db: DB, actor: CurrentActor, change_note: Text = ""):
    version = service.amend(db, actor, agreement_id, schemas.AmendmentCreate(change_note=change_note or "Amendment"))
    return RedirectResponse(f"/agreement-versions/{version.id}/edit", status_code=303)


@router.get("/agreement-versions/{version_id}")
def version_page(version_id: RowId, request: Request, db: DB, actor: CurrentActor, as_of: AsOf = None):
    version = service.get_version(db, actor, version_id)
    practice = service.practice_of(db, actor, version.practice_id)
    terms = service.terms_of(version)
    flags = [assessment.flag_out(f) for f in assessment.flags_for(db, actor, version, today(as_of))]
    return render(request, "agreements/version.html", version=version, practice=practice, terms=terms, flags=flags,
                  as_of=today(as_of), fee=assessment.describe_fee(terms.fees), disclaimer=rules.DISCLAIMER,
                  control_map=controlmap.render(terms, f"{version.agreement.title}, v{version.number}"),
                  today=date.today())


@router.get("/agreement-versions/{version_id}/edit")
def edit_form(version_id: RowId, request: Request, db: DB, actor: CurrentActor):
    version = service.get_version(db, actor, version_id)
    return render(request, "agreements/editor.html", practice=None, version=version, errors=[],
                  title=version.agreement.title, values=forms.form_values(service.terms_of(version)),
                  change_note=version.change_note or "", practices=[])


@router.post("/agreement-versions/{version_id}/edit")
async def edit(version_id: RowId, request: Request, db: DB, actor: CurrentActor):
    version = service.get_version(db, actor, version_id)
    form = await request.form()
    terms, errors = forms.parse(form)
    if terms is not None:
        try:
            service.update_draft(db, actor, version.id, schemas.DraftUpdate(
                terms=terms, change_note=form.get("change_note") or None))
            return RedirectResponse(f"/agreement-versions/{version.id}", status_code=303)
        except (Invalid, Conflict) as error:
            errors = error.errors or [FieldError([], error.detail)]
    return _editor_again(request, db, actor, form, errors, version=version)


@router.post("/agreement-versions/{version_id}/sign")
def sign(version_id: RowId, db: DB, actor: CurrentActor, signed_on: SignDate, signed_by_practice: Signatory,
         signed_by_mso: Signatory):
    service.sign(db, actor, version_id, schemas.Signing(signed_on=signed_on, signed_by_practice=signed_by_practice,
                                                        signed_by_mso=signed_by_mso))
    return RedirectResponse(f"/agreement-versions/{version_id}", status_code=303)


@router.post("/agreement-versions/{version_id}/terminate")
def terminate(version_id: RowId, db: DB, actor: CurrentActor, ended_on: SignDate, reason: Text = ""):
    service.terminate(db, actor, version_id, schemas.Termination(ended_on=ended_on, reason=reason or "not stated"))
    return RedirectResponse(f"/agreement-versions/{version_id}", status_code=303)


@router.get("/agreement-versions/{version_id}/report")
def report_page(version_id: RowId, request: Request, db: DB, actor: CurrentActor,
                as_of: Annotated[date | None, Query(ge=date(1990, 1, 1), le=date(2200, 1, 1))] = None):
    version = service.get_version(db, actor, version_id)
    result = report.due_diligence(db, actor, version, today(as_of))
    return render(request, "agreements/report.html", version=version, report=result,
                  control_map=controlmap.render(service.terms_of(version), f"{version.agreement.title}, "
                                                                           f"v{version.number}"))
