"""yurt-manager's gateway-pickup controller: keep every Gateway's status (members, active endpoints).

The decision is :func:`openyurt.core.raven.election.pickup`; this module only reads its inputs (the
Gateway, all Nodes, ``kube-system/raven-cfg``), writes the status back with the read resourceVersion as
a precondition (a conflict requeues), and records the election events. Any Node or raven-cfg change
re-reconciles every Gateway: there are few of them and the planner is cheap, and it also covers a
node moving from one Gateway to another (the old one must drop it).

``build_controller`` makes a ready-to-run :class:`~openyurt.runtime.controller.Controller` from a
manager context; the lead registers it under the name ``gateway-pickup``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node
from openyurt.core.api.raven_v1beta1 import GROUP, VERSION, Gateway
from openyurt.core.raven.election import PickupResult, RavenSwitches, pickup
from openyurt.errors import NotFoundError
from openyurt.runtime.controller import Controller, EventRecorder, Request, Result
from openyurt.runtime.manager.registry import ControllerContext

log = logging.getLogger(__name__)

NAME = "gateway-pickup"
GATEWAY_API = f"{GROUP}/{VERSION}"


async def reconcile_gateway(
    client: Client,
    name: str,
    *,
    nodes: Sequence[Node] | None = None,
    raven_cfg: dict[str, str] | None = None,
    gateway: Gateway | None = None,
    recorder: EventRecorder | None = None,
    read_config: bool = True,
) -> PickupResult | None:
    """One reconcile of Gateway ``name``; inputs not given are read from the API. None if it is gone."""
    if gateway is None:
        try:
            gateway = Gateway.model_validate(await client.get(GATEWAY_API, "Gateway", name))
        except NotFoundError:
            return None
    if nodes is None:
        nodes = [Node.model_validate(n) for n in (await client.list("v1", "Node")).items]
    if raven_cfg is None and read_config:
        try:
            cm = await client.get("v1", "ConfigMap", wellknown.CONFIGMAP_RAVEN_CFG, wellknown.NAMESPACE_KUBE_SYSTEM)
            raven_cfg = dict(cm.get("data") or {})
        except NotFoundError:
            raven_cfg = None
    result = pickup(gateway, nodes, RavenSwitches.from_data(raven_cfg))
    if result.changed:
        data = gateway.to_wire()
        data["status"] = result.status.to_wire()
        await client.update_status(data)
    if recorder is not None:
        for ev in result.events:
            await recorder.event(gateway, "Warning" if ev.type == "Warning" else "Normal", ev.reason, ev.message)
    return result


def build_controller(ctx: ControllerContext) -> Controller:
    """The gateway-pickup controller over shared informers (Gateways, Nodes, kube-system ConfigMaps)."""
    gateways = ctx.informers.informer(GATEWAY_API, "Gateway")
    nodes = ctx.informers.informer("v1", "Node")
    configmaps = ctx.informers.informer("v1", "ConfigMap", wellknown.NAMESPACE_KUBE_SYSTEM)
    recorder = ctx.recorder(NAME)
    reconcile = make_reconciler(ctx.client, gateways, nodes, configmaps, recorder)
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=1, metrics=ctx.metrics)
    controller.watch(gateways)
    controller.watch(nodes, all_gateways(gateways))
    controller.watch(configmaps, raven_cfg_mapper(gateways))
    return controller


def make_reconciler(
    client: Client,
    gateways: Informer,
    nodes: Informer,
    configmaps: Informer,
    recorder: EventRecorder | None = None,
) -> Callable[[Request], Any]:
    """A reconciler reading from informer caches (writes go to ``client``)."""

    async def reconcile(req: Request) -> Result | None:
        obj = gateways.get("", req.name)
        if obj is None:
            return None
        cm = configmaps.get(wellknown.NAMESPACE_KUBE_SYSTEM, wellknown.CONFIGMAP_RAVEN_CFG)
        await reconcile_gateway(
            client,
            req.name,
            gateway=Gateway.model_validate(obj),
            nodes=[Node.model_validate(n) for n in nodes.list()],
            raven_cfg=dict(cm.get("data") or {}) if cm is not None else None,
            read_config=False,
            recorder=recorder,
        )
        return None

    return reconcile


def all_gateways(gateways: Informer) -> Callable[[Obj], Iterable[Request]]:
    def mapper(_obj: Obj) -> Iterable[Request]:
        return [Request("", str((g.get("metadata") or {}).get("name") or "")) for g in gateways.list()]

    return mapper


def raven_cfg_mapper(gateways: Informer) -> Callable[[Obj], Iterable[Request]]:
    every = all_gateways(gateways)

    def mapper(obj: Obj) -> Iterable[Request]:
        if (obj.get("metadata") or {}).get("name") != wellknown.CONFIGMAP_RAVEN_CFG:
            return []
        return every(obj)

    return mapper


__all__ = ["NAME", "build_controller", "make_reconciler", "reconcile_gateway"]
