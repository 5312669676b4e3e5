"""Template filters that keep the dashboard's tables readable: no word broken mid-letter."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


SEPARATORS = re.compile(r"(?<=[/.])")


@register.filter
def breakable(text):
    """Escape ``text`` and let it wrap only after a ``/`` or a ``.`` (paths, dotted names).

    Each segment is kept whole (a ``ca-seg`` span does not wrap, not even at a hyphen) and a
    ``<wbr>`` follows each separator.
    """
    if not text:
        return ""
    segments = (s for s in SEPARATORS.split(str(text)) if s)
    return mark_safe("<wbr>".join('<span class="ca-seg">%s</span>' % escape(s) for s in segments))


@register.filter
def class_name(dotted):
    """Return the last part of a dotted path: ``Chat`` of ``chat.consumers.Chat``."""
    return "" if dotted is None else str(dotted).rpartition(".")[2]
