"""Activity and Prometheus totals across a Redis cluster: three daphne workers, a scripted
client on two of them; the Prometheus collector (in this process, reading the registry's
Redis) and one worker's dashboard sum what it did on each, and ``?server=`` picks one."""

from contextlib import ExitStack

import pytest
from django.test import override_settings
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.test_cluster import DASHBOARD, cluster, echoes, open_socket, staff_of  # noqa: F401
from tests.test_dashboard_e2e import poll
from tests.test_metrics import scrape

pytestmark = pytest.mark.redis
CONSUMER = "NumberConsumer"


def server_ids(scraped, workers):
    """``{worker index: server id}`` of the workers with live connections in ``scraped``."""
    ids = {
        dict(labels)["server"]
        for name, labels in scraped
        if name == "channels_admin_live_connections"
    }
    return {n: id for n, worker in enumerate(workers) for id in ids if ":%d:" % worker.pid in id}


def summed(series, field):
    return sum(point[field] for point in series)


def test_activity_and_totals_sum_every_server_and_filter_by_one(cluster):  # noqa: F811
    _, registry_redis, workers = cluster
    with ExitStack() as sockets:
        # Worker 0: two connections, three echoes on one, one of them closed, a refusal.
        first = open_socket(sockets, workers[0], "/ws/number/1/page/1/")
        with connect(workers[0].ws_url + "/ws/number/2/page/1/", origin=workers[0].url) as gone:
            gone.recv(timeout=10)
        assert all(echoes(first) for _ in range(3))
        with pytest.raises(InvalidStatus):
            connect(workers[0].ws_url + "/ws/nowhere/", origin=workers[0].url)
        # Worker 1: one connection, one echo. Worker 2: nothing.
        second = open_socket(sockets, workers[1], "/ws/number/3/page/1/")
        assert echoes(second)

        # Prometheus first: no HTTP request has reached a worker yet, so every message
        # counted is one of the sockets'.
        cluster_registry = {
            "REGISTRY": "channels_admin.registry.redis.RedisRegistry",
            "REDIS_URL": registry_redis.url,
        }
        greetings, echoed = 3, 3 + 1
        expected_totals = {
            ("channels_admin_messages_total", "in"): 4,
            ("channels_admin_messages_total", "out"): greetings + echoed,
            ("channels_admin_connections_total", "refused"): 1,
            ("channels_admin_connections_total", "miss"): 1,
            ("channels_admin_connections_total", "hit"): 3,
        }
        with override_settings(CHANNELS_ADMIN=cluster_registry):
            scraped = poll(  # as of each worker's next heartbeat
                scrape,
                lambda found: (
                    len(server_ids(found, workers)) == 2
                    and all(totals(found).get(key) == n for key, n in expected_totals.items())
                ),
                "both servers' live connections and totals in the collector",
            )
        ids = server_ids(scraped, workers)
        for n in (0, 1):
            live = [
                value
                for (name, labels), value in scraped.items()
                if name == "channels_admin_live_connections" and dict(labels)["server"] == ids[n]
            ]
            assert live == [1.0]

        # The dashboard of the idle worker: the cluster's sum, and each server's own.
        staff = staff_of(workers[2])

        def activity(query=""):
            path = DASHBOARD + "activity/?format=json&consumer=" + CONSUMER + query
            return staff.get_json(path)["activity"]["series"]

        expected = {
            ids[0]: {"connects": 2, "disconnects": 1, "messages_in": 3, "messages_out": 5},
            ids[1]: {"connects": 1, "disconnects": 0, "messages_in": 1, "messages_out": 2},
        }
        for id, counts in expected.items():
            counts.update(bytes_in=4 * counts["messages_in"], live=1)  # "ping"; one left open
            series = poll(
                lambda id=id: activity("&server=" + id),
                lambda series, counts=counts: tallied(series, counts) == counts,
                "server %s's activity" % id,
            )
            assert series[-1]["live"] == 1
        both = activity()
        for field in ("connects", "disconnects", "messages_in", "messages_out", "bytes_in"):
            assert summed(both, field) == sum(counts[field] for counts in expected.values())
        assert both[-1]["live"] == 2
        overview = staff.get_json(DASHBOARD + "?format=json")["activity"]
        assert summed(overview["series"], "refused") == 1
        assert summed(overview["series"], "misses") == 1


def totals(scraped):
    """``{(counter, its label's value): value}`` of the connections and messages counters."""
    return {
        (name, labels[0][1]): value
        for (name, labels), value in scraped.items()
        if name in ("channels_admin_messages_total", "channels_admin_connections_total")
    }


def tallied(series, counts):
    """``counts``' fields summed over ``series``, ``live`` from its last bucket."""
    found = {field: summed(series, field) for field in counts if field != "live"}
    found["live"] = series[-1]["live"] if series else 0
    return found
