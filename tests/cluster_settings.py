"""Settings of one worker of a test cluster: the demo, with channels_redis as the layer and the
Redis registry, both pointed at redis-servers the test started (environment variables)."""

import os

from demo.settings import *  # noqa: F403

# socket_timeout above channels_redis's blocking read, so idle consumers live (issue 10, 7).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": os.environ["CLUSTER_LAYER_URL"], "socket_timeout": 30}]},
    }
}
CHANNELS_ADMIN = {
    "REGISTRY": "channels_admin.registry.redis.RedisRegistry",
    "REDIS_URL": os.environ["CLUSTER_REGISTRY_URL"],
    "HEARTBEAT": float(os.environ.get("CLUSTER_HEARTBEAT", "0.5")),
}
