"""Schemathesis over every operation of /api/schema/, through the Django WSGI app against PostgreSQL: no
answer is a 5xx, and every documented answer matches the schema. Bounded (a few examples per operation) so
that it runs in `make test`; `SCHEMA_FUZZ_EXAMPLES=200` runs it harder by hand."""

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from config.authentication import api_token_create
from config.wsgi import application

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "1"))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
if os.environ.get("SCHEMA_FUZZ_PATHS"):  # by hand: only the operations whose path matches this regex
    schema = schema.include(path_regex=os.environ["SCHEMA_FUZZ_PATHS"])


@pytest.fixture
def token(db: None) -> Iterator[str]:
    """A superuser's token: every operation gets past its permission checks and reaches its validation.

    The WSGI handler closes the database connection at the end of each request (Django's test client turns
    that off, schemathesis calls the handler itself): off here too, or the test's transaction would be gone."""
    user = User.objects.create_superuser("fuzz", "fuzz@example.org", None)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield api_token_create(user=user)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation(case: schemathesis.Case, token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
