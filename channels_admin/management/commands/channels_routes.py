"""``manage.py channels_routes``: the routing tree of ASGI_APPLICATION, or where a path goes."""

import json

from django.core.management.base import BaseCommand, CommandError

from channels_admin.introspection import describe, explain, explain_action
from channels_admin.introspection.names import short_source
from channels_admin.introspection.targets import read_target
from channels_admin.routing import get_default_application

ROUTERS = ("protocol_router", "url_router", "channel_router", "message_router")
INCLUDES = ("message_include", "action_include")


class Command(BaseCommand):
    help = (
        "Show the routing tree of ASGI_APPLICATION, or with --resolve, which consumer would "
        "take a path and why (a dry run: no consumer or middleware runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--resolve",
            metavar="PATH",
            help="explain where PATH would go (a channel name with --type channel)",
        )
        parser.add_argument(
            "--type",
            default="websocket",
            choices=["websocket", "http", "channel"],
            help="scope type for --resolve (default: websocket)",
        )
        parser.add_argument(
            "--route",
            help="with --resolve: which action handler a frame sent to ROUTE would reach",
        )
        parser.add_argument("--format", default="text", choices=["text", "json"])

    def handle(self, *args, resolve=None, type="websocket", format="text", route=None, **options):
        if route is not None and resolve is None:
            raise CommandError(
                "--route needs --resolve PATH: the connection the frame is sent on."
            )
        application = get_default_application()
        if resolve is None:
            tree = describe(application)
            if format == "json":
                self.stdout.write(json.dumps(tree, indent=2))
            else:
                self.stdout.write("\n".join(tree_lines(tree)))
            return
        scope, query = read_target(resolve, type)
        result = explain(application, scope)
        if query:
            result["query_string"] = query
        if route is not None and result["matched"]:
            result["action"] = explain_action(application, route.strip(), scope)
        if format == "json":
            self.stdout.write(json.dumps(result, indent=2))
        else:
            shown = scope.get("path", scope.get("channel"))
            self.stdout.write("\n".join(explanation_lines(shown, type, result)))
        if not result["matched"]:
            raise CommandError("No application would take %s %r." % (type, resolve))
        if route is not None and result["action"]["consumer"] is None:
            raise CommandError(result["action"]["error"])


def tree_lines(node, depth=0):
    """The tree indented like ``show_urls``: middleware folded into its route's line."""
    how = _how(node)
    notes = node.get("notes", [])  # about the route, so on its outermost node
    chain = []
    while node["kind"] == "middleware" and node["children"]:
        chain.append(node["label"])
        node = node["children"][0]
    if node["kind"] in ROUTERS:
        name = node["label"] + (" (channels)" if node.get("stock") else "")
    elif node["kind"] in INCLUDES:
        name = node["label"]
    else:
        name = node.get("consumer") or node["dotted"]
    parts = [how] if how else []
    parts.append(" > ".join([*chain, name]))
    if node["kind"] not in ROUTERS and node.get("source"):
        parts.append("[%s]" % short_source(node["source"]))
    if node.get("actions"):
        parts.append("actions: " + ", ".join(node["actions"]))
    yield "  " * depth + "  ".join(parts)
    for note in notes:
        yield "  " * (depth + 1) + "! " + note
    for child in node["children"]:
        yield from tree_lines(child, depth + 1)


def _how(node):
    if "route" in node:  # Channels 1 routing: channels and filters
        channels = "|".join(node.get("channels", []))
        filters = ["%s=%r" % item for item in node["filters"].items()]
        return " ".join([channels, *filters]).strip()
    if "key" in node:
        return "[%s]" % node["key"]
    if "pattern" in node:
        return node["pattern"] or "''"
    return ""


def explanation_lines(target, kind, result):
    if result["matched"]:
        yield "%s %s -> %s  kwargs=%s" % (kind, target, result["consumer"], result["kwargs"])
    else:
        yield "%s %s -> no match: %s" % (kind, target, result["error"])
    if result.get("query_string"):
        yield "query string %s set aside: routing does not look at it" % result["query_string"]
    nearest = result.get("nearest")
    if nearest:
        hint = ": %s" % nearest["hint"] if nearest["hint"] else ""
        yield "nearest route: %s%s" % (nearest["pattern"], hint)
    yield "through: " + " > ".join(result["chain"])
    yield from _step_lines(result["steps"], 1)
    action = result.get("action")
    if action is not None:
        yield from action_lines(action)


def action_lines(action):
    if action["consumer"] is None:
        yield "route %r: %s" % (action["route"], action["error"])
        return
    yield "route %r -> %s  kwargs=%s  actions: %s" % (
        action["route"],
        action["handler"],
        action["kwargs"],
        ", ".join(action["actions"]) or "none",
    )
    if not action["matched"]:
        yield "  " + action["error"]
    yield from _step_lines(action["steps"], 1)


def _step_lines(steps, depth):
    pad = "  " * depth
    for step in steps:
        line = "%s%s looked at %s=%r" % (pad, step["label"], step["looked_at"], step["value"])
        if step.get("stripped"):
            line += "  (include stripped its match: %s)" % _pairs(step["stripped"])
        yield line
        for candidate in step["candidates"]:
            name = candidate.get("pattern", candidate.get("key"))
            if "index" in candidate:
                name = "[%d] %s" % (candidate["index"], name)
            if candidate["matched"]:
                yield "%s  + %s" % (pad, name)
                yield from _step_lines(candidate.get("nested", []), depth + 2)
                continue
            reason = candidate["reason"]
            if candidate.get("detail"):
                reason += " (%s)" % candidate["detail"]
            yield "%s  - %s: %s" % (pad, name, reason)
            if candidate.get("hint"):
                yield "%s    hint: %s" % (pad, candidate["hint"])
            if candidate.get("note"):
                yield "%s    ! %s" % (pad, candidate["note"])
            yield from _step_lines(candidate.get("nested", []), depth + 2)
        if step.get("skipped"):
            yield "%s  (%d routes ruled out by their first path segment)" % (pad, step["skipped"])
        if step.get("raises"):
            yield "%s  raises %s: %s" % (pad, step["raises"], step["error"])
        elif step.get("error"):
            yield "%s  %s" % (pad, step["error"])


def _pairs(values):
    return ", ".join("%s left %r" % item for item in values.items())
