"""Secrets a client sends with a connection never reach the dashboard: headers, query keys
(however they are encoded) and the subprotocol list a browser uses to pass a token."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from demo.asgi import application
from django.test import override_settings

from channels_admin.conf import app_settings
from channels_admin.recorder.records import redact_headers, redact_query
from tests import dashboard_support
from tests.dashboard_support import DASHBOARD, HEADERS

registry = dashboard_support.registry
admin = dashboard_support.admin

SECRET = "S3cr3tValue"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def query(text):
    return redact_query(text.encode(), app_settings())


def headers(*pairs):
    raw = [(name.encode(), value.encode()) for name, value in pairs]
    return dict(redact_headers(raw, app_settings()))


@pytest.mark.parametrize(
    "key", ["jwt", "auth", "code", "pwd", "sig", "session", "passwd", "credentials", "api_key"]
)
def test_query_keys_naming_a_secret_are_redacted(key):
    assert query(f"room=lobby&{key}={SECRET}&page=2") == f"room=lobby&{key}=[redacted]&page=2"


@pytest.mark.parametrize(
    "key", ["%74oken", "%54OKEN", "access%5Ftoken", "pass%77ord", "my+token", "t%6Fken"]
)
def test_percent_encoded_keys_are_decoded_before_matching(key):
    assert SECRET not in query(f"{key}={SECRET}")


@pytest.mark.parametrize(
    "name", ["X-Api-Key", "X-Auth-Token", "X-CSRFToken", "X-Session-Id", "X-Signature"]
)
def test_headers_naming_a_secret_are_redacted(name):
    assert headers((name, SECRET))[name.lower()] == "[redacted]"


def test_harmless_values_stay_readable():
    assert (
        query("room=lobby&page=2&flag&order=-started") == "room=lobby&page=2&flag&order=-started"
    )
    shown = headers(
        ("User-Agent", "Mozilla/5.0"),
        ("Origin", "http://localhost"),
        ("Accept-Encoding", "gzip"),
        ("Sec-WebSocket-Protocol", "graphql-ws, chat"),
    )
    assert shown == {
        "user-agent": "Mozilla/5.0",
        "origin": "http://localhost",
        "accept-encoding": "gzip",
        "sec-websocket-protocol": "graphql-ws, chat",
    }


@pytest.mark.parametrize(
    "value, shown",
    [
        (f"access_token, {JWT}", "access_token, [redacted]"),
        (f"graphql-ws, auth, {JWT}, x", "graphql-ws, auth, [redacted], [redacted]"),
        (f"base64url.bearer.authorization.k8s.io.{JWT}", "[redacted]"),
        (
            f"base64.binary.k8s.io, bearer.authorization.k8s.io.{JWT}",
            "base64.binary.k8s.io, [redacted]",
        ),
    ],
)
def test_subprotocols_after_a_token_like_entry_are_redacted(value, shown):
    assert headers(("Sec-WebSocket-Protocol", value))["sec-websocket-protocol"] == shown


def test_words_are_overridable_and_apply_to_headers_and_query_alike():
    settings = {"REDACT_WORDS": ["room"], "REDACT_HEADERS": []}
    with override_settings(CHANNELS_ADMIN=settings):
        assert query("room=1&token=2") == "room=[redacted]&token=2"
        assert headers(("X-Room", "1"), ("Cookie", "c")) == {"x-room": "[redacted]", "cookie": "c"}


async def test_connection_page_shows_no_secret(admin, registry):
    path = f"/ws/chat/lobby/?jwt={SECRET}&%74oken={SECRET}&room=lobby"
    sent = [
        *HEADERS,
        (b"x-api-key", SECRET.encode()),
        (b"x-auth-token", SECRET.encode()),
        (b"x-csrftoken", SECRET.encode()),
        (b"sec-websocket-protocol", f"access_token, {SECRET}".encode()),
    ]
    communicator = WebsocketCommunicator(
        application, path, headers=sent, subprotocols=["access_token", SECRET]
    )
    assert (await communicator.connect())[0]
    try:
        [record] = registry.live.values()
        url = f"{DASHBOARD}connections/{record.id}/"
        data = (await admin.get(url + "?format=json")).json()["connection"]
        page = (await admin.get(url)).content.decode()
    finally:
        await communicator.disconnect()
    assert SECRET not in json.dumps(data) and SECRET not in page
    assert data["query_string"] == "jwt=[redacted]&%74oken=[redacted]&room=lobby"
    assert dict(data["headers"])["sec-websocket-protocol"] == "access_token, [redacted]"
