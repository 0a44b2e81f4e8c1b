import pytest
from rest_framework.test import APIClient

from tests.incidents.factories import UserFactory


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def as_role(api):  # type: ignore[no-untyped-def]
    """`as_role("agents")` logs the API client in as a fresh user of that role and returns the user."""

    def login(role: str | None):  # type: ignore[no-untyped-def]
        user = UserFactory(role=role)
        api.force_authenticate(user)
        return user

    return login
