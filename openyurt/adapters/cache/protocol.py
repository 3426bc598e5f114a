"""The narrow interface the hub needs from its object cache, so another backend can be plugged in.

Keys are the hub's cache keys (``<component>/<resource>.<version>.<group>/<namespace>/<name>``); values
are the exact JSON bytes served offline. A *list marker* records that a list under a key prefix was
fetched at least once: without it an offline list is a 404, never an empty list (an empty list makes
kubelet kill every pod).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs


@attrs.frozen
class ListMarker:
    """A list was cached under this key: its resourceVersion and the selector it was made with."""

    resource_version: str
    selector: str


class ObjectCache(Protocol):
    """An object cache: reads are served from memory, writes are durable one object at a time."""

    def get(self, key: str) -> bytes | None:
        """The cached bytes of one object, None when not cached."""
        ...

    def resource_version(self, key: str) -> str | None:
        """The cached object's resourceVersion ("" if it had none), None when not cached."""
        ...

    def put(self, key: str, resource_version: str, data: bytes) -> bool:
        """Store one object unless a newer resourceVersion is cached; True when stored."""
        ...

    def delete(self, key: str, resource_version: str | None = None) -> bool:
        """Remove one object (unless ``resource_version`` is older than the cached one)."""
        ...

    def replace_list(self, list_key: str, items: Mapping[str, tuple[str, bytes]], list_rv: str, selector: str) -> None:
        """Make the objects under ``list_key`` exactly ``items`` (key → (rv, bytes)), then mark the list.

        Objects newer than the list (cached by a watch meanwhile) are kept.
        """
        ...

    def list(self, list_key: str) -> list[bytes] | None:
        """Every object under ``list_key`` (recursively), or None when no list covering it was cached."""
        ...

    def list_marker(self, list_key: str) -> ListMarker | None:
        """The marker of ``list_key`` itself, None when that exact key was never listed."""
        ...

    def selectors(self) -> dict[str, str]:
        """list key → selector of every list marker (upstream's one-selector-per-list-key rule)."""
        ...

    def get_doc(self, key: str) -> bytes | None:
        """A saved non-resource document (``/version``, discovery)."""
        ...

    def put_doc(self, key: str, data: bytes) -> None:
        """Save a non-resource document."""
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every accepted write is durable; False on timeout."""
        ...

    def close(self) -> None:
        """Flush and release resources."""
        ...
