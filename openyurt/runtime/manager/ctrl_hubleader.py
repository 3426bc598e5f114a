"""hubleader and hubleaderconfig controllers: elect each pool's leader YurtHubs and publish them.

``hubleader`` runs :func:`~openyurt.core.planners.plan_hub_leaders` per NodePool and writes the pool's
``status.leaderEndpoints``; besides the pool itself it watches member Nodes (upstream only sees their
readiness through the pool's status counters, one hop later). An unsupported election strategy is a
spec problem: the Warning ``ReconcileError`` is recorded and the key is not retried (TerminalError).
Randomness for filling leader slots comes from the manager's seeded ``rng``.

``hubleaderconfig`` keeps ``kube-system/leader-hub-<pool>`` (the leaders and pool-scoped resources a
yurthub reads) in step with the pool via :func:`~openyurt.core.planners.plan_leader_hub_config`, and
repairs the ConfigMap when someone edits or deletes it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import ConfigMap, Node
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.hubleader import (
    HubLeaderConfig,
    leader_hub_configmap_name,
    plan_hub_leaders,
    plan_leader_hub_config,
)
from openyurt.core.plans import ObjectRef, Plan
from openyurt.errors import TerminalError
from openyurt.runtime.controller import Controller, EventRecorder, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ChangeMapper,
    ModelCache,
    apply_plan,
    fresh_one,
    labels,
    raise_for,
    record_events,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

NAME = "hubleader-controller"
ALIAS = "hubleader"
CONFIG_NAME = "hubleaderconfig-controller"
CONFIG_ALIAS = "hubleaderconfig"
POOL_API = NodePool.info.api_version
WORKERS = 3


def _node_to_pool(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    pools = {labels(o).get(wellknown.LABEL_NODEPOOL, "") for o in (old, new)}
    return [Request("", p) for p in sorted(pools) if p]


def make_leader_reconciler(
    client: Client,
    pools: Informer,
    nodes: Informer,
    clock: Clock,
    *,
    rng: random.Random | None = None,
    recorder: EventRecorder | None = None,
    models: ModelCache | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(NodePool, pools)
    memo.track(Node, nodes)

    async def reconcile(req: Request) -> Result | None:
        obj = pools.get("", req.name)
        if obj is None:
            return None
        members = memo.models(Node, nodes.by_label(wellknown.LABEL_NODEPOOL, req.name))
        now = clock.wall()
        first = plan_hub_leaders(memo.model(NodePool, obj), members, now=now, rng=rng)

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            pool_obj = fresh_one(obj, POOL_API, "NodePool", fresh)
            if pool_obj is None:
                return Plan()
            return plan_hub_leaders(memo.model(NodePool, pool_obj), members, now=now, rng=rng).plan

        pool = memo.model(NodePool, obj)
        await record_events(recorder, first.events, {e.ref: pool for e in first.events})
        if first.error is not None:
            raise TerminalError(f"nodepool {req.name}: {first.error}")
        raise_for(await apply_plan(client, first.plan, planner))
        return None

    return reconcile


def make_config_reconciler(
    client: Client,
    pools: Informer,
    configmaps: Informer,
    *,
    clock: Clock,
    config: HubLeaderConfig | None = None,
    recorder: EventRecorder | None = None,
    models: ModelCache | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(NodePool, pools)
    memo.track(ConfigMap, configmaps)
    cfg = config or HubLeaderConfig()

    async def reconcile(req: Request) -> Result | None:
        obj = pools.get("", req.name)
        if obj is None:
            return None
        pool = memo.model(NodePool, obj)
        cm_name = leader_hub_configmap_name(req.name)

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            cm_obj = configmaps.get(cfg.namespace, cm_name)
            ref = ObjectRef("v1", "ConfigMap", cm_name, cfg.namespace)
            if ref in fresh:
                cm_obj = fresh[ref]
            cm = memo.model(ConfigMap, cm_obj) if cm_obj is not None else None
            return plan_leader_hub_config(pool, cm, now=clock.wall(), config=cfg).plan

        result = await apply_plan(client, planner({}), planner)
        if not result.ok and recorder is not None:
            await recorder.event(pool, "Warning", "ReconcileError", "; ".join(str(e) for e in result.errors))
        raise_for(result)
        return None

    return reconcile


def configmap_to_pool(namespace: str) -> ChangeMapper:
    prefix = wellknown.CONFIGMAP_LEADER_HUB_PREFIX

    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        obj = new or old or {}
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        if meta.get("namespace") != namespace or not name.startswith(prefix):
            return []
        return [Request("", name[len(prefix) :])]

    return mapper


def build_controller(ctx: ControllerContext) -> Controller:
    pools = ctx.informers.informer(POOL_API, "NodePool")
    nodes = ctx.informers.informer("v1", "Node")
    reconcile = make_leader_reconciler(ctx.client, pools, nodes, ctx.clock, rng=ctx.rng, recorder=ctx.recorder(NAME))
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(pools)
    watch_changes(controller, nodes, _node_to_pool)
    return controller


def build_config_controller(ctx: ControllerContext) -> Controller:
    cfg = HubLeaderConfig()
    pools = ctx.informers.informer(POOL_API, "NodePool")
    configmaps = ctx.informers.informer("v1", "ConfigMap", cfg.namespace)
    reconcile = make_config_reconciler(
        ctx.client, pools, configmaps, clock=ctx.clock, config=cfg, recorder=ctx.recorder(CONFIG_NAME)
    )
    controller = Controller(CONFIG_NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(pools)
    watch_changes(controller, configmaps, configmap_to_pool(cfg.namespace))
    return controller


__all__ = [
    "ALIAS",
    "CONFIG_ALIAS",
    "CONFIG_NAME",
    "NAME",
    "build_config_controller",
    "build_controller",
    "make_config_reconciler",
    "make_leader_reconciler",
]
