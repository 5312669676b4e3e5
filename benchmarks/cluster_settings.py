"""The demo's settings with the Redis registry at ``BENCH_REDIS_URL`` (benchmarks/cluster.py)."""

import os

from demo.settings import *  # noqa: F403

CHANNELS_ADMIN = {
    "REGISTRY": "channels_admin.registry.redis.RedisRegistry",
    "REDIS_URL": os.environ["BENCH_REDIS_URL"],
    "HEARTBEAT": 5,
}
