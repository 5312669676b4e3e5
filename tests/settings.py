"""Test settings: the demo project's, with an in-memory database and a fixed key."""

from demo.settings import *  # noqa: F403

SECRET_KEY = "tests-only-not-secret"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
