"""`make demo-cluster`: Redis and three daphne workers start, share one layer and one
dashboard, and stop."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
import websockets

from tests.conftest import EXAMPLE_PROJECT, ROOT, free_port, port_open, stop, wait_until
from tests.test_dashboard_e2e import Session, poll

pytestmark = pytest.mark.redis

WORKERS = 3


def consecutive_free_ports(count):
    """Return the first of ``count`` consecutive ports nobody listens on."""
    while True:
        first = free_port()
        if not any(port_open(first + offset) for offset in range(count)):
            return first


def test_three_workers_share_the_layer_and_ctrl_c_stops_everything(tmp_path):
    first = consecutive_free_ports(WORKERS)
    ports = [first + offset for offset in range(WORKERS)]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="demo.settings",  # the script's default; pytest set another
        DEMO_PORT=str(first),
        DEMO_STATE=str(tmp_path / "state"),
        DEMO_DATABASE=str(tmp_path / "demo.sqlite3"),
        TMPDIR=str(tmp_path),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE_PROJECT)]),
    )
    log = tmp_path / "cluster.log"
    script = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "demo_cluster.py"), "--port", str(first)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: all(port_open(port) for port in ports), "the cluster", script, 90)
        for port in ports:
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
            assert json.dumps([str(port) for port in ports]).encode() in page
        assert asyncio.run(message_crosses_workers(ports[0], ports[-1])) == "hello cluster"
        (workdir,) = tmp_path.glob("channels-admin-cluster-*")

        # One worker's dashboard shows the three workers as live servers.
        staff = Session(f"http://127.0.0.1:{ports[1]}")
        staff.log_in("admin", log.read_text().rsplit("with password '", 1)[1].split("'")[0])
        servers = poll(
            lambda: staff.get_json("/admin/channels-routing/servers/?format=json")["servers"],
            lambda found: sum(server["alive"] for server in found) == WORKERS,
            "three live servers",
        )
        assert len({server["pid"] for server in servers}) == WORKERS

        script.send_signal(signal.SIGINT)
        assert script.wait(timeout=60) == 0
        assert not any(port_open(port) for port in ports)
        assert not workdir.exists()
    finally:
        stop(script)


async def message_crosses_workers(sender, receiver):
    """Send a chat message through one worker and return what a socket on another gets."""
    origin = f"http://127.0.0.1:{sender}"
    path = "/ws/chat/lobby/"
    async with websockets.connect(f"ws://127.0.0.1:{receiver}{path}", origin=origin) as listener:
        async with websockets.connect(f"ws://127.0.0.1:{sender}{path}", origin=origin) as speaker:
            await speaker.send(json.dumps({"text": "hello cluster"}))
            return json.loads(await asyncio.wait_for(listener.recv(), 10))["text"]
