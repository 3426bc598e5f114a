"""discardcloudservice: edge kube-proxy never programs cloud-only Services.

A cloud LoadBalancer Service marked ``svc.openyurt.io/discard: "true"`` (and the tunnel server's
internal Service) is unreachable from an edge node; hiding it keeps kube-proxy from installing rules
that would blackhole traffic.
"""

from __future__ import annotations

from openyurt.core.hub.filters import FilterContext, WireDict
from openyurt.core.wellknown import ANNOTATION_DISCARD, NAMESPACE_KUBE_SYSTEM, SERVICE_X_TUNNEL_SERVER_INTERNAL


def discarded(obj: WireDict) -> bool:
    """Whether the Service ``obj`` is hidden from edge kube-proxy."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return False
    if meta.get("namespace") == NAMESPACE_KUBE_SYSTEM and meta.get("name") == SERVICE_X_TUNNEL_SERVER_INTERNAL:
        return True
    spec = obj.get("spec")
    if not isinstance(spec, dict) or spec.get("type") != "LoadBalancer":
        return False
    annotations = meta.get("annotations")
    return isinstance(annotations, dict) and annotations.get(ANNOTATION_DISCARD) == "true"


class DiscardCloudServiceFilter:
    """Drop LoadBalancer Services annotated discard=true and ``kube-system/x-tunnel-server-internal-svc``."""

    name: str = "discardcloudservice"
    default_components: frozenset[str] = frozenset({"kube-proxy"})
    resources: frozenset[tuple[str, str]] = frozenset({("", "services")})
    verbs: frozenset[str] = frozenset({"list", "watch"})

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        return None if discarded(obj) else obj
