"""``ChannelsRoutingPanel``: this process's Channels routing, inside django-debug-toolbar."""

import inspect
import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from asgiref.sync import async_to_sync, sync_to_async
from debug_toolbar.decorators import require_show_toolbar
from debug_toolbar.panels import Panel
from debug_toolbar.toolbar import DebugToolbar
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import escape
from django.utils.timezone import localtime
from django.utils.translation import ngettext

from channels_admin.groups import active_groups
from channels_admin.introspection import describe
from channels_admin.permissions import VIEW, can_view
from channels_admin.recorder.installed import not_recording
from channels_admin.recorder.recording import current_recording
from channels_admin.recorder.records import session_hash
from channels_admin.registry import get_registry
from channels_admin.routing import get_default_application
from channels_admin.views.pages import duration
from channels_admin.views.tree import display_tree

logger = logging.getLogger("channels_admin.panel")

MAX_CONNECTIONS = 20
MAX_GROUPS = 20
MAX_DECISIONS = 10
STAFF_ONLY = "staff only"
#: What read_live() returns about connections: never rendered from the toolbar's store.
LIVE_KEYS = ("live", "groups", "decisions", "read_at")


class ChannelsRoutingPanel(Panel):
    """The router tree of ``ASGI_APPLICATION``, live connections (those the debugged page
    opened are marked), active groups, recent misses and errors, and a route tester.

    Add ``"channels_admin.panels.ChannelsRoutingPanel"`` to ``DEBUG_TOOLBAR_PANELS``. Only an
    active staff user with ``channels_admin.view_connection`` sees it, like the dashboard: for
    anyone else the registry is not read and the panel says who may see it. The registry is
    read once per request, after the view (``request.user`` is set by then); the panel's
    script refreshes the live part when the panel is opened, so sockets the page opened after
    loading show up.
    """

    is_async = True
    title = "Channels routing"
    template = "channels_admin/panel.html"

    @property
    def nav_subtitle(self):
        return subtitle(self.get_stats())

    @property
    def scripts(self):
        return [static("channels_admin/panel.js")]

    @classmethod
    def get_urls(cls):
        return [path("channels-routing/live/", live_view, name="channels_routing_live")]

    def process_request(self, request):
        self.page = page_of(request)
        response = self.get_response(request)
        if inspect.isawaitable(response):  # the toolbar runs async under ASGI
            return self._after_async_view(request, response)
        self.staff = may_view(request)
        self.live = async_to_sync(read_live)(self.page) if self.staff else None
        return response

    async def _after_async_view(self, request, response):
        response = await response
        # The user is loaded lazily, from the database: that is sync-only work.
        self.staff = await sync_to_async(may_view)(request)
        self.live = await read_live(self.page) if self.staff else None
        return response

    @property
    def content(self):
        """The panel; read back from the toolbar's store, without its live part.

        The toolbar's views that serve stored panels (``render_panel``, the history) may be
        asked by anyone the toolbar is shown to, and do not tell the panel who asks: panel.js
        reads the live part through ``live_view``, which checks.
        """
        stats = self.get_stats()
        if self.from_store and "live" in stats:
            stats = {key: value for key, value in stats.items() if key not in LIVE_KEYS}
            stats["reading"] = True
        return render_to_string(self.template, stats)

    def generate_stats(self, request, response):
        if not self.staff:
            self.record_stats(staff_only(request.get_full_path()))
            return
        self.record_stats(
            {
                **self.live,
                "page": self.page,
                "tree": router_tree(),
                "live_url": reverse("djdt:channels_routing_live"),
                "request_id": self.toolbar.request_id,
            }
        )


@login_not_required
@require_show_toolbar
def live_view(request):
    """The live part of the panel, read now, for the request the toolbar stored; for those who
    may view live connections only."""
    if not may_view(request):
        content = render_to_string(ChannelsRoutingPanel.template, staff_only())
        return JsonResponse({"content": content, "subtitle": STAFF_ONLY}, status=403)
    toolbar = DebugToolbar.fetch(request.GET.get("request_id", ""), ChannelsRoutingPanel.panel_id)
    stats = toolbar and toolbar.get_panel_by_id(ChannelsRoutingPanel.panel_id).get_stats()
    if not stats or "page" not in stats:
        content = "<p>%s</p>" % escape(
            "Data for this panel isn't available anymore. Please reload the page and retry."
        )
        return JsonResponse({"content": content})
    live = async_to_sync(read_live)(stats["page"])
    return JsonResponse(
        {
            "content": render_to_string(ChannelsRoutingPanel.template, live),
            "subtitle": subtitle(live),
        }
    )


def subtitle(stats):
    """The nav subtitle, like "3 live · 2 groups" (the request being served not counted)."""
    if "staff_only" in stats:
        return STAFF_ONLY
    if "live" not in stats:
        return "unavailable" if "error" in stats else ""
    if stats.get("not_recording"):
        return "not recording"
    live, groups = stats["live"]["total"], stats["groups"]["total"]
    return "%d live · %s" % (live, ngettext("%d group", "%d groups", groups) % groups)


def may_view(request):
    """Return whether the request's user may see every connection: active staff with
    ``channels_admin.view_connection``, as on the dashboard.

    The one place the panel decides who sees connection data (the panel, its live view).

    A request without a user (no AuthenticationMiddleware) may not, nor one whose user cannot
    be loaded: the page is still served, and the failure logged.
    """
    try:
        return can_view(getattr(request, "user", None))
    except Exception:
        logger.exception("The Channels routing panel could not load the request's user")
        return False


def staff_only(next_path=None):
    """What the panel shows anyone who may not view connections: the admin login (back to
    ``next_path``), when there is an admin site, and the permission needed."""
    url = _dashboard_url("admin:login")
    if url and next_path:
        url += "?" + urlencode({"next": next_path})
    return {"staff_only": True, "login_url": url, "permission": VIEW}


def page_of(request):
    """Who asked for the debugged page: compared with each connection to mark its own."""
    return {
        "session_hash": session_hash(request.COOKIES.get(settings.SESSION_COOKIE_NAME)),
        "client": request.META.get("REMOTE_ADDR"),
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
        "time": time.time(),
    }


async def read_live(page):
    """Connections, groups and recent misses and errors, as JSON-friendly dicts; a failure
    is reported in the panel, never raised into the request."""
    try:
        now = time.time()
        registry = get_registry()
        found = await registry.connections(live=True, order="-started", limit=MAX_CONNECTIONS + 1)
        problems = await registry.decisions(problems=True, limit=MAX_DECISIONS)
        groups = await _groups(registry)
    except Exception as exc:
        logger.exception("The Channels routing panel could not read the registry")
        return {"error": "%s: %s" % (type(exc).__name__, exc)}
    connections, total = _without_own_request(found)
    decisions = problems["decisions"]
    return {
        "live": {
            "total": total,
            "connections": [_connection(record, page, now) for record in connections],
            "all_url": _dashboard_url("admin:channels_admin_connections"),
        },
        "groups": groups,
        "decisions": [_decision(decision, now) for decision in decisions],
        "dashboard_url": _dashboard_url("admin:channels_admin_overview"),
        "resolve_url": _dashboard_url("admin:channels_admin_resolve"),
        "not_recording": not_recording(),
        "read_at": localtime(datetime.fromtimestamp(now, UTC)).strftime("%H:%M:%S"),
    }


def _without_own_request(found):
    """The request being served is a live HTTP connection too; it is not what we look for.
    It is among the newest, so leaving it out of the first page keeps the total right."""
    recording = current_recording()
    own = recording.record.id if recording is not None else None
    connections = [record for record in found["connections"] if record["id"] != own]
    total = found["total"] - (len(found["connections"]) - len(connections))
    return connections[:MAX_CONNECTIONS], total


async def _groups(registry):
    try:
        found = await active_groups(registry=registry)
    except LookupError as exc:  # no channel layer configured
        return {"total": 0, "groups": [], "note": str(exc), "all_url": None}
    groups_url = _dashboard_url("admin:channels_admin_groups")
    return {
        "total": len(found["groups"]),
        "groups": [
            {
                "name": group["name"],
                "size": group["size"],
                "members": [member["connection"] for member in group["members"]],
            }
            for group in found["groups"][:MAX_GROUPS]
        ],
        "note": found["note"],
        "all_url": groups_url,
    }


def _connection(record, page, now):
    return {
        "id": record["id"],
        "type": record["type"],
        "path": record["path"],
        "consumer": record["consumer"],
        "kwargs": ", ".join("%s=%s" % item for item in record["kwargs"].items()),
        "groups": record["groups"],
        "user": record["user"],
        "client": record["client"],
        "state": record["state"],
        "age": duration(now - record["started"]),
        "messages": "%d / %d" % (record["messages_in"], record["messages_out"]),
        "mark": mark(record, page),
        "url": _dashboard_url("admin:channels_admin_connection", record["id"]),
    }


def mark(record, page):
    """``"page"`` for a connection the debugged page opened, ``"browser"`` for an older one
    from the same browser, None otherwise.

    Same browser means the same session cookie (compared as keyed digests) or, when the page
    had no session, no session either and the same client address and user agent.
    """
    if page["session_hash"]:
        same = record.get("session_hash") == page["session_hash"]
    else:
        same = (
            not record.get("session_hash")
            and _host(record["client"]) == page["client"]
            and _header(record, "user-agent") == page["user_agent"]
        )
    if not same:
        return None
    return "page" if record["started"] >= page["time"] else "browser"


def _decision(decision, now):
    return {
        "outcome": decision["outcome"],
        "type": decision["type"],
        "path": decision["path"],
        "consumer": decision["consumer"],
        "error": decision["refusal"] or decision["error"],
        "nearest": decision["nearest"],
        "age": duration(now - decision["time"]),
        "url": _dashboard_url("admin:channels_admin_connection", decision["connection"]),
    }


def router_tree():
    """``{"rows": [...]}`` for the tree of ASGI_APPLICATION, or ``{"error": ...}``."""
    try:
        return {"rows": list(_rows(display_tree(describe(get_default_application()))))}
    except Exception as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def _rows(item, depth=0):
    """The tree (``display_tree()``'s, middleware folded into its route) as indented rows."""
    node, how = item["node"], item["how"] or {}
    yield {
        "indent": "\u00a0\u00a0\u00a0\u00a0" * depth,
        "how": how.get("key") or how.get("pattern") or "",
        "through": item["chain"],
        "name": node["label"]
        if item["router"]
        else node.get("consumer") or node.get("dotted") or node["label"],
        "kind": node["kind"],
        "source": item["source"] or "",
        "notes": [*item["notes"], *([node["note"]] if node.get("note") else [])],
    }
    for child in item["children"]:
        yield from _rows(child, depth + 1)


def _dashboard_url(name, *args):
    """A dashboard URL, or None while the dashboard is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _host(client):
    return client.rpartition(":")[0] if client else None


def _header(record, name):
    return next((value for key, value in record["headers"] if key == name), "")
