"""Template filters that keep the dashboard's tables readable: no word broken mid-letter."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def breakable(text):
    """Escape ``text`` and let it wrap only after a ``/`` or a ``.`` (paths, dotted names)."""
    if text is None:
        return ""
    escaped = escape(text)
    return mark_safe(escaped.replace("/", "/<wbr>").replace(".", ".<wbr>"))


@register.filter
def class_name(dotted):
    """Return the last part of a dotted path: ``Chat`` of ``chat.consumers.Chat``."""
    return "" if dotted is None else str(dotted).rpartition(".")[2]
