"""schemathesis against the served OpenAPI document: generated requests never get a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from webtools import Org  # noqa: E402

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# One pytest item per operation with its own id: schemathesis' own parametrize gives every operation the same
# node id, and pytest-xdist then runs only one of them.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def api(db):
    org = Org()
    return org.round.pk, {name: Token.objects.create(user=user).key for name, user in org.users().items()}


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_api_never_answers_5xx(operation, data, api):
    case = data.draw(operation.as_strategy())
    round_pk, tokens = api
    if case.path_parameters and "id" in case.path_parameters:
        # Aim the generated bodies and queries at a real round, not only at 404s.
        case.path_parameters["id"] = round_pk
    for role in ("office", "provider", "filler1"):
        response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
        assert response.status_code < 500, (role, case.method, case.formatted_path, response.text[:500])
