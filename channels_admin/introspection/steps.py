"""The words of a routing step: its shape, its candidates, why a route refused, and hints.

Every explainer (ours, stock Channels', action and message routing) builds its steps with
:func:`router_info` and :func:`candidate`; :func:`why_not` says why a Django pattern refused a
path and, where a small change would have matched, gives a ``hint``. :func:`nearest` picks the
route of a miss that came closest, for the route tester, the CLI and a recorded miss alike.
"""

import re

from channels import routing as stock
from django.urls.resolvers import RegexPattern, RoutePattern

from channels_admin.introspection.names import dotted_path, json_safe, label

MAX_CANDIDATES = 50
MAX_COMPARED = 200  # characters of a path an edit distance looks at

PATTERN_MISS = "pattern did not match"
CONVERTER_REJECTED = "converter rejected the value"
MISSING_SLASH = "missing trailing slash"
EXTRA_SLASH = "extra trailing slash"
CASE_DIFFERS = "case differs"
FIRST_SEGMENT_MISS = "first segment differs"
WRONG_PROTOCOL = "wrong protocol"
WRONG_CHANNEL = "wrong channel name"
NESTED_MISS = "nested miss"

# Django's own syntax of a path() parameter: <converter:name> or <name>.
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def router_info(router, kind="router", looked_at=None, value=None, **extra):
    """Start the JSON step of ``router`` looking at scope key ``looked_at`` = ``value``."""
    return {
        "router": dotted_path(router),
        "label": label(router),
        "kind": kind,
        "stock": type(router).__module__ == stock.__name__,
        "looked_at": looked_at,
        "value": json_safe(value),  # the scope's, which may hold anything
        "candidates": [],
        "matched": None,
        **extra,
    }


def candidate(candidates, matched, key=None, **fields):
    """Add one tried route to a step's ``candidates`` (at most ``MAX_CANDIDATES``)."""
    if len(candidates) < MAX_CANDIDATES:
        if key is not None:
            fields["key"] = json_safe(key)
        candidates.append({"matched": matched, **fields})


def why_not(pattern, path, matches=None):
    """Return why ``pattern`` refused ``path``: ``{"reason", "detail"?, "hint"?}``.

    ``matches(path)`` says whether the route takes a path (the pattern's own ``match()`` by
    default); it is asked about the nearby paths a hint would suggest.
    """
    if matches is None:
        matches = pattern.match
    refused = converter_refusal(pattern, path)
    if refused is not None:
        return refused
    if path.endswith("/") and matches(path[:-1]):
        return {"reason": EXTRA_SLASH, "hint": f"remove the trailing slash: {path[:-1]!r}"}
    if path and matches(path + "/"):  # routers strip leading slashes: "" + "/" is still ""
        return {"reason": MISSING_SLASH, "hint": f"add a trailing slash: {path + '/'!r}"}
    regex = _regex(pattern)
    if regex is not None and re.compile(regex.pattern, re.IGNORECASE).search(path):
        return {
            "reason": CASE_DIFFERS,
            "hint": f"paths are case-sensitive: the route is {str(pattern)!r}",
        }
    return {"reason": PATTERN_MISS}


def converter_refusal(pattern, path):
    """Return why a ``path()`` converter refused a segment of ``path``, or None."""
    if not isinstance(pattern, RoutePattern) or not pattern.converters:
        return None
    route = pattern._route if isinstance(pattern._route, str) else str(pattern)
    relaxed = pattern.regex.pattern
    for key, converter in pattern.converters.items():
        anything = ".+" if converter.regex == ".+" else "[^/]+"
        relaxed = relaxed.replace(f"(?P<{key}>{converter.regex})", f"(?P<{key}>{anything})")
    found = re.search(relaxed, path)
    if found is None:
        return None
    names = {m["parameter"]: m["converter"] or "str" for m in PARAMETER.finditer(route)}
    for key, value in found.groupdict().items():
        converter = pattern.converters[key]
        try:
            if re.fullmatch(converter.regex, value) is None:
                raise ValueError(value)
            converter.to_python(value)
        except ValueError:
            name = names.get(key, type(converter).__name__)
            article = "an" if name[:1].lower() in "aeiou" else "a"
            return {
                "reason": CONVERTER_REJECTED,
                "detail": f"{type(converter).__name__} rejected {key}={value!r}",
                "hint": f"{value!r} is not {article} {name} for <{name}:{key}>",
            }
    return None


def skipped_reason(pattern, path, matches=None):
    """Return why a route an index ruled out never got a turn, with any hint."""
    first = path.partition("/")[0]
    fields = {
        "reason": FIRST_SEGMENT_MISS,
        "detail": f"the route starts with {str(pattern).partition('/')[0]!r}, "
        f"the path with {first!r}",
    }
    hint = why_not(pattern, path, matches).get("hint")
    if hint:
        fields["hint"] = hint
    return fields


def nested_hint(pattern, nested_steps):
    """Return the hint of a route that matched a prefix and found nothing below it."""
    found = nearest(nested_steps)
    if found is not None and found["hint"]:
        return found["hint"]
    remaining = nested_steps[-1].get("value") if nested_steps else None
    return f"{str(pattern)!r} matched, but no route below it takes {remaining!r}"


def nearest(steps):
    """Return ``{"pattern", "hint"}`` of the route a miss came closest to, or None.

    Closest is the longest literal prefix shared with the path, then the smallest edit
    distance; a nested route is compared as its whole pattern (outer and inner joined).
    """
    if not steps:
        return None
    step = steps[-1]
    value = step.get("value")
    if not isinstance(value, str):
        return None
    best = None
    for pattern, hint in _failed(step["candidates"]):
        score = (_shared_prefix(value, pattern), -_distance(value, pattern))
        if best is None or score > best[0]:
            best = (score, pattern, hint)
    if best is None:
        return None
    return {"pattern": best[1], "hint": best[2]}


def _failed(candidates, prefix=""):
    """Yield ``(whole pattern, hint)`` of each failed candidate, nested ones included."""
    for tried in candidates:
        if tried.get("matched"):
            continue
        shown = tried.get("pattern", tried.get("key"))
        if not isinstance(shown, str):
            continue
        inner = [
            found
            for step in tried.get("nested") or ()
            for found in _failed(step.get("candidates", ()), prefix + shown)
        ]
        if inner:  # the prefix matched: what came close is below it
            yield from inner
        else:
            yield prefix + shown, tried.get("hint")


def _shared_prefix(path, pattern):
    literal = re.split(r"[<(\[\\.^$*+?{|]", pattern.lstrip("^"), maxsplit=1)[0]
    count = 0
    for a, b in zip(path, literal, strict=False):
        if a != b:
            break
        count += 1
    return count


def _distance(a, b):
    """Return the edit distance of the first ``MAX_COMPARED`` characters of two strings."""
    a, b = a[:MAX_COMPARED], b[:MAX_COMPARED]
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _regex(pattern):
    if isinstance(pattern, (RoutePattern, RegexPattern)):
        try:
            return pattern.regex
        except Exception:  # a lazy or broken regex: no case hint
            return None
    return None
