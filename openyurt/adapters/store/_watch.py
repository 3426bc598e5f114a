"""Watch machinery shared by both stores: live fan-out, the replay-then-live iterator, auto-compaction.

Both backends publish committed events on the event loop, in revision order, in batches. The hub hands
each batch to the watchers whose prefix matches: prefix lookups by length and one bounded
deque append per matching watcher — values stay bytes and the event objects are shared, so a write costs
one dict lookup per distinct watched prefix length plus O(matching watchers), never a per-watcher copy
or decode.

The iterator closes the classic replay/live race without locks: everything runs on the loop, so reading
``current_revision()`` and subscribing happen in the same loop step; history is then replayed strictly up
to that revision and live events (all newer) follow. It still drops any event at or below the last one
it delivered, as a guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from openyurt.adapters.store.protocol import Compacted, FutureRevision, StoreError, WatchEvent

log = logging.getLogger(__name__)

#: how many history events one replay read fetches
REPLAY_BATCH = 512


class StoreClosed(StoreError):
    """The store was closed; the operation was not performed."""


class WatchOverflow(Compacted):
    """A watcher fell more than its queue limit behind; it must re-list (the server answers 410)."""

    def __init__(self, last_delivered: int, queue_limit: int) -> None:
        super().__init__(last_delivered, last_delivered)
        self.queue_limit = queue_limit
        self.args = (f"watcher fell more than {queue_limit} events behind after revision {last_delivered}",)


class HistoryReader(Protocol):
    """Events under ``prefix`` with ``after < revision <= upto`` in order, at most ``limit``.

    Raises Compacted when ``after`` is older than the compaction window at read time.
    """

    def __call__(self, prefix: str, after: int, upto: int, limit: int) -> Awaitable[list[WatchEvent]]: ...


class _Watcher:
    """One subscriber's bounded buffer of live events (loop-thread only)."""

    __slots__ = ("buffer", "closed", "limit", "overflowed", "prefix", "wake")

    def __init__(self, prefix: str, limit: int) -> None:
        self.prefix = prefix
        self.limit = limit
        self.buffer: deque[WatchEvent] = deque()
        self.wake = asyncio.Event()
        self.overflowed = False
        self.closed = False

    def push(self, events: Sequence[WatchEvent]) -> None:
        if self.overflowed or self.closed:
            return
        if len(self.buffer) + len(events) > self.limit:
            # Never block or grow without bound: drop the backlog and make the iterator raise.
            self.overflowed = True
            self.buffer.clear()
        else:
            self.buffer.extend(events)
        self.wake.set()


class WatchHub:
    """Live subscribers indexed by prefix; ``publish`` is called on the loop after each durable commit."""

    def __init__(self, queue_limit: int) -> None:
        if queue_limit < 1:
            raise ValueError("queue_limit must be positive")
        self.queue_limit = queue_limit
        self._by_prefix: dict[str, set[_Watcher]] = {}
        #: how many distinct watched prefixes have each length (what ``publish`` slices keys by)
        self._lengths: dict[int, int] = {}
        self._count = 0
        self.closed = False

    @property
    def watcher_count(self) -> int:
        return self._count

    def subscribe(self, prefix: str) -> _Watcher:
        if self.closed:
            raise StoreClosed("store is closed")
        w = _Watcher(prefix, self.queue_limit)
        group = self._by_prefix.get(prefix)
        if group is None:
            group = self._by_prefix[prefix] = set()
            self._lengths[len(prefix)] = self._lengths.get(len(prefix), 0) + 1
        group.add(w)
        self._count += 1
        return w

    def unsubscribe(self, w: _Watcher) -> None:
        group = self._by_prefix.get(w.prefix)
        if group is None or w not in group:
            return
        group.discard(w)
        self._count -= 1
        if not group:
            del self._by_prefix[w.prefix]
            n = len(w.prefix)
            self._lengths[n] -= 1
            if not self._lengths[n]:
                del self._lengths[n]

    def publish(self, events: Sequence[WatchEvent]) -> None:
        """Route each event by dict lookups of its key's prefixes, one per distinct watched prefix length."""
        if not events or not self._count:
            return
        by_prefix = self._by_prefix
        routed: dict[str, list[WatchEvent]] = {}
        for ev in events:
            key = ev.kv.key
            for length in self._lengths:
                if length <= len(key) and (prefix := key[:length]) in by_prefix:
                    group = routed.get(prefix)
                    if group is None:
                        routed[prefix] = [ev]
                    else:
                        group.append(ev)
        for prefix, matched in routed.items():
            for w in by_prefix[prefix]:
                w.push(matched)

    def close(self) -> None:
        """End every watch cleanly (StopAsyncIteration): clients resume from their last revision."""
        self.closed = True
        for watchers in self._by_prefix.values():
            for w in watchers:
                w.closed = True
                w.wake.set()
        self._by_prefix.clear()
        self._lengths.clear()
        self._count = 0


class StoreWatch:
    """The iterator ``Store.watch`` returns: replay history after ``from_revision``, then live events.

    Abandoning it without ``aclose()`` is safe: ``__del__`` unsubscribes (the hub holds only the buffer).
    Cancelling a pending ``anext`` (a timeout) leaves the watch intact; the next call continues in order.
    """

    def __init__(
        self,
        hub: WatchHub,
        prefix: str,
        from_revision: int,
        *,
        current_revision: Callable[[], int],
        compacted_revision: Callable[[], int],
        read_history: HistoryReader,
    ) -> None:
        self._hub = hub
        self._prefix = prefix
        self._from = from_revision
        self._current_revision = current_revision
        self._compacted_revision = compacted_revision
        self._read_history = read_history
        self._watcher: _Watcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._pending: deque[WatchEvent] = deque()
        self._pos = from_revision
        self._upto = from_revision
        self._last = from_revision
        self._done = False

    def __aiter__(self) -> StoreWatch:
        return self

    def _begin(self) -> None:
        current = self._current_revision()
        if self._from > current:
            raise FutureRevision(f"revision {self._from} is newer than the current revision {current}")
        compacted = self._compacted_revision()
        if self._from < compacted:
            raise Compacted(self._from, compacted)
        # Same loop step as reading `current`: every event > current reaches the buffer, none <= current.
        self._watcher = self._hub.subscribe(self._prefix)
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._upto = current

    async def __anext__(self) -> WatchEvent:
        if self._done:
            raise StopAsyncIteration
        try:
            if self._watcher is None:
                self._begin()
            return await self._next()
        except Exception:  # not CancelledError: a timed-out ``anext`` (e.g. to send a bookmark) keeps the watch
            self._finish()
            raise

    async def _next(self) -> WatchEvent:
        w = self._watcher
        assert w is not None
        while True:
            if self._pending:
                return self._deliver(self._pending.popleft())
            if self._pos < self._upto:
                if w.closed:
                    raise StopAsyncIteration
                batch = await self._read_history(self._prefix, self._pos, self._upto, REPLAY_BATCH)
                self._pos = batch[-1].kv.mod_revision if len(batch) == REPLAY_BATCH else self._upto
                self._pending.extend(batch)
                continue
            if w.overflowed:
                raise WatchOverflow(self._last, w.limit)
            while w.buffer:
                ev = w.buffer.popleft()
                if ev.kv.mod_revision > self._last:
                    return self._deliver(ev)
            if w.closed:
                raise StopAsyncIteration
            w.wake.clear()
            await w.wake.wait()

    def _deliver(self, ev: WatchEvent) -> WatchEvent:
        self._last = ev.kv.mod_revision
        return ev

    def _finish(self) -> None:
        self._done = True
        self._pending.clear()
        if self._watcher is not None:
            self._hub.unsubscribe(self._watcher)
            self._watcher.buffer.clear()

    async def aclose(self) -> None:
        self._finish()

    def __del__(self) -> None:
        w, loop = self._watcher, self._loop
        if self._done or w is None or loop is None:
            return
        with contextlib.suppress(Exception):  # the loop may be closed already: then nothing is left to clean
            if threading.get_ident() == self._loop_thread:
                self._hub.unsubscribe(w)
            else:  # collected on another thread: the hub is loop-only
                loop.call_soon_threadsafe(self._hub.unsubscribe, w)


async def auto_compact(compact: Callable[[int], Awaitable[int]], keep: int, interval: float) -> None:
    """Compact every ``interval`` seconds keeping ``keep`` revisions, until cancelled (store close)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await compact(keep)
        except StoreClosed:
            return
        except Exception:  # keep compacting: one failed round must not stop history from being trimmed
            log.exception("automatic compaction failed")
