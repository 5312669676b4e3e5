"""manage.py channels_routes: the demo's tree, dry runs in text and JSON."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out = StringIO()
    call_command("channels_routes", *args, stdout=out)
    return out.getvalue()


def test_tree_is_indented_with_patterns_consumers_and_middleware():
    lines = run().splitlines()
    assert lines[0] == "RoutingRecorderMiddleware > ProtocolTypeRouter"
    assert lines[1].startswith("  [http]  django.core.handlers.asgi.ASGIHandler")
    assert lines[2] == (
        "  [websocket]  OriginValidator > CookieMiddleware > SessionMiddleware > "
        "AuthMiddleware > URLRouter"
    )
    assert lines[3].startswith("    ws/chat/<slug:room>/  chat.consumers.ChatConsumer  [")
    assert lines[3].endswith("chat/consumers.py:4]")
    nested = lines.index(
        "    ws/number/<int:number>/  CookieMiddleware > SessionMiddleware > URLRouter"
    )
    assert lines[nested + 1].startswith("      page/<int:page>/  chat.consumers.NumberConsumer")


def test_tree_as_json():
    tree = json.loads(run("--format", "json"))
    assert tree["label"] == "RoutingRecorderMiddleware"
    assert tree["children"][0]["kind"] == "protocol_router"


def test_resolve_explains_the_decision():
    text = run("--resolve", "/ws/number/7/page/2/?token=x")
    assert text.splitlines()[:2] == [
        "websocket /ws/number/7/page/2/ -> chat.consumers.NumberConsumer  "
        "kwargs={'number': 7, 'page': 2}",
        "query string token=x set aside: routing does not look at it",
    ]
    assert "- [0] ws/chat/<slug:room>/: pattern did not match" in text
    result = json.loads(run("--resolve", "/admin/", "--type", "http", "--format", "json"))
    assert result["matched"] and result["app_kind"] == "django"


def test_resolve_miss_prints_why_and_fails():
    out = StringIO()
    with pytest.raises(CommandError, match="No application would take websocket '/ws/x/'"):
        call_command("channels_routes", "--resolve", "/ws/x/", stdout=out)
    assert "raises RouteNotFound: No route found for path 'ws/x/'." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("channels_routes", "--resolve", "jobs", "--type", "channel", stdout=out)
    assert "wrong protocol" in out.getvalue()


def test_resolve_takes_a_pasted_url_and_names_the_nearest_route_with_its_hint():
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "channels_routes", "--resolve", "  ws://localhost:8000/ws/chat/lobby?x=1 ", stdout=out
        )
    text = out.getvalue()
    assert text.splitlines()[0].startswith("websocket /ws/chat/lobby -> no match")
    assert "query string x=1 set aside" in text
    assert "nearest route: ws/chat/<slug:room>/: add a trailing slash: 'ws/chat/lobby/'" in text
    assert "hint: add a trailing slash: 'ws/chat/lobby/'" in text
