"""What differs between the versions of our dependencies that we support."""


def require_valid_group_name(layer, name):
    """Raise ``TypeError`` for a group name ``layer`` refuses, on channels 4.2 and 4.3 alike.

    channels 4.3 renamed ``valid_group_name()`` (deprecated since) ``require_valid_group_name()``.
    """
    check = getattr(layer, "require_valid_group_name", None) or layer.valid_group_name
    check(name)
