"""Activity and Prometheus totals with the Redis registry: what a server's heartbeat adds to
publish them, and what ``activity()`` and ``metrics()`` cost to read as the cluster grows.

Starts its own redis-server on a free port and stops it. A server has 20 consumers with
activity in every bucket of a full window (default settings: 360 buckets of 10 s) and 10,000
live records; the heartbeat's publish is timed in steady state (the buckets since the last
beat) and after Redis lost everything (the whole window), then the reads over 8 and 100 such
servers.

    python benchmarks/redis_activity.py [--runs 20]
"""

import argparse
import asyncio
import statistics
import time

from cluster import setup_django, start_redis

CONSUMERS = 20
LIVE = 10_000
CLUSTERS = (8, 30, 100)


def filled_activity(bucket, window, now):
    """An Activity whose every bucket of the window saw every consumer do something."""
    from channels_admin.recorder.activity import Activity

    activity = Activity(bucket, window, now=now - window)
    tallies = [activity.tally("chat.consumers.Consumer%d" % n) for n in range(CONSUMERS)]
    for t in range(int(now - window), int(now), bucket):
        for tally in tallies:
            tally.connects += 2
            tally.disconnects += 1
            tally.messages_in += 10
            tally.bytes_in += 400
        activity.roll(t + bucket)
    return activity


def live_records():
    from channels_admin.conf import app_settings
    from channels_admin.recorder.records import Record

    scope = {"type": "websocket", "path": "/ws/", "headers": [], "query_string": b""}
    records = []
    for n in range(LIVE):
        record = Record(scope, app_settings())
        record.consumer = "chat.consumers.Consumer%d" % (n % CONSUMERS)
        records.append(record)
    return records


async def publish(url, server, records, runs, lost):
    """Milliseconds (CPU of building the commands, wall of the round trip) per publish."""
    from channels_admin.registry.redis_activity import Publisher
    from channels_admin.registry.redis_store import Keys, connect

    client = connect(url, 5)
    publisher = Publisher(Keys("bench"), server, 3600)
    cpu, wall, sizes = [], [], []
    for _ in range(runs):
        if lost:
            publisher.lost()
        pipe = client.pipeline(transaction=False)
        started, started_cpu = time.perf_counter(), time.process_time()
        publisher.publish(pipe, records, time.time())
        cpu.append((time.process_time() - started_cpu) * 1000)
        sizes.append(sum(len(str(arg)) for command in pipe.command_stack for arg in command[0]))
        await pipe.execute()
        wall.append((time.perf_counter() - started) * 1000)
    await client.aclose()
    return statistics.median(cpu), statistics.median(wall), statistics.median(sizes)


async def read(registry, runs, servers):
    results = {}
    reads = {
        "activity()": registry.activity,
        "activity(consumer=), 1 of 20": lambda: registry.activity(consumer="Consumer7"),
        "activity(consumer=), 11 of 20": lambda: registry.activity(consumer="Consumer1"),
        "activity(consumer=), 20 of 20": lambda: registry.activity(consumer="consumers."),
        "metrics()": registry.metrics,
    }
    for name, call in reads.items():
        if servers > 30 and name.endswith("11 of 20"):
            continue  # longer than the read timeout: see README
        cpu, wall = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            await call()
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        results[name] = (statistics.median(cpu), statistics.median(wall))
    return results


async def run(url, runs):
    from channels_admin.conf import app_settings
    from channels_admin.recorder import activity as module
    from channels_admin.registry.redis import RedisRegistry
    from channels_admin.registry.redis_store import connect, dumps

    settings = app_settings()
    bucket, window = settings["ACTIVITY_BUCKET"], settings["ACTIVITY_WINDOW"]
    module._activity = filled_activity(bucket, window, time.time())
    records = live_records()
    print(f"one server: {CONSUMERS} consumers, {window // bucket} buckets, {LIVE:,} live")
    for label, lost in (("steady beat", False), ("after Redis lost it", True)):
        cpu, wall, size = await publish(url, "s0", records, runs, lost)
        print(f"  publish, {label}: CPU {cpu:.2f} ms, wall {wall:.2f} ms, {size / 1024:.1f} KiB")
    registry = RedisRegistry(url=url, prefix="bench")
    entry = {"host": "bench", "pid": 0, "software": None, "started": time.time()}
    for servers in CLUSTERS:
        for n in range(servers):  # every server publishes the same figures
            await publish(url, "s%d" % n, records, 1, True)
        client = connect(url, 5)
        now = time.time()
        await client.hset(
            "bench:servers",
            mapping={
                "s%d" % n: dumps({**entry, "id": "s%d" % n, "last_seen": now, "heartbeat": 60})
                for n in range(servers)
            },
        )
        await client.aclose()
        for name, (cpu, wall) in (await read(registry, runs, servers)).items():
            print(f"  {servers} servers, {name}: CPU {cpu:.1f} ms, wall {wall:.1f} ms (p50)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    redis, url = start_redis()
    try:
        setup_django(url)
        asyncio.run(run(url, args.runs))
    finally:
        redis.kill()
        redis.wait()


if __name__ == "__main__":
    main()
