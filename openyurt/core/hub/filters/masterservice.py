"""masterservice: kubelet sees the ``default/kubernetes`` Service at the hub's address.

kubelet derives every pod's ``KUBERNETES_SERVICE_HOST/PORT`` from this Service, so pointing it at
yurthub makes in-cluster clients on the edge node reach the apiserver through the hub (and its cache).
"""

from __future__ import annotations

from typing import Any, Final

from openyurt.core.hub.filters import FilterContext, WireDict
from openyurt.core.wellknown import NAMESPACE_DEFAULT

KUBERNETES_SERVICE: Final = "kubernetes"
HTTPS_PORT_NAME: Final = "https"


def is_kubernetes_service(obj: WireDict) -> bool:
    meta = obj.get("metadata")
    return (
        isinstance(meta, dict) and meta.get("name") == KUBERNETES_SERVICE and meta.get("namespace") == NAMESPACE_DEFAULT
    )


class MasterServiceFilter:
    """Rewrite ``default/kubernetes``: ``clusterIP``/``clusterIPs`` → hub host, port ``https`` → hub port."""

    name: str = "masterservice"
    default_components: frozenset[str] = frozenset({"kubelet"})
    resources: frozenset[tuple[str, str]] = frozenset({("", "services")})
    verbs: frozenset[str] = frozenset({"list", "watch"})

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        if not is_kubernetes_service(obj):
            return obj
        spec = obj.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        new_spec: dict[str, Any] = dict(spec)
        new_spec["clusterIP"] = ctx.hub_host
        new_spec["clusterIPs"] = [ctx.hub_host]
        ports = spec.get("ports")
        if isinstance(ports, list):
            new_ports = list(ports)
            for i, port in enumerate(ports):
                if isinstance(port, dict) and port.get("name") == HTTPS_PORT_NAME:
                    new_ports[i] = {**port, "port": ctx.hub_port}
                    break
            new_spec["ports"] = new_ports
        if new_spec == spec:
            return obj
        return {**obj, "spec": new_spec}
