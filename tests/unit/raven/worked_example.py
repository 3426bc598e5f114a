"""raven.md §11 topology as Gateway objects (shared by the table test and the CLI test)."""

from __future__ import annotations

from typing import Any

from openyurt.core.api.raven_v1beta1 import Gateway

KEYS = {"c1": "Yzk+Y2MxY2MxY2MxY2MxY2MxY2MxY2MxY2MxY2MxY2M=", "h1": "aDE=", "q1": "cTE="}


def _gateway(name: str, expose: str, nat: bool, nodes: list[tuple[str, str, str]], public: str) -> dict[str, Any]:
    aep_node = nodes[0][0]
    endpoint = {
        "nodeName": aep_node,
        "type": "tunnel",
        "port": 4500,
        "underNAT": nat,
        "publicIP": public,
        "config": {"publicKey": KEYS[aep_node], "enable-l3-tunnel": "true"},
    }
    spec: dict[str, Any] = {
        "tunnelConfig": {"Replicas": 1},
        "proxyConfig": {"Replicas": 0},
        "endpoints": [dict(endpoint, config={"publicKey": KEYS[aep_node]})],
    }
    if expose:
        spec["exposeType"] = expose
    return {
        "apiVersion": "raven.openyurt.io/v1beta1",
        "kind": "Gateway",
        "metadata": {"name": name},
        "spec": spec,
        "status": {
            "nodes": [{"nodeName": n, "privateIP": ip, "subnets": [cidr]} for n, ip, cidr in nodes],
            "activeEndpoints": [endpoint],
        },
    }


def gateways_wire() -> list[dict[str, Any]]:
    return [
        _gateway(
            "gw-cloud",
            "PublicIP",
            False,
            [("c1", "192.168.0.195", "10.244.0.0/24"), ("c2", "192.168.0.196", "10.244.1.0/24")],
            "47.0.0.1",
        ),
        _gateway(
            "gw-hz",
            "",
            True,
            [("h1", "172.16.2.103", "10.244.2.0/24"), ("h2", "172.16.2.104", "10.244.3.0/24")],
            "120.0.0.2",
        ),
        _gateway(
            "gw-qd",
            "",
            True,
            [("q1", "172.16.1.89", "10.244.4.0/24"), ("q2", "172.16.1.90", "10.244.5.0/24")],
            "121.0.0.3",
        ),
    ]


def gateways() -> list[Gateway]:
    return [Gateway.model_validate(g) for g in gateways_wire()]
