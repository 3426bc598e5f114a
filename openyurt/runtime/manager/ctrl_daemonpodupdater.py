"""daemon-pod-updater controller: AdvancedRollingUpdate and OTA upgrades of ``OnDelete`` DaemonSets.

:func:`~openyurt.core.planners.plan_daemon_pod_update` decides; this module feeds it from the caches
and carries out its pod deletions (uid preconditions; a 409 re-plans on the fresh pod) or its pod
status writes. Only DaemonSets meeting the prerequisites (``OnDelete`` and a known
``apps.openyurt.io/update-strategy``) are ever queued, as upstream's predicates do.

Upstream advances a rollout only when the DaemonSet object changes (the native controller writes its
status after recreating pods). We also watch the DaemonSet's pods, the Nodes they run on (readiness
flips) and its ControllerRevisions, so a round starts as soon as anything it depends on changes,
and we plan again when a pod passes ``minReadySeconds`` (nothing else would say so).

Expectations as upstream: a DaemonSet whose previous round's deletions the pod cache has not shown
yet waits (at most 5 minutes, so a missed event cannot wedge it), otherwise a round planned on a
stale cache would delete the same budget twice. Events ``SuccessfulDelete``/``FailedDelete`` go on
the DaemonSet for each deletion that went through or failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.applier import ApplyResult, Outcome
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import ControllerRevision, DaemonSet
from openyurt.core.api.core_v1 import Node, Pod
from openyurt.core.planners._util import Event, ref_of
from openyurt.core.planners.daemonpodupdater import (
    REASON_FAILED_DELETE,
    DaemonPodUpdatePlan,
    owned_pods,
    plan_daemon_pod_update,
    target_node_name,
    update_mode_of,
)
from openyurt.core.plans import Delete, ObjectRef
from openyurt.errors import TerminalError
from openyurt.runtime.controller import Controller, EventRecorder, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ChangeMapper,
    Expectations,
    ModelCache,
    annotations_of,
    apply_plan,
    controller_owner,
    fresh_one,
    plans_of,
    raise_for,
    record_events,
    substitute,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

NAME = "daemon-pod-updater-controller"
ALIAS = "daemonpodupdater"
WORKERS = 3
#: upstream's expectations timeout: past it a round starts even if some deletions were never seen
EXPECTATIONS_TIMEOUT = 300.0
#: how soon to look again while deletions are pending (the pod delete event usually comes first)
EXPECTATION_RECHECK = 1.0


def _meta(obj: Obj | None) -> dict[str, Any]:
    return dict((obj or {}).get("metadata") or {})


def meets_prerequisites(ds: Obj | None) -> bool:
    """``checkPrerequisites`` on wire data: ``OnDelete`` and a known update-strategy annotation."""
    if ds is None:
        return False
    strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type")
    return (
        strategy == "OnDelete"
        and update_mode_of(annotations_of(ds).get(wellknown.ANNOTATION_UPDATE_STRATEGY)) is not None
    )


def _controller_uid(obj: Obj) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("uid") or "")
    return None


def owner_mapper(daemonsets: Informer) -> ChangeMapper:
    """A pod or ControllerRevision change → its controlling DaemonSet, if that one is ours to upgrade."""

    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        keys: set[Request] = set()
        for obj in (old, new):
            owner = controller_owner(obj, "DaemonSet")
            if obj is None or not owner:
                continue
            ns = str(_meta(obj).get("namespace") or "")
            ds = daemonsets.get(ns, owner)
            if meets_prerequisites(ds) and _meta(ds).get("uid") == _controller_uid(obj):
                keys.add(Request(ns, owner))
        return sorted(keys)

    return mapper


def _ready(node: Obj | None) -> str | None:
    for cond in ((node or {}).get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == wellknown.CONDITION_READY:
            return str(cond.get("status"))
    return None


def node_mapper(pods: Informer, daemonsets: Informer) -> ChangeMapper:
    """A node that appears, goes, or flips readiness → the DaemonSets with pods on it."""
    owners = owner_mapper(daemonsets)

    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        if old is not None and new is not None and _ready(old) == _ready(new):
            return []
        name = str(_meta(new or old).get("name") or "")
        keys: set[Request] = set()
        for pod in pods.by_node_name(name):
            keys.update(owners(None, pod))
        return sorted(keys)

    return mapper


def daemonset_mapper(ds: Obj) -> Iterable[Request]:
    """Any change of a DaemonSet meeting the prerequisites (a delete too: its expectations go)."""
    return [Request.of(ds)] if meets_prerequisites(ds) else []


def _delete_events(ds: DaemonSet, planned: DaemonPodUpdatePlan, result: ApplyResult) -> list[Event]:
    """``SuccessfulDelete`` for each deletion that went through, ``FailedDelete`` for each that failed."""
    by_pod = {step.ref: ev for step, ev in zip(planned.plan.deletes, planned.events, strict=True)}
    out: list[Event] = []
    for o in result.outcomes:
        if not isinstance(o.step, Delete):
            continue
        if o.outcome == Outcome.DELETED and o.ref in by_pod:
            out.append(by_pod[o.ref])
        elif o.outcome in (Outcome.FAILED, Outcome.CONFLICT):
            out.append(Event(ref_of(ds), "Warning", REASON_FAILED_DELETE, f"Error deleting: {o.error}"))
    return out


def make_reconciler(
    client: Client,
    *,
    daemonsets: Informer,
    pods: Informer,
    nodes: Informer,
    revisions: Informer,
    clock: Clock,
    recorder: EventRecorder | None = None,
    models: ModelCache | None = None,
    expectations: Expectations | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    for cls, informer in ((DaemonSet, daemonsets), (Pod, pods), (Node, nodes), (ControllerRevision, revisions)):
        memo.track(cls, informer)
    expect = expectations or Expectations(clock, timeout=EXPECTATIONS_TIMEOUT)
    by_kind = {("v1", "Pod"): pods}

    async def reconcile(req: Request) -> Result | None:
        obj = daemonsets.get(req.namespace, req.name)
        if obj is None:
            expect.forget(req)
            return None
        if _meta(obj).get("deletionTimestamp"):
            return None
        if not expect.satisfied(req):
            return Result(requeue_after=EXPECTATION_RECHECK)
        uid = str(_meta(obj).get("uid") or "")
        # Parse only what the DaemonSet controls: a namespace may hold thousands of other pods.
        pod_objs = [p for p in pods.by_namespace(req.namespace) if uid and _controller_uid(p) == uid]
        rev_objs = [r for r in revisions.by_namespace(req.namespace) if uid and _controller_uid(r) == uid]
        now = clock.wall()

        def plan_for(fresh: Mapping[ObjectRef, Obj | None]) -> DaemonPodUpdatePlan | None:
            ds_obj = fresh_one(obj, "apps/v1", "DaemonSet", fresh)
            if ds_obj is None:
                return None
            ds = memo.model(DaemonSet, ds_obj)
            mine = owned_pods(ds, memo.models(Pod, substitute(pod_objs, "v1", "Pod", fresh)))
            hosts = sorted({t for t in (target_node_name(p) for p in mine) if t})
            node_objs = [n for n in (nodes.get("", h) for h in hosts) if n is not None]
            return plan_daemon_pod_update(
                ds,
                mine,
                memo.models(Node, node_objs),
                memo.models(ControllerRevision, rev_objs),
                now=now,
            )

        planner = plans_of(plan_for)
        first = plan_for({})
        assert first is not None
        if first.error:
            raise TerminalError(first.error)
        result = await apply_plan(client, first.plan, planner)
        expect.expect(req, result, by_kind)
        ds = memo.model(DaemonSet, obj)
        events = _delete_events(ds, first, result)
        await record_events(recorder, events, {e.ref: ds for e in events})
        raise_for(result)
        if first.recheck_after is not None:
            return Result(requeue_after=first.recheck_after)
        return None

    return reconcile


def build_controller(ctx: ControllerContext) -> Controller:
    f = ctx.informers
    daemonsets = f.informer("apps/v1", "DaemonSet")
    pods = f.informer("v1", "Pod")
    nodes = f.informer("v1", "Node")
    revisions = f.informer("apps/v1", "ControllerRevision")
    reconcile = make_reconciler(
        ctx.client,
        daemonsets=daemonsets,
        pods=pods,
        nodes=nodes,
        revisions=revisions,
        clock=ctx.clock,
        recorder=ctx.recorder(NAME),
    )
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(daemonsets, daemonset_mapper)
    watch_changes(controller, pods, owner_mapper(daemonsets))
    watch_changes(controller, revisions, owner_mapper(daemonsets))
    watch_changes(controller, nodes, node_mapper(pods, daemonsets))
    return controller


__all__ = [
    "ALIAS",
    "NAME",
    "build_controller",
    "daemonset_mapper",
    "make_reconciler",
    "meets_prerequisites",
    "node_mapper",
    "owner_mapper",
]
