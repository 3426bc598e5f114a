"""raven.md §11 (WireGuard, NAT traversal off, MTU 1500 everywhere) as a table test of the planners."""

from __future__ import annotations

import pytest

from openyurt.core.raven.network import AgentConfig, central_gateway, compute_network, merge_cidrs
from openyurt.core.raven.nodeplan import (
    EMPTY_STATE,
    Address,
    Chain,
    ChainRule,
    Fdb,
    IpSetEntry,
    MtuFacts,
    Neighbour,
    NodePlan,
    Peer,
    Route,
    Rule,
    SkipNatPair,
    VxlanLink,
    WireGuardLink,
    build_plan,
    diff,
    mtu_probe_target,
)
from tests.unit.raven.worked_example import KEYS, gateways

CONFIG = AgentConfig()
FACTS = MtuFacts(default_route_mtu=1500, underlay_mtu=1500)


def plan_for(node: str) -> NodePlan:
    net = compute_network(node, gateways(), CONFIG)
    return build_plan(node, net, CONFIG, FACTS, public_key=KEYS.get(node, ""))


def kinds(plan: NodePlan, cls: type) -> set[object]:
    return {i for i in plan.state.items if isinstance(i, cls)}


def test_merged_subnets_and_central() -> None:
    net = compute_network("h1", gateways(), CONFIG)
    assert net.local is not None and net.local.subnets == ("10.244.2.0/23",)
    assert {r.gateway_name: r.subnets for r in net.remotes} == {
        "gw-cloud": ("10.244.0.0/23",),
        "gw-qd": ("10.244.4.0/23",),
    }
    central = central_gateway(net)
    assert central is not None and central.node_name == "c1"
    assert merge_cidrs(["10.244.1.0/24", "10.244.0.0/24", "bad", "", "10.244.0.0/25"]) == ("10.244.0.0/23",)


@pytest.mark.parametrize(
    ("node", "role", "probe"),
    [("h1", "gateway", "172.16.2.104"), ("h2", "member", "172.16.2.103"), ("c1", "gateway", "192.168.0.196")],
)
def test_roles_and_mtu_probe(node: str, role: str, probe: str) -> None:
    net = compute_network(node, gateways(), CONFIG)
    assert mtu_probe_target(net, node) == probe
    plan = plan_for(node)
    assert plan.role == role
    assert plan.mtu == 1420
    assert plan.writebacks == ()  # keys already published


def test_h1_gateway() -> None:
    plan = plan_for("h1")
    assert kinds(plan, WireGuardLink) == {WireGuardLink("raven-wg0", 4500, 1420)}
    assert kinds(plan, Peer) == {
        Peer("raven-wg0", KEYS["c1"], "47.0.0.1:4500", ("10.244.0.0/23", "10.244.4.0/23"), 5),
    }
    assert {r for r in kinds(plan, Route) if r.table == 9028} == {
        Route(9028, "10.244.0.0/23", "raven-wg0", mtu=1420),
        Route(9028, "10.244.4.0/23", "raven-wg0", mtu=1420),
    }
    assert kinds(plan, Rule) == {Rule(101, 9028), Rule(100, 9027, 0x40)}
    assert kinds(plan, SkipNatPair) == {
        SkipNatPair("10.244.2.0/23", "10.244.0.0/23"),
        SkipNatPair("10.244.0.0/23", "10.244.2.0/23"),
        SkipNatPair("10.244.2.0/23", "10.244.4.0/23"),
        SkipNatPair("10.244.4.0/23", "10.244.2.0/23"),
    }
    assert kinds(plan, VxlanLink) == {VxlanLink("raven0", 200, 4472, 1420, "aa:0f:f0:10:02:67", "172.16.2.103", None)}
    assert kinds(plan, Address) == {Address("raven0", "240.16.2.103/8")}
    assert kinds(plan, Fdb) == {Fdb("raven0", "aa:0f:f0:10:02:68", "172.16.2.104")}
    assert kinds(plan, Neighbour) == {Neighbour("raven0", "240.16.2.104", "aa:0f:f0:10:02:68")}
    assert {r for r in kinds(plan, Route) if r.table == 9027} == {
        Route(9027, "10.244.3.0/24", "raven0", via="240.16.2.104", onlink=True, mtu=1420)
    }
    assert {e.member for e in kinds(plan, IpSetEntry)} == {
        "10.244.0.0/24",
        "10.244.1.0/24",
        "10.244.4.0/24",
        "10.244.5.0/24",
    }
    mark_rule = next(r for r in kinds(plan, ChainRule) if r.chain == "RAVEN-MARK-CHAIN")
    assert mark_rule.args[:5] == ("-m", "set", "--match-set", "raven-mark-set", "src")
    skip_jump = next(r for r in kinds(plan, ChainRule) if r.table == "nat")
    assert skip_jump.first and skip_jump.chain == "POSTROUTING" and "raven-wg0" in skip_jump.args
    assert Chain("nat", "RAVEN-POSTROUTING") in plan.state.items


def test_h2_member() -> None:
    plan = plan_for("h2")
    assert kinds(plan, VxlanLink) == {
        VxlanLink("raven0", 200, 4472, 1420, "aa:0f:f0:10:02:68", "172.16.2.104", "172.16.2.103")
    }
    assert kinds(plan, Address) == {Address("raven0", "240.16.2.104/8")}
    assert kinds(plan, Fdb) == {Fdb("raven0", "aa:0f:f0:10:02:67", "172.16.2.103")}
    assert kinds(plan, Neighbour) == {Neighbour("raven0", "240.16.2.103", "aa:0f:f0:10:02:67")}
    assert kinds(plan, Route) == {Route(9027, "0.0.0.0/0", "raven0", via="240.16.2.103", onlink=True, mtu=1420)}
    assert kinds(plan, Rule) == {Rule(100, 9027, 0x40)}
    assert len(kinds(plan, IpSetEntry)) == 4
    mark_rule = next(r for r in kinds(plan, ChainRule) if r.chain == "RAVEN-MARK-CHAIN")
    assert mark_rule.args[4] == "dst"
    assert not kinds(plan, WireGuardLink) and not kinds(plan, Peer) and not kinds(plan, SkipNatPair)


def test_c1_central() -> None:
    plan = plan_for("c1")
    assert kinds(plan, Peer) == {
        Peer("raven-wg0", KEYS["h1"], "120.0.0.2:4500", ("10.244.2.0/23",), 5),
        Peer("raven-wg0", KEYS["q1"], "121.0.0.3:4500", ("10.244.4.0/23",), 5),
    }
    local_remote = {
        SkipNatPair(a, b)
        for loc, rem in [("10.244.0.0/23", "10.244.2.0/23"), ("10.244.0.0/23", "10.244.4.0/23")]
        for a, b in [(loc, rem), (rem, loc)]
    }
    raw = ["10.244.2.0/24", "10.244.3.0/24", "10.244.4.0/24", "10.244.5.0/24"]
    relayed = {SkipNatPair(a, b) for a in raw for b in raw if a != b}
    assert kinds(plan, SkipNatPair) == local_remote | relayed


def test_plan_is_its_own_fixed_point_and_teardown_removes_everything() -> None:
    for node in ("c1", "c2", "h1", "h2", "q1", "q2"):
        plan = plan_for(node)
        assert diff(plan.state, plan.state) == ()
        ops = diff(plan.state, EMPTY_STATE)
        assert {op.action for op in ops} <= {"delete"}
