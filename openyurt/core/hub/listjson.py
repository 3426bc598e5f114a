"""A Kubernetes List's items, one at a time, from its JSON text.

Why: the hub caches every list an agent reads, and a 2,000-pod list parsed whole is tens of megabytes
of Python objects for a moment. An edge node's hub must stay small, and memory the allocator got once
is not all given back; decoding one item at a time keeps the peak at one item. The fields before
``items`` (``kind``, ``apiVersion``, ``metadata``: where API servers put them) are decoded first, so
each item can be completed with the list's kind as it goes by.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

_DECODER: Final = json.JSONDecoder()
_WS: Final = " \t\n\r"


class ListJSONError(ValueError):
    """The text is not a JSON object with an ``items`` array (callers then parse it whole)."""


def _skip(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def split_list(text: str) -> tuple[dict[str, Any], Iterator[Any]]:
    """The list's top-level fields other than ``items``, and an iterator over its items.

    The fields after ``items`` are read once the iterator is exhausted (into the same dict). Raises
    :class:`ListJSONError` when ``text`` is no object, or has no ``items`` array; the iterator raises
    it for malformed text after that point.
    """
    head: dict[str, Any] = {}
    i = _skip(text, 0)
    if not text.startswith("{", i):
        raise ListJSONError("not a JSON object")
    i = _skip(text, i + 1)
    if text.startswith("}", i):
        raise ListJSONError("no items")
    while True:
        key, i = _string(text, i)
        i = _skip(text, i)
        if not text.startswith(":", i):
            raise ListJSONError(f"expected ':' at {i}")
        i = _skip(text, i + 1)
        if key == "items":
            if not text.startswith("[", i):
                raise ListJSONError("items is not an array")
            return head, _items(text, i + 1, head)
        head[key], i = _value(text, i)
        i = _after_member(text, i)
        if i < 0:
            raise ListJSONError("no items")


def _string(text: str, i: int) -> tuple[str, int]:
    if not text.startswith('"', i):
        raise ListJSONError(f"expected a key at {i}")
    key, end = _value(text, i)
    return str(key), end


def _value(text: str, i: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        raise ListJSONError(str(exc)) from None


def _after_member(text: str, i: int) -> int:
    """Index of the next key after a member's value; -1 at the object's end."""
    i = _skip(text, i)
    if text.startswith(",", i):
        return _skip(text, i + 1)
    if text.startswith("}", i):
        return -1
    raise ListJSONError(f"expected ',' or '}}' at {i}")


def _items(text: str, i: int, head: dict[str, Any]) -> Iterator[Any]:
    i = _skip(text, i)
    if text.startswith("]", i):
        i += 1
    else:
        while True:
            item, i = _value(text, i)
            yield item
            i = _skip(text, i)
            if text.startswith(",", i):
                i = _skip(text, i + 1)
                continue
            if text.startswith("]", i):
                i += 1
                break
            raise ListJSONError(f"expected ',' or ']' at {i}")
    # the members after items (rare: servers put them first)
    i = _after_member(text, i)
    while i >= 0:
        key, i = _string(text, i)
        i = _skip(text, i)
        if not text.startswith(":", i):
            raise ListJSONError(f"expected ':' at {i}")
        head[key], i = _value(text, _skip(text, i + 1))
        i = _after_member(text, i)
