"""yurtappdaemon controller: one workload in every NodePool a YurtAppDaemon's selector matches.

Upstream removed this controller, but the CRD is still served and old manifests use it, so it runs
here on :func:`~openyurt.core.planners.plan_yurtappdaemon`. Any NodePool change re-queues every
YurtAppDaemon in the cluster (there are few; selecting by the old and new labels would save little
and the planner decides membership anyway), so a pool that starts matching gets its workload and one
that stops matching loses it. Workloads and revisions map to their controller owner. Like the
YurtAppSet controller it waits for the cache to show its own writes before planning again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core.api.apps_v1 import ControllerRevision, Deployment, StatefulSet
from openyurt.core.api.openyurt_apps_v1alpha1 import YurtAppDaemon
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.yurtappdaemon import YurtAppDaemonPlan, plan_yurtappdaemon
from openyurt.core.plans import ObjectRef
from openyurt.runtime.controller import Controller, EventRecorder, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ChangeMapper,
    Expectations,
    ModelCache,
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

NAME = "yurt-app-daemon-controller"
ALIAS = "yurtappdaemon"
YAD_API = YurtAppDaemon.info.api_version
POOL_API = NodePool.info.api_version
WORKERS = 3
EXPECTATION_RECHECK = 1.0


def make_reconciler(
    client: Client,
    *,
    daemons: Informer,
    pools: Informer,
    deployments: Informer,
    statefulsets: Informer,
    revisions: Informer,
    clock: Clock,
    recorder: EventRecorder | None = None,
    models: ModelCache | None = None,
    expectations: Expectations | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    for cls, informer in (
        (YurtAppDaemon, daemons),
        (NodePool, pools),
        (Deployment, deployments),
        (StatefulSet, statefulsets),
        (ControllerRevision, revisions),
    ):
        memo.track(cls, informer)
    expect = expectations or Expectations(clock)
    by_kind = {
        (YAD_API, "YurtAppDaemon"): daemons,
        ("apps/v1", "Deployment"): deployments,
        ("apps/v1", "StatefulSet"): statefulsets,
        ("apps/v1", "ControllerRevision"): revisions,
    }

    async def reconcile(req: Request) -> Result | None:
        obj = daemons.get(req.namespace, req.name)
        if obj is None:
            expect.forget(req)
            return None
        if not expect.satisfied(req):
            return Result(requeue_after=EXPECTATION_RECHECK)
        all_pools = pools.list()
        deps = deployments.by_namespace(req.namespace)
        stss = statefulsets.by_namespace(req.namespace)
        revs = revisions.by_namespace(req.namespace)
        now = clock.wall()

        def plan_for(fresh: Mapping[ObjectRef, Obj | None]) -> YurtAppDaemonPlan | None:
            yad_obj = fresh_one(obj, YAD_API, "YurtAppDaemon", fresh)
            if yad_obj is None:
                return None
            return plan_yurtappdaemon(
                memo.model(YurtAppDaemon, yad_obj),
                memo.models(NodePool, substitute(all_pools, POOL_API, "NodePool", fresh)),
                [
                    *memo.models(Deployment, substitute(deps, "apps/v1", "Deployment", fresh)),
                    *memo.models(StatefulSet, substitute(stss, "apps/v1", "StatefulSet", fresh)),
                ],
                memo.models(ControllerRevision, substitute(revs, "apps/v1", "ControllerRevision", fresh)),
                now=now,
            )

        planner = plans_of(plan_for)
        first = plan_for({})
        assert first is not None
        result = await apply_plan(client, first.plan, planner)
        expect.expect(req, result, by_kind)
        yad = memo.model(YurtAppDaemon, obj)
        await record_events(recorder, first.events, {e.ref: yad for e in first.events})
        raise_for(result)
        return None

    return reconcile


def all_daemons(daemons: Informer) -> ChangeMapper:
    def mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
        return [Request.of(d) for d in daemons.list()]

    return mapper


def owned_to_daemon(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    keys = set()
    for obj in (old, new):
        owner = controller_owner(obj, "YurtAppDaemon")
        if obj is not None and owner:
            keys.add(Request(str((obj.get("metadata") or {}).get("namespace") or ""), owner))
    return sorted(keys)


def build_controller(ctx: ControllerContext) -> Controller:
    f = ctx.informers
    daemons = f.informer(YAD_API, "YurtAppDaemon")
    pools = f.informer(POOL_API, "NodePool")
    deployments = f.informer("apps/v1", "Deployment")
    statefulsets = f.informer("apps/v1", "StatefulSet")
    revisions = f.informer("apps/v1", "ControllerRevision")
    reconcile = make_reconciler(
        ctx.client,
        daemons=daemons,
        pools=pools,
        deployments=deployments,
        statefulsets=statefulsets,
        revisions=revisions,
        clock=ctx.clock,
        recorder=ctx.recorder(NAME),
    )
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.watch(daemons)
    watch_changes(controller, pools, all_daemons(daemons))
    for owned in (deployments, statefulsets, revisions):
        watch_changes(controller, owned, owned_to_daemon)
    return controller


__all__ = ["ALIAS", "NAME", "all_daemons", "build_controller", "make_reconciler", "owned_to_daemon"]
