"""The routing trace of the current connection: routers append, the recorder reads.

Recording is off unless someone (the recorder middleware) puts a :class:`Trace` in
``current_trace``; then every router appends ``(router, scope, match)`` as it decides. Turning
the steps into explanations is left to whoever reads them, so dispatch stays cheap.
"""

from contextvars import ContextVar


class Trace(list):
    """One connection's routing steps. Once closed (routing has decided) it drops new steps,
    so routers that decide per message (actions, Channels 1 routing) cannot grow it."""

    __slots__ = ("closed",)

    def __init__(self):
        super().__init__()
        self.closed = False

    def append(self, step):
        if not self.closed:
            super().append(step)

    def close(self):
        self.closed = True
        self.clear()


current_trace: ContextVar[list | None] = ContextVar("channels_admin_trace", default=None)


def record_step(router, scope, match):
    trace = current_trace.get()
    if trace is not None:
        trace.append((router, scope, match))
