"""Decoded-object cache and the watch fan-out hub.

The store hands out JSON bytes; decoding them per request (or per watcher) would dominate the cost of a
list of thousands of pods or an event fanned out to a hundred watchers. So:

* :class:`ObjectCache` keeps, per key, the decoded object of the newest revision seen (with
  ``metadata.resourceVersion`` stamped) and its encoded bytes, built lazily once.
* :class:`WatchHub` runs the one store watch over every key, decodes each event once, and appends it to a
  bounded ring. Watchers hold a cursor into the ring and wake on a shared future: fan-out costs no
  per-watcher queue and no per-watcher decoding. A watcher that falls off the ring's tail gets 410.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
from typing import Any

from openyurt.adapters.store.protocol import Compacted, KeyValue, Store

log = logging.getLogger(__name__)

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(obj: Any) -> bytes:
    return _dumps(obj).encode()


class Cached:
    """One decoded revision of one key; never mutate ``obj`` (it is shared)."""

    __slots__ = ("_raw", "obj", "rev")

    def __init__(self, rev: int, obj: dict[str, Any]) -> None:
        self.rev = rev
        self.obj = obj
        self._raw: bytes | None = None

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = dumps(self.obj)
        return self._raw


def decode(value: bytes, rev: int) -> dict[str, Any]:
    obj = json.loads(value)
    if not isinstance(obj, dict):
        obj = {"value": obj}
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    meta["resourceVersion"] = str(rev)
    return obj


class ObjectCache:
    """key -> newest decoded revision seen; a read of an older revision decodes without caching."""

    def __init__(self) -> None:
        self._d: dict[str, Cached] = {}

    def get(self, kv: KeyValue) -> Cached:
        hit = self._d.get(kv.key)
        if hit is not None and hit.rev == kv.mod_revision:
            return hit
        c = Cached(kv.mod_revision, decode(kv.value, kv.mod_revision))
        if hit is None or hit.rev < kv.mod_revision:
            self._d[kv.key] = c
        return c

    def put(self, key: str, c: Cached) -> None:
        hit = self._d.get(key)
        if hit is None or hit.rev <= c.rev:
            self._d[key] = c

    def peek(self, key: str) -> Cached | None:
        return self._d.get(key)

    def drop(self, key: str, rev: int) -> None:
        hit = self._d.get(key)
        if hit is not None and hit.rev <= rev:
            del self._d[key]


class HubEvent:
    """One decoded store event, shared by every watcher; encodings are cached per variant."""

    __slots__ = ("_prev", "_prev_kv", "cur", "enc", "key", "rev", "type")

    def __init__(self, type_: str, key: str, rev: int, cur: Cached, prev_kv: KeyValue | None, prev: Cached | None):
        self.type = type_
        self.key = key
        self.rev = rev
        self.cur = cur
        self._prev_kv = prev_kv
        self._prev = prev
        self.enc: dict[Any, bytes] = {}

    @property
    def prev(self) -> dict[str, Any] | None:
        """The object before this event (for selector transitions), decoded on first use."""
        if self._prev is None and self._prev_kv is not None:
            self._prev = Cached(self._prev_kv.mod_revision, decode(self._prev_kv.value, self._prev_kv.mod_revision))
        return None if self._prev is None else self._prev.obj


class WatchHub:
    """Single store watch -> ring of decoded events -> many cursors."""

    def __init__(self, store: Store, cache: ObjectCache, capacity: int = 20000) -> None:
        self.store = store
        self.cache = cache
        self.capacity = capacity
        self._events: list[HubEvent] = []
        self._revs: list[int] = []
        #: absolute sequence number of ``_events[0]``
        self._base = 0
        #: ring holds every event with revision > ``floor``
        self.floor = 0
        self.rev = 0
        self._wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None
        self._wake_scheduled = False
        self.epoch = 0
        self.listeners: list[Any] = []

    async def start(self) -> None:
        self.rev = self.floor = self.store.current_revision()
        self._task = asyncio.create_task(self._run(), name="apiserver-watch-hub")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._notify()

    def _notify(self) -> None:
        if not self._wake.done():
            self._wake.set_result(None)
        self._wake = asyncio.get_running_loop().create_future()

    async def _run(self) -> None:
        while True:
            try:
                async for ev in self.store.watch("/registry/", self.rev):
                    self._append(ev.type, ev.kv, ev.prev)
            except Compacted:
                # We fell behind the store's window: restart from now; cursors older than that get 410.
                log.warning("watch hub fell behind the store; restarting from the current revision")
                self.epoch += 1
                self._events.clear()
                self._revs.clear()
                self.rev = self.floor = self.store.current_revision()
                self._base += 1_000_000_000
                self._notify()
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - a store bug must not kill watches forever
                log.exception("watch hub failed; restarting")
                await asyncio.sleep(0.1)

    def _append(self, type_: str, kv: KeyValue, prev_kv: KeyValue | None) -> None:
        old = self.cache.peek(kv.key)
        if type_ == "DELETED":
            cur = Cached(kv.mod_revision, decode(kv.value, kv.mod_revision))
            self.cache.drop(kv.key, kv.mod_revision)
        else:
            cur = self.cache.get(kv)
        prev = old if (old is not None and prev_kv is not None and old.rev == prev_kv.mod_revision) else None
        if type_ == "DELETED" and prev is None and old is not None:
            prev = old
        ev = HubEvent(type_, kv.key, kv.mod_revision, cur, prev_kv, prev)
        self._events.append(ev)
        self._revs.append(kv.mod_revision)
        self.rev = kv.mod_revision
        if len(self._events) > 2 * self.capacity:
            cut = len(self._events) - self.capacity
            self.floor = self._revs[cut - 1]
            del self._events[:cut]
            del self._revs[:cut]
            self._base += cut
        for fn in self.listeners:
            fn(ev)
        if not self._wake_scheduled:
            # Wake watchers once per burst (the store delivers a commit batch back to back), not per event.
            self._wake_scheduled = True
            asyncio.get_running_loop().call_soon(self._wake_all)

    def _wake_all(self) -> None:
        self._wake_scheduled = False
        if not self._wake.done():
            self._wake.set_result(None)
            self._wake = asyncio.get_running_loop().create_future()

    # -- cursors -------------------------------------------------------------------------------
    def covers(self, rev: int) -> bool:
        """Whether every event after ``rev`` is (or will be) in the ring, and the store still retains it.

        The ring may hold more than the store after a compaction; we still answer 410 there so a watch
        behaves exactly like an Exact list at the same revision.
        """
        return rev >= self.floor and rev >= self.store.compacted_revision()

    def cursor_after(self, rev: int) -> int:
        """Absolute position of the first event with revision > ``rev``."""
        return self._base + bisect.bisect_right(self._revs, rev)

    def read(self, pos: int, max_n: int = 512) -> tuple[list[HubEvent], int] | None:
        """Events from absolute position ``pos``; None when they were dropped (caller answers 410)."""
        i = pos - self._base
        if i < 0:
            return None
        evs = self._events[i : i + max_n]
        return evs, pos + len(evs)

    async def wait(self, pos: int) -> None:
        """Until an event at or after ``pos`` exists."""
        while pos - self._base >= len(self._events) and pos - self._base >= 0:
            await asyncio.shield(self._wake)

    async def wait_rev(self, rev: int, timeout: float = 5.0) -> None:
        """Until the hub has processed revision ``rev`` (so reads from the cache are consistent)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.rev < rev:
            left = deadline - loop.time()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._wake), left)
