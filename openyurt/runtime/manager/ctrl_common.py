"""What every planner-driven yurt-manager controller does the same way, written once.

A reconcile here is always: read the inputs from shared informer caches (parsed into models through a
per-resourceVersion memo, so a pool of 1,000 nodes is not re-parsed on every pass; entries leave with
their objects), call the pure
planner, hand its :class:`~openyurt.core.plans.Plan` to the :class:`Applier` with a ``replan`` that
re-runs the planner on the fresh object after a 409, record the planner's Events, and turn failures
into requeues (an Invalid answer into a :class:`TerminalError`: the same write would fail again).

Caches lag writes. A controller that creates objects under generated names must not plan again
before its informer has seen them, or it creates duplicates; :class:`Expectations` remembers what a
reconcile wrote and holds the next plan of that key back until the cache caught up (controller-
runtime's "expectations").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.applier import Applier, ApplierClient, ApplyResult, Outcome
from openyurt.adapters.kube.informer import Informer, Obj, object_key
from openyurt.core.api._resource import Resource
from openyurt.core.planners._util import Event
from openyurt.core.plans import ObjectRef, Plan, Step
from openyurt.errors import ApiError, InvalidError, TerminalError
from openyurt.runtime.controller import Controller, EventRecorder, Request

M = TypeVar("M", bound=Resource)

#: Maps an informer change (old, new) to the keys to reconcile: (None, obj) add, (obj, None) delete.
ChangeMapper = Callable[[Obj | None, Obj | None], Iterable[Request]]

#: Re-plan with some objects replaced by what the server holds now (None: the object is gone).
Planner = Callable[[Mapping[ObjectRef, Obj | None]], Plan]


# ==================================================================================================
# Reading


class ModelCache:
    """Parsed models of cached wire objects, reused while the object's resourceVersion is unchanged.

    Entries must not outlive their objects, or a long-running manager keeps every object it ever
    parsed. :meth:`track` ties a model class to the informer its objects come from: the informer's
    delete events evict them, and an object that informer no longer holds is parsed but not kept (a
    reconcile that read it before the delete must not put it back). ``max_entries`` bounds the rest
    (objects of untracked classes): past it the oldest entries go first.
    """

    def __init__(self, max_entries: int = 65536) -> None:
        self.max_entries = max_entries
        self._memo: dict[tuple[type[Any], str, str], tuple[str, Any]] = {}
        self._sources: dict[type[Any], Informer] = {}

    @property
    def size(self) -> int:
        """Models held (not ``__len__``: an empty cache must stay truthy for ``models or ModelCache()``)."""
        return len(self._memo)

    def track(self, cls: type[Any], informer: Informer) -> None:
        """Evict ``cls`` models when ``informer`` reports their object deleted (idempotent)."""
        if self._sources.get(cls) is informer:
            return
        self._sources[cls] = informer
        informer.add_event_handler(on_delete=lambda obj: self.forget(cls, obj))

    def model(self, cls: type[M], obj: Obj) -> M:
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        key = (cls, ns, name)
        rv = str(meta.get("resourceVersion") or "")
        hit = self._memo.get(key)
        if hit is not None and rv and hit[0] == rv:
            return hit[1]  # type: ignore[no-any-return]
        parsed = cls.model_validate(obj)
        source = self._sources.get(cls)
        if not rv or (source is not None and source.get(ns, name) is None):
            self._memo.pop(key, None)
            return parsed
        self._memo.pop(key, None)  # re-insert at the end: the bound drops the longest-unwritten first
        self._memo[key] = (rv, parsed)
        while len(self._memo) > self.max_entries:
            del self._memo[next(iter(self._memo))]
        return parsed

    def models(self, cls: type[M], objs: Iterable[Obj]) -> list[M]:
        return [self.model(cls, o) for o in objs]

    def forget(self, cls: type[Any], obj: Obj) -> None:
        ns, name = object_key(obj)
        self._memo.pop((cls, ns, name), None)


def ref_key(ref: ObjectRef) -> tuple[str, str, str, str]:
    return (ref.api_version, ref.kind, ref.namespace, ref.name)


def substitute(objs: Sequence[Obj], api_version: str, kind: str, fresh: Mapping[ObjectRef, Obj | None]) -> list[Obj]:
    """``objs`` with the objects in ``fresh`` (of this kind) replaced by their newer copy or dropped."""
    if not fresh:
        return list(objs)
    mine = {(r.namespace, r.name): o for r, o in fresh.items() if r.api_version == api_version and r.kind == kind}
    if not mine:
        return list(objs)
    out: list[Obj] = []
    for o in objs:
        k = object_key(o)
        if k in mine:
            new = mine.pop(k)
            if new is not None:
                out.append(new)
        else:
            out.append(o)
    return out


def fresh_one(obj: Obj | None, api_version: str, kind: str, fresh: Mapping[ObjectRef, Obj | None]) -> Obj | None:
    """``obj`` or its fresher copy from ``fresh``."""
    if obj is None or not fresh:
        return obj
    ns, name = object_key(obj)
    ref = ObjectRef(api_version, kind, name, ns)
    return fresh.get(ref, obj)


# ==================================================================================================
# Writing


def make_replan(planner: Planner) -> Callable[[Step, Obj | None], Any]:
    """A ``replan`` for the Applier: plan again with the conflicting object as the server has it and
    return that plan's step for the same object and kind of write (None: nothing to write any more)."""
    fresh: dict[ObjectRef, Obj | None] = {}

    async def replan(step: Step, current: Obj | None) -> Step | None:
        fresh[step.ref] = current
        for s in planner(fresh).steps():
            if s.op == step.op and ref_key(s.ref) == ref_key(step.ref):
                return s
        return None

    return replan


class _HasPlan(Protocol):
    @property
    def plan(self) -> Plan: ...


def plans_of(plan_for: Callable[[Mapping[ObjectRef, Obj | None]], _HasPlan | None]) -> Planner:
    """A :data:`Planner` from a function giving a planner's whole result (None: nothing to do)."""

    def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
        p = plan_for(fresh)
        return p.plan if p is not None else Plan()

    return planner


async def apply_plan(client: ApplierClient, plan: Plan, planner: Planner | None = None) -> ApplyResult:
    applier = Applier(client, replan=make_replan(planner) if planner is not None else None)
    return await applier.apply(plan)


def raise_for(result: ApplyResult) -> None:
    """Requeue (raise the first error) unless every step went through; Invalid is terminal."""
    if result.ok:
        return
    errors = result.errors
    for err in errors:
        if isinstance(err, InvalidError):
            raise TerminalError(str(err)) from err
    if errors:
        raise errors[0]
    raise RuntimeError("plan not fully applied")


def failed_steps(result: ApplyResult) -> list[tuple[Step, ApiError | None]]:
    return [(o.step, o.error) for o in result.outcomes if o.outcome in (Outcome.CONFLICT, Outcome.FAILED)]


async def record_events(
    recorder: EventRecorder | None, events: Iterable[Event], objects: Mapping[ObjectRef, Resource | Obj] | None = None
) -> None:
    """Record planner Events; the involved object is the one given for the ref, else a stub from the ref."""
    if recorder is None:
        return
    for ev in events:
        obj: Resource | Obj | None = (objects or {}).get(ev.ref)
        if obj is None:
            meta: dict[str, Any] = {"name": ev.ref.name}
            if ev.ref.namespace:
                meta["namespace"] = ev.ref.namespace
            obj = {"apiVersion": ev.ref.api_version, "kind": ev.ref.kind, "metadata": meta}
        await recorder.event(obj, "Warning" if ev.type == "Warning" else "Normal", ev.reason, ev.message)


# ==================================================================================================
# Expectations


@attrs.define
class _Expect:
    informer: Informer
    namespace: str
    name: str
    #: the version written (the cache must reach it), or None: the object must be gone
    resource_version: int | None


@attrs.define
class Expectations:
    """Writes a key's last reconcile made that the informer caches have not shown yet."""

    clock: Clock
    #: give up waiting after this long (a missed event must not wedge the key forever)
    timeout: float = 30.0
    _pending: dict[Request, tuple[float, list[_Expect]]] = attrs.field(factory=dict)

    def expect(self, key: Request, result: ApplyResult, informers: Mapping[tuple[str, str], Informer]) -> None:
        items: list[_Expect] = []
        for o in result.outcomes:
            inf = informers.get((o.ref.api_version, o.ref.kind))
            if inf is None:
                continue
            if o.outcome == Outcome.DELETED:
                items.append(_Expect(inf, o.ref.namespace, o.ref.name, None))
            elif o.outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.PATCHED) and o.object is not None:
                ns, name = object_key(o.object)
                items.append(_Expect(inf, ns, name, _rv(o.object)))
        if items:
            self._pending[key] = (self.clock.now(), items)
        else:
            self._pending.pop(key, None)

    def satisfied(self, key: Request) -> bool:
        entry = self._pending.get(key)
        if entry is None:
            return True
        since, items = entry
        left = [e for e in items if not _seen(e)]
        if not left or self.clock.now() - since > self.timeout:
            self._pending.pop(key, None)
            return True
        self._pending[key] = (since, left)
        return False

    def forget(self, key: Request) -> None:
        self._pending.pop(key, None)


def _rv(obj: Mapping[str, Any] | None) -> int:
    try:
        return int(str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "0"))
    except ValueError:
        return 0


def _seen(e: _Expect) -> bool:
    cur = e.informer.get(e.namespace, e.name)
    if e.resource_version is None:
        return cur is None
    return cur is not None and _rv(cur) >= e.resource_version


# ==================================================================================================
# Watching


def watch_changes(
    controller: Controller,
    informer: Informer,
    mapper: ChangeMapper,
) -> None:
    """Like ``Controller.watch`` but the mapper sees (old, new): (None, obj) on add, (obj, None) on delete."""
    controller.informers.append(informer)

    def enqueue(old: Obj | None, new: Obj | None) -> None:
        for key in mapper(old, new):
            controller.enqueue(key)

    informer.add_event_handler(
        on_add=lambda obj: enqueue(None, obj),
        on_update=enqueue,
        on_delete=lambda obj: enqueue(obj, None),
    )


_background: set[asyncio.Task[None]] = set()


def spawn(coro: Any) -> None:
    """Run a best-effort coroutine (an Event from an informer handler) without awaiting it."""
    task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def labels(obj: Obj | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("labels") or {})


def annotations_of(obj: Obj | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("annotations") or {})


def controller_owner(obj: Obj | None, kind: str) -> str | None:
    """Name of the controller ownerReference of ``kind``, or None."""
    for ref in ((obj or {}).get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") and ref.get("kind") == kind:
            return str(ref.get("name") or "")
    return None


def requests(*keys: tuple[str, str] | None) -> list[Request]:
    return [Request(ns, name) for k in keys if k is not None for ns, name in (k,) if name]


__all__ = [
    "ChangeMapper",
    "Expectations",
    "ModelCache",
    "annotations_of",
    "apply_plan",
    "controller_owner",
    "failed_steps",
    "fresh_one",
    "labels",
    "make_replan",
    "raise_for",
    "record_events",
    "requests",
    "spawn",
    "substitute",
    "watch_changes",
]
