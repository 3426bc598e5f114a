"""A minimal endpoint(slice) controller: each selector Service gets one EndpointSlice and an
Endpoints object listing its pods, as yurthub's filters and OpenYurt's endpoints webhooks expect.

Content is :mod:`openyurt.core.sim.endpoints`; a Service or pod event re-renders the Service's
objects and writes them only when they differ. Slices are owned by their Service (garbage-collected
with it); Endpoints are removed here when the Service goes, as upstream's controller does.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import InformerFactory, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.sim._wire import labels_of, meta, name_of, namespace_of, spec
from openyurt.core.sim.endpoints import endpoint_slice, endpoints_object, same_content, service_selects
from openyurt.errors import AlreadyExistsError, NotFoundError
from openyurt.runtime.controller import Controller, Request, Result
from openyurt.runtime.sim._base import SimComponent


class EndpointSliceController(SimComponent):
    """Keeps ``<svc>-<hash>`` EndpointSlices and ``<svc>`` Endpoints in step with ready pods."""

    name = "sim-endpointslice-controller"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
        write_endpoints: bool = True,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        self.write_endpoints = write_endpoints
        self.services = self.informers.informer("v1", "Service")
        self.pods = self.informers.informer("v1", "Pod")
        self.nodes = self.informers.informer("v1", "Node")
        ctl = Controller(self.name, self._reconcile, clock=clock)
        ctl.watch(self.services)
        ctl.watch(self.pods, self._services_of)
        self.controllers.append(ctl)

    def _services_of(self, pod: Obj) -> list[Request]:
        return [Request.of(s) for s in self.services.by_namespace(namespace_of(pod)) if service_selects(s, pod)]

    def _zones(self) -> dict[str, str]:
        out = {}
        for n in self.nodes.list():
            zone = labels_of(n).get(wellknown.LABEL_TOPOLOGY_ZONE)
            if zone:
                out[name_of(n)] = zone
        return out

    async def _reconcile(self, req: Request) -> Result | None:
        svc = self.services.get(req.namespace, req.name)
        if svc is None or not spec(svc).get("selector"):
            if svc is None and self.write_endpoints:
                await self._drop_endpoints(req)
            return None
        pods = self.pods.by_namespace(req.namespace)
        await self._converge(endpoint_slice(svc, pods, self._zones()), ("endpoints", "ports", "addressType"))
        if self.write_endpoints:
            await self._converge(endpoints_object(svc, pods), ("subsets",))
        return None

    async def _drop_endpoints(self, req: Request) -> None:
        try:
            ep = await self.client.get("v1", "Endpoints", req.name, req.namespace)
        except NotFoundError:
            return
        if labels_of(ep).get(wellknown.LABEL_SERVICE_NAME) == req.name:
            with contextlib.suppress(NotFoundError):
                await self.client.delete("v1", "Endpoints", req.name, req.namespace)

    async def _converge(self, desired: dict[str, Any], fields: tuple[str, ...]) -> None:
        api_version, kind = str(desired["apiVersion"]), str(desired["kind"])
        ns, name = namespace_of(desired), name_of(desired)
        try:
            current: Mapping[str, Any] = await self.client.get(api_version, kind, name, ns)
        except NotFoundError:
            try:
                await self.client.create(desired)
                return
            except AlreadyExistsError:
                current = await self.client.get(api_version, kind, name, ns)
        if same_content(current, desired, fields):
            return
        new = dict(current)
        new_meta = dict(meta(current))
        new_meta["labels"] = {**labels_of(current), **labels_of(desired)}
        new["metadata"] = new_meta
        for f in fields:
            new[f] = desired.get(f)
        await self.client.update(new)
