"""redis-py's socket timeout against channels_redis's blocking reads (channels_redis#422).

redis-py 8 gives every connection a 5 s ``socket_timeout``. channels_redis 4.3.0 and older
wait for messages with ``BZPOPMIN`` for ``brpop_timeout`` (5 s), so the socket timeout cuts
the wait, ``receive()`` raises ``TimeoutError: Timeout reading from ...`` and an idle consumer
closes with 1011. A layer host with its own ``socket_timeout`` longer than the wait (or None)
is safe. The system check ``channels_admin.W014`` names the hosts that are not, and
``timeout_explanation()`` gives the dashboard the same advice when such an error closed a
connection.
"""

import importlib.metadata
import re
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.conf import settings
from django.core.checks import Warning, register
from django.utils.module_loading import import_string

#: The newest channels_redis known to block longer than redis-py 8's default socket timeout.
LAST_AFFECTED_CHANNELS_REDIS = (4, 3, 0)
#: A socket timeout comfortably longer than channels_redis's blocking reads.
SAFE_SOCKET_TIMEOUT = 30
READ_TIMEOUT = re.compile(r"\bTimeout reading from\b")

FIX = (
    "give each host of the layer its own socket_timeout, longer than the layer's 5 s blocking "
    'reads: {"address": "redis://...", "socket_timeout": %d}' % SAFE_SOCKET_TIMEOUT
)


def timeout_explanation(error):
    """Return what to do about ``error`` (an exception or its recorded text) when it is
    redis-py cutting a blocking read of the channel layer, else None."""
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    if not error or not READ_TIMEOUT.search(error):
        return None
    return (
        "Redis did not answer within the client's socket_timeout: with redis-py 8 (a 5 s "
        "default) this cuts channels_redis's blocking reads and closes idle sockets "
        "(channels_redis#422). To fix it, %s." % FIX
    )


@register()
def check_layer_timeouts(app_configs=None, **kwargs):
    """Warn about channels_redis layer hosts whose idle consumers the socket timeout kills."""
    if not affected_channels_redis(installed_version("channels-redis")):
        return []
    default = default_socket_timeout()
    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    return [
        Warning(
            "CHANNEL_LAYERS[%r] host %s reads with a %s s socket timeout, which cuts "
            "channels_redis's %s s blocking reads: idle consumers die with TimeoutError and "
            "close with 1011 (channels_redis#422)." % (alias, display(host), timeout, wait),
            hint="In CHANNEL_LAYERS[%r]['CONFIG']['hosts'], %s." % (alias, FIX),
            id="channels_admin.W014",
        )
        for alias, host, timeout, wait in exposed_hosts(layers, default)
    ]


def exposed_hosts(layers, default_timeout):
    """Yield ``(alias, host, socket timeout, blocking wait)`` for each channels_redis host whose
    socket timeout (its own, else ``default_timeout``) ends a blocking read early."""
    for alias, layer in layers.items():
        wait = blocking_wait(layer.get("BACKEND", ""))
        if wait is None:
            continue
        for host in layer.get("CONFIG", {}).get("hosts") or []:
            timeout = socket_timeout(host, default_timeout)
            if timeout is not None and timeout <= wait:
                yield alias, host, timeout, wait


def blocking_wait(backend):
    """Return how long ``backend``'s receive blocks in Redis, or None if it is no
    channels_redis ``RedisChannelLayer``."""
    try:
        from channels_redis.core import RedisChannelLayer

        layer_class = import_string(backend)
    except ImportError:
        return None
    if not (isinstance(layer_class, type) and issubclass(layer_class, RedisChannelLayer)):
        return None
    return layer_class.brpop_timeout


def socket_timeout(host, default):
    """Return the socket timeout a channels_redis ``hosts`` entry connects with."""
    if isinstance(host, dict):
        if "socket_timeout" in host:
            return host["socket_timeout"]
        host = host.get("address")
    if isinstance(host, str):
        values = parse_qs(urlsplit(host).query).get("socket_timeout")
        if values:
            return float(values[-1])
    return default


def default_socket_timeout():
    """Return the socket timeout redis-py's asyncio connections get when none is given."""
    try:
        from redis.asyncio import Connection
    except ImportError:
        return None
    return Connection().socket_timeout


def installed_version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def affected_channels_redis(version):
    """Return whether channels_redis ``version`` blocks for 5 s on every receive."""
    if version is None:
        return False
    release = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    return release <= LAST_AFFECTED_CHANNELS_REDIS


def display(host):
    """Return ``host`` as the check shows it, without a password."""
    if isinstance(host, dict):
        host = host.get("address") or "%s:%s" % (host.get("host"), host.get("port"))
    elif isinstance(host, (list, tuple)):
        host = "%s:%s" % tuple(host[:2])
    parts = urlsplit(host)
    if parts.password is None:
        return host
    netloc = "%s:***@%s" % (parts.username or "", parts.netloc.rpartition("@")[2])
    return urlunsplit(parts._replace(netloc=netloc))
