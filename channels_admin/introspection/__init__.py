"""Read an ASGI application without running it: its tree, and where a scope would go."""

from channels_admin.introspection import messages  # noqa: F401  (registers MessageRouter)
from channels_admin.introspection.actions import explain_action
from channels_admin.introspection.describe import describe, register_describer
from channels_admin.introspection.explain import Step, explain, register_explainer
from channels_admin.introspection.trace import steps_from_trace

__all__ = [
    "Step",
    "describe",
    "explain",
    "explain_action",
    "register_describer",
    "register_explainer",
    "steps_from_trace",
]
