"""Decode a client's JSON frame with its nesting bounded.

``json.loads`` accepts arrays nested hundreds deep, but encoding such a value again (to echo
part of it in a reply) exhausts the interpreter's recursion limit. Consumers decode with
:func:`loads`, so a frame nested deeper than their ``max_json_depth`` is refused up front, with
an error the client can read, instead of failing later on the way out.
"""

import json

#: How deep the consumers we ship let a frame nest, unless their ``max_json_depth`` says.
MAX_JSON_DEPTH = 64


class TooDeeplyNested(ValueError):
    """The frame nests arrays and objects deeper than the consumer allows."""


def loads(text, max_depth=MAX_JSON_DEPTH):
    """Decode ``text``; raise ``TooDeeplyNested`` (a ``ValueError``) past ``max_depth`` levels.

    Invalid JSON raises ``ValueError`` as ``json.loads`` does.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeeplyNested("JSON too deeply nested to decode") from None
    # Only a frame with more brackets than the limit can nest past it: a cheap test first.
    if text.count("[") + text.count("{") > max_depth and depth_exceeds(value, max_depth):
        raise TooDeeplyNested(f"JSON too deeply nested: more than {max_depth} levels")
    return value


def depth_exceeds(value, max_depth):
    """Whether decoded JSON ``value`` nests arrays and objects more than ``max_depth`` deep.

    Level by level, without recursion; one Python step per value.
    """
    level = [value]
    for _ in range(max_depth):
        below = []
        for item in level:
            if type(item) is list:
                below += item
            elif type(item) is dict:
                below += item.values()
        if not below:
            return False
        level = below
    return any(type(item) in (list, dict) for item in level)
