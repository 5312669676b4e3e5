"""Shared fixtures: a real redis-server, a real daphne serving the demo, real Chromium.

Each service is started by the fixture that needs it, on 127.0.0.1 and a free port, and
stopped by the same fixture. Where a service is missing the test is skipped with the package
to install; with ``CHANNELS_ADMIN_NO_SKIP=1`` (set by CI) every skip is a failure instead.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PROJECT = ROOT / "example_project"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 30.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CHANNELS_ADMIN_NO_SKIP") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped, but CHANNELS_ADMIN_NO_SKIP=1 forbids skips: {report.longrepr}"


@pytest.fixture
def registry():
    """A fresh memory registry, the one the recorder and the dashboard use for this test."""
    from channels_admin.registry import set_registry
    from channels_admin.registry.memory import MemoryRegistry

    registry = MemoryRegistry()
    set_registry(registry)
    yield registry
    set_registry(None)


@pytest.fixture
def screenshots(tmp_path):
    """``save(page, name)``: a PNG of the page, in ``CHANNELS_ADMIN_SCREENSHOTS`` when set
    (how docs/screenshots are made), else in the test's temporary directory."""
    directory = Path(os.environ.get("CHANNELS_ADMIN_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)

    def save(page, name, full_page=True):
        page.screenshot(path=str(directory / f"{name}.png"), full_page=full_page)

    return save


@pytest.fixture(autouse=True)
def forget_worker_thread_connections():
    """Consumers run sync code in asgiref's one shared worker thread, which outlives the test.
    A database connection a test opened there (an in-memory SQLite one is never closed) would
    make the next test's ``close_old_connections()`` trip pytest-django's database guard, so
    each test leaves that thread without connections."""
    yield
    SyncToAsync.single_thread_executor.submit(_forget_connections).result()


def _forget_connections():
    for connection in connections.all(initialized_only=True):
        del connections[connection.alias]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready, what, process=None, timeout=STARTUP_TIMEOUT):
    """Poll ``ready()`` until true; fail naming ``what`` if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{output}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout}s")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_url():
    """A real redis-server on a free port, for the whole session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_until(answers, "redis-server", process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@pytest.fixture
def redis_client(redis_url):
    """A client of the session's redis-server, flushed before each test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


class DemoServer:
    """The example project served by a real daphne (or other ASGI server) process."""

    def __init__(self, workdir, env, server="daphne"):
        self.workdir = workdir
        self.env = env
        self.server = server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.username = "staff"
        self.password = "staff-password-for-tests"
        self.process = None

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE_PROJECT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self):
        self.manage("migrate", "--noinput")
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            f"User.objects.create_superuser({self.username!r}, 'staff@example.com', "
            f"{self.password!r})",
        )
        self.process = start_server(self.server, "demo.asgi:application", self.port, self.env)

    def stop(self):
        if self.process is not None:
            stop(self.process)


def demo_environment(database, secret_key):
    """The environment of a process serving the demo, with its own SQLite file."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="demo.settings",
        DEMO_DATABASE=str(database),
        DJANGO_SECRET_KEY=secret_key,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE_PROJECT)]),
    )


#: How each ASGI server the tests run is started: its arguments for an application and port.
SERVER_ARGS = {
    "daphne": lambda app, port: ["daphne", "-b", "127.0.0.1", "-p", str(port), app],
    # Channels' routers have no lifespan application; an access log could fill the pipe.
    "uvicorn": lambda app, port: [
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--no-access-log",
        app,
    ],
    "hypercorn": lambda app, port: ["hypercorn", "--bind", f"127.0.0.1:{port}", app],
}


def start_daphne(application, port, env):
    """A daphne process serving ``application`` on 127.0.0.1:``port``, accepting connections."""
    return start_server("daphne", application, port, env)


def start_server(server, application, port, env):
    """A ``server`` process (see SERVER_ARGS) serving ``application`` on 127.0.0.1:``port``,
    accepting connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", *SERVER_ARGS[server](application, port)],
        cwd=EXAMPLE_PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: port_open(port), server, process)
    except BaseException:
        stop(process)
        raise
    return process


@pytest.fixture
def demo_server(tmp_path):
    """The demo on daphne, with its own SQLite file and a superuser ``staff``."""
    env = demo_environment(tmp_path / "demo.sqlite3", "demo-server-tests")
    server = DemoServer(tmp_path, env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def axe():
    """``check(page, what)``: run axe-core (installed from npm by ``make test``) on the page and
    fail on any serious or critical violation, naming the rule and the elements."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm)")
    source = AXE.read_text()

    def check(page, what, context=None, rules=None):
        """``context``: what to check (axe's selectors, shadow DOM included), else the page;
        ``rules``: only these rule ids, else all."""
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=source)
        options = {"resultTypes": ["violations"]}
        if rules:
            options["runOnly"] = {"type": "rule", "values": list(rules)}
        results = page.evaluate(
            "([context, options]) => axe.run(context || document, options)", [context, options]
        )
        found = [
            "%s (%s): %s" % (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
            for v in results["violations"]
            if v["impact"] in AXE_IMPACTS
        ]
        assert not found, "%s: axe-core found %s" % (what, "; ".join(found))

    return check
