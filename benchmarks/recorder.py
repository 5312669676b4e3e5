"""Recorder overhead: WebSocket echo through real daphne, without and with the recorder.

Two daphne processes serve the same echo tree (benchmarks/recorder_app.py), one wrapped in
RoutingRecorderMiddleware; the `websockets` client measures both in alternating rounds of
one run and keeps each side's best round (as timeit does: on a shared machine, noise only
ever slows a round down). The recorder's own CPU per echoed message is then timed
in-process, away from the network and the machine's load. Last, tracemalloc measures the
memory the recorder adds per live connection, with the headers a real client sends: each
side in a fresh Python process, so neither finds tables the other grew (asyncio's set of
tasks, for one). Each figure is taken twice for the recorder: with its default work
(routing decision, counters, activity buckets) and with each connection's frames log on
(``RECORD_EVENTS``); memory also with every connection's log full (MAX_EVENTS frames of a
preview's full length).

    python benchmarks/recorder.py [--rounds 7]
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
PAIRS = 31  # back-to-back runs without and with the recorder, in-process
ECHOES = 10_000  # receive + send pairs per in-process run
CYCLES = 100  # open, echo, close cycles per in-process run
CLIENT_HEADERS = [  # what the `websockets` client sends
    (b"host", b"127.0.0.1:8000"),
    (b"upgrade", b"websocket"),
    (b"connection", b"Upgrade"),
    (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"sec-websocket-version", b"13"),
    (b"sec-websocket-extensions", b"permessage-deflate; client_max_window_bits"),
    (b"user-agent", b"Python/3.11 websockets/17.4"),
]


def start_daphne(app, settings="demo.settings", events=False, **environ):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_SECRET_KEY="benchmark",
        **environ,
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT), str(ROOT / "example_project")]),
        RECORDER_EVENTS="1" if events else "0",
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


def kept_per_round(plain, recorded, kind):
    """The median over rounds of the capacity kept in each (the plain server's CPU over the
    recorded one's, the two measured one after the other): slow phases of the machine hit
    both sides of a round, where they move a sum over rounds."""
    rounds = zip(plain[f"cpu_{kind}_rounds"], recorded[f"cpu_{kind}_rounds"], strict=True)
    return 100 * statistics.median(without / with_ for without, with_ in rounds)


def cpu_seconds(process):
    """User + system CPU time the server process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(rounds, settings="demo.settings", **environ):
    servers = {
        "plain": start_daphne("plain", settings, **environ),
        "recorded": start_daphne("recorded", settings, **environ),
        "events": start_daphne("recorded", settings, events=True, **environ),
    }
    results = {
        app: {
            "messages": [],
            "connections": [],
            "cpu_messages": 0.0,
            "cpu_connections": 0.0,
            "cpu_messages_rounds": [],
            "cpu_connections_rounds": [],
        }
        for app in servers
    }
    try:
        for _, port in servers.values():  # warm both up
            await messages_per_second(port)
        for number in range(rounds):
            order = list(servers.items())
            if number % 2:  # who goes first swaps every round: no side gets a steadier slot
                order.reverse()
            for app, (process, port) in order:
                measured = results[app]
                for kind, measure in (
                    ("messages", messages_per_second),
                    ("connections", connections_per_second),
                ):
                    cpu = cpu_seconds(process)
                    measured[kind].append(await measure(port))
                    used = cpu_seconds(process) - cpu
                    measured[f"cpu_{kind}"] += used
                    measured[f"cpu_{kind}_rounds"].append(used)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait()
    return results


async def memory_per_connection(app_name, frames=0):
    """Bytes per live connection of one app of recorder_app: LIVE connections kept open,
    each having echoed ``frames`` frames as long as a preview."""
    import recorder_app
    from channels.testing import WebsocketCommunicator

    from channels_admin.conf import app_settings

    app = getattr(recorder_app, app_name)
    length = app_settings()["EVENT_PREVIEW"]
    warm = WebsocketCommunicator(app, "/echo/warm/", headers=CLIENT_HEADERS)
    await warm.connect()
    await warm.disconnect()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    communicators = []
    for number in range(LIVE):
        communicator = WebsocketCommunicator(app, f"/echo/r{number}/", headers=CLIENT_HEADERS)
        communicator.scope["client"] = ["127.0.0.1", 40000 + number % 20000]
        await communicator.connect()
        for sent in range(frames):  # each frame a new string, as from a network
            await communicator.send_to(text_data=str(sent).ljust(length, "y"))
            await communicator.receive_from(timeout=30)  # tracemalloc slows everything
        communicators.append(communicator)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    for communicator in communicators:
        await communicator.disconnect()
    return used / LIVE


async def paired_cost(without, with_recorder, pairs=PAIRS):
    """Median CPU difference of back-to-back runs of two coroutine functions: pairs close
    in time see the same load on the machine, and the median drops the pairs it disturbed."""
    differences = []
    for _ in range(pairs):
        started = time.process_time()
        await without()
        middle = time.process_time()
        await with_recorder()
        differences.append((time.process_time() - middle) - (middle - started))
    return statistics.median(differences)


async def cost_per_echo(events=False):
    """CPU the recorder's receive/send wrappers add to one echoed message, in-process."""
    import recorder_app

    from channels_admin.conf import app_settings
    from channels_admin.recorder.recording import Recording
    from channels_admin.registry.memory import MemoryRegistry

    incoming = {"type": "websocket.receive", "text": PAYLOAD}
    outgoing = {"type": "websocket.send", "text": PAYLOAD}

    async def receive():
        return incoming

    async def send(message):
        pass

    scope = {"type": "websocket", "path": "/echo/r0/", "headers": [], "query_string": b""}
    settings = {**app_settings(), "RECORD_EVENTS": events}
    recording = Recording(recorder_app.plain, scope, receive, send, MemoryRegistry(), settings)
    recording.routed = True  # as after the connection's first message

    def echoes(receive, send):
        async def run():
            for _ in range(ECHOES):
                await receive()
                await send(outgoing)

        return run

    bare, wrapped = echoes(receive, send), echoes(recording.receive, recording.send)
    return 1e9 * await paired_cost(bare, wrapped) / ECHOES


async def cost_per_connection(then=None):
    """CPU the recorder adds to one connection (open, echo, close), in-process; ``await
    then()`` ends each recorded run (work the recorder leaves for later, done in it)."""
    import recorder_app
    from channels.testing import WebsocketCommunicator

    def cycles(app, then=None):
        async def run():
            for number in range(CYCLES):
                path = f"/echo/r{number}/"
                communicator = WebsocketCommunicator(app, path, headers=CLIENT_HEADERS)
                await communicator.connect()
                await communicator.send_to(text_data=PAYLOAD)
                await communicator.receive_from()
                await communicator.disconnect()
            if then is not None:
                await then()

        return run

    plain, recorded = cycles(recorder_app.plain), cycles(recorder_app.recorded, then)
    return 1e6 * await paired_cost(plain, recorded) / CYCLES


def memory_in_fresh_process(app_name, events=False, frames=0, env=None):
    command = [sys.executable, __file__, "--memory-of", app_name, "--frames", str(frames)]
    env = dict(env or os.environ, RECORDER_EVENTS="1" if events else "0")
    run = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return float(run.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--memory-of", choices=["plain", "recorded"], help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.memory_of:
        print(asyncio.run(memory_per_connection(arguments.memory_of, arguments.frames)))
        return
    rounds = arguments.rounds
    measured = asyncio.run(throughput(rounds))
    plain = measured["plain"]
    print(f"WebSocket echo through daphne, {rounds} alternating rounds")
    print("  wall clock, best round (median), sensitive to other load on the machine:")
    for kind, unit in (("messages", "messages/s"), ("connections", "connections/s")):
        best_plain = max(plain[kind])
        print(f"    {unit:<14} without {best_plain:7.0f} ({statistics.median(plain[kind]):5.0f})")
        for side in ("recorded", "events"):
            best, median = max(measured[side][kind]), statistics.median(measured[side][kind])
            print(
                f"    {'':<14} {side:<8}{best:7.0f} ({median:5.0f})"
                f"   {100 * best / best_plain:5.1f}%"
            )
    print("  server CPU per operation, summed over all rounds (capacity of a CPU-bound server):")
    counts = {"messages": CONNECTIONS * MESSAGES * rounds, "connections": OPENS * rounds}
    for kind, unit, floor in (("messages", "message", 95), ("connections", "connection", 90)):
        cost_plain = 1e6 * plain[f"cpu_{kind}"] / counts[kind]
        print(f"    per {unit:<11} without {cost_plain:7.1f} us")
        for side in ("recorded", "events"):
            cost = 1e6 * measured[side][f"cpu_{kind}"] / counts[kind]
            ratio = 100 * cost_plain / cost
            target = f"target {floor}%" if side == "recorded" else "no target"
            verdict = "ok" if ratio >= floor or side == "events" else f"BELOW {floor}%"
            per_round = kept_per_round(plain, measured[side], kind)
            print(
                f"    {'':<15} {side:<8}{cost:7.1f} us   capacity kept {ratio:5.1f}%"
                f"  ({verdict}, {target}; median of rounds {per_round:5.1f}%)"
            )
    print("  the recorder's own CPU, in-process (median of back-to-back pairs):")
    print(f"    per message     {asyncio.run(cost_per_echo()):5.0f} ns (receive + send)")
    print(f"    per message     {asyncio.run(cost_per_echo(True)):5.0f} ns, frames log on")
    print(f"    per connection  {asyncio.run(cost_per_connection()):5.1f} us (open, echo, close)")
    without = memory_in_fresh_process("plain")
    with_recorder = memory_in_fresh_process("recorded")
    added = with_recorder - without
    verdict = "ok" if added <= 2048 else "ABOVE 2 KiB"
    print(
        f"Memory per live connection ({LIVE} live, tracemalloc): without {without:.0f} B, "
        f"with {with_recorder:.0f} B, recorder adds {added:.0f} B ({verdict})"
    )
    from channels_admin.conf import DEFAULTS

    for frames, what in ((0, "empty"), (DEFAULTS["MAX_EVENTS"], "full")):
        baseline = memory_in_fresh_process("plain", frames=frames) if frames else without
        logged = memory_in_fresh_process("recorded", events=True, frames=frames)
        print(
            f"  frames log on, {what} ({frames} frames of {DEFAULTS['EVENT_PREVIEW']} characters"
            f" echoed): without {baseline:.0f} B, with {logged:.0f} B,"
            f" recorder adds {logged - baseline:.0f} B"
        )


if __name__ == "__main__":
    main()
