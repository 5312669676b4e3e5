"""Recorder overhead: WebSocket echo through real daphne, without and with the recorder.

Two daphne processes serve the same echo tree (benchmarks/recorder_app.py), one wrapped in
RoutingRecorderMiddleware; the `websockets` client measures both in alternating rounds of
one run and keeps each side's median. Then tracemalloc measures the memory the recorder adds
per live connection, in-process, with the headers a real client sends.

    python benchmarks/recorder.py [--rounds 5]
"""

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT), str(ROOT / "example_project")]

CONNECTIONS = 20  # concurrent clients in the messages/s test
MESSAGES = 300  # round trips per client per round
OPENS = 300  # connections opened and closed per round
OPEN_CONCURRENCY = 10
LIVE = 2000  # live connections for the memory measurement
PAYLOAD = "x" * 64


def start_daphne(app):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="demo.settings",
        DJANGO_SECRET_KEY="benchmark",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT), str(ROOT / "example_project")]),
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            f"recorder_app:{app}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"daphne serving {app} did not start")


async def messages_per_second(port):
    from websockets.asyncio.client import connect

    async def client(number):
        async with connect(f"ws://127.0.0.1:{port}/echo/r{number}/") as websocket:
            for _ in range(MESSAGES):
                await websocket.send(PAYLOAD)
                await websocket.recv()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(CONNECTIONS)))
    return CONNECTIONS * MESSAGES / (time.perf_counter() - started)


async def connections_per_second(port):
    from websockets.asyncio.client import connect

    async def opener(number):
        for _ in range(OPENS // OPEN_CONCURRENCY):
            async with connect(f"ws://127.0.0.1:{port}/echo/r{number}/") as websocket:
                await websocket.send(PAYLOAD)
                await websocket.recv()

    started = time.perf_counter()
    await asyncio.gather(*(opener(n) for n in range(OPEN_CONCURRENCY)))
    return OPENS / (time.perf_counter() - started)


async def throughput(rounds):
    servers = {app: start_daphne(app) for app in ("plain", "recorded")}
    results = {app: {"messages": [], "connections": []} for app in servers}
    try:
        for _, port in servers.values():  # warm both up
            await messages_per_second(port)
        for _ in range(rounds):
            for app, (_, port) in servers.items():
                results[app]["messages"].append(await messages_per_second(port))
                results[app]["connections"].append(await connections_per_second(port))
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait()
    return {
        app: {kind: statistics.median(values) for kind, values in measured.items()}
        for app, measured in results.items()
    }


async def memory_per_connection():
    """Bytes the recorder adds per live connection (record, trace, wrappers, attribution)."""
    import recorder_app
    from channels.testing import WebsocketCommunicator

    from channels_admin.registry import get_registry

    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-extensions", b"permessage-deflate; client_max_window_bits"),
        (b"user-agent", b"Python/3.11 websockets/17.4"),
    ]

    async def live_bytes(app):
        warm = WebsocketCommunicator(app, "/echo/warm/", headers=headers)
        await warm.connect()
        await warm.disconnect()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        communicators = []
        for number in range(LIVE):
            communicator = WebsocketCommunicator(app, f"/echo/r{number}/", headers=headers)
            communicator.scope["client"] = ["127.0.0.1", 40000 + number % 20000]
            await communicator.connect()
            communicators.append(communicator)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        for communicator in communicators:
            await communicator.disconnect()
        return used / LIVE

    plain = await live_bytes(recorder_app.plain)
    recorded = await live_bytes(recorder_app.recorded)
    await get_registry().clear()
    return plain, recorded


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    measured = asyncio.run(throughput(rounds))
    plain, recorded = measured["plain"], measured["recorded"]
    print(f"WebSocket echo through daphne, {rounds} alternating rounds, medians")
    for kind, unit, floor in (
        ("messages", "messages/s", 95),
        ("connections", "connections/s", 90),
    ):
        ratio = 100 * recorded[kind] / plain[kind]
        verdict = "ok" if ratio >= floor else f"BELOW {floor}%"
        print(
            f"  {unit:<14} without {plain[kind]:9.0f}   with {recorded[kind]:9.0f}"
            f"   {ratio:5.1f}%  ({verdict})"
        )
    without, with_recorder = asyncio.run(memory_per_connection())
    added = with_recorder - without
    verdict = "ok" if added <= 2048 else "ABOVE 2 KiB"
    print(
        f"Memory per live connection ({LIVE} live, tracemalloc): without {without:.0f} B, "
        f"with {with_recorder:.0f} B, recorder adds {added:.0f} B ({verdict})"
    )


if __name__ == "__main__":
    main()
