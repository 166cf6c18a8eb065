"""Schemathesis generates requests from the app's own OpenAPI document, valid and invalid, for every
operation: none may answer 5xx, and every 4xx must be RFC 9457 problem+json.

Operations are walked inside one test per engine (rather than schemathesis' pytest plugin) so each
runs against the real app bound to the test's rolled-back transaction.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from openmso.core.tenancy import Role
from tests.factories import add_user, bearer, build_world

EXAMPLES_PER_OPERATION = 30


@schemathesis.serializer("application/edi-x12", "text/csv")
def _text_body(ctx, value) -> bytes:
    """File uploads (X12, CSV) are declared as strings; generated non-strings are sent as their text."""
    return (value if isinstance(value, str) else str(value)).encode("utf-8", "surrogatepass")


def _check(case, headers, failures: list[str], statuses: Counter) -> None:
    response = case.call(headers={**(case.headers or {}), **headers})
    statuses[response.status_code // 100 * 100] += 1
    where = f"{case.method} {case.formatted_path}"
    if response.status_code >= 500:
        failures.append(f"{where}: {response.status_code} {response.text[:300]}")
    elif 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", "")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        if not content_type.startswith("application/problem+json"):
            failures.append(f"{where}: {response.status_code} without problem+json: {response.text[:200]}")
        else:
            body = response.json()
            if body.get("status") != response.status_code or not body.get("detail"):
                failures.append(f"{where}: malformed problem document {body}")


def test_no_operation_answers_5xx_and_errors_are_problem_json(app, db):
    build_world(db)
    headers = bearer(db, add_user(db, Role.MSO_ADMIN))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                _check(case, headers, failures, statuses)

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (an operation without parameters or body).
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert operations >= 30
    assert not failures, "\n".join(failures[:20])
    # Both valid requests (2xx) and rejected ones (4xx) were exercised.
    assert statuses[200] > operations and statuses[400] > operations, statuses
    print(f"\nschemathesis: {operations} operations, {sum(statuses.values())} requests, statuses {dict(statuses)}")
