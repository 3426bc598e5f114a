"""Gateway pickup: which nodes are in a Gateway and which of them carry its tunnel and proxy.

This is yurt-manager's gateway-pickup controller as a pure function (raven.md §3): the Gateway, the
nodes labelled into it and the two ``raven-cfg`` switches go in; the new ``status`` and the events to
record come out. Agents only ever read the status, so everything the data plane does starts here.

Deliberate departures from upstream (the wire format is unchanged):

- previously active endpoints that stay valid are kept in *spec order*, not Go map order, so the
  choice is deterministic when more of them are valid than replicas allow;
- empty or unparsable pod CIDRs are skipped (upstream writes ``[""]`` which breaks the agents' merge)
  and ``spec.podCIDRs`` is used when set (dual-stack);
- events compare the new active list *after* the switch keys are filled into ``config``, so an
  unchanged election does not re-emit ``ActiveEndpointElected`` on every reconcile.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

import attrs

from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node, node_is_ready
from openyurt.core.api.raven_v1beta1 import Endpoint, Gateway, GatewayStatus, NodeInfo, is_ip
from openyurt.core.planners._util import Event, ref_of


@attrs.frozen
class RavenSwitches:
    """The ``kube-system/raven-cfg`` switches; an absent ConfigMap means both are off."""

    enable_proxy: bool = False
    enable_tunnel: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, str] | None) -> RavenSwitches:
        """Read the ConfigMap's ``data`` (None when the ConfigMap does not exist)."""
        data = data or {}
        return cls(
            enable_proxy=data.get(wellknown.RAVEN_KEY_ENABLE_L7_PROXY, "").strip().lower() == "true",
            enable_tunnel=data.get(wellknown.RAVEN_KEY_ENABLE_L3_TUNNEL, "").strip().lower() == "true",
        )


@attrs.frozen
class BlockAffinity:
    """What a Calico ``BlockAffinity`` says about a node's pod addresses."""

    node: str
    cidr: str
    state: str


@attrs.frozen
class PickupResult:
    """The status the Gateway should have, whether it differs from the current one, and the events."""

    status: GatewayStatus
    changed: bool
    events: tuple[Event, ...] = ()


def members(gateway_name: str, nodes: Iterable[Node]) -> list[Node]:
    """Nodes labelled ``raven.openyurt.io/gateway=<gateway_name>`` (the label, never spec.nodeSelector)."""
    return [n for n in nodes if (n.metadata.labels or {}).get(wellknown.LABEL_GATEWAY) == gateway_name]


def _replicas(gw: Gateway, type_: str) -> int:
    cfg = gw.spec.proxy_config if type_ == wellknown.GATEWAY_TYPE_PROXY else gw.spec.tunnel_config
    return cfg.replicas if cfg is not None else 0


def elect(gw: Gateway, type_: str, ready: frozenset[str]) -> list[Endpoint]:
    """Endpoints of ``type_`` to make active: still-valid previous ones first, then spec order.

    An endpoint is valid when its node is Ready and it is listed in ``spec.endpoints`` with that type;
    elected endpoints are copies of the spec entries, so agents' write-backs reach the status.
    """
    replicas = _replicas(gw, type_)
    if replicas <= 0:
        return []
    spec_eps = [ep for ep in gw.spec.endpoints or [] if ep.type == type_ and ep.node_name in ready]
    previous = {ep.node_name for ep in gw.status.active_endpoints or [] if ep.type == type_}
    chosen: list[Endpoint] = []
    seen: set[str] = set()
    # Sticky first (in spec order), then the rest of the spec order; one endpoint per node.
    for ep in [e for e in spec_eps if e.node_name in previous] + [e for e in spec_eps if e.node_name not in previous]:
        if len(chosen) == replicas:
            break
        if ep.node_name in seen:
            continue
        seen.add(ep.node_name)
        chosen.append(ep)
    return chosen


def pod_cidrs(node: Node, affinities: Sequence[BlockAffinity] = ()) -> list[str]:
    """The node's pod CIDRs: Calico block affinities when Calico annotated the node, else spec."""
    annotations = node.metadata.annotations or {}
    if any("projectcalico.org" in key for key in annotations):
        raw = [b.cidr for b in affinities if b.node == node.name and b.state == "confirmed"]
    elif node.spec is not None and node.spec.pod_cidrs:
        raw = list(node.spec.pod_cidrs)
    else:
        raw = [node.spec.pod_cidr] if node.spec is not None and node.spec.pod_cidr else []
    return [c for c in raw if _is_cidr(c)]


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return bool(text.strip())


def private_ip(node: Node) -> str:
    """The first InternalIP that parses as an IP address, else ``""``."""
    for addr in (node.status.addresses if node.status else None) or []:
        if addr.type == wellknown.NODE_ADDRESS_INTERNAL_IP and is_ip(addr.address):
            return addr.address
    return ""


def _with_switch(ep: Endpoint, switches: RavenSwitches) -> Endpoint:
    config = dict(ep.config or {})
    if ep.type == wellknown.GATEWAY_TYPE_PROXY:
        config[wellknown.RAVEN_KEY_ENABLE_L7_PROXY] = str(switches.enable_proxy).lower()
    elif ep.type == wellknown.GATEWAY_TYPE_TUNNEL:
        config[wellknown.RAVEN_KEY_ENABLE_L3_TUNNEL] = str(switches.enable_tunnel).lower()
    return ep.evolve(config=config)


def desired_status(
    gw: Gateway,
    nodes: Iterable[Node],
    switches: RavenSwitches,
    affinities: Sequence[BlockAffinity] = (),
) -> GatewayStatus:
    """The full status the pickup controller writes (``nodes`` is every node; members are filtered)."""
    mine = sorted(members(gw.name, nodes), key=lambda n: n.name)
    ready = frozenset(n.name for n in mine if node_is_ready(n))
    active: list[Endpoint] = []
    if switches.enable_proxy:
        active += elect(gw, wellknown.GATEWAY_TYPE_PROXY, ready)
    if switches.enable_tunnel:
        active += elect(gw, wellknown.GATEWAY_TYPE_TUNNEL, ready)
    active = sorted((_with_switch(ep, switches) for ep in active), key=lambda e: (e.node_name, e.type))
    infos = [NodeInfo(node_name=n.name, private_ip=private_ip(n), subnets=pod_cidrs(n, affinities)) for n in mine]
    extra = (gw.metadata.annotations or {}).get(wellknown.ANNOTATION_EXTRA_ALLOWED_SOURCE_CIDRS, "")
    tunnel_node = next((ep.node_name for ep in active if ep.type == wellknown.GATEWAY_TYPE_TUNNEL), None)
    if extra and tunnel_node is not None:
        add = [c.strip() for c in extra.split(",") if _is_cidr(c)]
        infos = [i.evolve(subnets=[*(i.subnets or []), *add]) if i.node_name == tunnel_node else i for i in infos]
    return GatewayStatus(nodes=infos, active_endpoints=active)


def _wire_list(eps: Sequence[Endpoint] | None) -> list[dict[str, object]]:
    return [ep.to_wire() for ep in eps or []]


def pickup(
    gw: Gateway,
    nodes: Iterable[Node],
    switches: RavenSwitches,
    affinities: Sequence[BlockAffinity] = (),
) -> PickupResult:
    """Plan one reconcile of Gateway ``gw``: the new status and the election events."""
    status = desired_status(gw, nodes, switches, affinities)
    old_active = gw.status.active_endpoints or []
    new_active = status.active_endpoints or []
    events: list[Event] = []
    ref = ref_of(gw)
    if _wire_list(new_active) != _wire_list(old_active):
        if new_active:
            events = [
                Event(
                    ref,
                    "Normal",
                    wellknown.EVENT_ACTIVE_ENDPOINT_ELECTED,
                    f"The endpoint hosted by node {ep.node_name} has been elected active endpoint, "
                    f"publicIP: {ep.public_ip or ''}, type: {ep.type}",
                )
                for ep in new_active
            ]
        else:
            events = [
                Event(
                    ref,
                    "Warning",
                    wellknown.EVENT_ACTIVE_ENDPOINT_LOST,
                    f"The active endpoint hosted by node {ep.node_name} was lost, "
                    f"publicIP: {ep.public_ip or ''}, type: {ep.type}",
                )
                for ep in old_active
            ]
    changed = status.to_wire() != _normalised(gw.status).to_wire()
    return PickupResult(status=status, changed=changed, events=tuple(events))


def _normalised(status: GatewayStatus) -> GatewayStatus:
    return GatewayStatus(
        nodes=[n.evolve(subnets=list(n.subnets or [])) for n in status.nodes or []],
        active_endpoints=list(status.active_endpoints or []),
    )


__all__ = [
    "BlockAffinity",
    "PickupResult",
    "RavenSwitches",
    "desired_status",
    "elect",
    "members",
    "pickup",
    "pod_cidrs",
    "private_ip",
]
