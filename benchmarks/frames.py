"""Frame decoding: the cost of bounding JSON nesting, beside plain ``json.loads``.

Consumers decode client frames with ``channels_admin.jsonframes.loads``, which refuses frames
nested deeper than ``max_json_depth``. For each frame, both decoders run in interleaved repeats
(``time.process_time()``, garbage collector off) and each keeps its best; the ratio is what
the bound adds to decoding.

    python benchmarks/frames.py [--repeats 15]
"""

import argparse
import functools
import gc
import json
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels_admin import jsonframes  # noqa: E402

FRAMES = {
    "action frame (90 B)": json.dumps(
        {"action": "list", "route": "v1/rooms/5/messages/", "limit": 20, "request_id": 7}
    ),
    "100 messages (13 KB)": json.dumps(
        {"action": "create", "items": [{"id": i, "text": "x" * 100} for i in range(100)]}
    ),
    "10,000 small arrays (110 KB)": json.dumps(
        {"action": "bulk", "rows": [[i, i] for i in range(10_000)]}
    ),
    "64 levels deep (accepted)": "[" * 64 + "1" + "]" * 64,
    "65 levels deep (refused)": "[" * 65 + "1" + "]" * 65,
}


def best_per_call(functions, repeats):
    """The best time per call of each function, their repeats interleaved."""
    timers = [timeit.Timer(function, timer=time.process_time) for function in functions]
    numbers = [timer.autorange()[0] for timer in timers]
    best = [float("inf")] * len(timers)
    for _ in range(repeats):
        for index, (timer, number) in enumerate(zip(timers, numbers, strict=True)):
            best[index] = min(best[index], timer.timeit(number) / number)
    return best


def bounded(text):
    try:
        return jsonframes.loads(text)
    except jsonframes.TooDeeplyNested:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    gc.disable()
    print(f"{'frame':32} {'json.loads':>12} {'bounded':>12} {'ratio':>6}")
    for name, text in FRAMES.items():
        calls = [functools.partial(json.loads, text), functools.partial(bounded, text)]
        plain, ours = best_per_call(calls, repeats)
        print(f"{name:32} {plain * 1e6:10.1f}us {ours * 1e6:10.1f}us {ours / plain:6.2f}")


if __name__ == "__main__":
    main()
