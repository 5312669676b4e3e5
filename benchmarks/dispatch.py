"""Dispatch cost: channels_admin's URLRouter beside channels.routing.URLRouter.

Run from the repository root::

    python benchmarks/dispatch.py [--quick]

Both routers get the same route tables (built afresh for each, since Channels' router rewrites
the routes it is given), the same scopes and the same trivial leaf app, in the same process.
Each figure is the best of many short repeats of many ``await router(scope, receive, send)``
calls, timeit-style, with the two routers' repeats interleaved and timed in process CPU time,
so neither a noisy moment nor other processes on a busy machine decide a row.
"""

import asyncio
import gc
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(USE_I18N=False)
django.setup()

import channels  # noqa: E402
import channels.routing as stock  # noqa: E402
from channels.middleware import BaseMiddleware  # noqa: E402
from django.urls import path, re_path  # noqa: E402

import channels_admin.routing as ours  # noqa: E402

ENGINES = (stock, ours)  # the table prints them in this order
SIZES = (10, 100, 1000)
MIN_REPEAT_SECONDS = 0.02


async def leaf(scope, receive, send):
    """The trivial consumer: accepts whatever it is routed and returns at once."""


async def receive():
    raise AssertionError("the leaf never receives")


async def send(message):
    raise AssertionError("the leaf never sends")


def trivial_leaf(index):
    return leaf


class Reached(Exception):
    """Raised by the checking leaves: which route was reached, with what url_route."""


def checking_leaf(index):
    async def reached(scope, receive, send):
        raise Reached(index, scope["url_route"])

    return reached


# Route factories: (engine, number of routes, leaf for route i) -> list of routes.


def path_routes(engine, size, make_leaf):
    return [path(f"route{i}/<int:pk>/", make_leaf(i)) for i in range(size)]


def re_path_routes(engine, size, make_leaf):
    return [re_path(rf"^route{i}/(?P<pk>\d+)/$", make_leaf(i)) for i in range(size)]


def nested_routes(engine, size, make_leaf):
    """Each route leads to a router of its own, under middleware (a re_path, so Channels can)."""
    return [
        re_path(
            rf"^room{i}/(?P<pk>\d+)/",
            BaseMiddleware(engine.URLRouter([path("page/<int:page>/", make_leaf(i))])),
        )
        for i in range(size)
    ]


# (label, route factory, path reaching the first route, path reaching the last route,
#  the kwargs both reach it with)
TABLES = [
    ("path()", path_routes, "/route0/42/", "/route{last}/42/", {"pk": 42}),
    ("re_path()", re_path_routes, "/route0/42/", "/route{last}/42/", {"pk": "42"}),
    (
        "nested+middleware",
        nested_routes,
        "/room0/42/page/3/",
        "/room{last}/42/page/3/",
        {"pk": "42", "page": 3},
    ),
]


async def run(app, scope, number):
    for _ in range(number):
        await app(scope, receive, send)


async def run_misses(app, scope, number):
    for _ in range(number):
        try:
            await app(scope, receive, send)
        except ValueError:
            pass


def timer(loop, runner, app, scope):
    def time_it(number):
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            start = time.process_time()
            loop.run_until_complete(runner(app, scope, number))
            return time.process_time() - start
        finally:
            if gc_was_enabled:
                gc.enable()

    return time_it


def calibrate(time_it):
    """How many calls make one repeat last at least MIN_REPEAT_SECONDS (timeit's autorange)."""
    number = 1
    while True:
        if time_it(number) >= MIN_REPEAT_SECONDS:
            return number
        number *= 2


def best_of(timers, repeats):
    """Best µs per call for each timer, repeats interleaved so drift hits all alike."""
    numbers = [calibrate(time_it) for time_it in timers]
    best = [float("inf")] * len(timers)
    for _ in range(repeats):
        for index, (time_it, number) in enumerate(zip(timers, numbers, strict=True)):
            best[index] = min(best[index], time_it(number) / number * 1e6)
    return best


def check(loop, engine, factory, size, scope, expected):
    """Refuse to time a row unless the router routes as the row says: ``expected`` is
    ``(route index, kwargs)``, or None for a miss."""
    app = engine.URLRouter(factory(engine, size, checking_leaf))
    try:
        loop.run_until_complete(app(dict(scope), receive, send))
    except Reached as reached:
        index, url_route = reached.args
        outcome = (index, url_route["kwargs"])
    except ValueError:
        outcome = None
    if outcome != expected:
        raise AssertionError(f"{engine.__name__} routed {scope['path']!r} to {outcome}")


def rows(repeats):
    loop = asyncio.new_event_loop()
    for label, factory, first, last, kwargs in TABLES:
        for size in SIZES:
            cases = [("first", first, (0, kwargs))]
            cases.append(("last", last.format(last=size - 1), (size - 1, kwargs)))
            if factory is path_routes:
                cases.append(("miss", "/nowhere/42/", None))
            apps = [engine.URLRouter(factory(engine, size, trivial_leaf)) for engine in ENGINES]
            for position, path_, expected in cases:
                scope = {"type": "websocket", "path": path_, "headers": []}
                for engine in ENGINES:
                    check(loop, engine, factory, size, scope, expected)
                runner = run if expected else run_misses
                timers = [timer(loop, runner, app, scope) for app in apps]
                stock_us, ours_us = best_of(timers, repeats)
                yield label, size, position, stock_us, ours_us
    loop.close()


def main(argv):
    repeats = 5 if "--quick" in argv else 40
    print(
        f"Python {platform.python_version()}, Django {django.__version__}, "
        f"channels {channels.__version__}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"best of {repeats} interleaved repeats of >= {MIN_REPEAT_SECONDS}s CPU time each"
    )
    print()
    print("| routes | table | route | channels µs | ours µs | ours/channels |")
    print("| ---: | --- | --- | ---: | ---: | ---: |")
    worst = 0.0
    for label, size, position, stock_us, ours_us in rows(repeats):
        ratio = ours_us / stock_us
        worst = max(worst, ratio)
        print(
            f"| {size} | {label} | {position} | {stock_us:.2f} | {ours_us:.2f} | {ratio:.3f} |",
            flush=True,
        )
    print()
    print(f"worst ratio ours/channels: {worst:.3f}")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
