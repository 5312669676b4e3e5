"""System check: a wrong ``CHANNELS_ADMIN`` key or value stops startup, naming it."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from channels_admin.conf import DEFAULTS, VALIDATORS, app_settings
from channels_admin.registry.base import Registry


@register()
def check_settings(app_configs=None, **kwargs):
    value = getattr(settings, "CHANNELS_ADMIN", {})
    if not isinstance(value, dict):
        return [
            Error(
                "CHANNELS_ADMIN must be a dict, not %s." % type(value).__name__,
                id="channels_admin.E001",
            )
        ]
    errors = []
    for key, setting in value.items():
        if key not in DEFAULTS:
            errors.append(
                Error(
                    "CHANNELS_ADMIN[%r] is not a setting of channels_admin." % key,
                    hint="Known keys: %s." % ", ".join(sorted(DEFAULTS)),
                    id="channels_admin.E002",
                )
            )
            continue
        valid, requirement = VALIDATORS[key]
        if not valid(setting):
            errors.append(
                Error(
                    "CHANNELS_ADMIN[%r] %s; got %r." % (key, requirement, setting),
                    id="channels_admin.E003",
                )
            )
        elif key == "REGISTRY":
            errors.extend(_check_registry(setting) or _check_redis_registry(setting, value))
    return errors


def _check_registry(dotted):
    try:
        registry = import_string(dotted)
    except Exception as exc:  # ImportError, or whatever the module raises on import
        message = "CHANNELS_ADMIN['REGISTRY'] cannot be imported: %s" % exc
        return [Error(message, id="channels_admin.E004")]
    if not (isinstance(registry, type) and issubclass(registry, Registry)):
        message = (
            "CHANNELS_ADMIN['REGISTRY'] must name a subclass of "
            "channels_admin.registry.base.Registry; got %r." % dotted
        )
        return [Error(message, id="channels_admin.E004")]
    return []


def _check_redis_registry(dotted, value):
    """The Redis registry needs a Redis: ``REDIS_URL``, or a channels_redis default layer."""
    from channels_admin.registry.redis_store import layer_redis_url

    try:
        from channels_admin.registry.redis import RedisRegistry
    except ImportError:  # redis-py is not installed, so REGISTRY is not the Redis one
        return []
    if not issubclass(import_string(dotted), RedisRegistry):
        return []
    if value.get("REDIS_URL") or layer_redis_url(getattr(settings, "CHANNEL_LAYERS", None)):
        return []
    return [
        Error(
            "CHANNELS_ADMIN['REDIS_URL'] is required when REGISTRY is %s." % dotted,
            hint="Set it to your Redis, e.g. 'redis://127.0.0.1:6379/0', or use a "
            'channels_redis layer as CHANNEL_LAYERS["default"] (its first host is the default).',
            id="channels_admin.E005",
        )
    ]


@register()
def check_prometheus(app_configs=None, **kwargs):
    value = getattr(settings, "CHANNELS_ADMIN", {})
    if not (isinstance(value, dict) and value.get("PROMETHEUS") is True):
        return []
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return [
            Error(
                "CHANNELS_ADMIN['PROMETHEUS'] is True but prometheus_client is not installed.",
                hint="pip install 'channels-admin[prometheus]', or set PROMETHEUS to False.",
                id="channels_admin.E015",
            )
        ]
    return []


@register()
def check_recorder_installed(app_configs=None, **kwargs):
    """Warn when ASGI_APPLICATION is not wrapped in RoutingRecorderMiddleware."""
    from channels_admin.recorder.installed import FIX, not_recording

    try:
        if not getattr(settings, "ASGI_APPLICATION", None) or not app_settings()["ENABLED"]:
            return []
        sentence = not_recording()
    except Exception:  # an application that fails to import is reported where it is used
        return []
    if sentence is None:
        return []
    message = sentence.partition(" Add this line")[0]
    return [
        Warning(message, hint="Add at the end of your asgi.py: " + FIX, id="channels_admin.W011")
    ]
