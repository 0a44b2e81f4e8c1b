"""The embedded default for `make run`: debug on, SQLite and the filesystem broker unless the environment
says otherwise."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# `make run`'s demo receivers and the local tools listen on this machine.
VIGIL_OUTBOUND_ALLOW = env.list("VIGIL_OUTBOUND_ALLOW", default=["127.0.0.0/8", "::1/128"])
# Debug pages only for clients on this machine (config/middleware.py).
MIDDLEWARE = [MIDDLEWARE[0], "config.middleware.LocalDebugMiddleware", *MIDDLEWARE[1:]]
