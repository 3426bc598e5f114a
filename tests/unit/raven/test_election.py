"""Gateway pickup (raven.md §3): membership, sticky election, switches, status nodes, events."""

from __future__ import annotations

from openyurt.core.api.raven_v1beta1 import GatewayStatus
from openyurt.core.raven.election import BlockAffinity, RavenSwitches, pickup
from tests.unit.raven.helpers import gateway, node

ON = RavenSwitches(enable_proxy=True, enable_tunnel=True)


def active(status: GatewayStatus) -> list[tuple[str, str]]:
    return [(e.node_name, e.type) for e in status.active_endpoints or []]


def test_switches_from_configmap() -> None:
    assert RavenSwitches.from_data(None) == RavenSwitches(False, False)
    assert RavenSwitches.from_data({"enable-l3-tunnel": "TRUE", "enable-l7-proxy": "no"}) == RavenSwitches(False, True)


def test_first_ready_in_spec_order_then_sticky_failover() -> None:
    nodes = [node("a1", "gw", "10.0.0.1", "10.244.0.0/24"), node("a2", "gw", "10.0.0.2", "10.244.1.0/24")]
    gw = gateway("gw", ["a1", "a2"])
    first = pickup(gw, nodes, ON)
    assert active(first.status) == [("a1", "tunnel")]
    assert first.status.active_endpoints and first.status.active_endpoints[0].config == {"enable-l3-tunnel": "true"}
    assert [e.reason for e in first.events] == ["ActiveEndpointElected"]
    assert first.changed
    gw = gw.evolve(status=first.status)
    again = pickup(gw, nodes, ON)
    assert not again.changed and again.events == ()  # quirk fixed: no re-emitted events
    # a1 fails: a2 takes over; a1 comes back: a2 stays (sticky)
    down = [node("a1", "gw", "10.0.0.1", "10.244.0.0/24", ready=False), nodes[1]]
    failover = pickup(gw, down, ON)
    assert active(failover.status) == [("a2", "tunnel")]
    gw = gw.evolve(status=failover.status)
    assert active(pickup(gw, nodes, ON).status) == [("a2", "tunnel")]
    # nobody ready: the endpoint is lost
    lost = pickup(gw, [node("a2", "gw", "10.0.0.2", None, ready=False)], ON)
    assert active(lost.status) == [] and [e.reason for e in lost.events] == ["ActiveEndpointLost"]
    assert [e.type for e in lost.events] == ["Warning"]


def test_switches_gate_election_and_proxy_replicas() -> None:
    nodes = [node(n, "gw", f"10.0.0.{i}", None) for i, n in enumerate(["a", "b", "c"], 1)]
    gw = gateway("gw", ["a"], proxy=2, proxy_endpoints=["c", "b", "a"])
    assert active(pickup(gw, nodes, RavenSwitches()).status) == []
    st = pickup(gw, nodes, ON).status
    assert active(st) == [("a", "tunnel"), ("b", "proxy"), ("c", "proxy")]
    only_tunnel = pickup(gw, nodes, RavenSwitches(enable_tunnel=True)).status
    assert active(only_tunnel) == [("a", "tunnel")]


def test_status_nodes_membership_cidrs_and_extra_allowed() -> None:
    nodes = [
        node("b", "gw", "10.0.0.2", ""),
        node("a", "gw", "not-an-ip", "10.244.0.0/24"),
        node("x", "other", "10.0.0.9", "10.244.9.0/24"),
        node("c", None, "10.0.0.3", "10.244.3.0/24"),
        node("d", "gw", "10.0.0.4", "bogus", metadata={"annotations": {"projectcalico.org/IPv4Address": "x"}}),
    ]
    gw = gateway("gw", ["b"], annotations={"raven.openyurt.io/extra-allowed-source-cidrs": "192.168.0.0/16, junk"})
    st = pickup(gw, nodes, ON, [BlockAffinity("d", "10.245.0.0/26", "confirmed"), BlockAffinity("d", "1.0.0.0/8", "x")])
    info = {n.node_name: (n.private_ip, n.subnets) for n in st.status.nodes or []}
    assert info == {
        "a": ("", ["10.244.0.0/24"]),
        "b": ("10.0.0.2", ["192.168.0.0/16"]),  # empty podCIDR skipped, extra CIDR appended
        "d": ("10.0.0.4", ["10.245.0.0/26"]),
    }
    assert [n.node_name for n in st.status.nodes or []] == ["a", "b", "d"]


def test_sticky_keeps_previous_in_spec_order_when_more_are_valid_than_replicas() -> None:
    nodes = [node(n, "gw", "10.0.0.1", None) for n in ["a", "b", "c"]]
    prev = {"activeEndpoints": [{"nodeName": "c", "type": "proxy"}, {"nodeName": "b", "type": "proxy"}]}
    gw = gateway("gw", [], tunnel=0, proxy=1, proxy_endpoints=["a", "b", "c"], status=prev)
    assert active(pickup(gw, nodes, ON).status) == [("b", "proxy")]


def test_election_copies_spec_writebacks() -> None:
    nodes = [node("a", "gw", "10.0.0.1", None)]
    gw = gateway("gw", ["a"])
    gw = gw.evolve(
        spec=gw.spec.evolve(endpoints=[gw.spec.endpoints[0].evolve(public_ip="1.2.3.4", config={"publicKey": "k"})])  # type: ignore[index]
    )
    ep = (pickup(gw, nodes, ON).status.active_endpoints or [])[0]
    assert ep.public_ip == "1.2.3.4" and ep.config == {"publicKey": "k", "enable-l3-tunnel": "true"}
