"""Raven invariants: routing coverage on gateways, election uniqueness and stickiness, diff idempotence.

Topologies are generated as Gateways whose status is what the pickup controller would write (every
gateway eligible, keys published), so the properties exercise the agent-side planners on any shape:
2-4 domains of 1-3 nodes, random NAT flags, one exposed (central) domain or none.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openyurt.core.api.raven_v1beta1 import Gateway
from openyurt.core.raven.election import RavenSwitches, pickup
from openyurt.core.raven.network import AgentConfig, compute_network
from openyurt.core.raven.nodeplan import (
    EMPTY_STATE,
    HostState,
    MtuFacts,
    Route,
    apply_ops,
    build_plan,
    diff,
)
from tests.unit.raven.helpers import gateway, node

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ON = RavenSwitches(enable_proxy=True, enable_tunnel=True)


@st.composite
def topologies(draw: st.DrawFn) -> tuple[list[Gateway], AgentConfig]:
    n_gw = draw(st.integers(2, 4))
    central = draw(st.integers(-1, n_gw - 1))
    config = AgentConfig(
        forward_node_ip=draw(st.booleans()),
        nat_traversal=draw(st.booleans()),
        keep_alive_interval=draw(st.integers(0, 30)),
    )
    nat_types = ["Full cone NAT", "Restricted cone NAT", "Port Restricted cone NAT", "Symmetric NAT", "Undefined"]
    gws: list[Gateway] = []
    for g in range(n_gw):
        n_nodes = draw(st.integers(1, 3))
        under_nat = g != central and draw(st.booleans())
        aep = draw(st.integers(0, n_nodes - 1))
        names = [f"n{g}-{i}" for i in range(n_nodes)]
        endpoint: dict[str, Any] = {
            "nodeName": names[aep],
            "type": "tunnel",
            "port": 4500,
            "underNAT": under_nat,
            "publicIP": f"100.64.{g}.{aep + 1}",
            "publicPort": draw(st.integers(1024, 65535)),
            "natType": draw(st.sampled_from(nat_types)) if under_nat else "Open Internet (no NAT)",
            "config": {"publicKey": f"key-{g}"},
        }
        status = {
            "nodes": [
                {"nodeName": n, "privateIP": f"172.{16 + g}.0.{i + 1}", "subnets": [f"10.{g}.{i}.0/24"]}
                for i, n in enumerate(names)
            ],
            "activeEndpoints": [endpoint],
        }
        gw = gateway(f"gw{g}", names, status=status)
        spec = gw.spec.evolve(expose_type="PublicIP" if g == central else None)
        gws.append(gw.evolve(spec=spec))
    return gws, config


FACTS = MtuFacts(default_route_mtu=1500, underlay_mtu=1500)


@SETTINGS
@given(topologies())
def test_gateway_routes_every_remote_cidr_exactly_once_and_never_local(topo: tuple[list[Gateway], AgentConfig]) -> None:
    gws, config = topo
    for gw in gws:
        aep = (gw.status.active_endpoints or [])[0].node_name
        plan = build_plan(aep, compute_network(aep, gws, config), config, FACTS)
        assert plan.role == "gateway"
        routes = [i for i in plan.state.items if isinstance(i, Route) and i.table == 9028]
        if not routes:  # no peer can be built (e.g. NATed domains without a central one): nothing routed
            continue
        nets = [ipaddress.ip_network(r.dst) for r in routes]
        local = [ipaddress.ip_network(s) for n in gw.status.nodes or [] for s in n.subnets or []]
        for other in gws:
            if other.name == gw.name:
                continue
            for n in other.status.nodes or []:
                for s in n.subnets or []:
                    covering = [r for r in nets if ipaddress.ip_network(s).subnet_of(r)]  # type: ignore[arg-type]
                    assert len(covering) == 1, (s, nets)
        for r in nets:
            assert not any(r.overlaps(loc) for loc in local), (r, local)


@st.composite
def elections(draw: st.DrawFn) -> tuple[Gateway, list[Any]]:
    names = [f"n{i}" for i in range(draw(st.integers(1, 5)))]
    endpoints = draw(st.lists(st.sampled_from(names), min_size=1, max_size=5))
    labelled = {n: draw(st.booleans()) for n in names}
    ready = {n: draw(st.booleans()) for n in names}
    nodes = [node(n, "gw" if labelled[n] else "other", "10.0.0.1", "10.1.0.0/24", ready=ready[n]) for n in names]
    return gateway("gw", endpoints), nodes


@SETTINGS
@given(elections())
def test_exactly_one_tunnel_endpoint_when_a_labelled_endpoint_node_is_ready(case: tuple[Gateway, list[Any]]) -> None:
    gw, nodes = case
    status = pickup(gw, nodes, ON).status
    tunnels = [e for e in status.active_endpoints or [] if e.type == "tunnel"]
    candidates = {e.node_name for e in gw.spec.endpoints or []}
    eligible = {
        n.name
        for n in nodes
        if n.name in candidates
        and (n.metadata.labels or {}).get("raven.openyurt.io/gateway") == "gw"
        and n.status.conditions[0].status == "True"  # type: ignore[union-attr,index]
    }
    assert len(tunnels) == (1 if eligible else 0)
    assert all(t.node_name in eligible for t in tunnels)


@SETTINGS
@given(elections(), st.data())
def test_election_does_not_move_while_the_winner_stays_ready(
    case: tuple[Gateway, list[Any]], data: st.DataObject
) -> None:
    gw, nodes = case
    first = pickup(gw, nodes, ON).status
    tunnels = [e.node_name for e in first.active_endpoints or [] if e.type == "tunnel"]
    if not tunnels:
        return
    winner = tunnels[0]
    gw = gw.evolve(status=first)
    for _ in range(3):
        flipped = [
            n
            if n.name == winner
            else node(
                n.name,
                (n.metadata.labels or {})["raven.openyurt.io/gateway"],
                "10.0.0.1",
                None,
                data.draw(st.booleans()),
            )
            for n in nodes
        ]
        status = pickup(gw, flipped, ON).status
        assert [e.node_name for e in status.active_endpoints or [] if e.type == "tunnel"] == [winner]
        gw = gw.evolve(status=status)


def _plans(topo: tuple[list[Gateway], AgentConfig]) -> list[HostState]:
    gws, config = topo
    return [
        build_plan(n.node_name, compute_network(n.node_name, gws, config), config, FACTS).state
        for gw in gws
        for n in gw.status.nodes or []
    ]


@SETTINGS
@given(topologies())
def test_plan_is_idempotent(topo: tuple[list[Gateway], AgentConfig]) -> None:
    for state in _plans(topo):
        assert diff(state, state) == ()
        assert apply_ops(state, diff(state, state)) == state


@SETTINGS
@given(topologies(), topologies(), st.data())
def test_diff_reaches_the_desired_state_from_any_other_plan(
    a: tuple[list[Gateway], AgentConfig], b: tuple[list[Gateway], AgentConfig], data: st.DataObject
) -> None:
    current = data.draw(st.sampled_from([*_plans(a), EMPTY_STATE]))
    desired = data.draw(st.sampled_from([*_plans(b), EMPTY_STATE]))
    reached = apply_ops(current, diff(current, desired))
    assert reached == desired
    assert diff(reached, desired) == ()
