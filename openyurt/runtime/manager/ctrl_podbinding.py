"""podbinding controller: stretch NoExecute tolerations of pods on autonomous edge nodes.

:func:`~openyurt.core.planners.autonomy.pod_binding_patch` decides per pod; this module re-reads the
pod and its node from the caches and applies the patch (the tolerations list is replaced with the
pod's resourceVersion as precondition; a 409 re-plans on the fresh pod). Watches as upstream: a pod
that is bound (or whose tolerations or bookkeeping annotations change), and an edge node whose autonomy
annotations change, which re-queues every pod on it (the informer's ``spec.nodeName`` index).
DaemonSet and mirror pods are never queued.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node, Pod
from openyurt.core.planners.autonomy import pod_binding_patch
from openyurt.core.plans import ObjectRef, Plan
from openyurt.runtime.controller import Controller, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ChangeMapper,
    ModelCache,
    annotations_of,
    apply_plan,
    fresh_one,
    labels,
    raise_for,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

NAME = "pod-binding-controller"
ALIAS = "podbinding"
WORKERS = 5
_AUTONOMY = (wellknown.ANNOTATION_AUTONOMY_LEGACY, wellknown.ANNOTATION_AUTONOMY_DURATION, wellknown.ANNOTATION_BINDING)
_BOOKKEEPING = (
    wellknown.ANNOTATION_ORIGINAL_NOT_READY_TOLERATION_DURATION,
    wellknown.ANNOTATION_ORIGINAL_UNREACHABLE_TOLERATION_DURATION,
)


def _node_name(pod: Obj | None) -> str:
    return str(((pod or {}).get("spec") or {}).get("nodeName") or "")


def pod_is_candidate(pod: Obj | None) -> bool:
    """Bound, not a DaemonSet pod, not a mirror pod."""
    if pod is None or not _node_name(pod):
        return False
    meta = pod.get("metadata") or {}
    if any(isinstance(r, dict) and r.get("kind") == "DaemonSet" for r in meta.get("ownerReferences") or []):
        return False
    return wellknown.ANNOTATION_CONFIG_MIRROR not in (meta.get("annotations") or {})


def pod_mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    if new is None or not pod_is_candidate(new):
        return []
    if old is not None:
        same = (
            _node_name(old) == _node_name(new)
            and (old.get("spec") or {}).get("tolerations") == (new.get("spec") or {}).get("tolerations")
            and all(annotations_of(old).get(k) == annotations_of(new).get(k) for k in _BOOKKEEPING)
        )
        if same:
            return []
    return [Request.of(new)]


def node_mapper(pods: Informer) -> ChangeMapper:
    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        if old is None or new is None or labels(new).get(wellknown.LABEL_EDGE_WORKER) != "true":
            return []
        if all(annotations_of(old).get(k) == annotations_of(new).get(k) for k in _AUTONOMY):
            return []
        name = str((new.get("metadata") or {}).get("name") or "")
        return [Request.of(p) for p in pods.by_node_name(name) if pod_is_candidate(p)]

    return mapper


def make_reconciler(client: Client, pods: Informer, nodes: Informer, *, models: ModelCache | None = None) -> Reconciler:
    memo = models or ModelCache()
    memo.track(Pod, pods)
    memo.track(Node, nodes)

    async def reconcile(req: Request) -> Result | None:
        obj = pods.get(req.namespace, req.name)
        if obj is None or not pod_is_candidate(obj):
            return None
        node_obj = nodes.get("", _node_name(obj))
        node = memo.model(Node, node_obj) if node_obj is not None else None

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            pod_obj = fresh_one(obj, "v1", "Pod", fresh)
            if pod_obj is None:
                return Plan()
            patch = pod_binding_patch(memo.model(Pod, pod_obj), node)
            return Plan(patches=(patch,)) if patch is not None else Plan()

        raise_for(await apply_plan(client, planner({}), planner))
        return None

    return reconcile


def build_controller(ctx: ControllerContext) -> Controller:
    pods = ctx.informers.informer("v1", "Pod")
    nodes = ctx.informers.informer("v1", "Node")
    controller = Controller(
        NAME, make_reconciler(ctx.client, pods, nodes), clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics
    )
    watch_changes(controller, pods, pod_mapper)
    watch_changes(controller, nodes, node_mapper(pods))
    return controller


__all__ = ["ALIAS", "NAME", "build_controller", "make_reconciler", "node_mapper", "pod_is_candidate", "pod_mapper"]
