"""servicetopology: Services annotated ``openyurt.io/topologyKeys`` keep traffic in the node or pool.

Edge pools are often joined by a slow or broken WAN; kube-proxy/coredns on a node should only see
endpoints on the same node (``kubernetes.io/hostname``) or in the same pool (``openyurt.io/nodepool``,
``kubernetes.io/zone``). Only EndpointSlices (discovery v1 and v1beta1) are trimmed, as at upstream
HEAD; core Endpoints pass through. A slice left without endpoints is still returned.
"""

from __future__ import annotations

from typing import Any, Final

from openyurt.core.hub.filters import FilterContext, WireDict
from openyurt.core.wellknown import (
    ANNOTATION_TOPOLOGY_KEYS,
    LABEL_HOSTNAME,
    LABEL_SERVICE_NAME,
    TOPOLOGY_HOSTNAME,
    TOPOLOGY_NODEPOOL,
    TOPOLOGY_ZONE,
)

DISCOVERY_V1BETA1: Final = "discovery.k8s.io/v1beta1"
POOL_TOPOLOGIES: Final = frozenset({TOPOLOGY_NODEPOOL, TOPOLOGY_ZONE})


def topology_of(obj: WireDict, ctx: FilterContext) -> str:
    """The topologyKeys value of the slice's Service, or "" (service unknown / no or other value)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return ""
    labels = meta.get("labels")
    svc_name = labels.get(LABEL_SERVICE_NAME) if isinstance(labels, dict) else None
    if not isinstance(svc_name, str):
        return ""
    ns = meta.get("namespace")
    svc = ctx.services.get((ns if isinstance(ns, str) else "", svc_name))
    if svc is None:
        return ""
    smeta = svc.get("metadata")
    annotations = smeta.get("annotations") if isinstance(smeta, dict) else None
    value = annotations.get(ANNOTATION_TOPOLOGY_KEYS) if isinstance(annotations, dict) else None
    if value == TOPOLOGY_HOSTNAME or value in POOL_TOPOLOGIES:
        return str(value)
    return ""


def _endpoint_node(ep: Any, v1beta1: bool) -> str | None:
    if not isinstance(ep, dict):
        return None
    if v1beta1:
        topology = ep.get("topology")
        node = topology.get(LABEL_HOSTNAME) if isinstance(topology, dict) else None
    else:
        node = ep.get("nodeName")
    return node if isinstance(node, str) else None


def allowed_nodes(topology: str, ctx: FilterContext) -> frozenset[str] | None:
    """Nodes whose endpoints survive under ``topology``; None means "leave the slice unchanged"."""
    if topology == TOPOLOGY_HOSTNAME:
        return frozenset({ctx.node_name})
    if topology in POOL_TOPOLOGIES:
        if not ctx.pool_topology:
            return None
        if not ctx.node_pool:
            return frozenset({ctx.node_name})  # no pool: fall back to node topology
        if ctx.pool_nodes is None:
            return None  # pool membership unknown (pool object not found): unchanged, as upstream
        return ctx.pool_nodes
    return None


class ServiceTopologyFilter:
    """Keep only the EndpointSlice endpoints on this node / this node's pool, per the Service's annotation."""

    name: str = "servicetopology"
    default_components: frozenset[str] = frozenset({"kube-proxy", "coredns", "nginx-ingress-controller"})
    resources: frozenset[tuple[str, str]] = frozenset({("", "endpoints"), ("discovery.k8s.io", "endpointslices")})
    verbs: frozenset[str] = frozenset({"list", "watch"})

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        if "endpoints" not in obj and "addressType" not in obj:
            return obj  # a core Endpoints object (subsets) or something else: unchanged at HEAD
        topology = topology_of(obj, ctx)
        if not topology:
            return obj
        nodes = allowed_nodes(topology, ctx)
        if nodes is None:
            return obj
        version = obj.get("apiVersion") or ctx.api_version
        v1beta1 = version == DISCOVERY_V1BETA1
        endpoints = obj.get("endpoints")
        if not isinstance(endpoints, list):
            endpoints = []
        kept = [ep for ep in endpoints if _endpoint_node(ep, v1beta1) in nodes]
        if len(kept) == len(endpoints) and "endpoints" in obj:
            return obj
        return {**obj, "endpoints": kept}
