"""Settings shared by every environment. Everything that differs between machines comes from the
environment (12-factor); the defaults give the embedded set-up: SQLite and a filesystem broker under var/."""

from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VIGIL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-default-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_prometheus",
    "axes",
    # Vigil, in dependency order: a lower app never imports a higher one.
    "escalation",
    "incidents",
    "risks",
    "postmortems",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics (django-prometheus): first and last, around everything.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Content-Security-Policy everywhere, JSON for every error under /api/ (config/security.py).
    "config.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A database lost while loading the user, or in a view: 503 + Retry-After (config/unavailable.py).
    "config.unavailable.DatabaseUnavailableMiddleware",
    # After authentication: the user's profile language comes first (docs/languages.md).
    "config.middleware.UserLanguageMiddleware",
    "config.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Login lockout (django-axes): last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Login lockout: after AXES_FAILURE_LIMIT wrong passwords for one user from one address, that pair is refused
# (429) for AXES_COOLOFF_TIME; a right password resets the count. Per pair, so nobody locks a colleague out
# from elsewhere during an incident. Attempts are rows in the database, visible in the admin.
AUTHENTICATION_BACKENDS = [
    "config.authentication.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# Behind a proxy, the client's address is the last but this many in X-Forwarded-For (0: REMOTE_ADDR).
AXES_IPWARE_PROXY_COUNT = env.int("VIGIL_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env.int("VIGIL_PROXY_COUNT", default=0) else ["REMOTE_ADDR"]
)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://..., sqlite:///...), default an SQLite file under var/.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vigil.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside the writer, IMMEDIATE takes the write
    # lock at BEGIN so two writers queue up on the timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that stops answering (a partition drops packets) fails a connection attempt in seconds,
    # answered 503, instead of hanging the request for the operating system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("VIGIL_DB_CONNECT_TIMEOUT", default=5)
    )
    if env.bool("VIGIL_DB_POOL", default=False):
        # Served over ASGI (config/gunicorn_conf.py turns this on), each request runs in a thread of its own:
        # connections come from psycopg's pool (checked before use, so one the server dropped is replaced)
        # instead of staying with a thread that ends. Off elsewhere: Celery's processes fork, a pool's threads not.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("VIGIL_DB_POOL_MIN", default=2),
            "max_size": env.int("VIGIL_DB_POOL_MAX", default=20),
            "timeout": env.float("VIGIL_DB_POOL_TIMEOUT", default=5.0),
        }
    else:
        DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (throttling, rate limits): REDIS_URL when given, else process-local memory.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("VIGIL_PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages (docs/languages.md): the user's profile, else the switch's cookie, else Accept-Language, else
# LANGUAGE_CODE. Each app has its own catalogue (<app>/locale/); config/ and the project's templates use locale/.
# Times are stored in UTC and shown in the user's zone (UserTimezoneMiddleware).
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("ko", _("Korean")),
    ("ja", _("Japanese")),
    ("zh-hant", _("Traditional Chinese")),
    ("fa", _("Persian")),
]
# locale_vendor/: what the libraries' own catalogues lack (DRF's Traditional Chinese), edited by hand.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
LANGUAGE_COOKIE_NAME = "vigil_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Serving (config/serving.py): a request's first headers within this many seconds, its whole body within this many.
VIGIL_HEADER_TIMEOUT = env.int("VIGIL_HEADER_TIMEOUT", default=10)
VIGIL_BODY_TIMEOUT = env.int("VIGIL_BODY_TIMEOUT", default=20)

# Request bodies: a JSON error (413) above these sizes, longest matching path prefix wins.
VIGIL_MAX_BODY_BYTES = env.int("VIGIL_MAX_BODY_BYTES", default=1024 * 1024)
VIGIL_MAX_BODY_BYTES_BY_PREFIX: dict[str, int] = {}
DATA_UPLOAD_MAX_MEMORY_SIZE = VIGIL_MAX_BODY_BYTES

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, which also switches to the user's profile language (config/authentication.py).
        "config.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Unknown query parameters on list endpoints answer 400 naming them; relation filters accept only what the
    # user may see (config/filters.py).
    "DEFAULT_FILTER_BACKENDS": [
        "config.filters.StrictQueryParams",
        "config.filters.VisibleFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/minute"),
        "user": env.str("THROTTLE_USER", default="6000/minute"),
        # Requests refused for their API token, per client address (config/authentication.py): then 429.
        "refused_tokens": env.str("THROTTLE_REFUSED_TOKENS", default="30/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # The client address throttles count by: REMOTE_ADDR, unless proxies in front append to X-Forwarded-For
    # (VIGIL_PROXY_COUNT of them). DRF's default (None) believes any X-Forwarded-For a client sends, which
    # would let it dodge every per-address throttle by making one up.
    "NUM_PROXIES": env.int("VIGIL_PROXY_COUNT", default=0),
}
# A list with `?search=` counts at most this many matches (`count_capped` says there were more: config/pagination.py).
VIGIL_SEARCH_COUNT_MAX = env.int("VIGIL_SEARCH_COUNT_MAX", default=10_000)

# The API docs page (Swagger UI) loads its script and styles from here; its Content-Security-Policy allows it.
VIGIL_SWAGGER_UI_ORIGIN = "https://cdn.jsdelivr.net"

SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "DESCRIPTION": "Incidents, escalation and risk management.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set, so clients generated from the schema get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "WeekdayEnum": "escalation.models.calendar.Weekday",
        "WebhookEventEnum": "escalation.registry.event_choices",
        "IntegrationKindEnum": "incidents.models.integration.IntegrationKind",
        "TimelineEventKindEnum": "incidents.models.timeline.TimelineEvent.Kind",
        "MajorIncidentFlagKindEnum": "incidents.models.flag.MajorIncidentFlag.Kind",
        "SlaClockKindEnum": "escalation.models.sla.SlaClockKind",
        "CommandRoleEnum": "incidents.models.command.CommandRole",
        "TaskPriorityEnum": "incidents.models.command.TaskPriority",
        "ResourceRequestKindEnum": "incidents.models.major_logistics.ResourceRequest.Kind",
        # The incident's detail (issue #13) is a second component with these choice sets.
        "IncidentStateEnum": "incidents.models.incident.IncidentState",
        "ProblemStateEnum": "incidents.models.problem.ProblemState",
        "ChangeStateEnum": "incidents.models.change.ChangeState",
        "IncidentPriorityEnum": "incidents.models.catalog.Priority",
        "RiskStateEnum": "risks.models.risk.RiskState",
        # Their names as before risks (issue #11) added `category` and `source` choices of their own.
        "SourceEnum": "incidents.models.incident.Source",
        "CategoryEnum": "incidents.models.major_logistics.Cost.Category",
        "RiskCategoryEnum": "risks.models.risk.RiskCategory",
        "RiskLevelEnum": "risks.models.matrix.RiskLevel",
        "KRIStateEnum": "risks.models.kri.KRIState",
        "KRISourceEnum": "risks.models.kri.KRISource",
        "OutsideChangeKindEnum": "risks.models.risk.OutsideChangeKind",
        "PrecursorStateEnum": "risks.models.precursor.PrecursorState",
    },
}

# Celery: the embedded default is kombu's filesystem transport under var/, which needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
_broker_dir = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Fail fast instead of hanging a web request when the broker is down: the outbox sweep sends later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "max_retries": 1,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = env.int("CELERY_BROKER_CONNECTION_MAX_RETRIES", default=None)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("urgent", "default", "bulk")
CELERY_TIMEZONE = "UTC"
# Escalation and notification work never waits behind bulk work.
CELERY_TASK_ROUTES = {"escalation.*": {"queue": "urgent"}}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# The escalation engine (docs/escalation.md). Intervals and delays in seconds.
VIGIL_BASE_URL = env.str("VIGIL_BASE_URL", default="http://127.0.0.1:8000")
VIGIL_SWEEP_INTERVAL = env.float("VIGIL_SWEEP_INTERVAL", default=2.0)
VIGIL_TIMER_BATCH = env.int("VIGIL_TIMER_BATCH", default=100)
VIGIL_OUTBOX_SWEEP_INTERVAL = env.float("VIGIL_OUTBOX_SWEEP_INTERVAL", default=10.0)
VIGIL_OUTBOX_RESEND_AFTER = env.int("VIGIL_OUTBOX_RESEND_AFTER", default=30)
# Longer than CELERY_TASK_TIME_LIMIT: a claim outlives any attempt that is still allowed to run.
VIGIL_OUTBOX_LEASE_SECONDS = env.int("VIGIL_OUTBOX_LEASE_SECONDS", default=150)
VIGIL_OUTBOX_MAX_ATTEMPTS = env.int("VIGIL_OUTBOX_MAX_ATTEMPTS", default=8)
VIGIL_OUTBOX_BACKOFF_BASE = env.int("VIGIL_OUTBOX_BACKOFF_BASE", default=10)
VIGIL_OUTBOX_BACKOFF_MAX = env.int("VIGIL_OUTBOX_BACKOFF_MAX", default=1800)
# Outbound requests (webhooks, Apprise URLs, contact-method tests) go to public addresses only, unless these
# networks (CIDRs) or host names are listed: comma-separated, e.g. "10.20.0.0/16,hooks.intranet". See
# escalation/outbound.py and docs/deployment.md.
VIGIL_OUTBOUND_ALLOW = env.list("VIGIL_OUTBOUND_ALLOW", default=[])
VIGIL_WEBHOOK_CONNECT_TIMEOUT = env.float("VIGIL_WEBHOOK_CONNECT_TIMEOUT", default=5.0)
VIGIL_WEBHOOK_READ_TIMEOUT = env.float("VIGIL_WEBHOOK_READ_TIMEOUT", default=10.0)
# The keys that encrypt the secrets stored in the database (config/encryption.py, docs/deployment.md): any
# long random strings, comma-separated; the first encrypts, all decrypt. Empty: derived from SECRET_KEY (and
# SECRET_KEY_FALLBACKS), which `manage.py check --deploy` warns about.
VIGIL_FIELD_KEYS = env.list("VIGIL_FIELD_KEYS", default=[])
# How long the acknowledge and resolve links in a page work (escalation/actions.py): a night and a day.
VIGIL_ACTION_LINK_MAX_AGE = env.int("VIGIL_ACTION_LINK_MAX_AGE", default=24 * 3600)
# How far ahead a person's on-call calendar feed reaches (escalation/feeds.py).
VIGIL_ONCALL_FEED_DAYS = env.int("VIGIL_ONCALL_FEED_DAYS", default=60)
CELERY_BEAT_SCHEDULE["escalation-timer-sweep"] = {
    "task": "escalation.timer_sweep",
    "schedule": VIGIL_SWEEP_INTERVAL,
    # A sweep not started within its interval is dropped: the next one does the same work.
    "options": {"expires": VIGIL_SWEEP_INTERVAL},
}
CELERY_BEAT_SCHEDULE["escalation-outbox-sweep"] = {
    "task": "escalation.outbox_sweep",
    "schedule": VIGIL_OUTBOX_SWEEP_INTERVAL,
    "options": {"expires": VIGIL_OUTBOX_SWEEP_INTERVAL},
}
# Fired timers and sent notifications older than this are deleted once a day.
VIGIL_ENGINE_RETENTION_DAYS = env.int("VIGIL_ENGINE_RETENTION_DAYS", default=90)
CELERY_BEAT_SCHEDULE["escalation-purge"] = {"task": "escalation.purge", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes.apps announces itself at INFO in every command; its lockouts are WARNINGs and stay.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes.apps": {"level": "WARNING"}},
}

LOGIN_URL = "admin:login"

# Integrations (docs/integrations.md). Alert bodies over 512 KiB answer 413 before anything reads them.
INTEGRATION_MAX_BODY_BYTES = env.int("VIGIL_INTEGRATION_MAX_BODY_BYTES", default=512 * 1024)
# How long a web process reuses an integration it read by its key (0: read it on every request). Changes made
# in another process (a disabled integration, a rotated key) take effect there within this time.
VIGIL_INTEGRATION_CACHE_SECONDS = env.float("VIGIL_INTEGRATION_CACHE_SECONDS", default=1.0)
VIGIL_MAX_BODY_BYTES_BY_PREFIX.update(
    {"/api/v1/integrations/": INTEGRATION_MAX_BODY_BYTES, "/api/v1/events/": INTEGRATION_MAX_BODY_BYTES}
)
# The ingestion endpoints' own throttle scope, per client address (the anon rate is meant for people).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["integrations"] = env.str(
    "THROTTLE_INTEGRATIONS", default="20000/minute"
)
# Ticket-volume spike: more than this many new incidents for one service within the window.
VIGIL_SPIKE_INCIDENTS = env.int("VIGIL_SPIKE_INCIDENTS", default=5)
VIGIL_SPIKE_WINDOW_MINUTES = env.int("VIGIL_SPIKE_WINDOW_MINUTES", default=10)
VIGIL_HEARTBEAT_SWEEP_INTERVAL = env.float("VIGIL_HEARTBEAT_SWEEP_INTERVAL", default=30.0)
# The integration tasks live beside their services (incidents/integrations/), not in incidents/tasks.py.
CELERY_IMPORTS = ("incidents.integrations.tasks",)
CELERY_BEAT_SCHEDULE["integrations-heartbeat-sweep"] = {
    "task": "incidents.heartbeat_sweep",
    "schedule": VIGIL_HEARTBEAT_SWEEP_INTERVAL,
    "options": {"expires": VIGIL_HEARTBEAT_SWEEP_INTERVAL},
}

# Major incidents (docs/major-incidents.md): declarations per person from the /declare/ form within the window
# (then 429 with the time to retry), and status-page subscription requests per client address.
VIGIL_DECLARE_LIMIT = env.int("VIGIL_DECLARE_LIMIT", default=5)
VIGIL_DECLARE_WINDOW_SECONDS = env.int("VIGIL_DECLARE_WINDOW_SECONDS", default=600)
VIGIL_SUBSCRIBE_LIMIT = env.int("VIGIL_SUBSCRIBE_LIMIT", default=5)
VIGIL_SUBSCRIBE_WINDOW_SECONDS = env.int("VIGIL_SUBSCRIBE_WINDOW_SECONDS", default=3600)

# Metrics and the managers' reports (docs/reports.md).
# The business calendar (by name) reports measure business time on, and whose zone decides an incident's day;
# empty: 24x7 and TIME_ZONE. Changing it (or its hours) recomputes every rollup at the next refresh.
VIGIL_REPORTING_CALENDAR = env.str("VIGIL_REPORTING_CALENDAR", default="")
# How long a process reuses the reporting calendar it read (the reports read it on every request); a change to
# a calendar takes effect at once in the process that made it, in the others within this time.
VIGIL_REPORTING_CALENDAR_CACHE_SECONDS = env.float("VIGIL_REPORTING_CALENDAR_CACHE_SECONDS", default=60.0)
VIGIL_ROLLUP_INTERVAL = env.float("VIGIL_ROLLUP_INTERVAL", default=60.0)
# /metrics answers a bearer token or these networks (comma-separated CIDRs); neither: nobody.
VIGIL_METRICS_TOKEN = env.str("VIGIL_METRICS_TOKEN", default="")
VIGIL_METRICS_ALLOWED_NETWORKS = env.list("VIGIL_METRICS_ALLOWED_NETWORKS", default=[])
CELERY_TASK_ROUTES["postmortems.*"] = {"queue": "bulk"}
CELERY_BEAT_SCHEDULE["postmortems-rollups-refresh"] = {
    "task": "postmortems.rollups_refresh",
    "schedule": VIGIL_ROLLUP_INTERVAL,
    "options": {"expires": VIGIL_ROLLUP_INTERVAL},
}
# Every hour: the digest of the week that ended goes out once (its week is unique), whichever beat asks.
CELERY_BEAT_SCHEDULE["postmortems-weekly-digest"] = {"task": "postmortems.weekly_digest", "schedule": 3600.0}

# Risks (docs/risks.md): readings per request to POST /api/v1/kris/<id>/readings/; how often computed KRIs
# are computed, and the weekly radar (once a week, whichever beat asks first: its week is unique per area).
VIGIL_KRI_BATCH_MAX = env.int("VIGIL_KRI_BATCH_MAX", default=10_000)
VIGIL_KRI_COMPUTE_INTERVAL = env.float("VIGIL_KRI_COMPUTE_INTERVAL", default=900.0)
CELERY_TASK_ROUTES["risks.*"] = {"queue": "bulk"}
CELERY_BEAT_SCHEDULE["risks-kris-compute"] = {
    "task": "risks.kris_compute",
    "schedule": VIGIL_KRI_COMPUTE_INTERVAL,
    "options": {"expires": VIGIL_KRI_COMPUTE_INTERVAL},
}
CELERY_BEAT_SCHEDULE["risks-weekly-radar"] = {"task": "risks.weekly_radar", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["risks-precursors-detect"] = {"task": "risks.precursors_detect", "schedule": 3600.0}
