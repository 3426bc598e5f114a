"""nodebucket controller: shard each NodePool's member list into NodeBuckets of at most 100 names.

:func:`~openyurt.core.planners.plan_node_buckets` decides; this module feeds it the pool, its members
(the node informer's pool-label index) and the pool's buckets (the bucket informer's
``openyurt.io/pool-name`` label index), and applies the writes. New buckets get random name suffixes
from the manager's seeded ``rng``, so the controller waits for the cache to show its own writes
before planning the pool again (otherwise a second pass would shard the same nodes twice).
Watches as upstream: NodePools, NodeBuckets (→ their pool), Nodes joining, leaving or switching pool.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node
from openyurt.core.api.openyurt_apps_v1alpha1 import NodeBucket
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.nodebucket import NodeBucketConfig, plan_node_buckets
from openyurt.core.plans import ObjectRef, Plan
from openyurt.runtime.controller import Controller, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    Expectations,
    ModelCache,
    apply_plan,
    labels,
    raise_for,
    substitute,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

NAME = "node-bucket-controller"
ALIAS = "nodebucket"
POOL_API = NodePool.info.api_version
BUCKET_API = NodeBucket.info.api_version
WORKERS = 3
EXPECTATION_RECHECK = 1.0


def node_to_pool(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    before = labels(old).get(wellknown.LABEL_NODEPOOL, "")
    after = labels(new).get(wellknown.LABEL_NODEPOOL, "")
    if old is not None and new is not None and before == after:
        return []
    return [Request("", p) for p in sorted({before, after}) if p]


def bucket_to_pool(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    pools = {labels(o).get(wellknown.LABEL_OPENYURT_POOL_NAME, "") for o in (old, new) if o is not None}
    return [Request("", p) for p in sorted(pools) if p]


def make_reconciler(
    client: Client,
    pools: Informer,
    nodes: Informer,
    buckets: Informer,
    clock: Clock,
    *,
    config: NodeBucketConfig | None = None,
    rng: random.Random | None = None,
    models: ModelCache | None = None,
    expectations: Expectations | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(NodePool, pools)
    memo.track(Node, nodes)
    memo.track(NodeBucket, buckets)
    expect = expectations or Expectations(clock)

    async def reconcile(req: Request) -> Result | None:
        obj = pools.get("", req.name)
        if obj is None:
            expect.forget(req)
            return None  # the buckets go with their owner (garbage collection)
        if not expect.satisfied(req):
            return Result(requeue_after=EXPECTATION_RECHECK)
        pool = memo.model(NodePool, obj)
        members = memo.models(Node, nodes.by_label(wellknown.LABEL_NODEPOOL, req.name))
        mine = buckets.by_label(wellknown.LABEL_OPENYURT_POOL_NAME, req.name)
        now = clock.wall()

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            bs = memo.models(NodeBucket, substitute(mine, BUCKET_API, "NodeBucket", fresh))
            return plan_node_buckets(pool, members, bs, now=now, config=config, rng=rng).plan

        result = await apply_plan(client, planner({}), planner)
        expect.expect(req, result, {(BUCKET_API, "NodeBucket"): buckets})
        raise_for(result)
        return None

    return reconcile


def build_controller(ctx: ControllerContext) -> Controller:
    pools = ctx.informers.informer(POOL_API, "NodePool")
    nodes = ctx.informers.informer("v1", "Node")
    buckets = ctx.informers.informer(BUCKET_API, "NodeBucket")
    reconcile = make_reconciler(ctx.client, pools, nodes, buckets, ctx.clock, rng=ctx.rng)
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(pools)
    watch_changes(controller, buckets, bucket_to_pool)
    watch_changes(controller, nodes, node_to_pool)
    return controller


__all__ = ["ALIAS", "NAME", "bucket_to_pool", "build_controller", "make_reconciler", "node_to_pool"]
