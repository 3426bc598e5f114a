"""nodepool controller: push each pool's labels/annotations/taints onto its nodes and count them.

The decision is :func:`openyurt.core.planners.plan_nodepool`; this module feeds it the pool and its
members (Nodes by the ``apps.openyurt.io/nodepool`` label, an informer index) and applies the node
patches and the status update. Node events map to the node's pool the way upstream's handler does:
joining, leaving, a Ready flip or a change of labels/annotations/taints. A node moved from pool A to B
(the node webhook forbids it) gets the Warning ``NodePoolChanged``; unlike upstream we still requeue
both pools, so their counts do not stay wrong until the next pool change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.nodepool import NodePoolConfig, plan_nodepool
from openyurt.core.plans import ObjectRef, Plan
from openyurt.runtime.controller import Controller, EventRecorder, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ChangeMapper,
    ModelCache,
    apply_plan,
    fresh_one,
    labels,
    raise_for,
    spawn,
    substitute,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

NAME = "nodepool-controller"
ALIAS = "nodepool"
POOL_API = NodePool.info.api_version
WORKERS = 3


def _ready(obj: Obj | None) -> bool:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == wellknown.CONDITION_READY:
            return c.get("status") == "True"
    return False


def node_pool_mapper(recorder: EventRecorder | None) -> ChangeMapper:
    """Node (old, new) → the pools to reconcile (upstream's ``EnqueueNodePoolForNode``)."""

    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        before = labels(old).get(wellknown.LABEL_NODEPOOL, "")
        after = labels(new).get(wellknown.LABEL_NODEPOOL, "")
        if old is None or new is None:
            pool = after or before
            return [Request("", pool)] if pool else []
        if not before and not after:
            return []
        if before != after:
            if before and after and recorder is not None:
                spawn(
                    recorder.event(
                        new,
                        "Warning",
                        "NodePoolChanged",
                        f"node pool changed from {before} to {after}",
                    )
                )
            return [Request("", p) for p in (before, after) if p]
        if _ready(old) != _ready(new):
            return [Request("", after)]
        meta_old, meta_new = old.get("metadata") or {}, new.get("metadata") or {}
        if (
            meta_old.get("labels") != meta_new.get("labels")
            or meta_old.get("annotations") != meta_new.get("annotations")
            or (old.get("spec") or {}).get("taints") != (new.get("spec") or {}).get("taints")
        ):
            return [Request("", after)]
        return []

    return mapper


def make_reconciler(
    client: Client,
    pools: Informer,
    nodes: Informer,
    clock: Clock,
    *,
    config: NodePoolConfig | None = None,
    models: ModelCache | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(NodePool, pools)
    memo.track(Node, nodes)

    async def reconcile(req: Request) -> Result | None:
        obj = pools.get("", req.name)
        if obj is None:
            return None
        members = nodes.by_label(wellknown.LABEL_NODEPOOL, req.name)
        now = clock.wall()

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            pool_obj = fresh_one(obj, POOL_API, "NodePool", fresh)
            if pool_obj is None:
                return Plan()
            pool = memo.model(NodePool, pool_obj)
            node_models = memo.models(Node, substitute(members, "v1", "Node", fresh))
            return plan_nodepool(pool, node_models, now=now, config=config).plan

        raise_for(await apply_plan(client, planner({}), planner))
        return None

    return reconcile


def build_controller(ctx: ControllerContext) -> Controller:
    pools = ctx.informers.informer(POOL_API, "NodePool")
    nodes = ctx.informers.informer("v1", "Node")
    recorder = ctx.recorder(NAME)
    reconcile = make_reconciler(ctx.client, pools, nodes, ctx.clock)
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(pools)
    watch_changes(controller, nodes, node_pool_mapper(recorder))
    return controller


__all__ = ["ALIAS", "NAME", "build_controller", "make_reconciler", "node_pool_mapper"]
