"""The ``CHANNELS_ADMIN`` setting: every key, its default, and what a valid value looks like.

Every key is optional. ``app_settings()`` returns the defaults overlaid with the project's
dict; :mod:`channels_admin.checks` fails at startup on an unknown key or a bad value.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS = {
    # Record connections at all (the middleware becomes a pass-through when False).
    "ENABLED": True,
    # Dotted path of the registry backend class (see channels_admin.registry.base.Registry).
    "REGISTRY": "channels_admin.registry.memory.MemoryRegistry",
    # How many closed connections and routing decisions the memory registry keeps.
    "MAX_CLOSED_CONNECTIONS": 1000,
    "MAX_DECISIONS": 1000,
    # How many groups left one connection remembers (joined groups are always all shown).
    "MAX_GROUP_HISTORY": 50,
    # Scope types the recorder records; others pass straight through.
    "RECORD_TYPES": ["websocket", "http", "channel"],
    # Path prefixes never recorded (static files, the debug toolbar, the browser's icon). The
    # dashboard's own requests are never recorded, wherever its admin site is mounted.
    "IGNORE_PATHS": ["/static/", "/admin/channels-routing/", "/__debug__/", "/favicon.ico"],
    # Header names and query-string keys (percent-decoded) containing any of these words have
    # their values replaced by REDACTED (case-insensitive); so do Sec-WebSocket-Protocol
    # entries after one containing a word (see recorder/records.py).
    "REDACT_WORDS": [
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "key",
        "auth",
        "jwt",
        "session",
        "signature",
        "sig",
        "code",
        "credential",
    ],
    # Header names whose values are replaced too, whatever words they contain.
    "REDACT_HEADERS": ["cookie", "set-cookie", "authorization", "proxy-authorization"],
    # More words for query-string keys only.
    "REDACT_QUERY_KEYS": [],
    # Refuse every state-changing dashboard action (close, join, leave) and show no forms.
    "READ_ONLY": False,
    # The Redis registry (channels_admin.registry.redis.RedisRegistry): its server (None: the
    # first host of CHANNEL_LAYERS["default"] when that is a channels_redis layer), the prefix
    # of its keys, and how often (seconds) each worker renews its entry and counters.
    "REDIS_URL": None,
    "REDIS_PREFIX": "channels_admin",
    "HEARTBEAT": 5,
    # Activity over time: seconds per bucket, and how many seconds of buckets are kept.
    "ACTIVITY_BUCKET": 10,
    "ACTIVITY_WINDOW": 3600,
    # Keep each connection's recent frames: None (when DEBUG), True or False; how many, and
    # how many characters of each.
    "RECORD_EVENTS": None,
    "MAX_EVENTS": 50,
    "EVENT_PREVIEW": 200,
    # Register channels_admin.metrics.ChannelsAdminCollector with prometheus_client at startup.
    "PROMETHEUS": False,
    # Dotted path of the function that turns an action's exception into a reply (or re-raises).
    "EXCEPTION_HANDLER": "channels_admin.actions.exceptions.default_exception_handler",
}

REDACTED = "[redacted]"
SCOPE_TYPES = ("websocket", "http", "channel")


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _strings(value):
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _dotted_path(value):
    return isinstance(value, str) and "." in value


def _redis_url(value):
    return value is None or (
        isinstance(value, str) and value.startswith(("redis://", "rediss://", "unix://"))
    )


def _positive_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _importable_callable(value):
    from django.utils.module_loading import import_string

    try:
        return _dotted_path(value) and callable(import_string(value))
    except Exception:  # ImportError, or whatever the module raises on import
        return False


#: For each key, a test of the value and what the check says when it fails.
VALIDATORS = {
    "ENABLED": (lambda value: isinstance(value, bool), "must be True or False"),
    "REGISTRY": (_dotted_path, "must be the dotted path of a registry class"),
    "MAX_CLOSED_CONNECTIONS": (_positive_int, "must be a positive integer"),
    "MAX_DECISIONS": (_positive_int, "must be a positive integer"),
    "MAX_GROUP_HISTORY": (_positive_int, "must be a positive integer"),
    "RECORD_TYPES": (
        lambda value: _strings(value) and set(value) <= set(SCOPE_TYPES),
        "must be a list drawn from %s" % ", ".join(SCOPE_TYPES),
    ),
    "IGNORE_PATHS": (
        lambda value: _strings(value) and all(item.startswith("/") for item in value),
        "must be a list of path prefixes starting with '/'",
    ),
    "REDACT_HEADERS": (_strings, "must be a list of header names"),
    "REDACT_QUERY_KEYS": (_strings, "must be a list of words"),
    "REDACT_WORDS": (_strings, "must be a list of words"),
    "READ_ONLY": (lambda value: isinstance(value, bool), "must be True or False"),
    "REDIS_URL": (_redis_url, "must be a redis://, rediss:// or unix:// URL, or None"),
    "REDIS_PREFIX": (lambda value: isinstance(value, str) and value != "", "must be a name"),
    "HEARTBEAT": (_positive_number, "must be a number of seconds above 0"),
    "ACTIVITY_BUCKET": (_positive_int, "must be a positive integer (seconds)"),
    "ACTIVITY_WINDOW": (_positive_int, "must be a positive integer (seconds)"),
    "RECORD_EVENTS": (
        lambda value: value is None or isinstance(value, bool),
        "must be None (on when DEBUG), True or False",
    ),
    "MAX_EVENTS": (_positive_int, "must be a positive integer"),
    "EVENT_PREVIEW": (_positive_int, "must be a positive integer (characters)"),
    "PROMETHEUS": (lambda value: isinstance(value, bool), "must be True or False"),
    "EXCEPTION_HANDLER": (
        _importable_callable,
        "must be the dotted path of a function (exc, context), e.g. "
        "'channels_admin.actions.exceptions.debug_exception_handler'",
    ),
}

_cache = None


def app_settings():
    """The defaults overlaid with ``settings.CHANNELS_ADMIN`` (cached until settings change)."""
    global _cache
    if _cache is None:
        from django.conf import settings

        merged = {**DEFAULTS, **getattr(settings, "CHANNELS_ADMIN", {})}
        # Derived once, for the recorder's per-connection work.
        merged["_redact_headers"] = frozenset(name.lower() for name in merged["REDACT_HEADERS"])
        words = tuple(word.lower() for word in merged["REDACT_WORDS"])
        merged["_redact_words"] = words
        merged["_redact_query_keys"] = words + tuple(
            word.lower() for word in merged["REDACT_QUERY_KEYS"]
        )
        merged["_ignore_paths"] = tuple(merged["IGNORE_PATHS"])
        _cache = merged
    return _cache


@receiver(setting_changed)
def _reset(setting, **kwargs):
    global _cache
    if setting in ("CHANNELS_ADMIN", "CHANNEL_LAYERS"):
        _cache = None
