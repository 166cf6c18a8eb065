"""Login, logout and the user-administration pages."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from openmso.core.deps import DB, SESSION_COOKIE, AppSettings, CurrentActor, RowId
from openmso.core.errors import Conflict, Invalid
from openmso.core.tenancy import Role
from openmso.core.web import render
from openmso.identity import schemas, service
from openmso.network import service as network

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "openmso_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form cannot be used as an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None):
    token = secrets.token_urlsafe(24)
    response = render(request, "identity/login.html", next=_safe_next(next), login_csrf=token, error=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login(request: Request, db: DB, settings: AppSettings, username: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=256)] = "", login_csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/"):
    # Double-submit check: a cross-site form cannot read our cookie to copy it into the field.
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, login_csrf):
        return render(request, "identity/login.html", status_code=400, next=_safe_next(next), login_csrf=cookie,
                      error="Your login form expired; please try again.")
    client = request.client.host if request.client else "unknown"
    user = service.authenticate(db, settings, username, password, client)
    if user is None:
        return render(request, "identity/login.html", status_code=401, next=_safe_next(next), login_csrf=cookie,
                      error="Unknown username or wrong password.")
    token = service.start_session(db, settings, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                        max_age=settings.session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, db: DB, actor: CurrentActor):
    if token := request.cookies.get(SESSION_COOKIE):
        service.end_session(db, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _practice_choices(db, actor) -> list:
    return network.list_practices(db, actor).rows


@router.get("/admin/users")
def users_page(request: Request, db: DB, actor: CurrentActor):
    users = service.list_users(db, actor)
    practices = {p.id: p for p in _practice_choices(db, actor)}
    return render(request, "identity/users.html", users=users, practices=practices)


@router.get("/admin/users/new")
def new_user_form(request: Request, db: DB, actor: CurrentActor):
    return render(request, "identity/user_form.html", practices=_practice_choices(db, actor), roles=list(Role),
                  form={}, errors=[])


@router.post("/admin/users/new")
async def create_user(request: Request, db: DB, actor: CurrentActor):
    form = await request.form()
    data = {k: v for k, v in form.items() if k != "csrf_token" and v != ""}
    data["practice_ids"] = [int(v) for v in form.getlist("practice_ids") if str(v).isdigit()]
    if "practice_id" in data:
        data["practice_id"] = int(data["practice_id"]) if str(data["practice_id"]).isdigit() else data["practice_id"]
    try:
        user = service.create_user(db, actor, schemas.UserCreate.model_validate(data))
    except ValidationError as error:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        return _user_form_again(request, db, actor, data, errors)
    except (Invalid, Conflict) as error:
        return _user_form_again(request, db, actor, data, [{"loc": [], "msg": error.detail}])
    return RedirectResponse(f"/admin/users#user-{user.id}", status_code=303)


def _user_form_again(request, db, actor, data, errors):
    data.pop("password", None)
    return render(request, "identity/user_form.html", status_code=422, practices=_practice_choices(db, actor),
                  roles=list(Role), form=data, errors=errors)


@router.post("/admin/users/{user_id}/scope")
async def set_scope(user_id: RowId, request: Request, db: DB, actor: CurrentActor):
    form = await request.form()
    ids = [int(v) for v in form.getlist("practice_ids") if str(v).isdigit()]
    service.set_scope(db, actor, user_id, ids)
    return RedirectResponse(f"/admin/users#user-{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(user_id: RowId, db: DB, actor: CurrentActor, active: Annotated[bool, Form()] = False):
    service.set_active(db, actor, user_id, active)
    return RedirectResponse(f"/admin/users#user-{user_id}", status_code=303)


@router.get("/account/tokens")
def tokens_page(request: Request, db: DB, actor: CurrentActor):
    return render(request, "identity/tokens.html", tokens=service.list_api_tokens(db, actor), new_token=None)


@router.post("/account/tokens")
def create_token(request: Request, db: DB, actor: CurrentActor,
                 name: Annotated[str, Form(min_length=1, max_length=80)]):
    _, token = service.create_api_token(db, actor, name.strip())
    return render(request, "identity/tokens.html", tokens=service.list_api_tokens(db, actor), new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: RowId, db: DB, actor: CurrentActor):
    service.revoke_api_token(db, actor, token_id)
    return RedirectResponse("/account/tokens", status_code=303)
