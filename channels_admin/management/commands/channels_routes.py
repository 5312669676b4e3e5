"""``manage.py channels_routes``: the routing tree of ASGI_APPLICATION, or where a path goes."""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from channels_admin.introspection import describe, explain
from channels_admin.routing import get_default_application

ROUTERS = ("protocol_router", "url_router", "channel_router")


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
        parser.add_argument("--format", default="text", choices=["text", "json"])

    def handle(self, *args, resolve=None, type="websocket", format="text", **options):
        application = get_default_application()
        if resolve is None:
            tree = describe(application)
            if format == "json":
                self.stdout.write(json.dumps(tree, indent=2))
            else:
                self.stdout.write("\n".join(tree_lines(tree)))
            return
        result = explain(application, scope_for(resolve, type))
        if format == "json":
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write("\n".join(explanation_lines(resolve, type, result)))
        if not result["matched"]:
            raise CommandError("No application would take %s %r." % (type, resolve))


def scope_for(target, kind):
    if kind == "channel":
        return {"type": "channel", "channel": target}
    path, _, query = target.partition("?")
    return {"type": kind, "path": path, "query_string": query.encode()}


def tree_lines(node, depth=0):
    """The tree indented like ``show_urls``: middleware folded into its route's line."""
    how = _how(node)
    chain = []
    while node["kind"] == "middleware" and node["children"]:
        chain.append(node["label"])
        node = node["children"][0]
    if node["kind"] in ROUTERS:
        name = node["label"] + (" (channels)" if node.get("stock") else "")
    else:
        name = node.get("consumer") or node["dotted"]
    parts = [how] if how else []
    parts.append(" > ".join([*chain, name]))
    if node["kind"] not in ROUTERS and node.get("source"):
        parts.append("[%s:%s]" % (_short(node["source"]["file"]), node["source"]["line"]))
    yield "  " * depth + "  ".join(parts)
    for note in node.get("notes", []):
        yield "  " * (depth + 1) + "! " + note
    for child in node["children"]:
        yield from tree_lines(child, depth + 1)


def _how(node):
    if "key" in node:
        return "[%s]" % node["key"]
    if "pattern" in node:
        return node["pattern"] or "''"
    return ""


def _short(path):
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def explanation_lines(target, kind, result):
    if result["matched"]:
        yield "%s %s -> %s  kwargs=%s" % (kind, target, result["consumer"], result["kwargs"])
    else:
        yield "%s %s -> no match: %s" % (kind, target, result["error"])
    yield "through: " + " > ".join(result["chain"])
    yield from _step_lines(result["steps"], 1)


def _step_lines(steps, depth):
    pad = "  " * depth
    for step in steps:
        yield "%s%s looked at %s=%r" % (pad, step["label"], step["looked_at"], step["value"])
        for candidate in step["candidates"]:
            name = candidate.get("pattern", candidate.get("key"))
            if "index" in candidate:
                name = "[%d] %s" % (candidate["index"], name)
            if candidate["matched"]:
                yield "%s  + %s" % (pad, name)
                continue
            reason = candidate["reason"]
            if candidate.get("detail"):
                reason += " (%s)" % candidate["detail"]
            yield "%s  - %s: %s" % (pad, name, reason)
            if candidate.get("note"):
                yield "%s    ! %s" % (pad, candidate["note"])
            yield from _step_lines(candidate.get("nested", []), depth + 2)
        if step.get("skipped"):
            yield "%s  (%d routes ruled out by their first path segment)" % (pad, step["skipped"])
        if step.get("error"):
            yield "%s  raises %s: %s" % (pad, step.get("raises", "an error"), step["error"])
