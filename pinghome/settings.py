"""Settings, read from environment variables (see the README's configuration table).

With no variable set the whole product runs on one machine: SQLite in ``DATA_DIR`` and
Celery tasks executed in-process after commit.
"""

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from pinghome.env import env_bool, env_choice, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR."""
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Public base URL used to build ingest URLs and links (no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "pinghome",
    "accounts",
    "audit",
    "webhooks",
    "rulesets",
    "incidents",
    "statuspages",
    "schedules",
    "notifications",
    "escalation",
    "maintenance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pinghome.viewer_zone.ViewerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into its answer
]

ROOT_URLCONF = "pinghome.urls"
WSGI_APPLICATION = "pinghome.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'pinghome.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # One writer at a time: wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Parameters sent apart from the statement, and a statement a connection runs a few times
    # (ingest's INSERT, evaluation's queries) prepared: PostgreSQL no longer parses and plans it
    # each time. Set DATABASE_PREPARE_THRESHOLD=0 behind a pooler in transaction mode.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["server_side_binding"] = True
    options["prepare_threshold"] = env_int("DATABASE_PREPARE_THRESHOLD", 5, minimum=0) or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (README "Dashboard"): passwords, single sign-on by OpenID Connect, lockout.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "accounts.backends.PasswordBackend",
    "accounts.oidc.OrganizationOIDCBackend",
]
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_ENABLED = bool(OIDC_CLIENT_ID)
# Who may sign in with a password: everyone, admins only (the fallback when single sign-on is
# on), or no one.
PASSWORD_SIGNIN = env_choice(
    "PASSWORD_SIGNIN", "admins" if OIDC_ENABLED else "all", ("all", "admins", "off")
)
if PASSWORD_SIGNIN == "off" and not OIDC_ENABLED:
    raise ImproperlyConfigured("PASSWORD_SIGNIN=off needs single sign-on (OIDC_CLIENT_ID)")
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
# Endpoints: discovered from the issuer, unless given here.
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_JWKS_URI")
if (
    OIDC_ENABLED
    and not OIDC_ISSUER
    and not all((OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT))
):
    raise ImproperlyConfigured("OIDC_CLIENT_ID needs OIDC_ISSUER (or every OIDC_*_ENDPOINT)")
OIDC_ALLOWED_DOMAINS = [domain.lower() for domain in env_list("OIDC_ALLOWED_DOMAINS")]
OIDC_DEFAULT_ROLE = env_choice("OIDC_DEFAULT_ROLE", "member", ("member", "admin"))
OIDC_ORGANIZATION = env_str("OIDC_ORGANIZATION")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
# mozilla-django-oidc: the authorization-code flow with a nonce and PKCE.
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10

# Failed password sign-ins (django-axes, in the database): SIGNIN_FAILURE_LIMIT failures for one
# account, or from one address, lock it for SIGNIN_LOCKOUT_MINUTES after the last failure.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_email"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.attempt_address"
AXES_WHITELIST_CALLABLE = "accounts.lockout.not_a_password_attempt"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # locked for the time said, not longer
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins: User.last_login is enough
AXES_VERBOSE = False

# Password reset links are valid this long (seconds), and once; one-time sign-in links
# (manage.py signin_link) too, and no longer than password reset links.
PASSWORD_RESET_TIMEOUT = 3600
SIGNIN_LINK_MAX_AGE = 30 * 60

# Behind a reverse proxy: the addresses (IPs or CIDRs) whose X-Forwarded-For is believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind TLS: plain HTTP is redirected to HTTPS (but the health check, which a load balancer may
# ask over HTTP, and the metrics Prometheus scrapes from a web process directly), and browsers
# are told to use HTTPS only (HSTS) for HSTS_SECONDS.
SECURE_SSL_REDIRECT = BEHIND_TLS_PROXY
SECURE_REDIRECT_EXEMPT = [r"^v1/health-check$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000 if BEHIND_TLS_PROXY else 0, minimum=0)
# HSTS covers the host's subdomains too (pinghome usually has a host name of its own), unless
# HSTS_INCLUDE_SUBDOMAINS=0. Preloading is opt-in (HSTS_PRELOAD=1): it is the domain owner's choice
# and takes months to undo, so check --deploy's reminder of it (W021) is silenced.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Content-Security-Policy (django-csp): scripts, styles, images and connections from this site
# only; style attributes (calendar blocks are placed with them) are the one inline allowance.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# /metrics (pinghome.monitoring): scraped with this bearer token, or from these addresses
# (IPs or CIDRs); with neither, refused. PROMETHEUS_MULTIPROC_DIR is read by prometheus-client
# itself (pinghome.metrics).
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS must list IP addresses or networks, got {_network!r}"
        ) from None

# Ingest
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 1024 * 1024, minimum=1)
# The web worker (pinghome.http_worker) reads each request whole before a thread serves it:
# within this many seconds of its first byte, else 408.
REQUEST_READ_TIMEOUT_SECONDS = env_int("REQUEST_READ_TIMEOUT_SECONDS", 30, minimum=1)
# Stored events are kept this many days (but those of unresolved incidents): webhooks.retention.
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 30, minimum=1)
# Re-drive events stored but not evaluated after this many seconds.
EVALUATION_REDRIVE_AFTER_SECONDS = env_int("EVALUATION_REDRIVE_AFTER_SECONDS", 60, minimum=1)
# An event whose evaluation alone fails this many times is given up: marked evaluated with the
# error, no longer re-driven (``reevaluate_events --given-up`` tries again).
EVALUATION_MAX_ATTEMPTS = env_int("EVALUATION_MAX_ATTEMPTS", 5, minimum=1)
# A (ruleset, dedup key) no event touched for this many days, with no unresolved incident,
# loses its state row (hourly purge): without it, every key ever seen keeps one.
DEDUP_STATE_RETENTION_DAYS = env_int("DEDUP_STATE_RETENTION_DAYS", 7, minimum=1)
# The work one ruleset may spend on one event (values reached by key paths, bytes read by string
# operators and by parsing JSON held in strings, milliseconds): beyond it, the outcome is "error"
# and the event counts a failed attempt (see EVALUATION_MAX_ATTEMPTS).
EVALUATION_MAX_VALUES = env_int("EVALUATION_MAX_VALUES", 100_000, minimum=1)
EVALUATION_MAX_BYTES = env_int("EVALUATION_MAX_BYTES", 16 * 1024 * 1024, minimum=1)
EVALUATION_TIME_LIMIT_MS = env_int("EVALUATION_TIME_LIMIT_MS", 1000, minimum=1)
# Under load, each web process hands stored events over to evaluation at most this often (ms).
EVALUATION_HANDOFF_MS = env_int("EVALUATION_HANDOFF_MS", 100, minimum=1)

# Outgoing notification webhooks may reach loopback/private addresses only when allowed.
NOTIFY_ALLOW_PRIVATE_ADDRESSES = env_bool("NOTIFY_ALLOW_PRIVATE_ADDRESSES", False)
# A delivery (page, chat post, message) is attempted this many times, with backoff, at most.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 5, minimum=1)

# Email (console in the embedded default)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pinghome@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.authentication.TokenScopePermission",
    ],
    "DEFAULT_PARSER_CLASSES": ["pinghome.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pinghome.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["pinghome.ratelimit.TokenRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "pinghome API",
    "DESCRIPTION": (
        "Incident management: webhooks, rulesets, incidents, on-call schedules. "
        "Routes and fields marked **Extension** go beyond the compatible public API."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/v1",
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AssigneeTypeEnum": "incidents.models.AssigneeType",
        "ContactMethodTypeEnum": "notifications.models.ContactMethodType",
        "UrgencyEnum": "incidents.models.Urgency",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "TeamRoleEnum": "accounts.models.TeamMember.Role",
        "OrganizationRoleEnum": "accounts.models.User.Role",
        "ComponentStatusEnum": "statuspages.models.ComponentStatus",
        "NoticeStatusEnum": "statuspages.models.NoticeStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pinghome.openapi.ids_in_paths_are_uuids",
        "pinghome.openapi.require_one_of_bodies",
        "pinghome.openapi.add_ingest_route",
    ],
}

# Redis shared by the web processes (rate limit counters, pinghome.ratelimit); without it each
# process counts on its own.
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Requests per API token: "<number>/<s|min|h|day>".
API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "6000/min")
# Failed token authentications from one source address; over it every API request from that
# address is a 429 until the window ends.
API_AUTH_FAILURE_LIMIT = env_rate("API_AUTH_FAILURE_LIMIT", "100/min")

# Celery: without a broker, tasks run in-process (after the transaction commits).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup would close the database connections around every task; worker
# connections follow DATABASE_CONN_MAX_AGE instead (pinghome.celery.keep_database_connections).
CELERY_DB_REUSE_MAX = 10**9
CELERY_TASK_DEFAULT_QUEUE = "default"
# Evaluation has a queue of its own, consumed by workers of its own (README, "Production
# layout"; scripts/run): it never waits behind actions, notifications or periodic chores.
CELERY_TASK_ROUTES = {
    "rulesets.tasks.purge_dedup_states": {"queue": "default"},  # hourly chore, not evaluation
    "rulesets.tasks.check_heartbeats": {"queue": "default"},  # a periodic check, likewise
    "incidents.tasks.wake_snoozed_incidents": {"queue": "default"},  # periodic checks too
    "incidents.tasks.resolve_silent_incidents": {"queue": "default"},
    "rulesets.tasks.*": {"queue": "evaluation"},
    "incidents.tasks.*": {"queue": "actions"},
    "notifications.tasks.*": {"queue": "notifications"},
    "escalation.tasks.*": {"queue": "notifications"},
    "webhooks.tasks.*": {"queue": "default"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# On a lost connection, running tasks finish (their work commits; their acknowledgement is lost
# with the connection, and a message Redis hands back later is evaluated once: idempotent).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Celery's consumer, without its crash on a lost Redis connection (pinghome.worker).
CELERY_WORKER_CONSUMER = "pinghome.worker:Consumer"
# A worker whose consumer takes nothing while messages wait for it restarts (pinghome.watchdog):
# checked this often (0: never).
WORKER_WATCHDOG_SECONDS = env_int("WORKER_WATCHDOG_SECONDS", 30, minimum=0)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # scripts/run's broker on one machine, no service: kombu keeps each message in a file of
    # $DATA_DIR/broker (a message a killed worker took is lost: the re-drive finds its event).
    _broker_folder = DATA_DIR / "broker"
    (_broker_folder / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folder),
        "data_folder_out": str(_broker_folder),
        "control_folder": str(_broker_folder / "control"),
        "polling_interval": 0.1,
    }
# Heartbeats, maintenance windows that ended, silent incidents and snoozes: checked this often.
CHECK_INTERVAL_SECONDS = float(env_int("CHECK_INTERVAL_SECONDS", 10, minimum=1))
CELERY_BEAT_SCHEDULE = {
    "shift-reminders": {
        "task": "schedules.tasks.send_shift_reminders",
        "schedule": 60.0,
    },
    "redrive-pending-events": {
        "task": "rulesets.tasks.redrive_pending_events",
        "schedule": float(env_int("EVALUATION_REDRIVE_INTERVAL_SECONDS", 30, minimum=1)),
    },
    "prune-events": {
        "task": "webhooks.tasks.prune_events",
        "schedule": 3600.0,
    },
    "purge-dedup-states": {
        "task": "rulesets.tasks.purge_dedup_states",
        "schedule": 3600.0,
    },
    "send-due-deliveries": {
        "task": "notifications.tasks.send_due_deliveries",
        "schedule": float(env_int("DELIVERY_SWEEP_INTERVAL_SECONDS", 15, minimum=1)),
    },
    "check-heartbeats": {
        "task": "rulesets.tasks.check_heartbeats",
        "schedule": CHECK_INTERVAL_SECONDS,
    },
    "mail-status-page-updates": {
        "task": "statuspages.tasks.mail_unmailed_updates",
        "schedule": CHECK_INTERVAL_SECONDS,
    },
    "open-after-maintenance": {
        "task": "maintenance.tasks.open_still_failing",
        "schedule": CHECK_INTERVAL_SECONDS,
    },
    "wake-snoozed-incidents": {
        "task": "incidents.tasks.wake_snoozed_incidents",
        "schedule": CHECK_INTERVAL_SECONDS,
    },
    "resolve-silent-incidents": {
        "task": "incidents.tasks.resolve_silent_incidents",
        "schedule": CHECK_INTERVAL_SECONDS,
    },
    "escalate-due-incidents": {
        "task": "escalation.tasks.escalate_due",
        "schedule": float(env_int("ESCALATION_INTERVAL_SECONDS", 15, minimum=1)),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Apprise's debug lines carry the URLs it posts to, tokens and all: never below warnings.
    "loggers": {"apprise": {"level": "WARNING"}},
}
