import pytest
from rest_framework.test import APIClient

from tests.incidents.factories import UserFactory


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def as_role(api):
    """`as_role("agents")` logs the API client in as a fresh user of that role and returns the user."""

    def login(role: str | None):
        user = UserFactory(role=role)
        api.force_authenticate(user)
        return user

    return login


@pytest.fixture(autouse=True)
def _integration_cache():
    """Each test reads integrations afresh: the per-process cache must not carry one test's rows into another."""
    from incidents.integrations.selectors import integration_cache_clear

    integration_cache_clear()
    yield
    integration_cache_clear()


@pytest.fixture(autouse=True)
def _local_cache():
    """Each test starts with an empty in-process cache: the refused-token throttle counts in it, so one test's
    refused tokens would turn another's 401 into a 429."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    if isinstance(cache, LocMemCache):  # never a shared Redis a test pointed the cache at
        cache.clear()


@pytest.fixture(autouse=True)
def _reporting_calendar_cache():
    """Each test reads the reporting calendar afresh (a rolled-back test's calendar sends no signal)."""
    from incidents.metrics import reporting_calendar_forget

    reporting_calendar_forget()
    yield
    reporting_calendar_forget()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in LANGUAGE_CODE and UTC: a request in another language leaves it active in the thread."""
    from django.utils import timezone, translation

    yield
    translation.deactivate()
    timezone.deactivate()


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Reloads the reference data the migrations load (roles, categories, the priority matrix).

    A transactional test ends by flushing every table, which also empties what the data migrations wrote;
    the next transactional test gets it back here. Loading is idempotent, so this is cheap when nothing was lost."""
    if not _is_transactional(request):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("incidents.migrations.0002_reference_data").load(apps, None)


def pytest_configure(config: pytest.Config) -> None:
    """Compiles the translation catalogues that changed, as `make test` does, for runs of pytest by hand."""
    from config.translations import compile_all

    compile_all()
