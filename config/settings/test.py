"""Settings for pytest. DATABASE_URL picks the database (PostgreSQL in CI), REDIS_URL the Redis for the tests
that need one."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, REST_FRAMEWORK, env

# A subject type that exists only in the tests (tests/engine_subject): it proves that the escalation engine
# serves any subject registered from an app's ready(), with no change to escalation/.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.engine_subject"]

DEBUG = False
SECRET_KEY = "test-only-secret"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests that commit (transactional tests) enqueue deliveries: an in-process broker unless a test brings a real
# one (the worker tests point Celery at REDIS_URL themselves). Never the embedded filesystem queue under var/.
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
# The tests' receivers listen on 127.0.0.1: loopback is allowed explicitly (tests/escalation/test_outbound.py
# proves the refusal with the list empty).
VIGIL_OUTBOUND_ALLOW = ["127.0.0.0/8", "::1/128"]
