import pytest
from django.contrib.contenttypes.models import ContentType

from tests.escalation.workers import redis_flush
from tests.services import redis_url, require_postgres


@pytest.fixture
def redis_broker() -> str:
    """The tests' Redis database as the broker, emptied (each xdist worker has its own: tests/services.py)."""
    require_postgres()
    ContentType.objects.clear_cache()  # the flush between transactional tests renumbers content types
    url = redis_url()
    redis_flush(url)
    return url
