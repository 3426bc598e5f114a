"""servicetopology-endpoints / servicetopology-endpointslice: touch endpoint objects on topology change.

When a Service's ``openyurt.io/topologyKeys`` annotation changes, nothing about its Endpoints or
EndpointSlices changes, so yurthubs would keep their old trim; these controllers write the
``openyurt.io/update-trigger`` annotation on them (:func:`plan_topology_for_service_change`). One
module, two registered controllers (one per endpoint kind), as upstream.

The trigger is an *edge* (old value ≠ new value) but reconciles are level-based: the Service
informer's update handler remembers the Service as it was before the first unprocessed change, and
the reconcile plans with that and the Service as the cache shows it now. A change that is reverted
before the reconcile runs touches nothing; a failed write keeps the remembered old Service and retries.
"""

from __future__ import annotations

from collections.abc import Mapping

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Endpoints, Service
from openyurt.core.api.discovery_v1 import EndpointSlice
from openyurt.core.planners.servicetopology import TopologyConfig, plan_topology_for_service_change
from openyurt.core.plans import ObjectRef, Plan
from openyurt.runtime.controller import Controller, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import ModelCache, annotations_of, apply_plan, raise_for
from openyurt.runtime.manager.registry import ControllerContext

ENDPOINTS_NAME = "service-topology-endpoints-controller"
ENDPOINTS_ALIASES = ("servicetopologyendpoints", "servicetopology-endpoints")
ENDPOINTSLICE_NAME = "service-topology-endpointslice-controller"
ENDPOINTSLICE_ALIASES = ("servicetopologyendpointslices", "servicetopology-endpointslice")
SLICE_API = EndpointSlice.info.api_version
WORKERS = 3


class PendingChanges:
    """Services whose topologyKeys changed, with the Service as it was before the change."""

    def __init__(self) -> None:
        self.old: dict[Request, Obj] = {}

    def on_update(self, old: Obj, new: Obj) -> Request | None:
        before = annotations_of(old).get(wellknown.ANNOTATION_TOPOLOGY_KEYS)
        after = annotations_of(new).get(wellknown.ANNOTATION_TOPOLOGY_KEYS)
        if before == after:
            return None
        key = Request.of(new)
        self.old.setdefault(key, old)
        return key


def make_reconciler(
    client: Client,
    services: Informer,
    pending: PendingChanges,
    *,
    endpoints: Informer | None,
    slices: Informer | None,
    clock: Clock,
    models: ModelCache | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    memo.track(Service, services)
    if endpoints is not None:
        memo.track(Endpoints, endpoints)
    if slices is not None:
        memo.track(EndpointSlice, slices)
    config = TopologyConfig(endpoints=endpoints is not None, endpoint_slices=slices is not None)

    async def reconcile(req: Request) -> Result | None:
        old = pending.old.get(req)
        cur = services.get(req.namespace, req.name)
        if old is None or cur is None:
            pending.old.pop(req, None)
            return None
        now = clock.wall()

        def planner(fresh: Mapping[ObjectRef, Obj | None]) -> Plan:
            # merge patches of one annotation never conflict: ``fresh`` stays unused
            eps = [] if endpoints is None else [endpoints.get(req.namespace, req.name)]
            sls = [] if slices is None else slices.by_label(wellknown.LABEL_SERVICE_NAME, req.name)
            ep_models = [memo.model(Endpoints, e) for e in eps if e is not None]
            sl_models = [
                memo.model(EndpointSlice, s) for s in sls if (s.get("metadata") or {}).get("namespace") == req.namespace
            ]
            return plan_topology_for_service_change(
                memo.model(Service, old), memo.model(Service, cur), ep_models, sl_models, now=now, config=config
            ).plan

        raise_for(await apply_plan(client, planner({}), planner))
        if pending.old.get(req) is old:
            del pending.old[req]
        return None

    return reconcile


def _build(ctx: ControllerContext, name: str, *, use_endpoints: bool) -> Controller:
    services = ctx.informers.informer("v1", "Service")
    endpoints = ctx.informers.informer("v1", "Endpoints") if use_endpoints else None
    slices = None if use_endpoints else ctx.informers.informer(SLICE_API, "EndpointSlice")
    pending = PendingChanges()
    reconcile = make_reconciler(ctx.client, services, pending, endpoints=endpoints, slices=slices, clock=ctx.clock)
    controller = Controller(name, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    controller.informers.append(services)
    for extra in (endpoints, slices):
        if extra is not None:
            controller.informers.append(extra)

    def on_update(old: Obj, new: Obj) -> None:
        key = pending.on_update(old, new)
        if key is not None:
            controller.enqueue(key)

    services.add_event_handler(on_update=on_update)
    return controller


def build_endpoints_controller(ctx: ControllerContext) -> Controller:
    return _build(ctx, ENDPOINTS_NAME, use_endpoints=True)


def build_endpointslice_controller(ctx: ControllerContext) -> Controller:
    return _build(ctx, ENDPOINTSLICE_NAME, use_endpoints=False)


__all__ = [
    "ENDPOINTSLICE_ALIASES",
    "ENDPOINTSLICE_NAME",
    "ENDPOINTS_ALIASES",
    "ENDPOINTS_NAME",
    "PendingChanges",
    "build_endpoints_controller",
    "build_endpointslice_controller",
    "make_reconciler",
]
