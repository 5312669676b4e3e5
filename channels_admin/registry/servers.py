"""This process as a *server* of the cluster: an id unique per process, and what it runs on.

Every record says which server holds it (its ``server`` field). The id is made again after a
fork, so preforked workers (gunicorn, ``uvicorn --workers``) each have their own.
"""

import os
import socket
import sys
import time

_identity = None


def this_server():
    """``{"id", "host", "pid", "software", "started"}`` of this process."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity["pid"] != pid:
        host = socket.gethostname()
        _identity = {
            "id": "%s:%d:%s" % (host, pid, os.urandom(3).hex()),
            "host": host,
            "pid": pid,
            "software": server_software(),
            "started": time.time(),
        }
    return _identity


def server_id():
    """The id of this process as a server of the cluster."""
    return this_server()["id"]


def server_software():
    """``daphne 4.2.1``, ``uvicorn 0.30.1``..., whichever ASGI server runs this process, or
    None when it cannot be told."""
    for name in ("daphne", "uvicorn", "hypercorn", "granian"):
        module = sys.modules.get(name)
        if module is not None and (name != "daphne" or "daphne.server" in sys.modules):
            version = getattr(module, "__version__", None)
            return "%s %s" % (name, version) if version else name
    return None
