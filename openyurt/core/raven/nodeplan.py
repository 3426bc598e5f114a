"""One node's desired data plane as a value, and the idempotent diff that gets a host there.

raven.md §5.2-§8: from the :class:`~openyurt.core.raven.network.Network`, the node name, the agent
config and two MTU numbers, :func:`build_plan` says exactly which links, addresses, routes, rules,
neighbours, FDB entries, WireGuard peers, ipset entries and iptables rules the node must have. The
host state is a flat set of small frozen items with an identity (``key``), so one generic
:func:`diff` turns "what is there" into add / replace / delete operations in dependency order, and the
same function performs teardown (``diff(current, EMPTY_STATE)``). An adapter only needs to observe
and apply single items; all decisions stay here, where properties can check them.

Fixes to upstream kept in the plan: relay allowed-IPs are computed after *all* NATed remotes are known
(upstream's map order could miss some), edge peers get the keep-alive in seconds, and an unchanged
VXLAN link is kept instead of re-added. Mechanism change with the same effect: the outer VXLAN packet's
firewall mark is cleared by a ``mangle POSTROUTING -o raven0`` rule instead of a tc ``skbedit`` action
(kernels without ``act_skbedit`` are common in containers). Only IPv4 is programmed, as upstream.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Literal

import attrs

from openyurt.core.raven.network import (
    CONFIG_PUBLIC_KEY,
    NAT_SYMMETRIC,
    AgentConfig,
    NetEndpoint,
    Network,
    WriteBack,
    central_gateway,
    edge_ok,
    merge_cidrs,
    public_key_writeback,
    role,
)

# Names and numbers that must match upstream (raven.md §6.1, §6.2, §7.1).
VXLAN_DEVICE = "raven0"
VXLAN_VNI = 200
VXLAN_PORT = 4472
VXLAN_OVERHEAD = 50
VXLAN_TABLE = 9027
VXLAN_RULE_PRIORITY = 100
MARK = 0x40
MARK_SET = "raven-mark-set"
MARK_CHAIN = "RAVEN-MARK-CHAIN"
WG_DEVICE = "raven-wg0"
WG_TABLE = 9028
WG_RULE_PRIORITY = 101
WG_OVERHEAD = 80
LIBRESWAN_OVERHEAD = 64
RELAY_KEEPALIVE = 5
SKIP_NAT_SET = "raven-skip-nat-set"
SKIP_NAT_CHAIN = "RAVEN-POSTROUTING"
COMMENT_MARK_JUMP = "raven traffic rules for mark"
COMMENT_MARK_RULE = "raven traffic requiring certain mark"
COMMENT_CLEAR_MARK = "raven clear mark of vxlan outer packets"
COMMENT_SKIP_NAT = "raven traffic should skip NAT"
BUILTIN_CHAINS = frozenset({"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"})


# ==================================================================================================
# Host state items


@attrs.frozen
class VxlanLink:
    """``raven0``: re-created when any parameter differs (the kernel cannot change them in place)."""

    kind: ClassVar[str] = "vxlan"
    name: str
    vni: int
    port: int
    mtu: int
    mac: str
    local_ip: str
    remote: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return ("link", self.name)


@attrs.frozen
class WireGuardLink:
    """``raven-wg0``: port and MTU are changed in place; the private key is the adapter's secret."""

    kind: ClassVar[str] = "wireguard"
    name: str
    listen_port: int
    mtu: int

    @property
    def key(self) -> tuple[str, ...]:
        return ("link", self.name)


@attrs.frozen
class Address:
    kind: ClassVar[str] = "address"
    dev: str
    cidr: str
    scope: Literal["link", "universe"] = "link"

    @property
    def key(self) -> tuple[str, ...]:
        return (self.dev, self.cidr)


@attrs.frozen
class Route:
    kind: ClassVar[str] = "route"
    table: int
    dst: str
    dev: str
    via: str | None = None
    onlink: bool = False
    mtu: int = 0

    @property
    def key(self) -> tuple[object, ...]:
        return (self.table, self.dst)


@attrs.frozen
class Rule:
    kind: ClassVar[str] = "rule"
    priority: int
    table: int
    fwmark: int | None = None

    @property
    def key(self) -> tuple[object, ...]:
        return (self.priority, self.table, self.fwmark)


@attrs.frozen
class Neighbour:
    kind: ClassVar[str] = "neighbour"
    dev: str
    ip: str
    mac: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.dev, self.ip)


@attrs.frozen
class Fdb:
    kind: ClassVar[str] = "fdb"
    dev: str
    mac: str
    dst: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.dev, self.mac)


@attrs.frozen
class Peer:
    """A WireGuard peer; every peer also gets the shared pre-shared key (not part of the plan)."""

    kind: ClassVar[str] = "peer"
    dev: str
    public_key: str
    endpoint: str
    allowed_ips: tuple[str, ...]
    keepalive: int = 0

    @property
    def key(self) -> tuple[str, ...]:
        return (self.dev, self.public_key)


@attrs.frozen
class IpSet:
    kind: ClassVar[str] = "ipset"
    name: str
    type: str = "hash:net"

    @property
    def key(self) -> tuple[str, ...]:
        return (self.name,)


@attrs.frozen
class IpSetEntry:
    kind: ClassVar[str] = "ipset-entry"
    set: str
    member: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.set, self.member)


@attrs.frozen
class Chain:
    kind: ClassVar[str] = "chain"
    table: str
    name: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.table, self.name)


@attrs.frozen
class ChainRule:
    """An iptables rule; ``first`` means it must be rule 1 of its chain (else appended)."""

    kind: ClassVar[str] = "chain-rule"
    table: str
    chain: str
    args: tuple[str, ...]
    first: bool = False

    @property
    def key(self) -> tuple[object, ...]:
        return (self.table, self.chain, self.args, self.first)

    @property
    def is_jump(self) -> bool:
        return self.chain in BUILTIN_CHAINS


@attrs.frozen
class SkipNatPair:
    """``(src, dst)`` of the skip-SNAT set; upstream's entry identity is ``"<src>-<dst>"``."""

    kind: ClassVar[str] = "skip-nat"
    src: str
    dst: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.src, self.dst)


Item = (
    VxlanLink
    | WireGuardLink
    | Address
    | Route
    | Rule
    | Neighbour
    | Fdb
    | Peer
    | IpSet
    | IpSetEntry
    | Chain
    | ChainRule
    | SkipNatPair
)

#: Creation order; deletion runs in reverse. Items on a device come after the device.
_ADD_ORDER: dict[str, int] = {
    k: i
    for i, k in enumerate(
        (
            "ipset",
            "chain",
            "vxlan",
            "wireguard",
            "address",
            "fdb",
            "neighbour",
            "route",
            "rule",
            "peer",
            "ipset-entry",
            "skip-nat",
            "chain-rule",
        )
    )
}
_LINK_KINDS = frozenset({"vxlan", "wireguard"})


def _sort_key(item: Item) -> tuple[int, int, str]:
    jump = 1 if isinstance(item, ChainRule) and item.is_jump else 0
    return (_ADD_ORDER[item.kind], jump, repr(item.key))


@attrs.frozen
class HostState:
    """Everything raven owns on one host, as a set of items (identity = ``(kind, key)``)."""

    items: frozenset[Item] = frozenset()

    @classmethod
    def of(cls, items: Iterable[Item]) -> HostState:
        return cls(frozenset(items))

    def by_key(self) -> dict[tuple[object, ...], Item]:
        return {_ident(i): i for i in self.items}

    def sorted(self) -> list[Item]:
        return sorted(self.items, key=_sort_key)

    def kind(self, kind: str) -> list[Item]:
        return [i for i in self.sorted() if i.kind == kind]

    def __len__(self) -> int:
        return len(self.items)


EMPTY_STATE = HostState()


def _ident(item: Item) -> tuple[object, ...]:
    family = "link" if item.kind in _LINK_KINDS else item.kind
    return (family, *item.key)


@attrs.frozen
class Op:
    """One change to the host: add ``item``, delete ``item``, or replace ``old`` by ``item`` in place."""

    action: Literal["add", "delete", "replace"]
    item: Item
    old: Item | None = None

    def __str__(self) -> str:
        return f"{self.action} {self.item!r}"


def _device_of(item: Item) -> str | None:
    if isinstance(item, Address | Route | Neighbour | Fdb | Peer):
        return item.dev
    return None


def diff(current: HostState, desired: HostState) -> tuple[Op, ...]:
    """The operations that turn ``current`` into ``desired``; empty when they are equal.

    A link that goes away, or changed where the kernel cannot change it in place (VXLAN), takes
    everything on it along, so those items are not deleted one by one but re-added if still wanted.
    """
    cur = current.by_key()
    want = desired.by_key()
    dead: set[str] = set()
    for ident, old in cur.items():
        if old.kind in _LINK_KINDS:
            new = want.get(ident)
            if new is None or (new != old and (isinstance(new, VxlanLink) or type(new) is not type(old))):
                dead.add(str(old.key[1]))
    deletes: list[Item] = []
    adds: list[Item] = []
    replaces: list[tuple[Item, Item]] = []
    for ident, old in cur.items():
        new = want.get(ident)
        if old.kind in _LINK_KINDS and old.key[1] in dead:
            deletes.append(old)
            if new is not None:
                adds.append(new)
        elif _device_of(old) in dead:
            if new is not None:
                adds.append(new)
        elif new is None:
            deletes.append(old)
        elif new != old:
            if isinstance(new, _IN_PLACE):
                replaces.append((old, new))
            else:
                deletes.append(old)
                adds.append(new)
    adds += [new for ident, new in want.items() if ident not in cur]
    ops = [Op("delete", i) for i in sorted(deletes, key=_sort_key, reverse=True)]
    ops += [Op("replace", new, old) for old, new in sorted(replaces, key=lambda p: _sort_key(p[1]))]
    ops += [Op("add", i) for i in sorted(adds, key=_sort_key)]
    return tuple(ops)


#: Items an adapter changes in place (``ip route replace``, ``wg set``...); others are deleted and re-added.
_IN_PLACE = (WireGuardLink, Route, Neighbour, Fdb, Peer)


def apply_ops(state: HostState, ops: Sequence[Op]) -> HostState:
    """What ``ops`` do to ``state`` (the reference semantics every adapter must match)."""
    items = state.by_key()
    for op in ops:
        ident = _ident(op.item)
        if op.action == "delete":
            items.pop(ident, None)
            if op.item.kind in _LINK_KINDS:
                dev = op.item.key[1]
                items = {k: v for k, v in items.items() if _device_of(v) != dev}
        else:
            items[ident] = op.item
    return HostState.of(items.values())


# ==================================================================================================
# Planning


@attrs.frozen
class MtuFacts:
    """Host facts the MTU arithmetic needs (raven.md §8); None = unknown / no limit."""

    #: MTU of the interface carrying the IPv4 default route.
    default_route_mtu: int | None = 1500
    #: MTU of the interface that reaches the other node of the domain (see :func:`mtu_probe_target`).
    underlay_mtu: int | None = None


@attrs.frozen
class NodePlan:
    """The desired host state of one node, its role, the MTU used and what it must write back."""

    node_name: str
    role: Literal["gateway", "member", "none"]
    mtu: int | None
    state: HostState
    writebacks: tuple[WriteBack, ...] = ()
    notes: tuple[str, ...] = ()


def vxlan_ip(private_ip: str) -> str:
    """``240.b.c.d`` for ``a.b.c.d``: the VTEP address of a node."""
    b, c, d = private_ip.split(".")[1:]
    return f"240.{b}.{c}.{d}"


def vxlan_mac(private_ip: str, prefix: str = "aa:0f") -> str:
    """MAC prefix + the four bytes of the VTEP address, e.g. ``aa:0f:f0:10:02:67``."""
    octets = [int(x) for x in vxlan_ip(private_ip).split(".")]
    return prefix.lower() + ":" + ":".join(f"{o:02x}" for o in octets)


def mtu_probe_target(net: Network, node_name: str) -> str | None:
    """The private IP whose route gives the underlay MTU: the gateway (member) or another member (gateway)."""
    r = role(net, node_name)
    if r == "member" and net.local is not None:
        return net.local.private_ip
    if r == "gateway":
        others = [n.private_ip for n in net.local_nodes if n.node_name != node_name and n.private_ip]
        return others[0] if others else None
    return None


def plan_mtu(facts: MtuFacts, vpn_driver: str = "wireguard") -> int | None:
    overhead = WG_OVERHEAD if vpn_driver == "wireguard" else LIBRESWAN_OVERHEAD
    candidates = []
    if facts.default_route_mtu:
        candidates.append(facts.default_route_mtu - overhead)
    if facts.underlay_mtu:
        candidates.append(facts.underlay_mtu - VXLAN_OVERHEAD)
    return min(candidates) if candidates else None


def _v4(cidrs: Iterable[str]) -> list[str]:
    out: list[str] = []
    for c in cidrs:
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Network) and str(net) not in out:
            out.append(str(net))
    return out


def _vxlan_items(net: Network, node_name: str, config: AgentConfig, mtu: int) -> list[Item]:
    assert net.local is not None
    me = next(n for n in net.local_nodes if n.node_name == node_name)
    gateway = net.local.node_name == node_name
    prefix = config.mac_prefix
    items: list[Item] = [
        VxlanLink(
            VXLAN_DEVICE,
            VXLAN_VNI,
            VXLAN_PORT,
            mtu,
            vxlan_mac(me.private_ip, prefix),
            me.private_ip,
            None if gateway else net.local.private_ip,
        ),
        Address(VXLAN_DEVICE, vxlan_ip(me.private_ip) + "/8"),
        Rule(VXLAN_RULE_PRIORITY, VXLAN_TABLE, MARK),
        IpSet(MARK_SET, "hash:net"),
        Chain("mangle", MARK_CHAIN),
        *(
            ChainRule("mangle", hook, ("-m", "comment", "--comment", COMMENT_MARK_JUMP, "-j", MARK_CHAIN))
            for hook in ("PREROUTING", "OUTPUT")
        ),
        ChainRule(
            "mangle",
            MARK_CHAIN,
            (
                "-m",
                "set",
                "--match-set",
                MARK_SET,
                "src" if gateway else "dst",
                "-m",
                "comment",
                "--comment",
                COMMENT_MARK_RULE,
                "-j",
                "MARK",
                "--set-mark",
                str(MARK),
            ),
        ),
        ChainRule(
            "mangle",
            "POSTROUTING",
            ("-o", VXLAN_DEVICE, "-m", "comment", "--comment", COMMENT_CLEAR_MARK, "-j", "MARK", "--set-mark", "0"),
        ),
    ]
    items += [IpSetEntry(MARK_SET, s) for s in _v4(s for n in net.remote_nodes for s in n.subnets)]
    peers = [n for n in net.local_nodes if n.node_name != node_name and n.private_ip]
    if not gateway:
        peers = [n for n in peers if n.node_name == net.local.node_name]
    seen: set[str] = set()
    for peer in peers:
        vtep = vxlan_ip(peer.private_ip)
        mac = vxlan_mac(peer.private_ip, prefix)
        items += [Fdb(VXLAN_DEVICE, mac, peer.private_ip), Neighbour(VXLAN_DEVICE, vtep, mac)]
        dsts = ["0.0.0.0/0"] if not gateway else _v4(peer.subnets)
        for dst in dsts:
            if dst in seen:
                continue
            seen.add(dst)
            items.append(Route(VXLAN_TABLE, dst, VXLAN_DEVICE, via=vtep, onlink=True, mtu=mtu))
    return items


def wireguard_peers(net: Network, node_name: str, config: AgentConfig) -> list[Peer]:
    """raven.md §6.2 peers, with relay allowed-IPs gathered before any peer is built."""
    local = net.local
    if local is None or local.node_name != node_name:
        return []
    central = central_gateway(net)
    keyed = [r for r in net.remotes if r.config_value(CONFIG_PUBLIC_KEY)]
    central_extra: list[str] = []
    for r in keyed:
        if not edge_ok(local, r, config.nat_traversal) and local.under_nat and r.under_nat:
            central_extra += r.subnets
    peers: list[Peer] = []
    for r in keyed:
        key = r.config_value(CONFIG_PUBLIC_KEY)
        if edge_ok(local, r, config.nat_traversal):
            port = config.listen_port if r.nat_type == NAT_SYMMETRIC else r.public_port
            peers.append(
                Peer(WG_DEVICE, key, f"{r.public_ip}:{port}", _sorted_cidrs(r.subnets), config.keep_alive_interval)
            )
        elif local.under_nat and r.under_nat:
            continue
        else:
            allowed = list(r.subnets)
            if central is not None and r.gateway_name == central.gateway_name:
                allowed += central_extra
            peers.append(
                Peer(WG_DEVICE, key, f"{r.public_ip}:{config.listen_port}", _sorted_cidrs(allowed), RELAY_KEEPALIVE)
            )
    return peers


def _sorted_cidrs(cidrs: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(_v4(cidrs)), key=lambda c: ipaddress.ip_network(c)))


def skip_nat_pairs(net: Network, node_name: str) -> list[SkipNatPair]:
    """raven.md §6.1: local x remote (both ways); the central gateway adds every remote pair."""
    if net.local is None:
        return []
    remote_raw = _v4(s for n in net.remote_nodes for s in n.subnets)
    remote_merged = _v4(merge_cidrs(remote_raw))
    pairs: list[SkipNatPair] = []
    for loc in _v4(net.local.subnets):
        for rem in remote_merged:
            pairs += [SkipNatPair(loc, rem), SkipNatPair(rem, loc)]
    central = central_gateway(net)
    if central is not None and central.node_name == node_name:
        for i, a in enumerate(remote_raw):
            for b in remote_raw[i + 1 :]:
                pairs += [SkipNatPair(a, b), SkipNatPair(b, a)]
    return pairs


def _vpn_items(net: Network, node_name: str, config: AgentConfig, mtu: int, peers: Sequence[Peer]) -> list[Item]:
    items: list[Item] = [WireGuardLink(WG_DEVICE, config.listen_port, mtu), *peers]
    seen: set[str] = set()
    for r in net.remotes:
        for s in _v4(r.subnets):
            if s not in seen:
                seen.add(s)
                items.append(Route(WG_TABLE, s, WG_DEVICE, mtu=mtu))
    items += [
        Rule(WG_RULE_PRIORITY, WG_TABLE),
        Chain("nat", SKIP_NAT_CHAIN),
        ChainRule(
            "nat",
            "POSTROUTING",
            ("-m", "comment", "--comment", COMMENT_SKIP_NAT, "-o", WG_DEVICE, "-j", SKIP_NAT_CHAIN),
            first=True,
        ),
        *skip_nat_pairs(net, node_name),
    ]
    return items


def build_plan(
    node_name: str,
    net: Network,
    config: AgentConfig,
    facts: MtuFacts,
    *,
    public_key: str = "",
    writebacks: Sequence[WriteBack] = (),
) -> NodePlan:
    """The node's desired data plane (a ``none`` role or missing remotes give the empty state)."""
    r = role(net, node_name)
    wbs = list(writebacks)
    key_wb = public_key_writeback(net, node_name, public_key)
    if key_wb is not None:
        wbs.append(key_wb)
    notes: list[str] = []
    mtu = plan_mtu(facts, config.vpn_driver) or 1500 - WG_OVERHEAD
    if r == "none":
        return NodePlan(node_name, "none", None, EMPTY_STATE, tuple(wbs), ("the node's domain is not eligible",))
    if not net.remotes:
        return NodePlan(node_name, r, mtu, EMPTY_STATE, tuple(wbs), ("no remote domain is eligible",))
    items: list[Item] = []
    if len(net.local_nodes) > 1:
        items += _vxlan_items(net, node_name, config, mtu)
    else:
        notes.append("alone in its domain: no VXLAN")
    if r == "gateway":
        peers = wireguard_peers(net, node_name, config)
        if peers:
            items += _vpn_items(net, node_name, config, mtu, peers)
        else:
            notes.append("no remote gateway has published a public key: no WireGuard")
    return NodePlan(node_name, r, mtu, HostState.of(items), tuple(wbs), tuple(notes))


# ==================================================================================================
# JSON view (``openyurt raven plan``)


def item_to_json(item: Item) -> dict[str, Any]:
    data = attrs.asdict(item, recurse=True, value_serializer=lambda _i, _a, v: list(v) if isinstance(v, tuple) else v)
    return {"kind": item.kind, **data}


def plan_to_json(plan: NodePlan) -> dict[str, Any]:
    return {
        "node": plan.node_name,
        "role": plan.role,
        "mtu": plan.mtu,
        "items": [item_to_json(i) for i in plan.state.sorted()],
        "writebacks": [attrs.asdict(w) for w in plan.writebacks],
        "notes": list(plan.notes),
    }


__all__ = [
    "EMPTY_STATE",
    "Address",
    "Chain",
    "ChainRule",
    "Fdb",
    "HostState",
    "IpSet",
    "IpSetEntry",
    "Item",
    "MtuFacts",
    "Neighbour",
    "NetEndpoint",
    "NodePlan",
    "Op",
    "Peer",
    "Route",
    "Rule",
    "SkipNatPair",
    "VxlanLink",
    "WireGuardLink",
    "apply_ops",
    "build_plan",
    "diff",
    "mtu_probe_target",
    "plan_mtu",
    "plan_to_json",
    "skip_nat_pairs",
    "vxlan_ip",
    "vxlan_mac",
    "wireguard_peers",
]
