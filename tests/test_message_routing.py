"""Channels 1 message routing: route, route_class, include, Router, with 1.1.8's semantics."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import path

from channels_admin.messages import Message
from channels_admin.routing import Router, URLRouter, include, route, route_class
from tests.routing_modules.apps import Leaf
from tests.routing_modules.apps import route as dispatch_scope


def connect(**content):
    return Message(content, "websocket.connect")


def consumer(message, **kwargs):
    pass


def other(message, **kwargs):
    pass


class Chat:
    """A class-based consumer as route_class() sees one."""

    @classmethod
    def channel_names(cls):
        return {"websocket.connect", "websocket.receive"}


legacy_routes = [route("websocket.receive", other)]
legacy_routes_by_channel = {"websocket.receive": other}


def test_route_matches_its_channels_only():
    single = route("websocket.connect", consumer)
    several = route(["websocket.connect", "websocket.receive"], consumer)
    assert single.match(connect(path="/")) == (consumer, {})
    assert single.match(Message({"path": "/"}, "websocket.receive")) is None
    assert several.match(Message({"path": "/"}, "websocket.receive")) == (consumer, {})
    assert several.channel_names() == {"websocket.connect", "websocket.receive"}


def test_filter_is_anchored_at_the_start_only():
    chat = route("websocket.connect", consumer, path=r"^/chat/")
    unanchored = route("websocket.connect", consumer, path=r"chat/")
    assert chat.match(connect(path="/chat/room/and/more")) == (consumer, {})
    assert chat.match(connect(path="/x/chat/")) is None
    # re.match, not re.search: a pattern without ^ still has to match from the start.
    assert unanchored.match(connect(path="/chat/")) is None
    assert unanchored.match(connect(path="chat/anything")) == (consumer, {})


def test_filters_are_combined_with_and_and_a_missing_key_is_no_match():
    both = route("websocket.connect", consumer, path=r"^/chat/", query_string=r"^room=")
    assert both.match(connect(path="/chat/", query_string=b"room=1")) == (consumer, {})
    assert both.match(connect(path="/chat/", query_string=b"user=1")) is None
    assert both.match(connect(path="/chat/")) is None


def test_named_groups_become_string_kwargs():
    blog = route("websocket.connect", consumer, path=r"^/liveblog/(?P<slug>[^/]+)/(?P<n>\d+)/$")
    assert blog.match(connect(path="/liveblog/news/12/")) == (
        consumer,
        {"slug": "news", "n": "12"},
    )


def test_positional_group_is_refused_when_the_route_is_built():
    with pytest.raises(ValueError, match="positional group"):
        route("websocket.connect", consumer, path=r"^/chat/(\d+)/$")
    with pytest.raises(ValueError, match="positional group"):
        include([], path=r"^/(chat)")
    with pytest.raises(ValueError, match="not a valid regex"):
        route("websocket.connect", consumer, path=r"^/chat/(")


def test_bytes_values_are_matched_as_text_and_non_text_values_never_match():
    by_query = route("http.request", consumer, query_string=r"^page=(?P<page>\d+)")
    assert by_query.match(Message({"query_string": b"page=3"}, "http.request")) == (
        consumer,
        {"page": "3"},
    )
    assert by_query.match(Message({"query_string": b"page=\xff"}, "http.request")) is None
    by_order = route("http.request", consumer, order=r"^1")
    assert by_order.match(Message({"order": 1}, "http.request")) is None


def test_path_keeps_its_leading_slash():
    django_style = route("websocket.connect", consumer, path=r"^chat/$")
    assert django_style.match(connect(path="/chat/")) is None


def test_consumer_and_routing_can_be_dotted_paths():
    by_path = route("websocket.connect", "tests.test_message_routing.consumer")
    assert by_path.consumer is consumer
    router = Router("tests.test_message_routing.legacy_routes")
    assert router.match(Message({}, "websocket.receive")) == (other, {})
    by_dict = Router("tests.test_message_routing.legacy_routes_by_channel")
    assert by_dict.match(Message({}, "websocket.receive")) == (other, {})


def test_bad_imports_name_what_failed():
    with pytest.raises(ImproperlyConfigured, match=r"consumer 'tests.nowhere.consumer'.*nowhere"):
        route("websocket.connect", "tests.nowhere.consumer")
    with pytest.raises(ImproperlyConfigured, match=r"'tests.test_message_routing.missing'"):
        Router("tests.test_message_routing.missing")
    with pytest.raises(ImproperlyConfigured, match=r"channel routing 'no_module\.routes'"):
        Router([include("no_module.routes")])
    with pytest.raises(ImproperlyConfigured, match="not a routing object"):
        Router([path("x/", Leaf("x"))])
    with pytest.raises(ImproperlyConfigured, match="list or a"):
        Router("tests.test_message_routing.Chat")


def test_routing_dict_maps_channels_to_consumers():
    router = Router({"websocket.connect": consumer, "websocket.receive": other})
    assert router.channels == {"websocket.connect", "websocket.receive"}
    assert router.match(Message({}, "websocket.receive")) == (other, {})


def test_route_class_takes_channels_from_the_consumer():
    chat = route_class(Chat, path=r"^/chat/")
    assert chat.channel_names() == {"websocket.connect", "websocket.receive"}
    assert chat.match(Message({"path": "/chat/"}, "websocket.receive")) == (Chat, {})
    assert chat.match(Message({"path": "/chat/"}, "websocket.disconnect")) is None
    with pytest.raises(ValueError, match="channel_names"):
        route_class(consumer)


def test_include_strips_the_matched_prefix_from_a_copy():
    seen = []

    class Spy:
        def match(self, message):
            seen.append(message["path"])
            return None

        def channel_names(self):
            return {"websocket.connect"}

    inner = [Spy(), route("websocket.connect", consumer, path=r"^/stream/$")]
    router = Router([include(inner, path=r"^/liveblog")])
    message = connect(path="/liveblog/stream/")
    assert router.match(message) == (consumer, {})
    assert seen == ["/stream/"]
    assert message["path"] == "/liveblog/stream/"  # the caller's message is untouched


def test_include_passes_captures_on_and_the_inner_route_wins_a_clash():
    inner = [route("websocket.connect", consumer, path=r"^/(?P<room>\w+)/(?P<tab>\w+)/$")]
    outer = include(inner, path=r"^/(?P<tab>blog)/(?P<author>\w+)")
    assert outer.match(connect(path="/blog/ann/lobby/news/")) == (
        consumer,
        {"tab": "news", "author": "ann", "room": "lobby"},
    )


def test_nested_includes_accumulate_prefixes_and_kwargs():
    innermost = [route("websocket.connect", consumer, path=r"^/(?P<page>\d+)/$")]
    middle = [include(innermost, path=r"^/number/(?P<number>\d+)")]
    router = Router([include(middle, path=r"^/api")])
    assert router.match(connect(path="/api/number/7/3/")) == (
        consumer,
        {"number": "7", "page": "3"},
    )
    assert router.match(connect(path="/number/7/3/")) is None


def test_include_missing_key_is_no_match_and_first_match_wins():
    router = Router(
        [
            include([route("websocket.connect", other)], path=r"^/a"),
            route("websocket.connect", consumer),
        ]
    )
    assert router.match(connect(query_string=b"")) == (consumer, {})
    assert router.match(connect(path="/a/")) == (other, {})


def test_router_channels_is_the_union_with_includes_included():
    router = Router(
        [
            route("websocket.connect", consumer),
            include([route_class(Chat), include({"http.request": other})]),
        ]
    )
    assert router.channels == {"websocket.connect", "websocket.receive", "http.request"}
    assert router.match(Message({}, "email.receive")) is None


def test_any_object_with_match_and_channel_names_is_a_routing_object():
    class EmailRouting:
        def match(self, message):
            if message["to"].endswith("@example.com"):
                return consumer, {"domain": "example.com"}
            return None

        def channel_names(self):
            return {"email.receive"}

    router = Router([EmailRouting()])
    assert router.channels == {"email.receive"}
    found = router.match(Message({"to": "a@example.com"}, "email.receive"))
    assert found == (consumer, {"domain": "example.com"})


def test_routing_objects_describe_themselves():
    chat = route("websocket.connect", consumer, path=r"^/chat/$")
    assert chat.channels == ["websocket.connect"]
    assert chat.consumer is consumer
    assert chat.filters["path"].pattern == r"^/chat/$"
    included = include([chat], path=r"^/x")
    assert included.routing == [chat]
    assert "tests.test_message_routing.consumer" in repr(chat)
    assert "path='^/x'" in repr(included)


async def test_include_also_nests_path_entries_in_a_url_router():
    """include() from channels_admin.routing works as django.urls.include in a URLRouter."""
    app = URLRouter(
        [
            path("api/", include([path("v/<int:v>/", Leaf("list"))])),
            path("mod/", include("tests.routing_modules.ws_only")),
            path("named/", include(([path("x/", Leaf("tuple"))], "named"))),
        ]
    )
    scope = {"type": "websocket", "headers": []}
    name, child = await dispatch_scope(app, {**scope, "path": "/api/v/2/"})
    assert (name, child["url_route"]["kwargs"]) == ("list", {"v": 2})
    name, child = await dispatch_scope(app, {**scope, "path": "/mod/room/7/"})
    assert (name, child["url_route"]["kwargs"]) == ("module-room", {"pk": 7})
    assert (await dispatch_scope(app, {**scope, "path": "/named/x/"}))[0] == "tuple"


def test_message_api():
    message = Message(
        {"path": "/chat/", "reply_channel": "specific.a!b", "text": "hi"}, "websocket.receive"
    )
    assert message.content["text"] == message["text"] == message.get("text") == "hi"
    assert message.get("bytes") is None and message.get("bytes", b"") == b""
    assert "path" in message and "bytes" not in message
    assert message.channel.name == "websocket.receive"
    assert message.reply_channel.name == "specific.a!b"
    assert message.channel_layer is not None
    copied = message.copy()
    copied["path"] = "/other/"
    assert message["path"] == "/chat/"
    assert Message({}, "x").reply_channel is None
