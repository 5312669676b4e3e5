"""The dashboard's pages: plain views bound to one admin site, HTML for people, JSON for tools.

Every page answers ``?format=json`` with the data it shows. A page with live data renders it
in a region (``#live``) that the browser refreshes in place through htmx: such a request
(header ``HX-Target: live``) gets only that region back.
"""

import functools
import logging
import math
import time
from datetime import UTC, datetime
from urllib.parse import quote

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.core.exceptions import (
    BadRequest,
    ImproperlyConfigured,
    PermissionDenied,
    SuspiciousOperation,
)
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html, format_html_join

from channels_admin import audit, permissions
from channels_admin.groups import active_groups, group_counts
from channels_admin.introspection import describe, explain, explain_action
from channels_admin.introspection.targets import read_target
from channels_admin.recorder.installed import not_recording
from channels_admin.redis_timeouts import timeout_explanation
from channels_admin.registry import (
    change_group,
    close_connection,
    get_registry,
    valid_close_code,
)
from channels_admin.registry.base import ORDER_FIELDS, OUTCOMES, RegistryUnavailable
from channels_admin.routing import get_default_application
from channels_admin.views.charts import charts
from channels_admin.views.tree import display_tree, draw_path

logger = logging.getLogger("channels_admin.dashboard")

PAGE_SIZE = 100
MEMBERS_SHOWN = 20
PROBLEMS_SHOWN = 10
SCOPE_TYPES = ("websocket", "http", "channel")
CLOSE_PERMISSION = permissions.CLOSE
EVENTS_PERMISSION = permissions.VIEW_EVENTS
MAX_BULK_CLOSE = 1000  # connections one bulk close (or one group's close) reaches at most
MAX_REASON_BYTES = 123  # what a WebSocket close frame has room for
PAGES = ("overview", "connections", "groups", "decisions", "resolve", "servers", "activity")
#: What Django answers itself with a 4xx: the request's fault, not the dashboard's.
CLIENT_ERRORS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)

#: The connections page's ``state`` filter: (value, label, registry arguments).
STATES = (
    ("", "live", {"live": True}),
    ("connecting", "connecting", {"live": True, "state": "connecting"}),
    ("accepted", "accepted", {"live": True, "state": "accepted"}),
    ("closed", "closed (recent, rejected included)", {"live": False}),
    ("rejected", "rejected (recent)", {"live": False, "state": "rejected"}),
    ("all", "all (live and recent)", {"live": None}),
)


class Dashboard:
    """The pages under ``channels-routing/`` of one admin site (see ``get_urls()``)."""

    def __init__(self, site):
        self.site = site
        self.outage = Outage()

    def get_urls(self):
        def view(page):
            return self.protected(self.unavailable_on_failure(page))

        return [
            path("channels-routing/", view(self.overview), name="channels_admin_overview"),
            path(
                "channels-routing/connections/",
                view(self.connections),
                name="channels_admin_connections",
            ),
            path(
                "channels-routing/connections/close/",
                view(self.bulk_close),
                name="channels_admin_bulk_close",
            ),
            path(
                "channels-routing/connections/<str:id>/",
                view(self.connection),
                name="channels_admin_connection",
            ),
            path(
                "channels-routing/connections/<str:id>/close/",
                view(self.close),
                name="channels_admin_close",
            ),
            path(
                "channels-routing/connections/<str:id>/join/",
                view(self.join),
                name="channels_admin_join",
            ),
            path(
                "channels-routing/connections/<str:id>/leave/",
                view(self.leave),
                name="channels_admin_leave",
            ),
            path("channels-routing/groups/", view(self.groups), name="channels_admin_groups"),
            path(
                "channels-routing/decisions/",
                view(self.decisions),
                name="channels_admin_decisions",
            ),
            path("channels-routing/resolve/", view(self.resolve), name="channels_admin_resolve"),
            path("channels-routing/servers/", view(self.servers), name="channels_admin_servers"),
            path(
                "channels-routing/activity/", view(self.activity), name="channels_admin_activity"
            ),
        ]

    def protected(self, view):
        """Return ``view`` behind the admin's login and the view permission.

        Every page and action goes through here (``view()`` in ``get_urls()``): anonymous and
        non-staff users get the admin's login; staff without ``channels_admin.view_connection``,
        and anyone refused an action, a 403 in the admin's look (JSON with ``?format=json``).
        """

        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            try:
                if not permissions.can_view(request.user):
                    raise PermissionDenied(
                        "Viewing live connections needs the %s permission." % permissions.VIEW
                    )
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return self.denied(request, str(exc))

        return self.site.admin_view(guarded)

    def denied(self, request, reason):
        """Answer 403 saying ``reason``: the admin's look, or JSON for ``?format=json``."""
        if wants_json(request):
            return JsonResponse({"error": reason}, status=403)
        request.current_app = self.site.name
        context = {
            **self.site.each_context(request),
            "title": "Permission denied",
            "reason": reason,
        }
        return render(request, "channels_admin/denied.html", context, status=403)

    def require(self, request, permission):
        """Refuse the action unless the user has ``permission`` and the dashboard is writable."""
        if not permissions.can_act(request.user, permission):
            raise PermissionDenied(permissions.refusal(permission))

    # Pages.

    def overview(self, request):
        registry = get_registry()

        async def fetch():
            summary = await registry.summary()
            problems = await registry.decisions(problems=True, limit=PROBLEMS_SHOWN)
            groups = await read_layer(group_counts, {"total": 0, "members": 0})
            servers = await registry.servers()
            activity = await registry.activity()
            return summary, problems["decisions"], groups, servers, activity

        summary, problems, groups, servers, activity = async_to_sync(fetch)()
        tree, tree_error = router_tree()
        data = {
            "live": {
                "total": summary["live"],
                "by_type": summary["by_type"],
                "by_consumer": summary["by_consumer"],
                "by_state": summary["by_state"],
            },
            "closed": summary["closed"],
            "decisions": {"total": summary["decisions"], "outcomes": summary["outcomes"]},
            "groups": groups,
            "servers": {
                "total": len(servers),
                "alive": sum(1 for server in servers if server["alive"]),
            },
            "problems": problems,
            "tree": tree,
            "tree_error": tree_error,
            "not_recording": not_recording(),
            "activity": activity,
        }
        if wants_json(request):
            return JsonResponse(data)
        context = {
            "data": data,
            "by_type": sorted(summary["by_type"].items()),
            "by_consumer": sorted(summary["by_consumer"].items(), key=lambda item: -item[1]),
            "outcomes": [(outcome, summary["outcomes"].get(outcome, 0)) for outcome in OUTCOMES],
            "problems": [decision_row(decision) for decision in problems],
            "display_tree": display_tree(tree) if tree else None,
            "chart": charts(activity, table=False),
        }
        return self.render(request, "overview", "Channels routing", context)

    def connections(self, request):
        filters = {
            name: request.GET.get(name, "").strip()
            for name in ("path", "consumer", "group", "type", "user", "state", "server")
        }
        if "type" not in request.GET:  # WebSocket by default; the switch offers HTTP and all
            filters["type"] = "websocket"
        state = next((state for state in STATES if state[0] == filters["state"]), STATES[0])
        order = request.GET.get("order") or "-started"
        if order.lstrip("-") not in ORDER_FIELDS:
            order = "-started"
        page = page_number(request)
        query = {
            name: filters[name] or None for name in ("path", "consumer", "group", "user", "server")
        }
        query["type"] = filters["type"] if filters["type"] in SCOPE_TYPES else None
        found = async_to_sync(get_registry().connections)(
            **state[2], **query, order=order, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        pages = page_count(found["total"])
        if wants_json(request):
            for record in found["connections"]:
                record.pop("trace", None)  # on the connection's own page
                record.pop("events", None)
            return JsonResponse(
                {**found, "page": page, "pages": pages, "page_size": PAGE_SIZE, "order": order}
            )
        now = time.time()
        context = {
            "filters": filters,
            "states": [(value, label) for value, label, _ in STATES],
            "types": SCOPE_TYPES,
            "order": order,
            "columns": sort_columns(order),
            "rows": [connection_row(record, now) for record in found["connections"]],
            "total": found["total"],
            "can_close": permissions.can_act(request.user, CLOSE_PERMISSION),
            **pagination(page, pages, found["total"]),
        }
        return self.render(request, "connections", "Connections", context)

    def connection(self, request, id):
        record = async_to_sync(get_registry().get)(id)
        if record is None:
            message = "No connection %r is recorded (it may have been forgotten)." % id
            if wants_json(request):
                return JsonResponse({"error": message}, status=404)
            raise Http404(message)
        record = with_events_for(request.user, record)
        if wants_json(request):
            return JsonResponse({"connection": record})
        row = connection_row(record, time.time())
        if record["events"]:
            row["events"] = [{**event, "at": timestamp(event["time"])} for event in row["events"]]
        context = {
            "record": row,
            "can_close": permissions.can_act(request.user, CLOSE_PERMISSION),
            "can_manage_groups": permissions.can_act(request.user, permissions.MANAGE_GROUPS),
            "closable": record["state"] in ("connecting", "accepted")
            and record["type"] == "websocket"
            and bool(record["channel_name"]),
        }
        return self.render(request, "connection", "Connection %s" % id, context)

    def close(self, request, id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self.require(request, CLOSE_PERMISSION)
        try:
            code = int(request.POST.get("code", 1000))
        except ValueError:
            code = None
        reason = request.POST.get("reason", "").strip()
        status, message = 200, check_close(code, reason)
        if message is not None:
            status = 400
        else:
            try:
                record = async_to_sync(close_connection)(id, code, reason)
            except LookupError as exc:
                status, message = 404, str(exc)
            except ValueError as exc:
                status, message = 400, str(exc)
            else:
                audit.log_close(request.user, record, code, reason)
        if wants_json(request):
            if status != 200:
                return JsonResponse({"error": message}, status=status)
            return JsonResponse({"closing": id, "code": code})
        if status != 200:
            messages.error(request, message)
        else:
            messages.success(request, "Asked connection %s to close with code %d." % (id, code))
        return HttpResponseRedirect(self.url("channels_admin_connection", id))

    def join(self, request, id):
        return self.change_group(request, id, joined=True)

    def leave(self, request, id):
        return self.change_group(request, id, joined=False)

    def change_group(self, request, id, joined):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self.require(request, permissions.MANAGE_GROUPS)
        group = request.POST.get("group", "").strip()
        username = request.user.get_username()
        status, message = 200, None
        try:
            record = async_to_sync(change_group)(id, group, joined, by=username)
        except LookupError as exc:
            status, message = 404, str(exc)
        except ValueError as exc:
            status, message = 400, str(exc)
        else:
            audit.log_group_change(request.user, record, group, joined)
        if wants_json(request):
            if status != 200:
                return JsonResponse({"error": message}, status=status)
            return JsonResponse({"connection": id, "group": group, "joined": joined})
        if status != 200:
            messages.error(request, message)
            response = self.connection(request, id)
            response.status_code = status if response.status_code == 200 else 404
            return response
        done = "Added connection %s to group %s." if joined else "Removed connection %s from %s."
        messages.success(request, done % (id, group))
        return HttpResponseRedirect(self.url("channels_admin_connection", id))

    def bulk_close(self, request):
        """Close the selected connections (``ids``, or every live member of ``group``), after
        a confirmation page like the admin's actions: only ``confirm=yes`` closes."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self.require(request, CLOSE_PERMISSION)
        group = request.POST.get("group", "").strip()
        ids = list(dict.fromkeys(request.POST.getlist("ids")))[:MAX_BULK_CLOSE]
        try:
            code = int(request.POST.get("code", 1000))
        except ValueError:
            code = None
        reason = request.POST.get("reason", "").strip()
        records = async_to_sync(selected)(ids, group)
        problem = None
        if not records:
            problem = "Select at least one live connection to close (none of these is live)."
        elif request.POST.get("confirm") == "yes":
            problem = check_close(code, reason)
        if problem is not None:
            if wants_json(request):
                return JsonResponse({"error": problem}, status=400)
            messages.error(request, problem)
            response = self.connections(request)
            response.status_code = 400
            return response
        if request.POST.get("confirm") != "yes":
            return self.confirm_close(request, records, ids, group, code, reason)
        closed, failed = async_to_sync(close_all)(records, code, reason)
        for record in closed:
            audit.log_close(request.user, record, code, reason)
        if wants_json(request):
            return JsonResponse(
                {"closed": len(closed), "ids": [r["id"] for r in closed], "failed": failed}
            )
        messages.success(
            request,
            "Asked %d connection%s to close with code %d."
            % (len(closed), "" if len(closed) == 1 else "s", code),
        )
        for id, error in failed.items():
            messages.error(request, "%s: %s" % (id, error))
        return HttpResponseRedirect(self.url("channels_admin_connections"))

    def confirm_close(self, request, records, ids, group, code, reason):
        rows = [connection_row(record, time.time()) for record in records]
        if wants_json(request):
            keys = ("id", "path", "user", "consumer")
            return JsonResponse(
                {"confirm": [{key: row[key] for key in keys} for row in rows], "total": len(rows)}
            )
        context = {
            "rows": rows,
            "group": group,
            "code": code if valid_close_code(code) else 1000,
            "reason": reason,
            "max_reason_bytes": MAX_REASON_BYTES,
        }
        title = "Close %d connection%s?" % (len(rows), "" if len(rows) == 1 else "s")
        return self.render(request, "close_confirmation", title, context)

    def groups(self, request):
        name = request.GET.get("name", "").strip()
        page = page_number(request)
        found = async_to_sync(read_layer)(
            active_groups, {"groups": []}, name=name or None, registry=get_registry()
        )
        total = len(found["groups"])
        pages = page_count(total)
        shown = found["groups"][(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if wants_json(request):
            return JsonResponse(
                {**found, "groups": shown, "total": total, "page": page, "pages": pages}
            )
        context = {
            "name": name,
            "layer": found,
            "rows": [group_row(group, self.url("channels_admin_connections")) for group in shown],
            "total": total,
            "can_close": permissions.can_act(request.user, CLOSE_PERMISSION),
            **pagination(page, pages, total),
        }
        return self.render(request, "groups", "Groups", context)

    def decisions(self, request):
        filters = {
            name: request.GET.get(name, "").strip() for name in ("outcome", "path", "consumer")
        }
        outcome = filters["outcome"] if filters["outcome"] in OUTCOMES else None
        page = page_number(request)
        found = async_to_sync(get_registry().decisions)(
            outcome=outcome,
            path=filters["path"] or None,
            consumer=filters["consumer"] or None,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        total, shown = found["total"], found["decisions"]
        pages = page_count(total)
        if wants_json(request):
            return JsonResponse({"decisions": shown, "total": total, "page": page, "pages": pages})
        context = {
            "filters": filters,
            "outcomes": OUTCOMES,
            "rows": [decision_row(decision) for decision in shown],
            "total": total,
            **pagination(page, pages, total),
        }
        return self.render(request, "decisions", "Routing decisions", context)

    def resolve(self, request):
        target = request.GET.get("path", "").strip()
        kind = request.GET.get("type") or "websocket"
        route = request.GET.get("route", "").strip()
        error = None
        if kind not in SCOPE_TYPES:
            error = "type must be one of %s." % ", ".join(SCOPE_TYPES)
        elif "path" in request.GET and not target:
            error = "Give a path (or, with type channel, a channel name)."
        result = action = tree = None
        query = ""
        if error is None and target:
            try:
                application = get_default_application()
            except ImproperlyConfigured as exc:
                error = str(exc)
            else:
                scope, query = read_target(target, kind)
                result = explain(application, scope)
                if route:
                    action = explain_action(application, route, scope)
                tree = display_tree(describe(application))
                draw_path(tree, result["steps"])
        if wants_json(request):
            if result is None:
                return JsonResponse({"error": error or "Pass ?path=...&type=..."}, status=400)
            return JsonResponse(action if action is not None else result)
        context = {
            "target": target,
            "shown": scope.get("path", scope.get("channel")) if result else target,
            "query": query,
            "kind": kind,
            "route": route,
            "types": SCOPE_TYPES,
            "error": error,
            "result": result,
            "action": action,
            "display_tree": tree,
        }
        return self.render(request, "resolve", "Route tester", context)

    def servers(self, request):
        servers = async_to_sync(get_registry().servers)()
        if wants_json(request):
            return JsonResponse({"servers": servers, "total": len(servers)})
        now = time.time()
        rows = [
            {
                **server,
                "started_at": timestamp(server["started"]),
                "last_seen_at": timestamp(server["last_seen"]),
                "age": duration(now - server["started"]),
                "seen": duration(now - server["last_seen"]),
            }
            for server in servers
        ]
        context = {"rows": rows, "total": len(rows)}
        return self.render(request, "servers", "Servers", context)

    def activity(self, request):
        filters = {name: request.GET.get(name, "").strip() for name in ("consumer", "server")}
        activity = async_to_sync(get_registry().activity)(
            consumer=filters["consumer"] or None, server=filters["server"] or None
        )
        if wants_json(request):
            return JsonResponse({"activity": activity})
        context = {"filters": filters, "chart": charts(activity)}
        return self.render(request, "activity", "Activity", context)

    # Failures.

    def unavailable_on_failure(self, view):
        """Return ``view`` answering 503 with the error, not 500, when what it reads fails
        (the registry, its store, the channel layer); every page and action goes through it."""

        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            try:
                response = view(request, *args, **kwargs)
            except CLIENT_ERRORS:
                raise
            except Exception as exc:
                error = self.outage.failed(exc)
                return self.unavailable(request, view.__name__, error)
            self.outage.recovered()
            return response

        return guarded

    def unavailable(self, request, page, error):
        """Answer 503: ``{"error": ...}``, the live region saying so, or the whole page."""
        if wants_json(request):
            response = JsonResponse({"error": error}, status=503)
        else:
            context = {"error": error, "page": page}  # page: the tab to highlight
            response = self.render(request, "unavailable", "Channels routing unavailable", context)
            response.status_code = 503
        response._has_been_logged = True  # by the Outage, once: not by django.request each time
        return response

    # Helpers.

    def url(self, name, *args):
        return reverse("admin:%s" % name, args=args, current_app=self.site.name)

    def render(self, request, page, title, context):
        """The page, or only its live region when htmx refreshes it."""
        request.current_app = self.site.name
        names = ["channels_admin/%s.html" % page]
        if is_live_refresh(request):  # pages without a live region answer in full
            names.insert(0, "channels_admin/live/%s.html" % page)
        context = {
            **self.site.each_context(request),
            "title": title,
            "page": page,
            "updated": datetime.now(UTC),
            "not_recording": not_recording(),
            "urls": {name: self.url("channels_admin_" + name) for name in PAGES},
            "read_only": permissions.is_read_only(),
            **context,
        }
        response = render(request, names, context)
        patch_vary_headers(response, ("HX-Target",))
        return response


class Outage:
    """Whether the dashboard is failing: each new error logged once, and the recovery."""

    def __init__(self):
        self.error = None

    def failed(self, exc):
        """Log ``exc`` unless it is the error already logged; return its text."""
        error = "%s: %s" % (type(exc).__name__, exc)
        if error != self.error:
            self.error = error
            logger.error("The Channels routing dashboard cannot answer: %s", error, exc_info=exc)
        return error

    def recovered(self):
        if self.error is not None:
            logger.info(
                "The Channels routing dashboard answers again (it failed with %s).", self.error
            )
            self.error = None


def with_events_for(user, record):
    """``record`` with its frames log only for users allowed to read frames (they are user
    data); others learn that a log exists and how long it is (``events_count``)."""
    events = record.get("events")
    hidden = events is not None and not user.has_perm(EVENTS_PERMISSION)
    return {
        **record,
        "events": None if hidden else events,
        "events_count": None if events is None else len(events),
        "events_hidden": hidden,
    }


def wants_json(request):
    return request.GET.get("format") == "json"


def is_live_refresh(request):
    headers = request.headers
    return headers.get("HX-Target") == "live" and "HX-History-Restore-Request" not in headers


def router_tree():
    """``(describe(ASGI_APPLICATION), None)``, or ``(None, why not)``."""
    try:
        return describe(get_default_application()), None
    except ImproperlyConfigured as exc:
        return None, str(exc)


async def read_layer(read, empty, **kwargs):
    """``read(**kwargs)`` (active_groups or group_counts of the default layer); when the layer
    cannot be read (none configured, Redis down), ``empty`` and a note saying why, so the rest
    of the page still shows."""
    try:
        return await read(**kwargs)
    except RegistryUnavailable:
        raise  # the whole page is unavailable, not only its groups
    except Exception as exc:
        if not isinstance(exc, LookupError):
            logger.warning("channels_admin could not list the layer's groups", exc_info=exc)
        note = "Could not list the groups: %s" % exc
        if isinstance(exc, OSError) or type(exc).__module__.startswith("redis"):
            note = (
                "Could not list the groups: the channel layer's Redis is unreachable (%s: %s); "
                "consumers that use the layer fail too." % (type(exc).__name__, exc)
            )
        return {"layer": "default", "backend": None, "complete": False, "note": note, **empty}


def page_number(request):
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def page_count(total):
    return max(1, math.ceil(total / PAGE_SIZE))


def pagination(page, pages, total):
    """The paginator's context: page numbers like the admin's (elided in long lists)."""
    paginator = Paginator(range(total), PAGE_SIZE)
    page_range = paginator.get_elided_page_range(min(page, pages)) if pages > 1 else []
    return {
        "page": page,
        "pages": pages,
        "has_previous": page > 1,
        "has_next": page < pages,
        "page_range": page_range,
        "ellipsis": Paginator.ELLIPSIS,
    }


def check_close(code, reason):
    """Return why ``code`` and ``reason`` cannot close a connection, or None."""
    if not valid_close_code(code):
        return "Close code must be 1000 or between 3000 and 4999."
    if len(reason.encode()) > MAX_REASON_BYTES:
        return "A close reason is at most %d bytes (UTF-8)." % MAX_REASON_BYTES
    return None


async def selected(ids, group):
    """The live records among ``ids`` and, with ``group``, the live members of that group."""
    registry = get_registry()
    records = {}
    for id in ids:
        record = await registry.get(id)
        if record is not None and record["state"] in ("connecting", "accepted"):
            records[id] = record
    if group:
        found = await registry.connections(live=True, group=group, limit=MAX_BULK_CLOSE)
        records.update((record["id"], record) for record in found["connections"])
    return list(records.values())[:MAX_BULK_CLOSE]


async def close_all(records, code, reason):
    """Ask each connection to close; return the records asked and ``{id: why not}``."""
    closed, failed = [], {}
    for record in records:
        try:
            closed.append(await close_connection(record["id"], code, reason))
        except (LookupError, ValueError) as exc:
            failed[record["id"]] = str(exc)
    return closed, failed


def sort_columns(order):
    """For each sortable column, the order a click on its header asks for, and its arrow."""
    columns = {}
    for field in ORDER_FIELDS:
        if order == "-" + field:
            columns[field] = {"order": field, "arrow": "▼"}
        elif order == field:
            columns[field] = {"order": "-" + field, "arrow": "▲"}
        else:  # the first click sorts ascending, like the admin's
            columns[field] = {"order": field, "arrow": ""}
    return columns


def connection_row(record, now):
    """A record with what the templates show computed: times, age, source of its consumer."""
    return {
        **record,
        "started_at": timestamp(record["started"]),
        "ended_at": timestamp(record["ended"]),
        "last_activity_at": timestamp(record["last_activity"]),
        "age": duration((record["ended"] or now) - record["started"]),
        "idle": duration(now - record["last_activity"]),
        "live": record["state"] in ("connecting", "accepted"),
        "error_hint": timeout_explanation(record["error"]),
        "action_errors": [
            {**failure, "at": timestamp(failure["time"])} for failure in record["action_errors"]
        ],
        "group_changes": [
            {**change, "at": timestamp(change["time"])}
            for change in record.get("group_changes", ())
        ],
    }


def group_row(group, connections_url):
    """A group with its first members linked (a group of thousands shows its count, not a
    wall). The links are built here, escaped by format_html: a template loop per member
    was most of the page's time with 1,000 groups."""
    shown = group["members"][:MEMBERS_SHOWN]
    links = format_html_join(" ", "{}", ((member_link(m, connections_url),) for m in shown))
    return {**group, "links": links, "more": group["size"] - len(shown)}


def member_link(member, connections_url):
    if member["connection"] is None:
        return format_html(
            '<code class="ca-quiet" title="channel not recorded by this process">{}</code>',
            member["channel"],
        )
    return format_html(
        '<a href="{}{}/"><code>{}</code></a>',
        connections_url,
        quote(member["connection"], safe=""),
        member["connection"],
    )


def decision_row(decision):
    return {
        **decision,
        "at": timestamp(decision["time"]),
        "error_hint": timeout_explanation(decision["error"]),
    }


def timestamp(seconds):
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def duration(seconds):
    """``4s``, ``3m 12s``, ``2h 05m``, ``3d 04h``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm %02ds" % divmod(seconds, 60)
    if seconds < 86400:
        return "%dh %02dm" % (seconds // 3600, seconds % 3600 // 60)
    return "%dd %02dh" % (seconds // 86400, seconds % 86400 // 3600)
