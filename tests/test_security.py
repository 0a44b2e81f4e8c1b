"""Login lockout (django-axes), the throttle of refused API tokens, password rules, and `make run`'s debug
pages kept to clients on the machine itself."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import path

from config import urls as project_urls
from config.authentication import api_token_create
from config.settings.base import MIDDLEWARE
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and proper passphrase"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.org", PASSWORD)


def _login(client, password: str, address: str = "198.51.100.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": password},
        REMOTE_ADDR=address,
    )


def test_repeated_wrong_passwords_lock_the_login_out_even_for_the_right_one(client, admin, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200  # the form again, with its error
    assert _login(client, "wrong").status_code == 429  # the fifth locks out
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Only that user from that address: the same person from elsewhere still signs in.
    assert _login(client, PASSWORD, address="198.51.100.99").status_code == 302


def test_a_right_password_resets_the_count(client, admin, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert _login(client, "wrong").status_code == 200
    assert _login(client, "wrong").status_code == 200
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "wrong").status_code == 200
    assert _login(client, "wrong").status_code == 200
    assert _login(client, PASSWORD).status_code == 302


@pytest.fixture(params=["memory", "redis"])
def cache_backend(request, settings):
    """The process's memory (tests, the embedded set-up) and Redis (production: every process counts together)."""
    if request.param == "redis":
        from tests.services import redis_url

        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url()}
        }
    return request.param


@pytest.mark.usefixtures("cache_backend")
def test_refused_tokens_are_throttled_with_retry_after(api, settings):
    import uuid

    # A fresh address each run: Redis keeps counts between runs, and flushing it is not this test's business.
    address = "2001:db8::" + uuid.uuid4().hex[:4]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "refused_tokens": "3/minute",
        },
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    from config.authentication import RefusedTokenThrottle

    RefusedTokenThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        good = api_token_create(user=UserFactory(role="agents"))
        for n in range(3):
            # A made-up X-Forwarded-For changes nothing: without proxies configured, REMOTE_ADDR counts.
            response = api.get(
                "/api/v1/incidents/",
                HTTP_AUTHORIZATION=f"Token wrong{n}",
                REMOTE_ADDR=address,
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            )
            assert response.status_code == 401
        refused = api.get("/api/v1/incidents/", HTTP_AUTHORIZATION="Token wrong-again", REMOTE_ADDR=address)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        assert refused.json()["code"] == "throttled"
        # A good token is never counted nor refused.
        good_answer = api.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {good}", REMOTE_ADDR=address)
        assert good_answer.status_code == 200
    finally:
        RefusedTokenThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_password_rules():
    with pytest.raises(ValidationError):
        validate_password("short1")
    with pytest.raises(ValidationError):
        validate_password("123456789012345")
    with pytest.raises(ValidationError):
        validate_password("password1234")
    validate_password("pale lanterns over harbour")


def boom(request):
    raise RuntimeError("a secret in a traceback")


urlpatterns = [path("boom/", boom), *project_urls.urlpatterns]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture
def make_run(settings):
    """`make run`'s settings: DEBUG on, the local-debug middleware listed."""
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [MIDDLEWARE[0], "config.middleware.LocalDebugMiddleware", *MIDDLEWARE[1:]]


@pytest.mark.usefixtures("make_run")
def test_make_run_shows_no_debug_page_to_a_client_elsewhere(client):
    client.raise_request_exception = False
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    error = client.get("/boom/", **remote)
    assert error.status_code == 500
    assert b"a secret in a traceback" not in error.content
    assert b"Traceback" not in error.content
    missing = client.get("/no/such/page/", **remote)
    assert missing.status_code == 404
    assert b"URLconf" not in missing.content
    api_missing = client.get("/api/v1/no-such-thing/", **remote)
    assert api_missing.json()["code"] == "not_found"


@pytest.mark.usefixtures("make_run")
def test_make_run_shows_the_debug_page_on_the_machine_itself(client):
    client.raise_request_exception = False
    error = client.get("/boom/", REMOTE_ADDR="127.0.0.1")
    assert b"a secret in a traceback" in error.content


def test_signing_in_from_code_without_a_request_still_works(client, admin):
    """The test client's login() (and code calling authenticate() without a request) is not locked out by
    django-axes, which needs a client address: the lockout applies to sign-in pages."""
    assert client.login(username="boss", password=PASSWORD)
