"""The storage protocol the embedded API server depends on, modelled on kine/etcd.

Keys are opaque strings (the server uses ``/<group>/<resource>/<namespace>/<name>``); values are the
object's JSON bytes with ``metadata.resourceVersion`` left out (the server stamps it from the
revision on the way out). One global, strictly increasing revision counts every write; it is the
resourceVersion Kubernetes clients see. Everything here is async so a backend may do real I/O, but a
write is acknowledged only once it is durable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal, Protocol

import attrs


@attrs.frozen
class KeyValue:
    key: str
    value: bytes
    #: revision of the write that produced this value (its resourceVersion)
    mod_revision: int
    #: revision of the write that created the key (stable across updates)
    create_revision: int


@attrs.frozen
class WatchEvent:
    type: Literal["ADDED", "MODIFIED", "DELETED"]
    kv: KeyValue
    #: the value before this event (None for ADDED); DELETED events carry the last value in ``kv``
    prev: KeyValue | None = None


@attrs.frozen
class ListResult:
    items: tuple[KeyValue, ...]
    #: the revision the list is consistent at
    revision: int
    #: key to continue after when the list was cut by ``limit`` (None when complete)
    continue_key: str | None = None
    #: how many keys remain after this page, when cut
    remaining: int = 0


class StoreError(Exception):
    """Base of the storage errors the server maps to Kubernetes Status codes."""


class KeyExists(StoreError):
    """Create of a key that already exists (-> 409 AlreadyExists)."""


class KeyNotFound(StoreError):
    """Update/delete/get of a key that does not exist (-> 404 NotFound)."""


class RevisionConflict(StoreError):
    """Update/delete with an expected revision that is not the current one (-> 409 Conflict)."""

    def __init__(self, key: str, current: KeyValue | None) -> None:
        self.current = current
        super().__init__(f"{key}: revision conflict")


class Compacted(StoreError):
    """A list or watch asked for a revision older than the compaction window (-> 410 Gone)."""

    def __init__(self, requested: int, compacted: int) -> None:
        self.requested = requested
        self.compacted = compacted
        super().__init__(f"required revision {requested} has been compacted (oldest kept: {compacted + 1})")


class FutureRevision(StoreError):
    """A list or watch asked for a revision the store has not reached (-> 504 / 'too large')."""


class Store(Protocol):
    """What the API server needs from its storage; one SQLite and one in-memory implementation."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def current_revision(self) -> int: ...

    def compacted_revision(self) -> int: ...

    async def get(self, key: str) -> KeyValue | None: ...

    async def create(self, key: str, value: bytes) -> KeyValue:
        """Raises KeyExists."""
        ...

    async def update(self, key: str, value: bytes, expected_revision: int | None) -> KeyValue:
        """Replace the value; ``expected_revision`` None means unconditional. Raises KeyNotFound/RevisionConflict."""
        ...

    async def delete(self, key: str, expected_revision: int | None) -> KeyValue:
        """Delete and return the last value. Raises KeyNotFound/RevisionConflict."""
        ...

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str | None = None
    ) -> ListResult:
        """Keys under ``prefix`` in key order as of ``revision`` (0 = now). Raises Compacted/FutureRevision."""
        ...

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[WatchEvent]:
        """Every event under ``prefix`` with revision > ``from_revision``, then live events, in order.

        Raises Compacted (on first iteration) when ``from_revision`` predates the compaction window.
        A slow consumer never blocks writers: if it falls too far behind, the iterator raises Compacted
        so the client re-lists (the 410 path), rather than buffering without bound.
        """
        ...

    async def compact(self, keep: int) -> int:
        """Drop history older than the newest ``keep`` revisions; returns the new compacted revision."""
        ...
