"""hubleaderrbac controller: keep ClusterRole ``yurt-hub-multiplexer`` granting the pools' shared resources.

:func:`~openyurt.core.planners.hubleaderrbac.plan_hub_leader_rbac` decides from every NodePool in the
cache and the role as the server has it now (read with a GET, as upstream; nothing watches roles, so
a hand edit is repaired at the next pool change). The role spans all pools, so every pool event maps
to one key and one worker runs it (upstream's count). Upstream ignores pool deletions; we re-plan on
them too, so a deleted pool's resources stop being granted.

A server that does not serve ``rbac.authorization.k8s.io/v1`` ClusterRoles (our embedded API server
does not) makes the controller a no-op that says so once, as yurt-manager does for a missing CRD;
a later pool event checks again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.hubleaderrbac import (
    CLUSTER_ROLE_KIND,
    RBAC_API_VERSION,
    HubLeaderRBACConfig,
    plan_hub_leader_rbac,
)
from openyurt.core.plans import ObjectRef, Plan
from openyurt.errors import NotFoundError
from openyurt.runtime.controller import Controller, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import ChangeMapper, ModelCache, apply_plan, raise_for, watch_changes
from openyurt.runtime.manager.registry import ControllerContext

log = logging.getLogger(__name__)

NAME = "hubleaderrbac-controller"
ALIAS = "hubleaderrbac"
POOL_API = NodePool.info.api_version
WORKERS = 1


def _scope(obj: Obj | None) -> Any:
    return ((obj or {}).get("spec") or {}).get("poolScopeMetadata")


def pool_to_role(config: HubLeaderRBACConfig) -> ChangeMapper:
    """Pool created or deleted, or its ``poolScopeMetadata`` changed → the one role key."""
    key = Request("", config.cluster_role)

    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        if old is not None and new is not None and _scope(old) == _scope(new):
            return []
        return [key]

    return mapper


def make_reconciler(
    client: Client,
    pools: Informer,
    *,
    clock: Clock,
    config: HubLeaderRBACConfig | None = None,
    models: ModelCache | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(NodePool, pools)
    cfg = config or HubLeaderRBACConfig()
    ref = ObjectRef(RBAC_API_VERSION, CLUSTER_ROLE_KIND, cfg.cluster_role)
    unserved_reported = False

    async def reconcile(req: Request) -> Result | None:
        nonlocal unserved_reported
        try:
            await client.resolve(RBAC_API_VERSION, CLUSTER_ROLE_KIND)
        except NotFoundError as exc:
            if not unserved_reported:
                log.warning("%s: idle, ClusterRole %s is not kept: %s", NAME, cfg.cluster_role, exc.message)
                unserved_reported = True
            return None
        unserved_reported = False
        try:
            existing: Obj | None = await client.get(RBAC_API_VERSION, CLUSTER_ROLE_KIND, cfg.cluster_role)
        except NotFoundError:
            existing = None
        all_pools = memo.models(NodePool, pools.list())
        now = clock.wall()

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            role = fresh.get(ref, existing)
            return plan_hub_leader_rbac(all_pools, role, now=now, config=cfg).plan

        raise_for(await apply_plan(client, planner({}), planner))
        return None

    return reconcile


def build_controller(ctx: ControllerContext) -> Controller:
    cfg = HubLeaderRBACConfig()
    pools = ctx.informers.informer(POOL_API, "NodePool")
    reconcile = make_reconciler(ctx.client, pools, clock=ctx.clock, config=cfg)
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    watch_changes(controller, pools, pool_to_role(cfg))
    return controller


__all__ = ["ALIAS", "NAME", "build_controller", "make_reconciler", "pool_to_role"]
