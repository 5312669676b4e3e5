"""The routing trace of the current connection: routers append, the recorder reads.

Recording is off unless someone (the recorder middleware) puts a list in ``current_trace``;
then every router appends ``(router, scope, match)`` as it decides. Turning the steps into
explanations is left to whoever reads them, so dispatch stays cheap.
"""

from contextvars import ContextVar

current_trace: ContextVar[list | None] = ContextVar("channels_admin_trace", default=None)


def record_step(router, scope, match):
    trace = current_trace.get()
    if trace is not None:
        trace.append((router, scope, match))
