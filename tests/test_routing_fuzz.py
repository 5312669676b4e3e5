"""Random scopes thrown at every router, ours and stock, and at ``explain()``.

Whatever the dict (values of any type, keys missing, ``url_route`` not a dict), ``explain()``
answers strict JSON and never raises; dispatch raises what Channels' routers raise, and
on scopes a server could send, dispatch agrees with Channels and with ``explain()``.
"""

import asyncio
import copy
import json
import os

import channels.routing as stock
from django.urls import path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import channels_admin.routing as ours
from channels_admin.introspection import explain
from channels_admin.messages import Message
from tests.test_routing_differential import (
    Endpoint,
    Leaf,
    converter_routes,
    default_routes,
    dispatch,
    index_routes,
    literal_routes,
    nested_routes,
    protocol_routes,
    regex_routes,
    same_outcome,
)

#: Bounded and derandomized, so CI is fast and repeatable; FUZZ_EXAMPLES=5000 for a deeper,
#: random run.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 150)),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def message_routes(r):
    """A Channels 1 MessageRouter as a leaf of our routers (stock has no such router)."""

    def consumer(message: Message):
        pass

    leaf = ours.MessageRouter(
        [ours.route(channel, consumer) for channel in ("websocket.connect", "http.request")]
    )
    return r.URLRouter([path("legacy/", leaf), path("ws/<int:n>/", Endpoint("ws"))])


BUILDERS = {
    "literal": literal_routes,
    "converters": converter_routes,
    "defaults": default_routes,
    "regex": regex_routes,
    "nested": nested_routes,
    "index": index_routes,
    "protocol": protocol_routes,
    "messages": message_routes,
}
ENGINES = {"ours": ours, "stock": stock}

TEXTS = st.sampled_from(
    ["/", "", "/chat/", "/ws/3/", "/a/1/b/2/", "/int/42/", "/legacy/", "jobs", "/prefix"]
)
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.binary(max_size=8),
    TEXTS,
    TEXTS.map(str.encode),
    st.lists(st.text(max_size=3), max_size=2),
    st.tuples(st.integers()),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
TYPES = st.sampled_from(["websocket", "http", "channel", "lifespan"])
ANY_SCOPE = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(TYPES, ANYTHING),
        "path": st.one_of(TEXTS, ANYTHING),
        "root_path": st.one_of(st.sampled_from(["", "/prefix"]), ANYTHING),
        "path_remaining": ANYTHING,
        "url_route": st.one_of(
            st.fixed_dictionaries({"args": st.tuples(), "kwargs": st.fixed_dictionaries({})}),
            ANYTHING,
        ),
        "channel": st.one_of(st.sampled_from(["jobs", "x"]), ANYTHING),
        "headers": st.one_of(st.just([]), ANYTHING),
    },
)
VALID_SCOPE = st.builds(
    lambda kind, path_, root_path: {
        "type": kind,
        "path": root_path + path_,
        "root_path": root_path,
        "headers": [],
        **({"channel": path_.strip("/")} if kind == "channel" else {}),
    },
    st.sampled_from(["websocket", "http"]),
    st.one_of(
        TEXTS,
        st.lists(st.sampled_from(["a", "1", "b", "2", "chat", "ws", "int", "x", ""]), max_size=4)
        .map("/".join)
        .map(lambda text: "/" + text),
    ),
    st.sampled_from(["", "", "/prefix"]),
)


def run(build, engine, scope):
    """What dispatch did: ``Leaf``, ``Failed``, or ``RECEIVED`` when an app reached asked for
    an event (a MessageRouter serving the connection)."""
    try:
        return asyncio.run(dispatch(build, engine, copy.deepcopy(scope)))
    except AssertionError as error:
        if "never receive" not in str(error):
            raise
        return RECEIVED


RECEIVED = "received"


def assert_strict_json(answer):
    assert json.loads(json.dumps(answer, allow_nan=False)) == json.loads(json.dumps(answer))


@FUZZ
@given(name=st.sampled_from(sorted(BUILDERS)), scope=ANY_SCOPE)
def test_explain_answers_json_for_any_dict(name, scope):
    for engine in ENGINES.values():
        try:
            app = BUILDERS[name](engine)
        except Exception:  # stock refuses some route tables (e.g. MessageRouter leaves)
            continue
        answer = explain(app, copy.deepcopy(scope))
        assert set(answer) >= {"matched", "consumer", "kwargs", "args", "steps", "error"}
        assert_strict_json(answer)


@FUZZ
@given(name=st.sampled_from(sorted(set(BUILDERS) - {"messages"})), scope=ANY_SCOPE)
def test_dispatch_raises_what_channels_raises_for_any_dict(name, scope):
    stock_outcome = run(BUILDERS[name], stock, scope)
    ours_outcome = run(BUILDERS[name], ours, scope)
    assert same_outcome(ours_outcome, stock_outcome), (ours_outcome, stock_outcome)


@FUZZ
@given(name=st.sampled_from(sorted(BUILDERS)), scope=VALID_SCOPE)
def test_dispatch_agrees_with_channels_and_explain_on_valid_scopes(name, scope):
    ours_outcome = run(BUILDERS[name], ours, scope)
    if name != "messages":
        assert same_outcome(ours_outcome, run(BUILDERS[name], stock, scope))
    answer = explain(BUILDERS[name](ours), copy.deepcopy(scope))
    reached = isinstance(ours_outcome, Leaf) or ours_outcome == RECEIVED
    assert answer["matched"] is reached, (answer, ours_outcome)


def test_the_reported_scopes():
    """The review's findings: bytes ``type``/``path`` made the answer bytes, an int path
    raised AttributeError where Channels raises TypeError."""
    for scope in ({"type": b"websocket"}, {"type": "websocket", "path": b"/ws/3/"}):
        for engine in ENGINES.values():
            answer = explain(protocol_routes(engine), scope)
            assert answer["matched"] is False
            assert_strict_json(answer)
    int_path = {"type": "websocket", "path": 42}
    assert run(protocol_routes, stock, int_path).error is TypeError
    assert run(protocol_routes, ours, int_path).error is TypeError
    answer = explain(protocol_routes(ours), int_path)
    assert answer["steps"][-1]["raises"] == "TypeError"
    assert explain(literal_routes(ours), {"path": "/chat/", "url_route": 5})["matched"] is False
