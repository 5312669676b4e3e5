"""System check: a wrong ``CHANNELS_ADMIN`` key or value stops startup, naming it."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from channels_admin.conf import DEFAULTS, VALIDATORS


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
            try:
                import_string(setting)
            except ImportError as exc:
                errors.append(
                    Error(
                        "CHANNELS_ADMIN['REGISTRY'] cannot be imported: %s" % exc,
                        id="channels_admin.E004",
                    )
                )
    return errors
