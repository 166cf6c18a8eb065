"""Every MSO-side route consults the agreement.

The real decision function (`enforcement.evaluate`, through which both `authorize` and
`permitted_practices` decide for MSO users) is wrapped for the test so calls are counted; the real
function still runs against the real database. Every route of the app is walked as an MSO user;
a request that reads or writes patient data (it leaves a patient-data entry in the audit trail)
must have consulted it, and the known MSO-side routes, driven with valid bodies, must too.
"""

from __future__ import annotations

from sqlalchemy import func, select

from openmso.agreements import enforcement
from openmso.core.audit import AuditEntry
from openmso.core.tenancy import Role
from tests.factories import add_user, build_world, signed_in
from tests.routes import iter_routes

PATIENT_DATA_ACTIONS = ("patient.", "coverage.")
SKIPPED = {("POST", "/logout"), ("POST", "/login")}


def _bodies(world) -> dict[tuple[str, str], dict]:
    """Valid bodies for the MSO-side writes, so the request reaches the service."""
    return {
        ("POST", "/api/v1/practices/{practice_id}/patients"): {
            "mrn": "WALK1", "first_name": "Ada", "last_name": "Walker", "birth_date": "1970-02-03", "sex": "F"},
        ("POST", "/api/v1/patients/{patient_id}/coverages"): {
            "payer_id": world.payer.id, "member_id": "W123", "effective_from": "2025-01-01"},
        ("POST", "/api/v1/practices/{practice_id}/providers"): {
            "npi": "1003000126", "first_name": "Rosa", "last_name": "Diaz", "credential": "MD",
            "taxonomy_code": "207Q00000X", "specialty": "Family Medicine"},
        ("POST", "/api/v1/practices/{practice_id}/payers"): {"payer_id": world.payer.id},
    }


def test_every_mso_side_route_consults_the_agreement(app, client, db, settings, monkeypatch):
    world = build_world(db)
    practice = world.practices[0]
    staff = add_user(db, Role.MSO_STAFF, scope=world.practices)
    http = signed_in(client, db, settings, staff)
    calls: list[tuple] = []
    real = enforcement.evaluate

    def counting(active, actor, action, *args, **kwargs):
        calls.append((actor.username, action))
        return real(active, actor, action, *args, **kwargs)

    monkeypatch.setattr(enforcement, "evaluate", counting)
    values = {name: next(i for i, owner in ids.items() if owner in (practice.id, None))
              for name, ids in world.owners.items() if ids}
    bodies = _bodies(world)
    consulted, touched, walked = set(), set(), 0
    for route in iter_routes(app):
        params = route.path_params + route.query_params
        if any(p in route.path_params and p not in values for p in params):
            continue  # a parameter this world has no record for (registered by its own domain's tests)
        for method in sorted(route.methods - {"HEAD", "OPTIONS", "DELETE"}):
            if (method, route.path) in SKIPPED:
                continue
            path = route.path.format(**{p: values[p] for p in route.path_params})
            before_calls = len(calls)
            before_seq = db.scalar(select(func.max(AuditEntry.seq))) or 0
            response = http.request(method, path, json=bodies.get((method, route.path), {}) if method != "GET"
                                    else None)
            walked += 1
            assert response.status_code < 500, f"{method} {path}: {response.text[:300]}"
            actions = db.scalars(select(AuditEntry.action).where(AuditEntry.seq > before_seq)).all()
            if len(calls) > before_calls:
                consulted.add((method, route.path))
            if any(a.startswith(PATIENT_DATA_ACTIONS) for a in actions):
                touched.add((method, route.path))
    assert walked > 20
    assert touched, "the walk reached no patient data; the world or the bodies are wrong"
    assert touched <= consulted, f"patient data reached without consulting the agreement: {touched - consulted}"
    assert set(bodies) <= consulted, f"MSO-side writes that did not consult it: {set(bodies) - consulted}"
    for path in ("/api/v1/patients", "/api/v1/patients/{patient_id}", "/api/v1/practices/{practice_id}/patients",
                 "/patients/{patient_id}", "/practices/{practice_id}"):
        assert ("GET", path) in consulted, path
