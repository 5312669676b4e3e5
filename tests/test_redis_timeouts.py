"""W014 and the dashboard's sentence: redis-py 8's socket timeout against channels_redis."""

import redis
from django.core.checks import run_checks

from channels_admin.redis_timeouts import (
    affected_channels_redis,
    check_layer_timeouts,
    default_socket_timeout,
    exposed_hosts,
    installed_version,
    timeout_explanation,
)

REDIS_LAYER = "channels_redis.core.RedisChannelLayer"


def layers(*hosts, backend=REDIS_LAYER):
    return {"default": {"BACKEND": backend, "CONFIG": {"hosts": list(hosts)}}}


def test_hosts_without_their_own_timeout_are_exposed_to_a_5_second_default():
    config = layers(
        "redis://127.0.0.1:6379/0",
        ("127.0.0.1", 6380),
        {"address": "redis://127.0.0.1:6381/0"},
        {"address": "redis://127.0.0.1:6382/0", "socket_timeout": 30},
        {"address": "redis://127.0.0.1:6383/0", "socket_timeout": None},
        "redis://127.0.0.1:6384/0?socket_timeout=30",
        {"address": "redis://127.0.0.1:6385/0", "socket_timeout": 5},
    )
    exposed = [host for _, host, _, _ in exposed_hosts(config, 5)]
    assert exposed == [
        "redis://127.0.0.1:6379/0",
        ("127.0.0.1", 6380),
        {"address": "redis://127.0.0.1:6381/0"},
        {"address": "redis://127.0.0.1:6385/0", "socket_timeout": 5},
    ]


def test_no_default_timeout_or_another_layer_exposes_nothing():
    assert list(exposed_hosts(layers("redis://127.0.0.1:6379/0"), None)) == []
    memory = layers(backend="channels.layers.InMemoryChannelLayer")
    assert list(exposed_hosts(memory, 5)) == []
    assert list(exposed_hosts(layers("redis://x", backend="no.such.Layer"), 5)) == []


def test_only_channels_redis_up_to_4_3_0_blocks_for_5_seconds():
    assert affected_channels_redis("4.2.0")
    assert affected_channels_redis("4.3.0")
    assert not affected_channels_redis("4.4.0")
    assert not affected_channels_redis(None)


def test_the_check_names_the_host_without_its_password_and_the_one_line_fix(settings):
    settings.CHANNEL_LAYERS = layers("redis://:hunter2@127.0.0.1:6379/0")
    warnings = check_layer_timeouts()
    exposed = default_socket_timeout() is not None and affected_channels_redis(
        installed_version("channels-redis")
    )
    # Whether the installed redis-py/channels_redis pair is affected decides the outcome.
    assert [warning.id for warning in warnings] == (["channels_admin.W014"] if exposed else [])
    if exposed:
        (warning,) = warnings
        assert "hunter2" not in warning.msg + warning.hint
        assert "redis://:***@127.0.0.1:6379/0" in warning.msg
        assert "channels_redis#422" in warning.msg
        assert '"socket_timeout": 30' in warning.hint


def test_a_host_with_its_own_timeout_passes_every_check(settings):
    settings.CHANNEL_LAYERS = layers({"address": "redis://127.0.0.1:6379/0", "socket_timeout": 30})
    assert [m for m in run_checks() if m.id == "channels_admin.W014"] == []


def test_redis_py_8_defaults_to_a_timeout_that_7_does_not_have():
    major = int(redis.__version__.split(".")[0])
    assert (default_socket_timeout() is not None) == (major >= 8)


def test_the_dashboard_sentence_for_a_read_timeout_and_nothing_for_other_errors():
    recorded = "TimeoutError: Timeout reading from 127.0.0.1:6379"
    sentence = timeout_explanation(recorded)
    assert "socket_timeout" in sentence and "channels_redis#422" in sentence
    assert timeout_explanation(redis.exceptions.TimeoutError("Timeout reading from x:1"))
    assert timeout_explanation("ValueError: bad frame") is None
    assert timeout_explanation(None) is None
