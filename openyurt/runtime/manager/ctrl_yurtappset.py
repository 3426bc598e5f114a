"""yurtappset controller: one Deployment or StatefulSet per selected NodePool, per YurtAppSet.

:func:`~openyurt.core.planners.plan_yurtappset` decides (revision, pools, workload creates/updates/
deletes, status); this module feeds it from informer caches and carries the plan out. What only the
runtime can know is set here: when a workload write fails, the conditions ``AppDispatched``/
``AppDeleted``/``AppUpdated`` go False with ``CreateWorkloadError``/``DeleteWorkloadError``/
``UpdateWorkloadError`` and the key is retried with backoff; the planner's "Successful ..." event for
that kind of write is not recorded.

Watches (upstream's, plus StatefulSets and ControllerRevisions, whose changes upstream misses):
YurtAppSets; NodePools, mapped to every YurtAppSet that lists or selects the pool before or after the
change (updates only when labels changed); Deployments/StatefulSets/ControllerRevisions, mapped to
their controller owner or ``apps.openyurt.io/ref-yurtappset`` label. Workloads are created under
generated names, so :class:`~openyurt.runtime.manager.ctrl_common.Expectations` keeps a YurtAppSet
from being planned again before the cache has seen its last writes (no duplicate workloads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.applier import ApplyResult
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import ControllerRevision, Deployment, StatefulSet
from openyurt.core.api.meta_v1 import selector_matches
from openyurt.core.api.openyurt_apps_v1beta1 import YurtAppSet
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners._util import Event
from openyurt.core.planners.yurtappset import condition, plan_yurtappset, set_condition
from openyurt.core.plans import Create, Delete, ObjectRef, Plan, StatusUpdate, Update, Wire, wire
from openyurt.runtime.controller import Controller, EventRecorder, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ChangeMapper,
    Expectations,
    ModelCache,
    apply_plan,
    controller_owner,
    failed_steps,
    fresh_one,
    labels,
    raise_for,
    record_events,
    substitute,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

NAME = "yurt-app-set-controller"
ALIAS = "yurtappset"
YAS_API = YurtAppSet.info.api_version
POOL_API = NodePool.info.api_version
WORKERS = 3
#: How long to wait for the cache to show our own writes before planning again regardless.
EXPECTATION_RECHECK = 1.0
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


class Informers:
    """The caches a YurtAppSet reconcile reads."""

    def __init__(
        self,
        yas: Informer,
        pools: Informer,
        deployments: Informer,
        statefulsets: Informer,
        revisions: Informer,
    ) -> None:
        self.yas = yas
        self.pools = pools
        self.deployments = deployments
        self.statefulsets = statefulsets
        self.revisions = revisions

    @classmethod
    def of(cls, ctx: ControllerContext) -> Informers:
        f = ctx.informers
        return cls(
            f.informer(YAS_API, "YurtAppSet"),
            f.informer(POOL_API, "NodePool"),
            f.informer("apps/v1", "Deployment"),
            f.informer("apps/v1", "StatefulSet"),
            f.informer("apps/v1", "ControllerRevision"),
        )

    def by_kind(self) -> dict[tuple[str, str], Informer]:
        return {
            (YAS_API, "YurtAppSet"): self.yas,
            ("apps/v1", "Deployment"): self.deployments,
            ("apps/v1", "StatefulSet"): self.statefulsets,
            ("apps/v1", "ControllerRevision"): self.revisions,
        }


def _failure_condition(step: Any) -> tuple[str, str, str] | None:
    """(condition type, reason, verb) for a failed workload write, None for other objects."""
    if step.ref.kind not in WORKLOAD_KINDS:
        return None
    if isinstance(step, Create):
        return (wellknown.CONDITION_APP_DISPATCHED, wellknown.REASON_CREATE_WORKLOAD_ERROR, "create")
    if isinstance(step, Delete):
        return (wellknown.CONDITION_APP_DELETED, wellknown.REASON_DELETE_WORKLOAD_ERROR, "delete")
    if isinstance(step, Update):
        return (wellknown.CONDITION_APP_UPDATED, wellknown.REASON_UPDATE_WORKLOAD_ERROR, "update")
    return None


def _pool_of(step: Any) -> str:
    if isinstance(step, Create | Update):
        return str(labels(wire(step.obj)).get(wellknown.LABEL_POOL_NAME) or "")
    return step.ref.name  # type: ignore[no-any-return]


_FAILED_EVENT = {
    wellknown.CONDITION_APP_DISPATCHED: "Failed CreateWorkload",
    wellknown.CONDITION_APP_DELETED: "Failed DeleteWorkload",
    wellknown.CONDITION_APP_UPDATED: "Failed UpdateWorkload",
}

_SUCCESS_EVENT = {
    wellknown.CONDITION_APP_DISPATCHED: wellknown.EVENT_SUCCESSFUL_CREATE_WORKLOAD,
    wellknown.CONDITION_APP_DELETED: wellknown.EVENT_SUCCESSFUL_DELETE_WORKLOAD,
    wellknown.CONDITION_APP_UPDATED: wellknown.EVENT_SUCCESSFUL_UPDATE_WORKLOAD,
}


def failure_conditions(result: ApplyResult) -> dict[str, tuple[str, list[str]]]:
    """Condition type → (reason, messages) for the workload writes that failed."""
    failures: dict[str, tuple[str, list[str]]] = {}
    for step, err in failed_steps(result):
        cond = _failure_condition(step)
        if cond is None:
            continue
        ctype, reason, verb = cond
        failures.setdefault(ctype, (reason, []))[1].append(f"{verb} workload of nodepool {_pool_of(step)} error: {err}")
    return failures


def with_failures(status_obj: Wire, failures: Mapping[str, tuple[str, list[str]]], now: Any) -> Obj:
    """``status_obj`` (a YurtAppSet as wire data) with the failure conditions set."""
    out = wire(status_obj)
    status = dict(out.get("status") or {})
    conditions = list(status.get("conditions") or [])
    for ctype, (reason, msgs) in failures.items():
        conditions = set_condition(conditions, condition(ctype, "False", reason, "; ".join(msgs), now))
    status["conditions"] = conditions
    out["status"] = status
    return out


def make_reconciler(
    client: Client,
    inf: Informers,
    clock: Clock,
    *,
    recorder: EventRecorder | None = None,
    models: ModelCache | None = None,
    expectations: Expectations | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(YurtAppSet, inf.yas)
    memo.track(NodePool, inf.pools)
    memo.track(Deployment, inf.deployments)
    memo.track(StatefulSet, inf.statefulsets)
    memo.track(ControllerRevision, inf.revisions)
    expect = expectations or Expectations(clock)

    async def reconcile(req: Request) -> Result | None:
        obj = inf.yas.get(req.namespace, req.name)
        if obj is None:
            expect.forget(req)
            return None
        if not expect.satisfied(req):
            return Result(requeue_after=EXPECTATION_RECHECK)
        pools = inf.pools.list()
        deployments = inf.deployments.by_namespace(req.namespace)
        statefulsets = inf.statefulsets.by_namespace(req.namespace)
        revisions = inf.revisions.by_namespace(req.namespace)
        now = clock.wall()

        def inputs(fresh: Mapping[ObjectRef, Obj | None]) -> tuple[YurtAppSet | None, Any, Any, Any]:
            yas_obj = fresh_one(obj, YAS_API, "YurtAppSet", fresh)
            if yas_obj is None:
                return None, (), (), ()
            ws: list[Deployment | StatefulSet] = [
                *memo.models(Deployment, substitute(deployments, "apps/v1", "Deployment", fresh)),
                *memo.models(StatefulSet, substitute(statefulsets, "apps/v1", "StatefulSet", fresh)),
            ]
            return (
                memo.model(YurtAppSet, yas_obj),
                memo.models(NodePool, substitute(pools, POOL_API, "NodePool", fresh)),
                ws,
                memo.models(ControllerRevision, substitute(revisions, "apps/v1", "ControllerRevision", fresh)),
            )

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            yas, ps, ws, rs = inputs(fresh)
            if yas is None:
                return Plan()
            return plan_yurtappset(yas, ps, ws, rs, now=now).plan

        yas, ps, ws, rs = inputs({})
        assert yas is not None
        planned = plan_yurtappset(yas, ps, ws, rs, now=now)
        # Workload writes first: the status written afterwards carries their failures, so a
        # failing create costs one status write, not a second one that re-triggers the watch.
        work = attrs.evolve(planned.plan, status_updates=())
        result = await apply_plan(client, work, planner)
        failures = failure_conditions(result)
        statuses = planned.plan.status_updates
        if failures:
            base = statuses[0].obj if statuses else yas.to_wire()
            statuses = (StatusUpdate(with_failures(base, failures, now)),)
            for ctype, (_, msgs) in failures.items():
                if recorder is not None:
                    verb = _FAILED_EVENT[ctype]
                    for msg in msgs:
                        await recorder.event(yas, "Warning", verb, msg)

        def status_planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            p = planner(fresh)
            if not failures:
                return p
            sts = p.status_updates
            if not sts:
                cur = fresh_one(obj, YAS_API, "YurtAppSet", fresh)
                if cur is None:
                    return p
                sts = (StatusUpdate(cur),)
            return Plan(status_updates=tuple(StatusUpdate(with_failures(s.obj, failures, now)) for s in sts))

        status_result = await apply_plan(client, Plan(status_updates=statuses), status_planner)
        combined = ApplyResult(result.outcomes + status_result.outcomes)
        expect.expect(req, combined, inf.by_kind())
        events: Sequence[Event] = [
            e for e in planned.events if not any(_SUCCESS_EVENT[c] == e.reason for c in failures)
        ]
        await record_events(recorder, events, {e.ref: yas for e in events})
        raise_for(combined)
        return None

    return reconcile


# ==================================================================================================
# Watches


def _related(yas: YurtAppSet, pool: Obj) -> bool:
    spec = yas.spec
    if spec is None:
        return False
    name = str((pool.get("metadata") or {}).get("name") or "")
    if name in (spec.pools or ()):
        return True
    return spec.nodepool_selector is not None and selector_matches(spec.nodepool_selector, labels(pool))


def pool_to_yurtappsets(yas_informer: Informer, models: ModelCache) -> ChangeMapper:
    """A NodePool change → every YurtAppSet related to the pool before or after it."""

    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        if old is not None and new is not None and labels(old) == labels(new):
            return []
        out = []
        for obj in yas_informer.list():
            yas = models.model(YurtAppSet, obj)
            if any(p is not None and _related(yas, p) for p in (old, new)):
                out.append(Request(yas.namespace, yas.name))
        return out

    return mapper


def owned_to_yurtappset(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    """A workload or revision → its controller YurtAppSet and the one its ref label names."""
    keys: set[Request] = set()
    for obj in (old, new):
        if obj is None:
            continue
        ns = str((obj.get("metadata") or {}).get("namespace") or "")
        owner = controller_owner(obj, "YurtAppSet")
        if owner:
            keys.add(Request(ns, owner))
        ref = labels(obj).get(wellknown.LABEL_REF_YURTAPPSET)
        if ref:
            keys.add(Request(ns, ref))
    return sorted(keys)


def build_controller(ctx: ControllerContext) -> Controller:
    inf = Informers.of(ctx)
    memo = ModelCache()
    reconcile = make_reconciler(ctx.client, inf, ctx.clock, recorder=ctx.recorder(NAME), models=memo)
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(inf.yas)
    watch_changes(controller, inf.pools, pool_to_yurtappsets(inf.yas, memo))
    for owned in (inf.deployments, inf.statefulsets, inf.revisions):
        watch_changes(controller, owned, owned_to_yurtappset)
    return controller


__all__ = [
    "ALIAS",
    "NAME",
    "Informers",
    "build_controller",
    "make_reconciler",
    "owned_to_yurtappset",
    "pool_to_yurtappsets",
]
