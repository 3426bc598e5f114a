"""Gateways -> the network one raven agent must build: its domain, the remote domains, their CIDRs.

raven.md §5: each agent reads every Gateway and derives, without further cluster reads, which domain
it is in (the Gateway whose ``status.nodes`` lists it), which domains are reachable (those whose active
tunnel endpoint has a public address), and the merged pod CIDRs behind each gateway. The per-node
plan (``nodeplan``) is built from this value alone plus two MTU numbers, so the whole data plane is
decided by pure functions that tests can call with plain objects.

Also here: the relay rules shared by the VPN backends (§6.1): which gateway is the central one and
which NATed pairs may tunnel directly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

from openyurt.core import wellknown
from openyurt.core.api.raven_v1beta1 import Endpoint, Gateway

#: NAT type strings of the STUN library upstream uses (raven.md §9).
NAT_SYMMETRIC = "Symmetric NAT"
NAT_PORT_RESTRICTED = "Port Restricted cone NAT"
NAT_UNDEFINED = "Undefined"
#: Endpoint config key where a gateway's agent publishes its WireGuard public key.
CONFIG_PUBLIC_KEY = "publicKey"


@attrs.frozen
class AgentConfig:
    """The agent settings that change the computed network or plan."""

    forward_node_ip: bool = False
    nat_traversal: bool = False
    vpn_driver: str = "wireguard"
    listen_port: int = 4500
    mac_prefix: str = "aa:0f"
    keep_alive_interval: int = 0
    keep_alive_timeout: int = 0


@attrs.frozen
class NodeSubnets:
    """One node of a domain: its private address and the CIDRs routed to it."""

    node_name: str
    private_ip: str
    subnets: tuple[str, ...]


@attrs.frozen
class NetEndpoint:
    """A domain as seen through its active tunnel endpoint, with the domain's merged CIDRs."""

    gateway_name: str
    node_name: str
    subnets: tuple[str, ...]
    private_ip: str
    public_ip: str
    public_port: int = 0
    under_nat: bool = False
    nat_type: str = ""
    config: tuple[tuple[str, str], ...] = ()

    def config_value(self, key: str) -> str:
        return dict(self.config).get(key, "")


@attrs.frozen
class Network:
    """What the agent of one node must connect: its own domain and every reachable remote domain."""

    local: NetEndpoint | None = None
    local_nodes: tuple[NodeSubnets, ...] = ()
    remotes: tuple[NetEndpoint, ...] = ()
    remote_nodes: tuple[NodeSubnets, ...] = ()


EMPTY_NETWORK = Network()


def merge_cidrs(cidrs: Iterable[str]) -> tuple[str, ...]:
    """The smallest equivalent list of CIDRs, IPv4 first, sorted; unparsable entries are skipped.

    (Upstream drops the whole list when one entry is bad, which silently cuts off a domain.)
    """
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for text in cidrs:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue
        (v4 if isinstance(net, ipaddress.IPv4Network) else v6).append(net)  # type: ignore[arg-type]
    return tuple(str(n) for n in ipaddress.collapse_addresses(v4)) + tuple(
        str(n) for n in ipaddress.collapse_addresses(v6)
    )


def tunnel_endpoint(gw: Gateway) -> Endpoint | None:
    """The first active endpoint of type ``tunnel`` (agents use only that one)."""
    return next((ep for ep in gw.status.active_endpoints or [] if ep.type == wellknown.GATEWAY_TYPE_TUNNEL), None)


def tunnel_replicas(gw: Gateway) -> int:
    return gw.spec.tunnel_config.replicas if gw.spec.tunnel_config is not None else 0


def eligible(gw: Gateway, nat_traversal: bool) -> bool:
    """Whether a domain can be tunnelled to: an active tunnel endpoint with a public address (and NAT info)."""
    aep = tunnel_endpoint(gw)
    if aep is None or not aep.public_ip:
        return False
    if not nat_traversal:
        return True
    return bool(aep.nat_type) and (aep.nat_type == NAT_SYMMETRIC or bool(aep.public_port))


def local_gateway(node_name: str, gateways: Sequence[Gateway]) -> Gateway | None:
    """The first Gateway whose ``status.nodes`` lists ``node_name`` (the status, not the label)."""
    for gw in gateways:
        if any(n.node_name == node_name for n in gw.status.nodes or []):
            return gw
    return None


def compute_network(node_name: str, gateways: Sequence[Gateway], config: AgentConfig) -> Network:
    """raven.md §5.1; ``EMPTY_NETWORK`` means "tear everything down" (no local domain or tunnel off)."""
    local_gw = local_gateway(node_name, gateways)
    if local_gw is None or tunnel_replicas(local_gw) <= 0:
        return EMPTY_NETWORK
    usable = sorted((gw for gw in gateways if eligible(gw, config.nat_traversal)), key=lambda g: g.name)
    index = {n.node_name: n for gw in usable for n in gw.status.nodes or []}
    local: NetEndpoint | None = None
    local_nodes: list[NodeSubnets] = []
    remotes: list[NetEndpoint] = []
    remote_nodes: list[NodeSubnets] = []
    for gw in usable:
        nodes = [
            NodeSubnets(
                n.node_name,
                n.private_ip,
                tuple(n.subnets or []) + ((f"{n.private_ip}/32",) if config.forward_node_ip and n.private_ip else ()),
            )
            for n in sorted(gw.status.nodes or [], key=lambda n: n.node_name)
        ]
        aep = tunnel_endpoint(gw)
        assert aep is not None  # eligible() checked it
        info = index.get(aep.node_name)
        if info is None:
            continue
        ep = NetEndpoint(
            gateway_name=gw.name,
            node_name=aep.node_name,
            subnets=merge_cidrs(s for n in nodes for s in n.subnets),
            private_ip=info.private_ip,
            public_ip=aep.public_ip or "",
            public_port=aep.public_port or 0,
            under_nat=bool(aep.under_nat),
            nat_type=aep.nat_type or "",
            config=tuple(sorted((aep.config or {}).items())),
        )
        if gw.name == local_gw.name:
            local, local_nodes = ep, nodes
        else:
            remotes.append(ep)
            remote_nodes.extend(nodes)
    return Network(
        local=local, local_nodes=tuple(local_nodes), remotes=tuple(remotes), remote_nodes=tuple(remote_nodes)
    )


def role(net: Network, node_name: str) -> Literal["gateway", "member", "none"]:
    """``gateway``, ``member`` or ``none`` (the node's domain is not eligible, or it has none)."""
    if net.local is None:
        return "none"
    return "gateway" if net.local.node_name == node_name else "member"


def central_gateway(net: Network) -> NetEndpoint | None:
    """The relay for NATed domains: among local + remotes sorted by node name, the last non-NATed one."""
    if net.local is None:
        return None
    candidates = sorted([net.local, *net.remotes], key=lambda e: e.node_name)
    central = None
    for ep in candidates:
        if not ep.under_nat:
            central = ep
    return central


def edge_ok(a: NetEndpoint, b: NetEndpoint, nat_traversal: bool) -> bool:
    """Whether two NATed gateways can hole-punch a direct tunnel (otherwise they go via the central one)."""
    if not nat_traversal or not (a.under_nat and b.under_nat):
        return False
    if NAT_UNDEFINED in (a.nat_type, b.nat_type) or not a.nat_type or not b.nat_type:
        return False
    pair = {a.nat_type, b.nat_type}
    return pair != {NAT_SYMMETRIC} and pair != {NAT_SYMMETRIC, NAT_PORT_RESTRICTED}


# ==================================================================================================
# Write-backs into Gateway.spec.endpoints (raven.md §4.3, §6.2)


@attrs.frozen
class WriteBack:
    """A value this node must write into a spec endpoint of ``gateway``.

    ``field`` is ``publicIP`` (endpoint with this node name and type tunnel), ``natType``/``publicPort``
    (first endpoint with this node name) or ``publicKey`` (``config.publicKey`` of the tunnel endpoint).
    An empty ``value`` means the runtime must discover it (public IP, NAT type) before writing.
    """

    gateway: str
    node_name: str
    field: str
    value: str = ""


def needed_writebacks(node_name: str, gateways: Sequence[Gateway], config: AgentConfig) -> tuple[WriteBack, ...]:
    """Discoveries this node owes: for each Gateway whose active tunnel endpoint is us and lacks data."""
    out: list[WriteBack] = []
    for gw in gateways:
        aep = tunnel_endpoint(gw)
        if aep is None or aep.node_name != node_name:
            continue
        if not aep.public_ip:
            out.append(WriteBack(gw.name, node_name, "publicIP"))
        if config.nat_traversal:
            if not aep.nat_type:
                out.append(WriteBack(gw.name, node_name, "natType"))
            elif not aep.public_port and aep.nat_type != NAT_SYMMETRIC:
                out.append(WriteBack(gw.name, node_name, "publicPort"))
    return tuple(out)


def public_key_writeback(net: Network, node_name: str, public_key: str) -> WriteBack | None:
    """On the gateway node, publish our WireGuard key when the status copy does not carry it yet."""
    if net.local is None or net.local.node_name != node_name or not public_key:
        return None
    if net.local.config_value(CONFIG_PUBLIC_KEY) == public_key:
        return None
    return WriteBack(net.local.gateway_name, node_name, CONFIG_PUBLIC_KEY, public_key)


def apply_writeback(gw: Gateway, wb: WriteBack) -> Gateway:
    """``gw`` with ``wb`` written into its spec endpoint (unchanged if there is no such endpoint)."""
    eps = list(gw.spec.endpoints or [])
    tunnel_only = wb.field in ("publicIP", CONFIG_PUBLIC_KEY)
    for i, ep in enumerate(eps):
        if ep.node_name != wb.node_name or (tunnel_only and ep.type != wellknown.GATEWAY_TYPE_TUNNEL):
            continue
        if wb.field == "publicIP":
            eps[i] = ep.evolve(public_ip=wb.value)
        elif wb.field == "natType":
            eps[i] = ep.evolve(nat_type=wb.value)
        elif wb.field == "publicPort":
            eps[i] = ep.evolve(public_port=int(wb.value or 0))
        else:
            eps[i] = ep.evolve(config={**(ep.config or {}), CONFIG_PUBLIC_KEY: wb.value})
        return gw.evolve(spec=gw.spec.evolve(endpoints=eps))
    return gw


__all__ = [
    "CONFIG_PUBLIC_KEY",
    "EMPTY_NETWORK",
    "AgentConfig",
    "NetEndpoint",
    "Network",
    "NodeSubnets",
    "WriteBack",
    "apply_writeback",
    "central_gateway",
    "compute_network",
    "edge_ok",
    "eligible",
    "local_gateway",
    "merge_cidrs",
    "needed_writebacks",
    "public_key_writeback",
    "role",
    "tunnel_endpoint",
]
