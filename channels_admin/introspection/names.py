"""How an application is named for people: dotted path, source location, JSON-safe values."""

import functools
import inspect
import math
import os
import sys


def dotted_path(obj):
    """``module.QualName`` of a class or function; of its class for any other object."""
    target = obj if isinstance(obj, type) or inspect.isroutine(obj) else type(obj)
    try:
        return _dotted_path(target)
    except TypeError:  # unhashable
        return _dotted_path.__wrapped__(target)


@functools.lru_cache(maxsize=1024)
def _dotted_path(target):
    module = getattr(target, "__module__", None) or "?"
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", "?")
    return f"{module}.{name}"


def label(obj):
    """A short name: the class or function name."""
    target = obj if isinstance(obj, type) or inspect.isroutine(obj) else type(obj)
    return getattr(target, "__name__", None) or type(obj).__name__


def source(obj):
    """``{"file", "line"}`` where a class or function is defined, or None when unknown."""
    target = obj if isinstance(obj, type) or inspect.isroutine(obj) else type(obj)
    try:
        return _source(target)
    except TypeError:  # unhashable: not a class or function we can cache
        return None


@functools.lru_cache(maxsize=1024)
def _source(target):
    code = getattr(inspect.unwrap(target), "__code__", None)
    if code is not None:  # functions: no need to read the file
        return {"file": code.co_filename, "line": code.co_firstlineno}
    try:
        lines, line = inspect.getsourcelines(target)
        return {"file": inspect.getsourcefile(target), "line": line}
    except (OSError, TypeError):
        return None


def short_source(source):
    """``file:line`` of a ``source()`` answer, the file relative to the working directory (a
    path an editor opens) or else to the import path (site-packages); None for None."""
    if not source:
        return None
    return f"{_short_file(source['file'] or '?')}:{source['line']}"


@functools.lru_cache(maxsize=512)
def _short_file(path):
    cwd = os.getcwd()
    if path.startswith(cwd + os.sep):
        return path[len(cwd) + 1 :]
    roots = {root.rstrip(os.sep) for root in sys.path if root}
    for root in sorted(filter(None, roots), key=len, reverse=True):
        if path.startswith(root + os.sep):
            return path[len(root) + 1 :]
    return path


def json_safe(value, depth=0):
    """``value`` with anything JSON cannot hold turned into its ``str()``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN or Infinity
    if depth > 5:
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item, depth + 1) for item in value]
    return str(value)
