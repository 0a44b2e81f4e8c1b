"""ASGI entry point, what `make run` and production serve: `gunicorn -c config/gunicorn_conf.py`
(docs/deployment.md). The worker is asynchronous, so a client that sends its headers or its body slowly holds a
socket, never a thread; `RequestBodyGuard` reads the whole body before Django sees the request, within a
deadline and a size limit, whether it comes with a Content-Length or chunked."""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise serves static files with a file iterator, which Django's ASGI handler reads in a thread and warns
# about on every file; for files of a few KiB that costs nothing worth a log line.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

django_application = get_asgi_application()

from .serving import RequestBodyGuard  # noqa: E402  (after Django is set up)

application = RequestBodyGuard(django_application)
