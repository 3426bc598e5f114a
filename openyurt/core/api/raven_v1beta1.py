"""raven.openyurt.io/v1beta1: Gateway, the storage (hub) version of Raven's cross-pool network domains.

A Gateway names the nodes of one layer-3 domain and the candidate endpoints (L3 tunnel / L7 proxy)
that connect it to other domains; yurt-manager elects active endpoints into the status and the raven
agent builds tunnels from it. The JSON names are irregular on purpose (``Replicas`` with a capital R,
``publicIP``, ``underNAT``, ``natType``) because Go clients and stored objects use exactly those.

Defaulting and validation mirror yurt-manager's Gateway webhooks, which every write goes through
(v1alpha1 writes too, as the admission match policy converts them to this version first).
"""

from __future__ import annotations

import ipaddress
from typing import Self

from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api._base import FieldError, ResourceInfo, WireModel
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.meta_v1 import LabelSelector

GROUP = "raven.openyurt.io"
VERSION = "v1beta1"

#: Port the L7 proxy server is exposed on; an endpoint of type ``proxy`` without a port gets it.
DEFAULT_PROXY_SERVER_EXPOSED_PORT = 10262
#: Internal proxy ports (the proxy Service's target ports).
DEFAULT_PROXY_SERVER_SECURE_PORT = 10263
DEFAULT_PROXY_SERVER_INSECURE_PORT = 10264
#: IPsec/WireGuard port of the L3 tunnel; an endpoint of type ``tunnel`` without a port gets it.
DEFAULT_TUNNEL_SERVER_EXPOSED_PORT = 4500

#: ``spec.exposeType`` values: an exposed gateway is reachable from the internet (the "cloud" side).
EXPOSE_TYPE_PUBLIC_IP = "PublicIP"
EXPOSE_TYPE_LOAD_BALANCER = "LoadBalancer"
EXPOSE_TYPES = ("", EXPOSE_TYPE_LOAD_BALANCER, EXPOSE_TYPE_PUBLIC_IP)
ENDPOINT_TYPES = (wellknown.GATEWAY_TYPE_PROXY, wellknown.GATEWAY_TYPE_TUNNEL)

_DEFAULT_PORTS = {
    wellknown.GATEWAY_TYPE_PROXY: DEFAULT_PROXY_SERVER_EXPOSED_PORT,
    wellknown.GATEWAY_TYPE_TUNNEL: DEFAULT_TUNNEL_SERVER_EXPOSED_PORT,
}


class ProxyConfiguration(WireModel):
    replicas: int = Field(alias="Replicas", description="Number of active endpoints that enable the L7 proxy")
    proxy_http_port: str | None = Field(
        default=None,
        alias="proxyHTTPPort",
        description="Comma-separated ports of the cloud-side proxy service forwarding to the insecure port",
    )
    proxy_https_port: str | None = Field(
        default=None,
        alias="proxyHTTPSPort",
        description="Comma-separated ports of the cloud-side proxy service forwarding to the secure port",
    )


class TunnelConfiguration(WireModel):
    replicas: int = Field(alias="Replicas", description="Number of active endpoints that enable the L3 tunnel")


class Endpoint(WireModel):
    """A node that may carry the gateway's tunnel or proxy (spec), or does (status)."""

    node_name: str = Field(description="The node hosting this endpoint")
    type: str = Field(description="proxy or tunnel")
    port: int | None = Field(default=None, description="Exposed port (10262 for proxy, 4500 for tunnel)")
    under_nat: bool | None = Field(default=None, alias="underNAT", description="The node reaches out through NAT")
    nat_type: str | None = Field(default=None, alias="natType", description="NAT type found by NAT traversal")
    public_ip: str | None = Field(default=None, alias="publicIP", description="Exposed IP of the node")
    public_port: int | None = Field(default=None, description="Public port found for NAT traversal")
    config: dict[str, str] | None = Field(default=None, description="Settings for the raven agent of the node")


class NodeInfo(WireModel):
    """A node of the gateway's domain, as the gateway-pickup controller found it."""

    node_name: str
    private_ip: str = Field(alias="privateIP")
    #: Go writes ``null`` for a node without pod CIDRs, so the required key may carry null.
    subnets: list[str] | None = Field(description="Pod IP ranges of the node")


class GatewaySpec(WireModel):
    node_selector: LabelSelector | None = Field(
        default=None, description="Nodes managed by the gateway; they should share one layer 3 network"
    )
    proxy_config: ProxyConfiguration | None = None
    tunnel_config: TunnelConfiguration | None = None
    endpoints: list[Endpoint] | None = Field(default=None, description="Candidate endpoints, in priority order")
    expose_type: str | None = Field(default=None, description='How the gateway is exposed: "", PublicIP, LoadBalancer')


class GatewayStatus(WireModel):
    nodes: list[NodeInfo] | None = None
    active_endpoints: list[Endpoint] | None = None


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
        storage=True,
        printer_columns=(),
    )
)
class Gateway(Resource):
    defaults_on_update = True
    spec: GatewaySpec = Field(default_factory=GatewaySpec)
    status: GatewayStatus = Field(default_factory=GatewayStatus)

    def with_defaults(self) -> Self:
        """The Gateway mutating webhook, plus the zero config structs a Go webhook's patch adds."""
        spec = self.spec
        changes: dict[str, object] = {"node_selector": default_node_selector(spec.node_selector, self.name)}
        if spec.endpoints is not None:
            changes["endpoints"] = [
                ep.evolve(port=_DEFAULT_PORTS[ep.type]) if not ep.port and ep.type in _DEFAULT_PORTS else ep
                for ep in spec.endpoints
            ]
        # Go serialises the embedded config structs even when empty, so a defaulted object always
        # carries them (and the CRD requires their Replicas).
        if spec.proxy_config is None:
            changes["proxy_config"] = ProxyConfiguration(replicas=0)
        if spec.tunnel_config is None:
            changes["tunnel_config"] = TunnelConfiguration(replicas=0)
        return self.evolve(spec=spec.evolve(**changes))

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The Gateway validating webhook: every rule, all errors collected."""
        errors = _spec_errors(self.spec)
        if old is not None and old.name != self.name:
            errors.append(FieldError("metadata.name", f'Invalid value: "{self.name}": field is immutable'))
        return errors


def default_node_selector(selector: LabelSelector | None, gateway_name: str) -> LabelSelector:
    """``selector`` with ``raven.openyurt.io/gateway: <name>`` merged into matchLabels (others kept)."""
    selector = selector or LabelSelector()
    return selector.evolve(match_labels={**(selector.match_labels or {}), wellknown.LABEL_GATEWAY: gateway_name})


def _spec_errors(spec: GatewaySpec) -> list[FieldError]:
    errors: list[FieldError] = []
    endpoints = spec.endpoints or []
    expose = spec.expose_type or ""
    if expose not in EXPOSE_TYPES:
        supported = ", ".join(f'"{t}"' for t in EXPOSE_TYPES)
        errors.append(
            FieldError(
                "spec.exposeType",
                f'Unsupported value: "{expose}": supported values: {supported}',
                "FieldValueNotSupported",
            )
        )
    if expose:
        errors.extend(
            FieldError(
                f"spec.endpoints[{i}].underNAT",
                f'Invalid value: true: must be false for a gateway exposed by "{expose}"',
            )
            for i, ep in enumerate(endpoints)
            if ep.under_nat
        )
    tunnel_replicas = spec.tunnel_config.replicas if spec.tunnel_config else 0
    if tunnel_replicas > 1:
        errors.append(
            FieldError(
                "spec.tunnelConfig.Replicas",
                f"Invalid value: {tunnel_replicas}: only one tunnel replica is supported",
            )
        )
    proxy_replicas = spec.proxy_config.replicas if spec.proxy_config else 0
    proxies = sum(1 for ep in endpoints if ep.type == wellknown.GATEWAY_TYPE_PROXY)
    if proxy_replicas > 1 and proxy_replicas > proxies:
        errors.append(
            FieldError(
                "spec.proxyConfig.Replicas",
                f"Invalid value: {proxy_replicas}: must not exceed the number of proxy endpoints ({proxies})",
            )
        )
    first_nat = bool(endpoints[0].under_nat) if endpoints else False
    for i, ep in enumerate(endpoints):
        path = f"spec.endpoints[{i}]"
        if bool(ep.under_nat) != first_nat:
            errors.append(
                FieldError(
                    f"{path}.underNAT",
                    f"Invalid value: {str(bool(ep.under_nat)).lower()}: every endpoint must have the same "
                    "underNAT as spec.endpoints[0]",
                )
            )
        if ep.public_ip and not is_ip(ep.public_ip):
            errors.append(
                FieldError(f"{path}.publicIP", f'Invalid value: "{ep.public_ip}": must be a valid IP address')
            )
        if not ep.node_name:
            errors.append(FieldError(f"{path}.nodeName", "Required value", "FieldValueRequired"))
        if ep.type not in ENDPOINT_TYPES:
            supported = ", ".join(f'"{t}"' for t in ENDPOINT_TYPES)
            errors.append(
                FieldError(
                    f"{path}.type",
                    f'Unsupported value: "{ep.type}": supported values: {supported}',
                    "FieldValueNotSupported",
                )
            )
    return errors


def is_ip(text: str) -> bool:
    """Whether ``text`` is a plain IPv4 or IPv6 address (like Go's net.ParseIP: no zone, no prefix)."""
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


__all__ = [
    "DEFAULT_PROXY_SERVER_EXPOSED_PORT",
    "DEFAULT_PROXY_SERVER_INSECURE_PORT",
    "DEFAULT_PROXY_SERVER_SECURE_PORT",
    "DEFAULT_TUNNEL_SERVER_EXPOSED_PORT",
    "ENDPOINT_TYPES",
    "EXPOSE_TYPES",
    "EXPOSE_TYPE_LOAD_BALANCER",
    "EXPOSE_TYPE_PUBLIC_IP",
    "Endpoint",
    "Gateway",
    "GatewaySpec",
    "GatewayStatus",
    "NodeInfo",
    "ProxyConfiguration",
    "TunnelConfiguration",
    "default_node_selector",
    "is_ip",
]
