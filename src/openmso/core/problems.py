"""RFC 9457 problem details: the one place errors become HTTP responses.

API callers get `application/problem+json` naming each field at fault; browsers get the same
information as a page (or a redirect to the login form when they are not signed in). An
unexpected exception is logged with its traceback and answered with a 500 problem that leaks
nothing of the internals.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from openmso.core.errors import OpenMSOError, TooManyAttempts, Unauthorized
from openmso.core.web import render_error

log = logging.getLogger("openmso")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://openmso.org/problems/"


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def problem_response(request: Request, status: int, title: str, detail: str, slug: str,
                     errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    if wants_html(request):
        return render_error(request, status, title, detail, errors or [], headers=headers)
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail,
            "instance": request.url.path}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _without_blank_fields(request: Request) -> str | None:
    """The same URL minus empty query fields, or None when there are none.

    An HTML GET form submits every field, filled or not (`/audit?practice_id=&action=login`);
    to a person an empty filter field means "no filter", not an invalid number or date.
    """
    pairs = request.query_params.multi_items()
    kept = [(key, value) for key, value in pairs if value.strip()]
    if len(kept) == len(pairs):
        return None
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    errors = []
    for error in exc.errors():
        item = {"loc": list(error.get("loc", ())), "msg": error.get("msg", "invalid"), "type": error.get("type")}
        if "input" in error and isinstance(error["input"], str | int | float | bool):
            item["input"] = error["input"] if not isinstance(error["input"], str) else error["input"][:200]
        errors.append(_json_safe(item))
    return errors


def install(app: FastAPI) -> None:
    @app.exception_handler(OpenMSOError)
    async def _domain_error(request: Request, exc: OpenMSOError):
        if isinstance(exc, Unauthorized) and wants_html(request):
            # Back to the very page asked for after signing in, its query (a filter, a page) included.
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": wanted}), status_code=303)
        headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, TooManyAttempts) else None
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": 'Bearer realm="openmso"'}
        return problem_response(request, exc.status, exc.title, exc.detail, exc.type_slug,
                                [e.as_dict() for e in exc.errors], headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        if wants_html(request) and request.method == "GET" and (cleaned := _without_blank_fields(request)):
            return RedirectResponse(cleaned, status_code=303)
        errors = _validation_errors(exc)
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
        return problem_response(request, 422, "Invalid input", f"Invalid input at: {fields}", "invalid", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(exc.status_code, "http-error")
        title = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}.get(
            exc.status_code, "HTTP error")
        return problem_response(request, exc.status_code, title, str(exc.detail), slug,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "Internal error",
                                "The server failed to handle this request; it has been logged.", "internal")
