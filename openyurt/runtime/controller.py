"""The controller runtime: level-based reconciles driven by a work queue of (namespace, name) keys.

controller-runtime's shape, in asyncio. Informer events only say *which* object to look at; the
reconciler re-reads the cache and converges, so missed or merged events cost nothing. The queue holds
each key at most once while it waits, never hands the same key to two workers at once (a key added
while it is being reconciled runs again afterwards), and decides retries: an exception requeues the
key with per-key exponential backoff, a :class:`~openyurt.errors.TerminalError` does not (retrying a
bad spec only burns CPU), ``Result(requeue_after=...)`` comes back after a delay. All delays run on an
injected Clock. :class:`EventRecorder` writes core/v1 Events on the objects, aggregated the way
client-go does (same reason and message: bump ``count`` and ``lastTimestamp``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

import attrs

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj, object_key
from openyurt.core.api._base import WireModel
from openyurt.core.api.coordination_v1 import format_time
from openyurt.errors import ApiError, NotFoundError, TerminalError
from openyurt.runtime.manager.metrics import ManagerMetrics

log = logging.getLogger(__name__)


@attrs.frozen(order=True)
class Request:
    """Which object to reconcile; nothing about what changed (the reconciler re-reads)."""

    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Request:
        return cls(*object_key(obj))

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@attrs.frozen
class Result:
    """What the reconciler wants next: nothing, a retry with backoff, or another look after a delay."""

    requeue: bool = False
    requeue_after: float | None = None


Reconciler = Callable[[Request], Awaitable[Result | None]]


@attrs.define
class RateLimiter:
    """Per-key exponential backoff: ``base * 2**failures``, at most ``cap`` (client-go: 5 ms .. 1000 s)."""

    base: float = 0.005
    cap: float = 1000.0
    _failures: dict[Request, int] = attrs.field(factory=dict)

    def when(self, key: Request) -> float:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        return min(self.cap, self.base * 2.0 ** min(n, 64))

    def retries(self, key: Request) -> int:
        return self._failures.get(key, 0)

    def forget(self, key: Request) -> None:
        self._failures.pop(key, None)


class WorkQueue:
    """A deduplicating queue of keys with delayed and rate-limited adds."""

    def __init__(self, clock: Clock, rate_limiter: RateLimiter | None = None) -> None:
        self.clock = clock
        self.rate_limiter = rate_limiter or RateLimiter()
        self._queue: deque[Request] = deque()
        self._dirty: set[Request] = set()
        self._processing: set[Request] = set()
        self._wakeup = asyncio.Event()
        self._delayed: dict[Request, tuple[float, asyncio.Task[None]]] = {}
        self._shutting_down = False

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def _wake(self) -> None:
        old, self._wakeup = self._wakeup, asyncio.Event()
        old.set()

    def add(self, key: Request) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return  # done() puts it back once the running reconcile ends
        self._queue.append(key)
        self._wake()

    def add_after(self, key: Request, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        due = self.clock.now() + delay
        pending = self._delayed.get(key)
        if pending is not None:
            if pending[0] <= due:
                return  # an earlier wake-up is already scheduled
            pending[1].cancel()
        task = asyncio.create_task(self._add_later(key, delay), name=f"requeue {key}")
        self._delayed[key] = (due, task)

    async def _add_later(self, key: Request, delay: float) -> None:
        await self.clock.sleep(delay)
        self._delayed.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: Request) -> None:
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: Request) -> None:
        self.rate_limiter.forget(key)

    async def get(self) -> Request | None:
        """The next key to process (now marked processing), or None once shut down and drained."""
        while not self._queue:
            if self._shutting_down:
                return None
            await self._wakeup.wait()
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: Request) -> None:
        self._processing.discard(key)
        if key in self._dirty and not self._shutting_down:
            self._queue.append(key)
            self._wake()

    async def shutdown(self) -> None:
        """Stop handing out keys; pending delayed adds are dropped."""
        self._shutting_down = True
        self._queue.clear()
        self._dirty.clear()
        tasks = [t for _, t in self._delayed.values()]
        self._delayed.clear()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._wake()


Mapper = Callable[[Obj], Iterable[Request]]


def _own_key(obj: Obj) -> Iterable[Request]:
    return (Request.of(obj),)


class Controller:
    """Runs ``reconciler`` over keys from watched informers with ``workers`` bounded concurrency."""

    def __init__(
        self,
        name: str,
        reconciler: Reconciler,
        *,
        clock: Clock,
        workers: int = 1,
        rate_limiter: RateLimiter | None = None,
        metrics: ManagerMetrics | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a controller needs at least one worker")
        self.name = name
        self.reconciler = reconciler
        self.clock = clock
        self.workers = workers
        self.queue = WorkQueue(clock, rate_limiter)
        self.metrics = metrics
        self.informers: list[Informer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._active: set[Request] = set()
        #: reconcile counts by result, for tests and logs
        self.counts: dict[str, int] = {}

    def watch(self, informer: Informer, mapper: Mapper | None = None) -> None:
        """Enqueue the keys ``mapper`` derives from every add, update and delete (default: the object's own)."""
        fn = mapper or _own_key
        self.informers.append(informer)

        def enqueue(obj: Obj) -> None:
            for key in fn(obj):
                self.enqueue(key)

        informer.add_event_handler(on_add=enqueue, on_update=lambda old, new: enqueue(new), on_delete=enqueue)

    def enqueue(self, key: Request) -> None:
        self.queue.add(key)
        self._depth()

    def _depth(self) -> None:
        if self.metrics is not None:
            self.metrics.queue_depth.labels(self.name).set(len(self.queue))

    async def start(self) -> None:
        """Wait for the watched informers' caches, then start the workers."""
        for inf in self.informers:
            await inf.wait_synced()
        for i in range(self.workers):
            self._tasks.append(asyncio.create_task(self._worker(), name=f"{self.name} worker {i}"))

    async def run(self) -> None:
        """Start, then run until cancelled; always stops cleanly."""
        try:
            await self.start()
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop handing out keys; let running reconciles finish; drop pending requeues."""
        await self.queue.shutdown()
        tasks, self._tasks = self._tasks, []
        current = asyncio.current_task()
        others = [t for t in tasks if t is not current]
        if others:
            await asyncio.gather(*others, return_exceptions=True)

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            self._depth()
            if key in self._active:  # cannot happen with the queue's rules; keep the invariant loud
                raise RuntimeError(f"{self.name}: {key} handed to two workers")
            self._active.add(key)
            try:
                await self._process(key)
            finally:
                self._active.discard(key)
                self.queue.done(key)
                self._depth()

    def _count(self, result: str) -> None:
        self.counts[result] = self.counts.get(result, 0) + 1
        if self.metrics is not None:
            self.metrics.reconciles.labels(self.name, result).inc()
            if result in ("error", "terminal_error"):
                self.metrics.errors.labels(self.name).inc()

    async def _process(self, key: Request) -> None:
        try:
            result = await self.reconciler(key)
        except TerminalError as exc:
            log.warning("%s: %s: terminal error, not retrying: %s", self.name, key, exc)
            self.queue.forget(key)
            self._count("terminal_error")
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            level = logging.INFO if isinstance(exc, ApiError) else logging.ERROR
            log.log(
                level, "%s: %s: reconcile failed, retrying: %s", self.name, key, exc, exc_info=level >= logging.ERROR
            )
            self.queue.add_rate_limited(key)
            self._count("error")
            return
        if result is not None and result.requeue_after is not None:
            self.queue.forget(key)
            self.queue.add_after(key, result.requeue_after)
            self._count("requeue_after")
        elif result is not None and result.requeue:
            self.queue.add_rate_limited(key)
            self._count("requeue")
        else:
            self.queue.forget(key)
            self._count("success")


# --------------------------------------------------------------------------------------------------
# Events


class EventSink(Protocol):
    async def create(self, obj: Any) -> dict[str, Any]: ...

    async def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: Literal["merge", "json", "strategic"] = "merge",
    ) -> dict[str, Any]: ...


EventType = Literal["Normal", "Warning"]


class EventRecorder:
    """Record core/v1 Events about objects; best effort (a failed event never fails a reconcile)."""

    def __init__(self, sink: EventSink, component: str, clock: Clock, *, host: str = "") -> None:
        self.sink = sink
        self.component = component
        self.clock = clock
        self.host = host
        self._seen: dict[tuple[str, ...], tuple[str, int]] = {}
        self._seq = itertools.count()

    async def event(self, obj: Mapping[str, Any] | WireModel, type: EventType, reason: str, message: str) -> None:
        data = obj.to_wire() if isinstance(obj, WireModel) else obj
        meta = data.get("metadata") or {}
        involved = {
            k: v
            for k, v in (
                ("apiVersion", data.get("apiVersion")),
                ("kind", data.get("kind")),
                ("namespace", meta.get("namespace")),
                ("name", meta.get("name")),
                ("uid", meta.get("uid")),
                ("resourceVersion", meta.get("resourceVersion")),
            )
            if v
        }
        namespace = str(meta.get("namespace") or "default")
        name = str(meta.get("name") or "unknown")
        key = (namespace, str(data.get("kind")), name, str(meta.get("uid") or ""), type, reason, message)
        now = format_time(self.clock.wall())
        try:
            seen = self._seen.get(key)
            if seen is not None:
                event_name, count = seen
                try:
                    await self.sink.patch(
                        "v1", "Event", event_name, {"count": count + 1, "lastTimestamp": now}, namespace
                    )
                    self._seen[key] = (event_name, count + 1)
                    return
                except NotFoundError:
                    pass  # expired or deleted: start a new one
            stamp = int(self.clock.wall().timestamp() * 1e9) + next(self._seq)
            event_name = f"{name}.{stamp:x}"
            await self.sink.create(
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": event_name, "namespace": namespace},
                    "involvedObject": involved,
                    "reason": reason,
                    "message": message,
                    "type": type,
                    "count": 1,
                    "firstTimestamp": now,
                    "lastTimestamp": now,
                    "source": {"component": self.component, **({"host": self.host} if self.host else {})},
                    "reportingComponent": self.component,
                    "reportingInstance": self.host or self.component,
                }
            )
            self._seen[key] = (event_name, 1)
        except ApiError as exc:
            log.info("event %s/%s on %s/%s not recorded: %s", type, reason, namespace, name, exc)
