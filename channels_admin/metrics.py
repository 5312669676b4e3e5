"""Prometheus metrics read from the registry: ``ChannelsAdminCollector`` (``prometheus`` extra).

Register it on a ``prometheus_client`` registry, or set ``CHANNELS_ADMIN["PROMETHEUS"] = True``
and it is registered on the default one at startup, which django-prometheus' ``/metrics`` view
and prometheus_client's ASGI app export. Every scrape reads the configured registry (the whole
cluster with a Redis registry) and the default channel layer's group count; the counters are
running totals since each server started.
"""

import asyncio
import concurrent.futures
import logging

from asgiref.sync import async_to_sync
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from channels_admin.groups import group_counts
from channels_admin.registry import get_registry

logger = logging.getLogger("channels_admin.metrics")

#: ``channels_admin_connections_total{outcome}``: routing's outcome, and refusals.
OUTCOMES = (("hit", "hits"), ("miss", "misses"), ("error", "errors"), ("stopped", "stopped"))


class ChannelsAdminCollector:
    """A ``prometheus_client`` collector of channels_admin's registry."""

    def collect(self):
        metrics, groups = _read(_scrape)
        live = GaugeMetricFamily(
            "channels_admin_live_connections",
            "Live connections by scope type, consumer and server.",
            labels=("type", "consumer", "server"),
        )
        for row in metrics["live"]:
            live.add_metric((row["type"], row["consumer"], row["server"]), row["count"])
        yield live
        totals = metrics["totals"]
        connections = CounterMetricFamily(
            "channels_admin_connections",
            "Connections by outcome: routing's (hit, miss, error, stopped), or refused "
            "(closed before it was accepted). A hit whose consumer fails also counts as error.",
            labels=("outcome",),
        )
        for outcome, field in (*OUTCOMES, ("refused", "refused")):
            connections.add_metric((outcome,), totals[field])
        yield connections
        for name, unit in (("messages", "Messages"), ("bytes", "Bytes of message payload")):
            family = CounterMetricFamily(
                "channels_admin_%s" % name,
                "%s received from clients (in) and sent to them (out)." % unit,
                labels=("direction",),
            )
            for direction in ("in", "out"):
                family.add_metric((direction,), totals["%s_%s" % (name, direction)])
            yield family
        if groups is not None:
            yield GaugeMetricFamily(
                "channels_admin_groups", "Groups of the default channel layer.", value=groups
            )

    def describe(self):
        return []  # read at scrape time: registering must not read the registry


async def _scrape():
    metrics = await get_registry().metrics()
    try:
        groups = (await group_counts())["total"]
    except Exception as exc:  # no layer, or one that cannot list its groups: no gauge
        logger.debug("channels_admin_groups not exported: %s", exc)
        groups = None
    return metrics, groups


def _read(coroutine_function):
    """Run ``coroutine_function()`` to its end from a scrape: a sync view, or the event loop
    (prometheus_client's ASGI app collects in it, where async_to_sync cannot run)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(coroutine_function)()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(coroutine_function)).result()
