"""What people paste into a route tester, turned into the scope to explain.

A path (``/ws/chat/lobby/``), or a whole URL as a browser or a log shows it
(``ws://host:8000/ws/chat/lobby/?x=1``): the path is taken, the query string set aside (no
router looks at it), surrounding whitespace trimmed.
"""

from urllib.parse import urlsplit

SCHEMES = ("ws", "wss", "http", "https")


def read_target(target, kind):
    """Return ``(scope, query)``: the scope for ``explain()`` and the query string set aside.

    With ``kind`` ``channel`` the target is a channel name, taken as it is (trimmed).
    """
    target = target.strip()
    if kind == "channel":
        return {"type": "channel", "channel": target}, ""
    scheme = target.partition(":")[0].lower()
    if scheme in SCHEMES and target[len(scheme) : len(scheme) + 3] == "://":
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
    else:
        path, _, query = target.partition("?")
    return {"type": kind, "path": path, "query_string": query.encode()}, query
