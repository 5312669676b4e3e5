"""The Redis registry: recorder overhead through daphne, four workers x 1,000 live sockets, and
the read path at 20,000 and 100,000 live connections across 8 servers.

Starts its own redis-server (and daphne workers) on free ports and stops them.

1. ``overhead``: benchmarks/recorder.py's alternating rounds (a plain and a recorded echo
   through real daphne), with the Redis registry configured; then the memory per live
   connection with the Redis registry, in a fresh process, as recorder.py measures it.
2. ``workers``: four daphne workers of the recorded echo (RedisRegistry), 1,000 live
   WebSocket connections each; the dashboard's pages are timed in this process (Django's test
   Client, logged-in superuser, DEBUG off), reading the cluster from Redis.
3. ``reads``: 20,000 then 100,000 synthetic live records (copies of a real one, trace
   included) across 8 servers written straight into Redis; the same pages timed.

    python benchmarks/cluster.py [--part overhead|workers|reads] [--runs 20] [--rounds 5]
"""

import argparse
import asyncio
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT), str(ROOT / "example_project")]

WORKERS = 4
PER_WORKER = 1_000
SERVERS = 8
SIZES = (20_000, 100_000)
TARGET_MS = 200
PAGES = [
    ("overview", ""),
    ("connections", "connections/"),
    ("connections, path filter", "connections/?path=room7/"),
    ("connections, by messages in", "connections/?order=-messages_in"),
    ("servers", "servers/"),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis():
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


_client = None


def setup_django(url):
    """Django set up against the registry at ``url``, and a logged-in superuser's client."""
    global _client
    if _client is not None:
        return _client
    os.environ["BENCH_REDIS_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluster_settings"
    os.environ["DEMO_DATABASE"] = ":memory:"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS += ["testserver"]
    call_command("migrate", verbosity=0)
    client = Client()
    client.force_login(User.objects.create_superuser("bench", "bench@example.com", "bench"))
    _client = client
    return client


def percentiles(client, url, runs):
    """Milliseconds of ``runs`` GETs after one warm-up: ``(p50, p95)`` of the wall clock and
    of this process's CPU time (the Redis server's own time is not in the latter); the status
    instead when the page does not answer 200."""
    status = client.get(url).status_code
    if status != 200:
        return status
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return [(statistics.median(t), statistics.quantiles(t, n=20)[18]) for t in (wall, cpu)]


def time_pages(client, runs, extra=()):
    print(f"Load average: {os.getloadavg()[0]:.1f}. Milliseconds, p50 / p95 of {runs}.\n")
    print("| page | HTML wall | HTML CPU | JSON wall | JSON CPU |")
    print("| --- | ---: | ---: | ---: | ---: |")
    slowest = 0.0
    for name, url in [*PAGES, *extra]:
        url = "/admin/channels-routing/" + url
        html = percentiles(client, url, runs)
        data = percentiles(client, url + ("&" if "?" in url else "?") + "format=json", runs)
        if isinstance(html, int) or isinstance(data, int):
            print(f"| {name} | status {html} | | status {data} | |")
            slowest = float("inf")
            continue
        slowest = max(slowest, html[0][1], data[0][1])
        cells = " | ".join("%.1f / %.1f" % pair for pair in (*html, *data))
        print(f"| {name} | {cells} |")
    verdict = "under" if slowest < TARGET_MS else "OVER"
    print(f"Slowest wall-clock p95: {slowest:.1f} ms ({verdict} the {TARGET_MS} ms target).\n")


def overhead(url, rounds):
    import recorder

    measured = asyncio.run(recorder.throughput(rounds, "cluster_settings", BENCH_REDIS_URL=url))
    plain, recorded = measured["plain"], measured["recorded"]
    print(f"Echo through daphne, RedisRegistry, {rounds} alternating rounds")
    for kind, unit in (("messages", "messages/s"), ("connections", "connections/s")):
        best_plain, best_recorded = max(plain[kind]), max(recorded[kind])
        print(
            f"  {unit:<14} without {best_plain:7.0f}   with {best_recorded:7.0f}"
            f"   {100 * best_recorded / best_plain:5.1f}% (best rounds)"
        )
    counts = {
        "messages": recorder.CONNECTIONS * recorder.MESSAGES * rounds,
        "connections": recorder.OPENS * rounds,
    }
    for kind, floor in (("messages", 95), ("connections", 90)):
        cost_plain = 1e6 * plain[f"cpu_{kind}"] / counts[kind]
        cost_recorded = 1e6 * recorded[f"cpu_{kind}"] / counts[kind]
        print(
            f"  server CPU per {kind[:-1]:<10} without {cost_plain:7.1f} us   with "
            f"{cost_recorded:7.1f} us   capacity kept {100 * cost_plain / cost_recorded:5.1f}%"
            f" (target {floor}%), median of rounds "
            f"{recorder.kept_per_round(plain, recorded, kind):5.1f}%"
        )
    setup_django(url)
    own = asyncio.run(own_cost_per_connection(recorder))
    print(
        f"  the recorder's own CPU per connection, in-process, the writer's batch included: "
        f"{own:.1f} us, {100 * own / cost_plain:.1f}% of daphne's without it: capacity kept "
        f"{100 * cost_plain / (cost_plain + own):.1f}%"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cluster_settings", BENCH_REDIS_URL=url)
    without = recorder.memory_in_fresh_process("plain", env=env)
    with_recorder = recorder.memory_in_fresh_process("recorded", env=env)
    print(
        f"Memory per live connection ({recorder.LIVE} live, RedisRegistry): without "
        f"{without:.0f} B, with {with_recorder:.0f} B, recorder adds "
        f"{with_recorder - without:.0f} B (target <= 2048 B)\n"
    )


async def own_cost_per_connection(recorder):
    """recorder.py's in-process figure with RedisRegistry, each recorded run ending with the
    writer's batch sent (the writer works on the server's loop: its CPU is the worker's)."""
    from channels_admin.registry import get_registry

    registry = get_registry()

    async def flush():
        writer = registry.current_writer()
        while writer.client is None:  # its task connects on its first turn
            await asyncio.sleep(0.01)
        await writer.flush()

    cost = await recorder.cost_per_connection(flush)
    await registry.stop()
    return cost


async def hold_connections(ports, per_worker):
    """Open ``per_worker`` echo sockets on each port; return them (still open)."""
    from websockets.asyncio.client import connect

    sockets = []
    for port in ports:
        for start in range(0, per_worker, 100):
            batch = [
                connect(f"ws://127.0.0.1:{port}/echo/r{start + n}/", open_timeout=60)
                for n in range(100)
            ]
            sockets.extend(await asyncio.gather(*batch))
    return sockets


async def close_all(sockets):
    await asyncio.gather(*(socket.close() for socket in sockets))


def workers(url, runs):
    import recorder

    client = setup_django(url)
    from channels_admin.registry import get_registry

    started = [recorder.start_daphne("recorded", "cluster_settings", BENCH_REDIS_URL=url)]
    started += [
        recorder.start_daphne("recorded", "cluster_settings", BENCH_REDIS_URL=url)
        for _ in range(WORKERS - 1)
    ]
    loop = asyncio.new_event_loop()
    try:
        opened = time.perf_counter()
        sockets = loop.run_until_complete(
            hold_connections([port for _, port in started], PER_WORKER)
        )
        registry = get_registry()
        deadline = time.monotonic() + 120
        while loop.run_until_complete(registry.summary())["live"] < WORKERS * PER_WORKER:
            assert time.monotonic() < deadline, "the connections did not all show"
            time.sleep(0.2)
        print(
            f"{WORKERS} daphne workers x {PER_WORKER} live sockets, all on the dashboard "
            f"{time.perf_counter() - opened:.1f} s after the first opened.\n"
        )
        one = loop.run_until_complete(registry.connections(limit=1))["connections"][0]["id"]
        time_pages(client, runs, [("connection detail", f"connections/{one}/")])
        loop.run_until_complete(close_all(sockets))
    finally:
        loop.close()
        for process, _ in started:
            process.terminate()
            process.wait()


async def fill(url, size):
    """``size`` live records across SERVERS servers, copies of one real record."""
    import dashboard
    import redis.asyncio

    from channels_admin.conf import app_settings
    from channels_admin.recorder.records import Record
    from channels_admin.registry import set_registry
    from channels_admin.registry.redis_store import (
        ENTRY_FIELDS,
        RANKED_FIELDS,
        SUBSETS,
        Keys,
        dumps,
        entry_fields,
        index_entry,
    )
    from channels_admin.routing import get_default_application

    keys = Keys(app_settings()["REDIS_PREFIX"])
    trace = await dashboard.dispatch_trace(get_default_application())
    set_registry(None)  # dispatch_trace() recorded into a memory registry of its own
    scope = {
        "type": "websocket",
        "path": "/ws/chat/room0/",
        "query_string": b"",
        "headers": dashboard.HEADERS,
        "client": ("127.0.0.1", 40000),
    }
    record = Record(scope, app_settings())
    record.state, record.outcome, record.trace = "accepted", "hit", trace
    record.consumer = "chat.consumers.ChatConsumer"
    record.channel_layer = "default"
    now = time.time()
    full, entry = record.as_dict(), entry_fields(index_entry(record, ""))
    entry["last_activity"] = round(now, 3)
    client = redis.asyncio.Redis.from_url(url)
    await client.flushall()
    servers = [f"bench-host:{1000 + n}:000000" for n in range(SERVERS)]
    for server in servers:
        heartbeat = {"id": server, "host": "bench-host", "pid": 0, "software": "daphne"}
        heartbeat.update(started=now, last_seen=now, heartbeat=3600, live=size // SERVERS)
        await client.hset(keys.servers, server, dumps(heartbeat))
        counts = {
            "live": size // SERVERS,
            "by_type": {record.type: size // SERVERS},
            "by_consumer": {record.consumer: size // SERVERS},
            "by_state": {record.state: size // SERVERS},
        }
        await client.set(keys.counts(server), dumps(counts))  # as its writer would
        await client.sadd(keys.consumers(server), record.consumer)
    pipe = client.pipeline(transaction=False)
    for number in range(size):
        server, room = servers[number % SERVERS], f"room{number % 1000}"
        fields = {
            "id": "%016x" % number,
            "server": server,
            "path": f"/ws/chat/{room}/",
            "started": round(now - number * 0.01, 3),
            "messages_in": number % 97,
            "channel_name": f"specific.{number}",
            "groups": [f"chat_{room}"],
        }
        indexed = {**entry, **fields}
        pipe.hset(keys.index(server), fields["id"], dumps([indexed[n] for n in ENTRY_FIELDS]))
        pipe.hset(keys.records(server), fields["id"], dumps({**full, **fields}))
        for field in RANKED_FIELDS:
            pipe.zadd(keys.ranked(server, field), {fields["id"]: indexed[field]})
        for key in keys.of_consumer(server, record.consumer, (record.type,)):
            pipe.zadd(key, {fields["id"]: fields["started"]})
        for subset in ((), *SUBSETS):
            if all(getattr(record, field) == value for field, value in subset):
                pipe.zadd(keys.started(server, subset), {fields["id"]: fields["started"]})
        if len(pipe) >= 2000:
            await pipe.execute()
    await pipe.execute()
    used = (await client.info("memory"))["used_memory"]
    await client.aclose()
    return used


def reads(url, runs):
    client = setup_django(url)
    for size in SIZES:
        used = asyncio.run(fill(url, size))
        print(
            f"{size} live connections across {SERVERS} servers "
            f"(Redis uses {used / 2**20:.0f} MiB, {used / size / 1024:.1f} KiB per record)\n"
        )
        shown = runs if size <= SIZES[0] else max(5, runs // 4)  # pages of seconds: fewer
        time_pages(
            client,
            shown,
            [
                ("connections, oldest first", "connections/?order=started"),
                ("connections, one server", "connections/?server=bench-host:1000:000000"),
                ("connections, state filter", "connections/?state=accepted"),
                ("connections, group filter", "connections/?group=chat_room7"),
                ("connections, consumer filter", "connections/?consumer=Chat"),
                ("connections, by path (scans)", "connections/?order=path"),
                ("connection detail", "connections/%016x/" % (size - 1)),
            ],
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["overhead", "workers", "reads"], action="append")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # thousands of sockets
    redis_server, url = start_redis()
    try:
        parts = arguments.part or ["overhead", "workers", "reads"]
        if "overhead" in parts:
            overhead(url, arguments.rounds)
        if "workers" in parts:
            workers(url, arguments.runs)
        if "reads" in parts:
            reads(url, arguments.runs)
    finally:
        redis_server.terminate()
        redis_server.wait()


if __name__ == "__main__":
    main()
