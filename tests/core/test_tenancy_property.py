"""Tenancy as a property: for users of every role and scope, no response of any route — API or UI,
of any domain — contains another practice's rows.

Routes are enumerated from the app itself, so a route a later domain adds is walked without
changing this test; a new path or query parameter naming a record must be added to
`ID_PARAMETERS` (the test fails loudly until it is), so its values include other practices' ids.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmso.core.tenancy import Role
from openmso.identity import service as identity
from tests.factories import World, add_user, build_world, signed_in
from tests.routes import iter_routes

# Parameters whose values are record ids: drawn from every practice's records, visible or not.
ID_PARAMETERS = {"practice_id", "patient_id", "provider_id", "user_id", "payer_id", "token_id", "actor_id",
                 "claim_id", "charge_id", "batch_id", "agreement_id", "version_id", "other_version_id",
                 "remittance_id", "exception_id", "denial_id", "assigned_to", "job_id", "job",
                 "file_id", "coverage_id"}
# Parameters that do not select records; left at their defaults.
OTHER_PARAMETERS = {"page", "limit", "date_from", "date_to", "action", "next", "status", "sort", "as_of",
                    "take_good_rows", "kind", "category", "by", "months", "tolerance", "filename", "data_class",
                    "imported", "billed", "skipped", "balance", "procedure_code"}
SEARCH_PARAMETERS = {"q"}
# Routes that act on the session itself rather than on data.
SKIPPED = {("POST", "/logout"), ("POST", "/login")}


@pytest.fixture
def world(db) -> World:
    return build_world(db)


def _visible_practices(actor, world: World) -> set[int]:
    all_ids = {p.id for p in world.practices}
    return all_ids if actor.practice_ids is None else set(actor.practice_ids) & all_ids


def _routes(app):
    routes = []
    for route in iter_routes(app):
        unknown = set(route.path_params + route.query_params) - ID_PARAMETERS - OTHER_PARAMETERS - SEARCH_PARAMETERS
        assert not unknown, f"{route.path}: register parameter(s) {unknown} in ID_PARAMETERS or OTHER_PARAMETERS"
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, route.path) not in SKIPPED:
                routes.append((method, route))
    return routes


def _actor_strategy(world: World):
    practice_ids = [p.id for p in world.practices]
    return st.one_of(
        st.tuples(st.just(Role.MSO_ADMIN), st.just(None), st.just(())),
        st.tuples(st.just(Role.AUDITOR), st.just(None), st.just(())),
        st.tuples(st.just(Role.MSO_STAFF), st.just(None), st.lists(st.sampled_from(practice_ids), unique=True)),
        st.tuples(st.sampled_from([Role.PRACTICE_ADMIN, Role.PRACTICE_USER]), st.sampled_from(practice_ids),
                  st.just(())),
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_route_hides_other_practices_rows(role, app, db, settings, world: World):
    routes = _routes(app)
    checked = {"requests": 0}

    @settings_for_property
    @given(data=st.data())
    def walk(data):
        _, practice_choice, scope_choice = data.draw(
            _actor_strategy(world).filter(lambda choice: choice[0] is role), label="actor")
        practice = next((p for p in world.practices if p.id == practice_choice), None)
        scope = [p for p in world.practices if p.id in scope_choice]
        user = add_user(db, role, practice, scope)
        actor = identity.actor_for(user)
        token_row, _ = identity.create_api_token(db, actor, "probe")
        owners = {**world.owners, "token_id": {token_row.id: None}, "actor_id": world.owners["user_id"]}
        visible = _visible_practices(actor, world)
        hidden_markers = [m for pid, m in world.markers.items() if pid not in visible]
        client = signed_in(TestClient(app), db, settings, user)
        for method, route in routes:
            values = {}
            for name in route.path_params + route.query_params:
                if name in ID_PARAMETERS:
                    values[name] = data.draw(st.sampled_from(sorted(owners[name])), label=f"{route.path}:{name}")
                elif name in SEARCH_PARAMETERS:
                    # A prefix of a marker: it matches that practice's names, and the page echoing the
                    # search term back does not count as a leak.
                    values[name] = data.draw(st.sampled_from(sorted(world.markers.values())), label="q")[:-1]
            path = route.path.format(**{k: values[k] for k in route.path_params})
            query = {k: v for k, v in values.items() if k in route.query_params}
            response = client.request(method, path, params=query, json={} if method != "GET" else None)
            checked["requests"] += 1
            assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:300]}"
            leaked = [m for m in hidden_markers if m in response.text]
            assert not leaked, f"{role} scope={sorted(visible)} {method} {path} {query} leaked {leaked}"
            targets_hidden = any(
                owners[k].get(values[k]) is not None and owners[k][values[k]] not in visible
                for k in route.path_params if k in owners
            )
            if targets_hidden:
                assert response.status_code in (403, 404, 422), (
                    f"{role} reached another practice's record: {method} {path} -> {response.status_code}")

    walk()
    assert checked["requests"] >= len(routes)
    print(f"\ntenancy: {role}: {len(routes)} routes, {checked['requests']} requests, 0 leaks")


settings_for_property = settings(max_examples=6, deadline=None, derandomize=True,
                                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                        HealthCheck.filter_too_much, HealthCheck.too_slow])
