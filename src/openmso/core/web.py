"""The web shell: one Jinja environment over every domain's `templates/`, and `render`.

Templates are looked up as `<domain>/<page>.html` in each domain package's own templates folder,
so a domain ships its pages beside its routes. Pages are complete HTML that reads without
JavaScript; HTMX only swaps fragments (search-as-you-type, paging) when it is available.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from openmso.core.errors import OpenMSOError
from openmso.core.security import csrf_token_for


def _money(value) -> str:
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _days_until(day: date) -> int:
    """Days from today to a deadline: negative once it has passed."""
    return (day - date.today()).days


def _deadline(day: date) -> str:
    """How a deadline stands today, in words: '3 days left', 'due today', '1 day late'."""
    left = _days_until(day)
    if left == 0:
        return "due today"
    return f"{abs(left)} day{'' if abs(left) == 1 else 's'} {'left' if left > 0 else 'late'}"


# Words that stay upper-case when a stored code becomes a label ("mso_admin" → "MSO admin", "PLLC").
ACRONYMS = frozenset({"api", "cpt", "csv", "mso", "npi", "pa", "pc", "pllc", "tin"})


def _label(value) -> str:
    words = str(value or "").replace("_", " ").split()
    words = [w.upper() if w.lower() in ACRONYMS else w.lower() for w in words]
    if words and words[0].islower():
        words[0] = words[0].capitalize()
    return " ".join(words)


def build_environment(packages: list[str]) -> Environment:
    env = Environment(
        loader=ChoiceLoader([PackageLoader(p, "templates") for p in packages]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=_money, when=_when, label=_label, days_until=_days_until, deadline=_deadline)
    return env


environment = build_environment(["openmso.core"])


def register_templates(package: str) -> None:
    """Add a domain's templates folder to the shared environment (app.py calls this per domain)."""
    loader: ChoiceLoader = environment.loader  # type: ignore[assignment]
    if not any(getattr(existing, "package_name", None) == package for existing in loader.loaders):
        loader.loaders.append(PackageLoader(package, "templates"))


def query_string(request: Request, **changes) -> str:
    """The current query string with some parameters replaced (for paging and filter links)."""
    params = dict(request.query_params)
    params.update({k: v for k, v in changes.items() if v is not None})
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


def page_context(request: Request) -> dict:
    auth = getattr(request.state, "auth", None)
    settings = request.app.state.settings
    return {
        "request": request,
        "actor": auth.actor if auth else None,
        "csrf_token": csrf_token_for(auth.credential_digest, settings.secret_key) if auth else "",
        "query_string": lambda **changes: query_string(request, **changes),
    }


def render(request: Request, template: str, status_code: int = 200, headers: dict | None = None,
           **context) -> HTMLResponse:
    html = environment.get_template(template).render(**page_context(request), **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render_error(request: Request, status: int, title: str, detail: str, errors: list[dict],
                 headers: dict | None = None) -> HTMLResponse:
    return render(request, "core/error.html", status_code=status, headers=headers, status=status, title=title,
                  detail=detail, errors=errors)


def form_problems(error: ValidationError | OpenMSOError) -> list[dict]:
    """A form's errors to show beside it: the fields Pydantic refused, or a service's 422 with its located
    errors; any other service error (403, 404, 409) is raised to the error page."""
    if isinstance(error, ValidationError):
        return [{"loc": ".".join(str(p) for p in e["loc"]) or "form", "msg": e["msg"].removeprefix("Value error, ")}
                for e in error.errors()]
    if error.status != 422:
        raise error
    return [{"loc": ".".join(str(p) for p in e.location), "msg": e.message} for e in error.errors] or [
        {"loc": "", "msg": error.detail}]


async def form_fields(request: Request) -> dict[str, str]:
    """A posted form's fields, trimmed, without the CSRF token (checked before the route runs)."""
    form = await request.form()
    return {name: str(value).strip() for name, value in form.items() if name != "csrf_token"}
