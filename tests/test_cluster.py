"""Three daphne workers, a Redis for the channel layer and another for the Redis registry:
one worker's dashboard shows every worker's connections, closes them wherever they live,
drops a SIGKILLed worker, and answers 503 naming Redis while the registry's Redis is down,
without a single socket noticing."""

import json
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from websockets.sync.client import connect

from tests.conftest import (
    EXAMPLE_PROJECT,
    demo_environment,
    free_port,
    start_daphne,
    stop,
    wait_until,
)
from tests.test_dashboard_e2e import DASHBOARD, Session, poll

pytestmark = pytest.mark.redis
HEARTBEAT = 0.5
WORKERS = 3


class RedisServer:
    """A redis-server on a fixed port that a test can kill and start again, empty."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        import redis

        def answers():
            try:
                return redis.Redis(port=self.port, socket_timeout=1).ping()
            except redis.ConnectionError:
                return False

        wait_until(answers, "redis-server", self.process)

    def kill(self):
        self.process.kill()
        self.process.wait()


class Worker:
    def __init__(self, env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.process = start_daphne("demo.asgi:application", self.port, env)
        self.pid = self.process.pid


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    layer, registry = RedisServer(), RedisServer()
    workers = []
    try:
        layer.start()
        registry.start()
        env = demo_environment(tmp_path_factory.mktemp("cluster") / "db.sqlite3", "cluster")
        env.update(
            DJANGO_SETTINGS_MODULE="tests.cluster_settings",
            CLUSTER_LAYER_URL=layer.url,
            CLUSTER_REGISTRY_URL=registry.url,
            CLUSTER_HEARTBEAT=str(HEARTBEAT),
        )
        setup = (
            "from django.core.management import call_command; "
            "from django.contrib.auth.models import User; "
            "call_command('migrate', '--noinput', verbosity=0); "
            "User.objects.create_superuser('staff', 's@example.com', 'staff-password')"
        )
        manage = [sys.executable, str(EXAMPLE_PROJECT / "manage.py")]
        subprocess.run([*manage, "shell", "-c", setup], env=env, check=True, capture_output=True)
        with ThreadPoolExecutor(WORKERS) as pool:  # daphne starts in seconds: start them at once
            started = [pool.submit(Worker, env) for _ in range(WORKERS)]
        workers.extend(future.result() for future in started if future.exception() is None)
        for future in started:
            future.result()  # the first failure, once every started worker will be stopped
        yield layer, registry, workers
    finally:
        for worker in workers:
            stop(worker.process)
        for server in (layer, registry):
            if server.process is not None and server.process.poll() is None:
                server.kill()


def staff_of(worker):
    session = Session(worker.url)
    session.log_in("staff", "staff-password")
    return session


def open_socket(sockets, worker, path):
    """A socket of ``path`` on ``worker`` (closed with ``sockets``, an ExitStack), greeted."""
    socket = sockets.enter_context(connect(worker.ws_url + path, origin=worker.url))
    assert socket.recv(timeout=10).startswith("number=")
    return socket


def echoes(socket):
    socket.send("ping")
    return socket.recv(timeout=10) == "ping"


def live_by_path(session, prefix):
    found = session.get_json(DASHBOARD + f"connections/?path={prefix}&format=json")
    return {c["path"]: c for c in found["connections"]}


def servers_of(session):
    return {s["pid"]: s for s in session.get_json(DASHBOARD + "servers/?format=json")["servers"]}


def test_one_dashboard_for_every_worker(cluster):
    _, _, workers = cluster
    staff = staff_of(workers[0])
    with ExitStack() as stack:
        sockets = [open_socket(stack, w, f"/ws/number/{n}/page/1/") for n, w in enumerate(workers)]
        live = poll(
            lambda: live_by_path(staff, "/ws/number/"),
            lambda found: len(found) == WORKERS,
            "every worker's connection on worker 0's dashboard",
        )
        servers = poll(
            lambda: servers_of(staff),
            lambda found: all(found.get(w.pid, {}).get("live") for w in workers),
            "every worker registered with its live count",
        )
        for number, worker in enumerate(workers):
            connection = live[f"/ws/number/{number}/page/1/"]
            assert connection["server"] == servers[worker.pid]["id"]
            assert servers[worker.pid]["alive"] and servers[worker.pid]["host"]
        remote = live["/ws/number/2/page/1/"]
        only = staff.get_json(DASHBOARD + f"connections/?server={remote['server']}&format=json")
        assert [c["id"] for c in only["connections"]] == [remote["id"]]
        overview = staff.get_json(DASHBOARD + "?format=json")
        assert overview["servers"]["alive"] >= WORKERS and overview["live"]["total"] >= WORKERS

        # Closed from worker 0, held by worker 1: through the channel layer.
        held = live["/ws/number/1/page/1/"]
        response, payload = staff.close_connection(held["id"], 4002)
        assert response.status == 200, payload
        with pytest.raises(Exception) as closed:
            sockets[1].recv(timeout=10)
        assert closed.value.rcvd.code == 4002
        poll(
            lambda: staff.get_json(DASHBOARD + f"connections/{held['id']}/?format=json"),
            lambda data: data["connection"]["closed_by"] == "admin",
            "the close recorded by worker 1",
        )

        # SIGKILL worker 2: its connection leaves the live picture within two heartbeats.
        workers[2].process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        workers[2].process.wait()
        # Its last heartbeat was before the kill: two heartbeats later it is gone.
        time.sleep(max(0.0, killed + 2 * HEARTBEAT + 0.1 - time.monotonic()))
        assert "/ws/number/2/page/1/" not in live_by_path(staff, "/ws/number/")
        assert not servers_of(staff)[workers[2].pid]["alive"]
        poll(  # moved to the closed ones by a surviving worker's next heartbeat
            lambda: staff.request("GET", DASHBOARD + f"connections/{remote['id']}/?format=json"),
            lambda found: (
                found[0].status == 200
                and json.loads(found[1])["connection"]["closed_by"] == "lost"
            ),
            "the dead worker's connection among the closed ones, lost",
        )
        assert echoes(sockets[0])


def test_the_registry_redis_down_and_back(cluster):
    _, registry, workers = cluster
    staff = staff_of(workers[0])
    with ExitStack() as stack:
        before = open_socket(stack, workers[1], "/ws/number/10/page/1/")
        poll(
            lambda: live_by_path(staff, "/ws/number/10/"),
            lambda found: len(found) == 1,
            "the connection recorded",
        )
        registry.kill()
        assert echoes(before)
        during = open_socket(stack, workers[1], "/ws/number/11/page/1/")  # still routes
        assert echoes(during)
        for page in ("", "connections/", "servers/", "decisions/"):
            response, payload = staff.request("GET", DASHBOARD + page + "?format=json")
            assert response.status == 503, (page, response.status)
            error = json.loads(payload)["error"]
            assert "Redis at " + registry.url in error, error
        response, payload = staff.request("GET", DASHBOARD + "connections/")
        assert response.status == 503 and b"Redis at" in payload and b"errornote" in payload

        registry.start()  # empty: no persistence
        restarted = time.monotonic()
        poll(
            lambda: live_by_path(staff, "/ws/number/1"),
            lambda found: {"/ws/number/10/page/1/", "/ws/number/11/page/1/"} <= set(found),
            "the picture restored",
        )
        assert time.monotonic() - restarted <= 2 * HEARTBEAT + 1.5  # + page reads under load
        assert echoes(before) and echoes(during)
