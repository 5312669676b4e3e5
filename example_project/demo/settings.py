"""Settings for the channels-admin demo: SQLite and the in-memory channel layer, no services.

With ``DEMO_REDIS_URL`` set (``make demo-cluster``), several daphne workers share a
channels_redis layer and the Redis registry, so one dashboard shows them all.
"""

import os
from pathlib import Path

from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

# What survives a restart of the demo: its secret key (so admin sessions stay valid, and every
# worker of the cluster signs alike) and the admin password (see `manage.py demo_user`).
DEMO_STATE = Path(os.environ.get("DEMO_STATE", BASE_DIR / ".demo"))


def demo_secret_key():
    """Return the secret key kept in DEMO_STATE, made on first use."""
    path = DEMO_STATE / "secret-key"
    DEMO_STATE.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = get_random_secret_key()
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or demo_secret_key()
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "channels_admin",
    "chat",
    "rooms",
    "legacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
ASGI_APPLICATION = "demo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Channels 1 channel sessions (legacy/) are read and written on every message: keep them in the
# cache, as Channels 1 advised, rather than in the database.
CHANNEL_SESSION_ENGINE = "django.contrib.sessions.backends.cache"

# `make demo-cluster`: the workers share a channels_redis layer and the Redis registry.
DEMO_REDIS_URL = os.environ.get("DEMO_REDIS_URL")
if DEMO_REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Longer than channels_redis's blocking reads: redis-py 8's default of 5 s
            # cuts them and closes idle sockets (channels_redis#422).
            "CONFIG": {"hosts": [{"address": DEMO_REDIS_URL, "socket_timeout": 30}]},
        }
    }
    CHANNELS_ADMIN = {
        "REGISTRY": "channels_admin.registry.redis.RedisRegistry",
        "REDIS_URL": DEMO_REDIS_URL,
        "HEARTBEAT": 2,
    }
# The cluster's worker ports (`make demo-cluster`): the demo page opens a socket to each.
DEMO_WORKERS = os.environ.get("DEMO_WORKERS", "").split()

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"

# django-debug-toolbar with the Channels routing panel, while DEBUG is on.
if DEBUG:
    INSTALLED_APPS += ["debug_toolbar"]
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1"]
    DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}
    # The installed toolbar's own panels (they differ between versions), then ours.
    from debug_toolbar.settings import PANELS_DEFAULTS

    DEBUG_TOOLBAR_PANELS = [*PANELS_DEFAULTS, "channels_admin.panels.ChannelsRoutingPanel"]
