"""gunicorn's settings for `make run` (Procfile) and production (README, docs/deployment.md): the asyncio
worker, so slow clients hold sockets and not threads (config/serving.py). Every value can be changed from the
environment: PORT/BIND, WEB_CONCURRENCY, GUNICORN_TIMEOUT, GUNICORN_KEEPALIVE."""

import multiprocessing
import os

# Each request runs in a thread of its own under ASGI: database connections come from a pool (config/settings).
os.environ.setdefault("VIGIL_DB_POOL", "1")

wsgi_app = "config.asgi:application"
worker_class = "config.serving.Worker"
bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One asyncio worker per core: each serves many connections; views run in threads of their own.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Seconds a worker may go silent before the arbiter restarts it, and the longest wait for a body chunk.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Open connections per worker (stalled ones included) before new ones wait in the backlog.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "4000"))
backlog = 2048
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# The proxy in front, if any, sets X-Forwarded-For/-Proto: trusted only from this machine unless configured.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
control_socket_disable = True  # no shared socket under ~/.gunicorn: several servers share a machine
