"""Informers: a local, indexed copy of one kind's objects, kept current by list-then-watch.

Controllers read from this cache and react to its events instead of polling the API server. What it
must survive is what breaks naive watch loops: the server forgetting old versions (410: re-list), the
connection dropping or the server restarting (back off exponentially with jitter, capped, then resume
from the last version seen, which bookmarks keep recent), and objects changing or vanishing while we
were away (a re-list diffs against the cache and emits the updates and deletions we missed). This is
client-go's reflector + indexer + shared informer, with delays on an injected Clock and jitter from an
injected ``random.Random`` so tests replay exactly.

A :class:`InformerFactory` hands out one informer per (apiVersion, kind, namespace, selectors), so
controllers watching the same objects share one watch and one cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import attrs

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.protocols import ListWatcher, WatchEvent
from openyurt.errors import ApiError, GoneError

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Objs = list[Obj]
IndexFunc = Callable[[Mapping[str, Any]], Iterable[str]]


def object_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(namespace, name): the key of the cache and of controllers' work queues."""
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _namespace_index(obj: Mapping[str, Any]) -> Iterable[str]:
    return (object_key(obj)[0],)


def _label_index(obj: Mapping[str, Any]) -> Iterable[str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return [f"{k}={v}" for k, v in labels.items()]


def _node_name_index(obj: Mapping[str, Any]) -> Iterable[str]:
    spec = obj.get("spec")
    node = spec.get("nodeName") if isinstance(spec, Mapping) else None
    return (str(node),) if node else ()


#: Indexes every informer keeps: by namespace, by each ``key=value`` label, by ``spec.nodeName``.
DEFAULT_INDEXES: dict[str, IndexFunc] = {
    "namespace": _namespace_index,
    "label": _label_index,
    "nodeName": _node_name_index,
}


class EventHandler(Protocol):
    def on_add(self, obj: Obj) -> None: ...

    def on_update(self, old: Obj, new: Obj) -> None: ...

    def on_delete(self, obj: Obj) -> None: ...


@attrs.define
class FuncHandler:
    """An :class:`EventHandler` from optional callables."""

    add: Callable[[Obj], None] | None = None
    update: Callable[[Obj, Obj], None] | None = None
    delete: Callable[[Obj], None] | None = None

    def on_add(self, obj: Obj) -> None:
        if self.add:
            self.add(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        if self.update:
            self.update(old, new)

    def on_delete(self, obj: Obj) -> None:
        if self.delete:
            self.delete(obj)


class Indexer:
    """The cache: objects by (namespace, name), plus named secondary indexes."""

    def __init__(self, indexes: Mapping[str, IndexFunc] | None = None) -> None:
        self._funcs: dict[str, IndexFunc] = dict(DEFAULT_INDEXES if indexes is None else indexes)
        self._items: dict[tuple[str, str], Obj] = {}
        self._index: dict[str, dict[str, set[tuple[str, str]]]] = {n: {} for n in self._funcs}

    def add_index(self, name: str, func: IndexFunc) -> None:
        self._funcs[name] = func
        self._index[name] = {}
        for key, obj in self._items.items():
            for value in func(obj):
                self._index[name].setdefault(value, set()).add(key)

    def _unindex(self, key: tuple[str, str], obj: Obj) -> None:
        for name, func in self._funcs.items():
            for value in func(obj):
                bucket = self._index[name].get(value)
                if bucket is not None:
                    bucket.discard(key)
                    if not bucket:
                        del self._index[name][value]

    def put(self, obj: Obj) -> Obj | None:
        key = object_key(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        for name, func in self._funcs.items():
            for value in func(obj):
                self._index[name].setdefault(value, set()).add(key)
        return old

    def remove(self, key: tuple[str, str]) -> Obj | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def get(self, namespace: str, name: str) -> Obj | None:
        return self._items.get((namespace, name))

    def object_keys(self) -> list[tuple[str, str]]:
        return sorted(self._items)

    def list(self) -> Objs:
        return [self._items[k] for k in sorted(self._items)]

    def by_index(self, index: str, value: str) -> Objs:
        return [self._items[k] for k in sorted(self._index[index].get(value, ()))]

    def __len__(self) -> int:
        return len(self._items)


@attrs.frozen
class Backoff:
    """Exponential backoff with jitter and a cap: ``min(cap, initial * factor**n)``, scaled by jitter.

    The jittered delay is drawn in ``[(1 - jitter) * d, d]`` so the cap is never exceeded.
    """

    initial: float = 0.8
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.5

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.cap, self.initial * self.factor ** min(attempt, 64))
        return base * (1.0 - self.jitter * rng.random())


@attrs.frozen
class InformerKey:
    api_version: str
    kind: str
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None


class Informer:
    """List-then-watch one kind into an :class:`Indexer`, notifying handlers of every change."""

    def __init__(
        self,
        source: ListWatcher,
        key: InformerKey,
        *,
        clock: Clock,
        rng: random.Random | None = None,
        page_size: int = 500,
        backoff: Backoff | None = None,
        watch_timeout: tuple[int, int] = (300, 600),
        indexes: Mapping[str, IndexFunc] | None = None,
    ) -> None:
        self.source = source
        self.key = key
        self.clock = clock
        self.rng = rng or random.Random()
        self.page_size = page_size
        self.backoff = backoff or Backoff()
        self.watch_timeout = watch_timeout
        self.store = Indexer(indexes)
        self._handlers: list[EventHandler] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: the last resourceVersion seen (list, event or bookmark); where a re-watch resumes
        self.resource_version: str | None = None
        #: counters tests and metrics read
        self.relists = 0
        self.watches = 0
        self.failures = 0
        self.last_error: ApiError | None = None

    # ------------------------------------------------------------------------------------------
    # Handlers and reads

    def add_handler(self, handler: EventHandler) -> None:
        """Subscribe; if the cache is already filled, ``handler`` first gets an add for every object."""
        self._handlers.append(handler)
        if self._synced.is_set():
            for obj in self.store.list():
                self._call(handler.on_add, obj)

    def add_event_handler(
        self,
        *,
        on_add: Callable[[Obj], None] | None = None,
        on_update: Callable[[Obj, Obj], None] | None = None,
        on_delete: Callable[[Obj], None] | None = None,
    ) -> None:
        self.add_handler(FuncHandler(on_add, on_update, on_delete))

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.store.get(namespace, name)

    def list(self) -> Objs:
        return self.store.list()

    def by_index(self, index: str, value: str) -> Objs:
        return self.store.by_index(index, value)

    def by_namespace(self, namespace: str) -> Objs:
        return self.store.by_index("namespace", namespace)

    def by_label(self, key: str, value: str) -> Objs:
        return self.store.by_index("label", f"{key}={value}")

    def by_node_name(self, node: str) -> Objs:
        return self.store.by_index("nodeName", node)

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        """Return once the first list has filled the cache (and handlers have seen it)."""
        await self._synced.wait()

    # ------------------------------------------------------------------------------------------
    # Lifecycle

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name=f"informer {self.key.kind}")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """List and watch until cancelled."""
        attempt = 0
        while not self._stopping:
            try:
                if self.resource_version is None:
                    await self._relist()
                    attempt = 0
                started = self.clock.now()
                events = await self._watch_once()
                if events == 0 and self.clock.now() - started < 1.0:
                    # a stream that ends at once without a single event: do not spin on it
                    raise ApiError(0, "ServiceUnavailable", "watch ended immediately")
                attempt = 0
            except GoneError as exc:
                # our version is older than the server's history: start over from a fresh list
                log.info("informer %s: %s; re-listing", self.key.kind, exc)
                self.last_error = exc
                self.resource_version = None
            except ApiError as exc:
                self.failures += 1
                self.last_error = exc
                delay = self.backoff.delay(attempt, self.rng)
                attempt += 1
                log.info("informer %s: %s; retrying in %.2f s", self.key.kind, exc, delay)
                await self.clock.sleep(delay)
            except Exception:  # a bug, not an API failure: keep the cache alive, loudly
                log.exception("informer %s: unexpected failure", self.key.kind)
                self.failures += 1
                await self.clock.sleep(self.backoff.delay(attempt, self.rng))
                attempt += 1

    async def _relist(self) -> None:
        items: Objs = []
        token: str | None = None
        rv = ""
        while True:
            page = await self.source.list(
                self.key.api_version,
                self.key.kind,
                self.key.namespace,
                label_selector=self.key.label_selector,
                field_selector=self.key.field_selector,
                limit=self.page_size,
                continue_token=token,
            )
            items.extend(page.items)
            if not token:
                rv = page.resource_version
            token = page.continue_token
            if not token:
                break
        self.relists += 1
        self._replace(items)
        self.resource_version = rv
        if not self._synced.is_set():
            self._synced.set()

    def _replace(self, items: Objs) -> None:
        """Make the cache equal ``items``, emitting adds, updates and deletions for the differences."""
        fresh = {object_key(o): o for o in items}
        for key in self.store.object_keys():  # a sorted copy: we remove while iterating
            if key not in fresh:
                gone = self.store.remove(key)
                if gone is not None:
                    self._notify_delete(gone)
        for obj in fresh.values():
            old = self.store.put(obj)
            if old is None:
                self._notify_add(obj)
            elif _rv(old) != _rv(obj):
                self._notify_update(old, obj)

    async def _watch_once(self) -> int:
        lo, hi = self.watch_timeout
        timeout = self.rng.randint(lo, hi) if hi > lo else lo
        self.watches += 1
        stream = self.source.watch(
            self.key.api_version,
            self.key.kind,
            self.key.namespace,
            resource_version=self.resource_version,
            label_selector=self.key.label_selector,
            field_selector=self.key.field_selector,
            allow_bookmarks=True,
            timeout_seconds=timeout,
        )
        count = 0
        try:
            async for event in stream:
                count += 1
                self._apply(event)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        return count

    def _apply(self, event: WatchEvent) -> None:
        rv = event.resource_version
        if event.type == "BOOKMARK":
            if rv:
                self.resource_version = rv
            return
        obj = event.object
        key = object_key(obj)
        if event.type == "DELETED":
            self.store.remove(key)
            self._notify_delete(obj)
        else:
            old = self.store.put(obj)
            if old is None:
                self._notify_add(obj)
            else:
                self._notify_update(old, obj)
        if rv:
            self.resource_version = rv

    # ------------------------------------------------------------------------------------------
    # Notifications: a handler's failure is logged and never stops the informer

    def _call(self, fn: Callable[..., Any], *args: Obj) -> None:
        try:
            result = fn(*args)
            if isinstance(result, Awaitable):
                raise TypeError("informer event handlers must be plain functions, not coroutines")
        except Exception:
            log.exception("informer %s: event handler failed", self.key.kind)

    def _notify_add(self, obj: Obj) -> None:
        for h in list(self._handlers):
            self._call(h.on_add, obj)

    def _notify_update(self, old: Obj, new: Obj) -> None:
        for h in list(self._handlers):
            self._call(h.on_update, old, new)

    def _notify_delete(self, obj: Obj) -> None:
        for h in list(self._handlers):
            self._call(h.on_delete, obj)


def _rv(obj: Mapping[str, Any]) -> int:
    text = str((obj.get("metadata") or {}).get("resourceVersion") or "0")
    try:
        return int(text)
    except ValueError:
        return 0


class InformerFactory:
    """One shared informer per (apiVersion, kind, namespace, selectors)."""

    def __init__(
        self,
        source: ListWatcher,
        *,
        clock: Clock,
        rng: random.Random | None = None,
        page_size: int = 500,
        backoff: Backoff | None = None,
        watch_timeout: tuple[int, int] = (300, 600),
    ) -> None:
        self.source = source
        self.clock = clock
        self.rng = rng or random.Random()
        self.page_size = page_size
        self.backoff = backoff
        self.watch_timeout = watch_timeout
        self._informers: dict[InformerKey, Informer] = {}
        self._started = False

    def informer(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Informer:
        key = InformerKey(api_version, kind, namespace or None, label_selector or None, field_selector or None)
        inf = self._informers.get(key)
        if inf is None:
            inf = Informer(
                self.source,
                key,
                clock=self.clock,
                rng=self.rng,
                page_size=self.page_size,
                backoff=self.backoff,
                watch_timeout=self.watch_timeout,
            )
            self._informers[key] = inf
            if self._started:
                inf.start()
        return inf

    @property
    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    def start(self) -> None:
        self._started = True
        for inf in self._informers.values():
            inf.start()

    async def wait_synced(self) -> None:
        for inf in list(self._informers.values()):
            await inf.wait_synced()

    @property
    def has_synced(self) -> bool:
        return all(inf.has_synced for inf in self._informers.values())

    async def stop(self) -> None:
        self._started = False
        for inf in self._informers.values():
            await inf.stop()
