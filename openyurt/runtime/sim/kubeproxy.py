"""A kube-proxy-like watcher: the Services and EndpointSlices a node's kube-proxy would program.

No packets are routed; the point is *what it sees*. It list-watches through its kubeconfig (its
node's yurthub in ``openyurt up``) with a ``kube-proxy`` User-Agent, so the hub's filters (service
topology, discarding cloud services...) apply, and keeps a table service → endpoints that tests read
to assert those filters.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.sim._wire import dict_list, labels_of, name_of, namespace_of, spec
from openyurt.runtime.sim._base import SimComponent


@attrs.frozen
class ProxyEndpoint:
    ip: str
    node: str | None
    ready: bool
    serving: bool
    terminating: bool


@attrs.frozen
class ProxyService:
    namespace: str
    name: str
    cluster_ip: str | None
    type: str
    ports: tuple[tuple[str | None, int, str], ...]
    endpoints: tuple[ProxyEndpoint, ...]

    @property
    def ready_ips(self) -> list[str]:
        return sorted({e.ip for e in self.endpoints if e.ready})

    @property
    def nodes(self) -> list[str]:
        return sorted({e.node for e in self.endpoints if e.node})


class KubeProxy(SimComponent):
    """Watches Services and EndpointSlices; :meth:`table` is what it would program."""

    def __init__(
        self, client: Client, clock: Clock, *, node_name: str | None = None, rng: random.Random | None = None
    ) -> None:
        super().__init__(client, clock, rng=rng)
        self.node_name = node_name
        self.name = f"sim-kube-proxy {node_name or ''}".strip()
        self.services = self.informers.informer("v1", "Service")
        self.slices = self.informers.informer("discovery.k8s.io/v1", "EndpointSlice")

    @property
    def synced(self) -> bool:
        return self.services.has_synced and self.slices.has_synced

    def table(self) -> dict[str, ProxyService]:
        """``<namespace>/<name>`` → the service with the endpoints of all its slices."""
        by_service: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for slice_ in self.slices.list():
            owner = labels_of(slice_).get(wellknown.LABEL_SERVICE_NAME)
            if owner:
                by_service.setdefault((namespace_of(slice_), owner), []).append(slice_)
        out: dict[str, ProxyService] = {}
        for svc in self.services.list():
            ns, name = namespace_of(svc), name_of(svc)
            eps = []
            for sl in by_service.get((ns, name), []):
                for ep in dict_list(sl.get("endpoints")):
                    cond = ep.get("conditions") or {}
                    ready = cond.get("ready") is not False
                    for addr in ep.get("addresses") or []:
                        eps.append(
                            ProxyEndpoint(
                                ip=str(addr),
                                node=str(ep["nodeName"]) if ep.get("nodeName") else None,
                                ready=ready,
                                serving=cond.get("serving", ready) is not False,
                                terminating=bool(cond.get("terminating")),
                            )
                        )
            svc_spec = spec(svc)
            ports = tuple(
                (p.get("name"), int(p.get("port") or 0), str(p.get("protocol") or "TCP"))
                for p in dict_list(svc_spec.get("ports"))
            )
            out[f"{ns}/{name}"] = ProxyService(
                ns,
                name,
                str(svc_spec["clusterIP"]) if svc_spec.get("clusterIP") else None,
                str(svc_spec.get("type") or "ClusterIP"),
                ports,
                tuple(sorted(eps, key=lambda e: (e.ip, e.node or ""))),
            )
        return out

    def endpoints_of(self, namespace: str, name: str) -> list[str]:
        """Ready endpoint IPs of one Service ([] when unknown)."""
        svc = self.table().get(f"{namespace}/{name}")
        return svc.ready_ips if svc else []
