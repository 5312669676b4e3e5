"""The demo's cluster settings with the default registry: what the cluster script test runs."""

from demo.settings import *  # noqa: F403

CHANNELS_ADMIN = {}
