"""In-memory ``Store`` with the same semantics as the SQLite one: a second backend and fast tests.

It keeps what kine's table keeps — every write as an event in one revision-ordered log, plus per-key
history — so historical lists, watch replay, compaction and the 410 paths behave exactly like SQLite's
(the contract suite and the property test run both and compare). Writes run synchronously on the loop,
so "durable" here means "applied"; nothing survives ``close()``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import AsyncIterator

from openyurt.adapters.store._watch import StoreClosed, StoreWatch, WatchHub, auto_compact
from openyurt.adapters.store.protocol import (
    Compacted,
    FutureRevision,
    KeyExists,
    KeyNotFound,
    KeyValue,
    ListResult,
    RevisionConflict,
    WatchEvent,
)

_Events = list[WatchEvent]


def _event_revision(ev: WatchEvent) -> int:
    return ev.kv.mod_revision


def _entry_revision(entry: tuple[int, KeyValue | None]) -> int:
    return entry[0]


class MemoryStore:
    """Revisioned key-value store in memory; see the module docstring."""

    def __init__(
        self,
        *,
        compact_keep: int = 1000,
        compact_interval: float | None = 300.0,
        watch_queue_limit: int = 10_000,
    ) -> None:
        if compact_keep < 0:
            raise ValueError("compact_keep must be >= 0")
        self.compact_keep = compact_keep
        self.compact_interval = compact_interval
        self._hub = WatchHub(watch_queue_limit)
        self._rev = 0
        self._compacted = 0
        #: every retained write, in revision order (what a watch replays)
        self._log: list[WatchEvent] = []
        #: per key: (revision, value or None for a tombstone), ascending (what a historical list reads)
        self._hist: dict[str, list[tuple[int, KeyValue | None]]] = {}
        #: keys of ``_hist`` in order (what range scans walk)
        self._keys: list[str] = []
        self._current: dict[str, KeyValue] = {}
        self._compactor: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        self._check_open()
        if self.compact_interval and self._compactor is None:
            self._compactor = asyncio.create_task(
                auto_compact(self.compact, self.compact_keep, self.compact_interval), name="memory-store-compactor"
            )

    async def close(self) -> None:
        self._closed = True
        if self._compactor is not None:
            self._compactor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compactor
            self._compactor = None
        self._hub.close()

    def current_revision(self) -> int:
        return self._rev

    def compacted_revision(self) -> int:
        return self._compacted

    def stats(self) -> dict[str, int]:
        """Gauges for /metrics: revision, compacted revision, live keys, retained events, watchers."""
        return {
            "revision": self._rev,
            "compacted_revision": self._compacted,
            "keys": len(self._current),
            "history": len(self._log),
            "watchers": self._hub.watcher_count,
        }

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("store is closed")

    async def get(self, key: str) -> KeyValue | None:
        self._check_open()
        return self._current.get(key)

    def _record(self, ev: WatchEvent, new: KeyValue | None) -> None:
        key, rev = ev.kv.key, ev.kv.mod_revision
        self._rev = rev
        self._log.append(ev)
        hist = self._hist.get(key)
        if hist is None:
            hist = self._hist[key] = []
            bisect.insort(self._keys, key)
        hist.append((rev, new))
        if new is None:
            del self._current[key]
        else:
            self._current[key] = new
        self._hub.publish((ev,))

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        if key in self._current:
            raise KeyExists(key)
        rev = self._rev + 1
        kv = KeyValue(key=key, value=bytes(value), mod_revision=rev, create_revision=rev)
        self._record(WatchEvent(type="ADDED", kv=kv), kv)
        return kv

    def _expect(self, key: str, expected_revision: int | None) -> KeyValue:
        cur = self._current.get(key)
        if cur is None:
            raise KeyNotFound(key)
        if expected_revision is not None and expected_revision != cur.mod_revision:
            raise RevisionConflict(key, cur)
        return cur

    async def update(self, key: str, value: bytes, expected_revision: int | None) -> KeyValue:
        self._check_open()
        cur = self._expect(key, expected_revision)
        kv = KeyValue(key=key, value=bytes(value), mod_revision=self._rev + 1, create_revision=cur.create_revision)
        self._record(WatchEvent(type="MODIFIED", kv=kv, prev=cur), kv)
        return kv

    async def delete(self, key: str, expected_revision: int | None) -> KeyValue:
        self._check_open()
        cur = self._expect(key, expected_revision)
        kv = KeyValue(key=key, value=cur.value, mod_revision=self._rev + 1, create_revision=cur.create_revision)
        self._record(WatchEvent(type="DELETED", kv=kv, prev=cur), None)
        return kv

    def _at(self, key: str, revision: int) -> KeyValue | None:
        hist = self._hist[key]
        i = bisect.bisect_right(hist, revision, key=_entry_revision) - 1
        return hist[i][1] if i >= 0 else None

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str | None = None
    ) -> ListResult:
        self._check_open()
        current = self._rev
        at = revision or current
        if at > current:
            raise FutureRevision(f"revision {at} is newer than the current revision {current}")
        if at < self._compacted:
            raise Compacted(at, self._compacted)
        if start_after is not None and start_after >= prefix:
            i = bisect.bisect_right(self._keys, start_after)
        else:
            i = bisect.bisect_left(self._keys, prefix)
        items: list[KeyValue] = []
        remaining = 0
        keys = self._keys
        while i < len(keys) and keys[i].startswith(prefix):
            kv = self._current.get(keys[i]) if at == current else self._at(keys[i], at)
            i += 1
            if kv is None:
                continue
            if limit and len(items) == limit:
                remaining += 1
            else:
                items.append(kv)
        cont = items[-1].key if remaining else None
        return ListResult(items=tuple(items), revision=at, continue_key=cont, remaining=remaining)

    async def _read_history(self, prefix: str, after: int, upto: int, limit: int) -> _Events:
        self._check_open()
        if after < self._compacted:
            raise Compacted(after, self._compacted)
        log = self._log
        i = bisect.bisect_right(log, after, key=_event_revision)
        out: _Events = []
        while i < len(log) and len(out) < limit:
            ev = log[i]
            if ev.kv.mod_revision > upto:
                break
            if ev.kv.key.startswith(prefix):
                out.append(ev)
            i += 1
        return out

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[WatchEvent]:
        self._check_open()
        return StoreWatch(
            self._hub,
            prefix,
            from_revision,
            current_revision=self.current_revision,
            compacted_revision=self.compacted_revision,
            read_history=self._read_history,
        )

    async def compact(self, keep: int) -> int:
        self._check_open()
        if keep < 0:
            raise ValueError("keep must be >= 0")
        target = self._rev - keep
        if target <= self._compacted:
            return self._compacted
        del self._log[: bisect.bisect_right(self._log, target, key=_event_revision)]
        for key in list(self._keys):
            hist = self._hist[key]
            j = bisect.bisect_right(hist, target, key=_entry_revision)
            if j == 0:
                continue
            # Keep the newest entry at or below the target when it is a live value: lists at revisions
            # in the window still need it. Tombstones and superseded entries go.
            keep_from = j - 1 if hist[j - 1][1] is not None else j
            del hist[:keep_from]
            if not hist:
                del self._hist[key]
        if len(self._hist) != len(self._keys):
            self._keys = [k for k in self._keys if k in self._hist]
        self._compacted = target
        return target
