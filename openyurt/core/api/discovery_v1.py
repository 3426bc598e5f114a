"""discovery.k8s.io/v1: EndpointSlice, what yurthub's service-topology filter trims per node and pool.

Typed for the filter and the pool leader: each endpoint's addresses, readiness conditions, node name,
zone and hints, plus the ports. ``endpoints`` is nullable because Go writes ``null`` for an empty
slice (the field has no ``omitempty``); the filter must return such a slice as it came.
"""

from __future__ import annotations

from pydantic import Field

from openyurt.core.api._base import Int32, ResourceInfo, StrMap, WireModel
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.core_v1 import ObjectReference


class EndpointConditions(WireModel):
    open_schema = True
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class ForZone(WireModel):
    open_schema = True
    name: str


class ForNode(WireModel):
    open_schema = True
    name: str


class EndpointHints(WireModel):
    open_schema = True
    for_zones: list[ForZone] | None = None
    for_nodes: list[ForNode] | None = None


class Endpoint(WireModel):
    open_schema = True
    addresses: list[str]
    conditions: EndpointConditions | None = None
    hostname: str | None = None
    target_ref: ObjectReference | None = None
    #: Deprecated v1beta1 topology map, still served in v1 (``kubernetes.io/hostname`` et al.).
    deprecated_topology: StrMap | None = None
    node_name: str | None = None
    zone: str | None = None
    hints: EndpointHints | None = None


class EndpointPort(WireModel):
    open_schema = True
    name: str | None = None
    protocol: str | None = None
    port: Int32 | None = None
    app_protocol: str | None = None


@register(
    ResourceInfo(
        group="discovery.k8s.io",
        version="v1",
        kind="EndpointSlice",
        plural="endpointslices",
        singular="endpointslice",
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class EndpointSlice(Resource):
    open_schema = True
    #: ``IPv4``, ``IPv6`` or ``FQDN``; immutable.
    address_type: str = Field(alias="addressType")
    endpoints: list[Endpoint] | None = None
    ports: list[EndpointPort] | None = None


def endpoint_is_ready(endpoint: Endpoint) -> bool:
    """Kubernetes' reading of ``conditions.ready``: absent (nil) means ready."""
    cond = endpoint.conditions
    return cond is None or cond.ready is None or cond.ready


def endpoint_is_serving(endpoint: Endpoint) -> bool:
    """``conditions.serving``, which defaults to the ready condition when absent."""
    cond = endpoint.conditions
    if cond is not None and cond.serving is not None:
        return cond.serving
    return endpoint_is_ready(endpoint)


def endpoint_is_terminating(endpoint: Endpoint) -> bool:
    """``conditions.terminating``; absent means not terminating."""
    cond = endpoint.conditions
    return cond is not None and bool(cond.terminating)
