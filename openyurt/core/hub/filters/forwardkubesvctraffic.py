"""forwardkubesvctraffic: kube-proxy sends the kubernetes Service VIP to the hub.

Pods that keep the cluster's ``KUBERNETES_SERVICE_HOST`` still reach the apiserver through the hub
when the ``default/kubernetes`` EndpointSlice kube-proxy sees has the hub as its only endpoint.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from openyurt.core.hub.filters import FilterContext, WireDict
from openyurt.core.hub.filters.masterservice import HTTPS_PORT_NAME, is_kubernetes_service


def address_type(host: str) -> str:
    """``IPv6`` for an IPv6 literal, else ``IPv4`` (upstream's default)."""
    try:
        return "IPv6" if ipaddress.ip_address(host).version == 6 else "IPv4"
    except ValueError:
        return "IPv4"


class ForwardKubeSvcTrafficFilter:
    """Rewrite the EndpointSlice ``default/kubernetes`` to one ready endpoint: the hub host and port."""

    name: str = "forwardkubesvctraffic"
    default_components: frozenset[str] = frozenset({"kube-proxy"})
    resources: frozenset[tuple[str, str]] = frozenset({("discovery.k8s.io", "endpointslices")})
    verbs: frozenset[str] = frozenset({"list", "watch"})

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        if not is_kubernetes_service(obj):  # (the slice has the Service's namespace and name)
            return obj
        version = obj.get("apiVersion") or ctx.api_version
        if version and version != "discovery.k8s.io/v1":
            return obj  # upstream rewrites discovery/v1 slices only
        if obj.get("addressType") != address_type(ctx.hub_host):
            return obj
        new: dict[str, Any] = dict(obj)
        ports = obj.get("ports")
        if isinstance(ports, list):
            new_ports = list(ports)
            for i, port in enumerate(ports):
                if isinstance(port, dict) and port.get("name") == HTTPS_PORT_NAME:
                    new_ports[i] = {**port, "port": ctx.hub_port}
                    break
            new["ports"] = new_ports
        new["endpoints"] = [{"addresses": [ctx.hub_host], "conditions": {"ready": True}}]
        return obj if new == obj else new
