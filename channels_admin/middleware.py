"""``RoutingRecorderMiddleware``: wrap the root application once, see every connection."""

from channels_admin.conf import app_settings
from channels_admin.recorder.attribution import instrument_layers
from channels_admin.recorder.installed import dashboard_prefixes
from channels_admin.recorder.recording import Recording, report_failure
from channels_admin.registry import get_registry
from channels_admin.routing.trace import current_trace


class RoutingRecorderMiddleware:
    """Records each connection (scope, routing decision, consumer, groups, counters, close)
    in the registry, as in ``RoutingRecorderMiddleware(ProtocolTypeRouter({...}))``.

    Recording never breaks a connection: its failures are logged once and the connection is
    served as if the middleware were not there.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        recording = self.start(scope, receive, send)
        if recording is None:
            return await self.inner(scope, receive, send)
        # One context variable (the trace knows its recording), restored by value: every
        # variable set and every reset Token costs memory for as long as the connection lives.
        outer_trace = current_trace.get()
        current_trace.set(recording.trace)
        try:
            await recording.store(recording.registry.opened, recording.record)
            await self.inner(scope, recording.receive, recording.send)
        except BaseException as exc:
            await recording.finish(exc)
            raise
        else:
            await recording.finish()
        finally:
            current_trace.set(outer_trace)
            recording.trace.recording = None  # no reference cycle left for the collector

    def start(self, scope, receive, send):
        """A recording for this scope, or None when it is not recorded (or cannot be)."""
        try:
            settings = app_settings()
            if not settings["ENABLED"] or scope["type"] not in settings["RECORD_TYPES"]:
                return None
            path = scope.get("path")
            if path and (
                path.startswith(settings["_ignore_paths"]) or path.startswith(dashboard_prefixes())
            ):
                return None
            instrument_layers()
            return Recording(self.inner, scope, receive, send, get_registry(), settings)
        except Exception as exc:
            report_failure(exc)
            return None
