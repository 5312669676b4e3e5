"""Serve the demo as a cluster: Redis and three daphne workers behind one dashboard.

``make demo-cluster`` runs this with the virtualenv's Python. redis-server runs in a temporary
directory on ``DEMO_REDIS_PORT`` (else a free port); the workers serve on ``DEMO_PORT`` and
the next two ports with the channels_redis layer and the Redis registry (example_project's
``demo/settings.py`` switches to them when ``DEMO_REDIS_URL`` is set). Ctrl-C stops them all;
so does one of them exiting. Arguments are passed to ``manage.py demo_user``.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE_PROJECT = Path(__file__).resolve().parent.parent / "example_project"
WORKERS = 3
STARTUP_TIMEOUT = 30.0


def main(demo_user_args):
    address = os.environ.get("DEMO_ADDRESS", "127.0.0.1")
    ports = [int(os.environ.get("DEMO_PORT", "8000")) + offset for offset in range(WORKERS)]
    redis_port = int(os.environ.get("DEMO_REDIS_PORT") or free_port())
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in background
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    processes = []
    with tempfile.TemporaryDirectory(prefix="channels-admin-cluster-") as workdir:
        try:
            processes.append(start_redis(redis_server, redis_port, workdir))
            env = dict(
                os.environ,
                DEMO_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                DEMO_WORKERS=" ".join(map(str, ports)),
            )
            env.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "demo_user", *demo_user_args)
            for port in ports:
                processes.append(start_daphne(address, port, env))
            print(
                f"Redis on 127.0.0.1:{redis_port}; workers on "
                + ", ".join(f"{address}:{port}" for port in ports)
                + ". Ctrl-C stops them all.",
                flush=True,
            )
            exited = wait_for_an_exit(processes)
            sys.exit(f"{exited.args[0]} exited with {exited.returncode}; stopping the cluster")
        except KeyboardInterrupt:
            pass
        finally:
            for process in reversed(processes):
                stop(process)


def start_redis(binary, port, workdir):
    """Start a redis-server without persistence in ``workdir`` and wait until it answers."""
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port("127.0.0.1", port, process)
    return process


def start_daphne(address, port, env):
    """Start one daphne worker of the demo and wait until it accepts connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", address, "-p", str(port), "demo.asgi:application"],
        cwd=EXAMPLE_PROJECT,
        env=env,
    )
    wait_for_port(address, port, process)
    return process


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=EXAMPLE_PROJECT, env=env, check=True)


def wait_for_port(address, port, process):
    """Poll until ``address:port`` accepts connections; exit if ``process`` dies first."""
    host = "127.0.0.1" if address in ("0.0.0.0", "") else "::1" if address == "::" else address
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args[0]} exited with {process.returncode} while starting")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{process.args[0]} did not listen on {host}:{port} within {STARTUP_TIMEOUT}s")


def wait_for_an_exit(processes):
    """Return the first of ``processes`` to exit."""
    while True:
        for process in processes:
            if process.poll() is not None:
                return process
        time.sleep(0.2)


def stop(process):
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main(sys.argv[1:])
