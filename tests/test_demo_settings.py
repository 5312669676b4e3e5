"""The demo's settings as `make demo` and `make demo-cluster` load them, and its admin login."""

import json
import subprocess
import sys

from channels_admin.redis_timeouts import exposed_hosts
from tests.conftest import EXAMPLE_PROJECT, ROOT

SHOW_SETTINGS = """
import json
from demo import settings
print(json.dumps({
    "layers": settings.CHANNEL_LAYERS,
    "admin": getattr(settings, "CHANNELS_ADMIN", None),
    "workers": settings.DEMO_WORKERS,
    "secret_key": settings.SECRET_KEY,
}))
"""


def demo_settings(tmp_path, **environ):
    env = {"PATH": "", "DEMO_STATE": str(tmp_path / "state"), **environ}
    output = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=EXAMPLE_PROJECT,
        env={**env, "PYTHONPATH": f"{ROOT}:{EXAMPLE_PROJECT}"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def test_cluster_settings_use_redis_for_the_layer_and_the_registry(tmp_path):
    url = "redis://127.0.0.1:6399/0"
    loaded = demo_settings(tmp_path, DEMO_REDIS_URL=url, DEMO_WORKERS="8000 8001 8002")
    layer = loaded["layers"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"] == [{"address": url, "socket_timeout": 30}]
    assert list(exposed_hosts(loaded["layers"], 5)) == []  # safe with redis-py 8
    assert loaded["admin"]["REGISTRY"] == "channels_admin.registry.redis.RedisRegistry"
    assert loaded["admin"]["REDIS_URL"] == url
    assert loaded["workers"] == ["8000", "8001", "8002"]


def test_plain_demo_keeps_the_in_memory_layer_and_one_secret_key(tmp_path):
    first = demo_settings(tmp_path)
    assert first["layers"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert first["admin"] is None and first["workers"] == []
    assert demo_settings(tmp_path)["secret_key"] == first["secret_key"]  # sessions survive


def demo_user(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", "demo_user", *args],
        cwd=EXAMPLE_PROJECT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_demo_user_keeps_its_password_until_reset_and_prints_the_address(tmp_path):
    env = {
        "PATH": "",
        "DEMO_STATE": str(tmp_path / "state"),
        "DEMO_DATABASE": str(tmp_path / "demo.sqlite3"),
        "PYTHONPATH": f"{ROOT}:{EXAMPLE_PROJECT}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=EXAMPLE_PROJECT,
        env=env,
        check=True,
    )
    first = demo_user(env, "--port", "8150")
    assert "http://127.0.0.1:8150/ (chat)" in first
    assert "http://127.0.0.1:8150/admin/channels-routing/" in first
    again = demo_user(env, "--address", "0.0.0.0", "--port", "8150")
    assert password(again) == password(first)
    reset = demo_user(env, "--reset")
    assert password(reset) != password(first)
    assert "http://127.0.0.1:8000/" in reset


def password(output):
    return output.rsplit("with password ", 1)[1].strip()
