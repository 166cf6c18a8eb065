"""The ASGI application: every domain's API router and web pages mounted on one FastAPI app."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from openmso import __version__
from openmso.agreements import api as agreements_api
from openmso.agreements import web as agreements_web
from openmso.core import audit_api, audit_web, jobs_api, jobs_web, problems
from openmso.core.db import make_engine, make_session_factory
from openmso.core.job_runner import JobRunner, recover_interrupted
from openmso.core.middleware import BodySizeLimit
from openmso.core.settings import Settings, get_settings
from openmso.core.web import register_templates
from openmso.exit import api as exit_api
from openmso.exit import tasks as _exit_tasks  # noqa: F401 - registers the exit package job
from openmso.exit import web as exit_web
from openmso.identity import api as identity_api
from openmso.identity import web as identity_web
from openmso.network import api as network_api
from openmso.network import web as network_web
from openmso.rcm.ar import api as ar_api
from openmso.rcm.ar import web as ar_web
from openmso.rcm.claims import api as claims_api
from openmso.rcm.claims import tasks as _claims_tasks  # noqa: F401 - registers the claim submission job
from openmso.rcm.claims import web as claims_web
from openmso.rcm.contracts import api as contracts_api
from openmso.rcm.contracts import web as contracts_web
from openmso.rcm.denials import api as denials_api
from openmso.rcm.denials import web as denials_web
from openmso.rcm.remittance import api as remittance_api
from openmso.rcm.remittance import web as remittance_web
from openmso.rcm.worklists import api as worklists_api
from openmso.rcm.worklists import web as worklists_web

DOMAINS = [
    ("openmso.identity", identity_api.router, identity_web.router),
    ("openmso.network", network_api.router, network_web.router),
    ("openmso.agreements", agreements_api.router, agreements_web.router),
    ("openmso.rcm.claims", claims_api.router, claims_web.router),
    ("openmso.rcm.remittance", remittance_api.router, remittance_web.router),
    ("openmso.rcm.denials", denials_api.router, denials_web.router),
    ("openmso.rcm.ar", ar_api.router, ar_web.router),
    ("openmso.rcm.contracts", contracts_api.router, contracts_web.router),
    ("openmso.rcm.worklists", worklists_api.router, worklists_web.router),
    ("openmso.exit", exit_api.router, exit_web.router),
    ("openmso.core", audit_api.router, audit_web.router),
    ("openmso.core", jobs_api.router, jobs_web.router),
]


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """Jobs this host's stopped server left unfinished are marked failed; at shutdown, queued ones are."""
    recover_interrupted(app.state.session_factory)
    yield
    app.state.jobs.shutdown()


def create_app(settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    app = FastAPI(
        title="OpenMSO",
        version=__version__,
        description="Operating platform of a healthcare management services organization. "
                    "Errors are RFC 9457 problem details.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.jobs = JobRunner(session_factory, settings, settings.job_workers)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, file_bytes=settings.max_file_bytes,
                       routes=[route for _, api_router, web_router in DOMAINS
                               for route in (*api_router.routes, *web_router.routes)])
    problems.install(app)
    app.mount("/static", StaticFiles(packages=[("openmso.core", "static")]), name="static")
    for package, api_router, web_router in DOMAINS:
        register_templates(package)
        app.include_router(api_router)
        app.include_router(web_router)

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request):
        """Liveness and database reachability, for load balancers and monitoring."""
        try:
            with request.app.state.session_factory() as session:
                session.execute(text("SELECT 1"))
            return {"status": "ok", "database": "reachable", "version": __version__}
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            return JSONResponse({"status": "degraded", "database": "unreachable", "error": type(error).__name__},
                                status_code=503)

    return app
