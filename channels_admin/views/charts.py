"""Activity charts drawn on the server as SVG: no chart library, nothing to run in the browser.

Each chart is a few polylines over the activity series (``Registry.activity()``), scaled to
a fixed view box; the dashboard's stylesheet colours them with the admin's CSS variables, so
they follow its light and dark themes, and the live refresh redraws them with the region
they sit in. The same numbers are in a table beside them for those who do not see them.
"""

from datetime import UTC, datetime

WIDTH, HEIGHT = 600, 120
TABLE_ROWS = 30

#: (id, title, unit, ((series key, label), ...), per second?)
CHARTS = (
    ("live", "Live connections", "connections", (("live", "live"),), False),
    (
        "connections",
        "Connects, disconnects, refusals",
        "per second",
        (("connects", "connects"), ("disconnects", "disconnects"), ("refused", "refused")),
        True,
    ),
    (
        "messages",
        "Messages",
        "per second",
        (("messages_in", "in"), ("messages_out", "out")),
        True,
    ),
    ("bytes", "Bytes", "bytes per second", (("bytes_in", "in"), ("bytes_out", "out")), True),
)


def charts(activity, table=True):
    """The charts of an ``activity`` dict, ready for ``activity_charts.html``: each bucket a
    step as wide as its time, the oldest bucket at the left edge, the latest at the right."""
    series, bucket = activity["series"], activity["bucket"]
    start = series[0]["t"] if series else 0
    span = (series[-1]["t"] + bucket - start) if series else bucket
    positions = [((p["t"] - start) / span, (p["t"] + bucket - start) / span) for p in series]
    drawn = []
    for name, title, unit, keys, per_second in CHARTS:
        scale = 1 / bucket if per_second else 1
        lines = [(key, label, [point[key] * scale for point in series]) for key, label in keys]
        top = max((max(values, default=0) for _, _, values in lines), default=0)
        drawn.append(
            {
                "id": name,
                "title": title,
                "unit": unit,
                "top": _number(top),
                "lines": [
                    {
                        "key": key,
                        "label": label,
                        "points": _points(positions, values, top),
                        "last": _number(values[-1] if values else 0),
                    }
                    for key, label, values in lines
                ],
            }
        )
    return {
        "charts": drawn,
        "width": WIDTH,
        "height": HEIGHT,
        "bucket": bucket,
        "since": _time(series[0]["t"]) if series else None,
        "until": _time(series[-1]["t"] + bucket) if series else None,
        "rows": [{**point, "at": _time(point["t"])} for point in series[-TABLE_ROWS:][::-1]]
        if table
        else None,
    }


def _points(positions, values, top):
    """The polyline's ``x,y`` pairs: a step from each bucket's start to its end (``positions``
    run from 0 to 1), ``top`` at the upper edge."""
    top = top or 1
    return " ".join(
        "%.1f,%.1f %.1f,%.1f" % (left * WIDTH, y, right * WIDTH, y)
        for (left, right), value in zip(positions, values, strict=True)
        for y in (HEIGHT - value / top * HEIGHT,)
    )


def _number(value):
    return ("%.1f" % value).removesuffix(".0") if value < 100 else "%d" % round(value)


def _time(seconds):
    return datetime.fromtimestamp(seconds, UTC)
