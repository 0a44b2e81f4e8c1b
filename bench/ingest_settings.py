"""Settings of the ingestion benchmark (bench/ingest.py) only: production-like settings plus a URLconf that
adds the bare comparison view. Never used by the product."""

from config.settings.base import *  # noqa: F403
from config.settings.base import LOGGING

DEBUG = False
ROOT_URLCONF = "bench.ingest_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Request logs would measure the terminal, not the server.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
