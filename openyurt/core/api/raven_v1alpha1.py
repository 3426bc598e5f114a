"""raven.openyurt.io/v1alpha1: the first Gateway API, still served and converted through v1beta1.

v1alpha1 knows only VPN (tunnel) endpoints and a single active endpoint. Clusters store v1beta1, so
every v1alpha1 read and write goes through the conversions below, which follow upstream's rules:
each endpoint becomes a ``tunnel`` on port 4500, both ``Replicas`` become 1, and the way back keeps
nodeName/publicIP/underNAT/config of every endpoint and the first active endpoint. Presence is carried
over exactly (an unset field stays unset), so v1alpha1 -> v1beta1 -> v1alpha1 is lossless.

Admission on a v1alpha1 request runs the v1beta1 webhooks on the converted object (the admission match
policy is Equivalent), so defaulting and validation here delegate to v1beta1.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api import raven_v1beta1 as v1beta1
from openyurt.core.api._base import FieldError, PrinterColumn, ResourceInfo, WireModel
from openyurt.core.api._resource import Resource, register, register_conversion
from openyurt.core.api.meta_v1 import LabelSelector
from openyurt.core.api.raven_v1beta1 import NodeInfo

GROUP = v1beta1.GROUP
VERSION = "v1alpha1"


class Endpoint(WireModel):
    """A node that may carry the domain's VPN tunnel."""

    node_name: str = Field(description="The node hosting this endpoint")
    under_nat: bool | None = Field(default=None, alias="underNAT")
    public_ip: str | None = Field(default=None, alias="publicIP")
    config: dict[str, str] | None = None


class GatewaySpec(WireModel):
    node_selector: LabelSelector | None = None
    #: Required by the CRD; Go writes ``null`` for an empty list.
    endpoints: list[Endpoint] | None = Field(description="Candidate endpoints, in priority order")
    expose_type: str | None = None


class GatewayStatus(WireModel):
    nodes: list[NodeInfo] | None = None
    active_endpoint: Endpoint | None = None


def _empty_spec() -> GatewaySpec:
    return GatewaySpec(endpoints=[])


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="Gateway",
        plural="gateways",
        singular="gateway",
        short_names=("gw",),
        namespaced=False,
        categories=("yurt",),
        served=True,
        storage=False,
        printer_columns=(PrinterColumn("ActiveEndpoint", ".status.activeEndpoint.nodeName", "string"),),
    )
)
class Gateway(Resource):
    defaults_on_update = True
    spec: GatewaySpec = Field(default_factory=_empty_spec)
    status: GatewayStatus = Field(default_factory=GatewayStatus)

    def with_defaults(self) -> Self:
        """v1beta1 defaulting seen through v1alpha1: only the gateway label in the nodeSelector shows."""
        selector = v1beta1.default_node_selector(self.spec.node_selector, self.name)
        return self.evolve(spec=self.spec.evolve(node_selector=selector))

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """v1beta1 validation of the converted object; its paths exist in v1alpha1 too."""
        return to_v1beta1(self).semantic_errors(to_v1beta1(old) if old is not None else None)


# --------------------------------------------------------------------------------------------------
# Conversion (hub: v1beta1)


def _copy_set(src: WireModel, names: tuple[str, ...]) -> dict[str, Any]:
    """The listed fields of ``src`` that were set, by python name."""
    return {n: getattr(src, n) for n in names if n in src.model_fields_set}


_SHARED_ENDPOINT_FIELDS = ("under_nat", "public_ip", "config")


def _endpoint_to_v1beta1(ep: Endpoint) -> v1beta1.Endpoint:
    return v1beta1.Endpoint(
        node_name=ep.node_name,
        type=wellknown.GATEWAY_TYPE_TUNNEL,
        port=v1beta1.DEFAULT_TUNNEL_SERVER_EXPOSED_PORT,
        **_copy_set(ep, _SHARED_ENDPOINT_FIELDS),
    )


def _endpoint_from_v1beta1(ep: v1beta1.Endpoint) -> Endpoint:
    return Endpoint(node_name=ep.node_name, **_copy_set(ep, _SHARED_ENDPOINT_FIELDS))


def to_v1beta1(gw: Gateway) -> v1beta1.Gateway:
    """v1alpha1 -> v1beta1: tunnel endpoints on port 4500, one tunnel and one proxy replica."""
    spec: dict[str, Any] = _copy_set(gw.spec, ("node_selector", "expose_type"))
    spec["proxy_config"] = v1beta1.ProxyConfiguration(replicas=1)
    spec["tunnel_config"] = v1beta1.TunnelConfiguration(replicas=1)
    if "endpoints" in gw.spec.model_fields_set:
        eps = gw.spec.endpoints
        spec["endpoints"] = None if eps is None else [_endpoint_to_v1beta1(ep) for ep in eps]
    out: dict[str, Any] = {"metadata": gw.metadata, "spec": v1beta1.GatewaySpec(**spec)}
    if "status" in gw.model_fields_set:
        status: dict[str, Any] = _copy_set(gw.status, ("nodes",))
        if "active_endpoint" in gw.status.model_fields_set:
            active = gw.status.active_endpoint
            status["active_endpoints"] = None if active is None else [_endpoint_to_v1beta1(active)]
        out["status"] = v1beta1.GatewayStatus(**status)
    return v1beta1.Gateway(**out)


def from_v1beta1(gw: v1beta1.Gateway) -> Gateway:
    """v1beta1 -> v1alpha1: every endpoint (proxies too) without type/port/NAT details, first active one."""
    spec: dict[str, Any] = _copy_set(gw.spec, ("node_selector", "expose_type"))
    if "endpoints" in gw.spec.model_fields_set and gw.spec.endpoints is None:
        spec["endpoints"] = None
    else:
        spec["endpoints"] = [_endpoint_from_v1beta1(ep) for ep in gw.spec.endpoints or []]
    out: dict[str, Any] = {"metadata": gw.metadata, "spec": GatewaySpec(**spec)}
    if "status" in gw.model_fields_set:
        status: dict[str, Any] = _copy_set(gw.status, ("nodes",))
        actives = gw.status.active_endpoints
        if "active_endpoints" in gw.status.model_fields_set:
            status["active_endpoint"] = _endpoint_from_v1beta1(actives[0]) if actives else None
        out["status"] = GatewayStatus(**status)
    return Gateway(**out)


register_conversion(Gateway, v1beta1.Gateway, to_v1beta1)
register_conversion(v1beta1.Gateway, Gateway, from_v1beta1)
