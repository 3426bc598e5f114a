"""``openyurt raven plan`` prints the same plan as the planner, from files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from openyurt.runtime.raven.cli import raven_app
from tests.unit.raven.helpers import node
from tests.unit.raven.worked_example import KEYS, gateways_wire


def test_plan_for_worked_example(tmp_path: Path) -> None:
    gw_file = tmp_path / "gateways.yaml"
    gw_file.write_text(yaml.safe_dump_all(gateways_wire()))
    result = CliRunner().invoke(
        raven_app, ["plan", "--gateways", str(gw_file), "--node", "h1", "--public-key", KEYS["h1"]]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["role"] == "gateway" and data["mtu"] == 1420 and data["writebacks"] == []
    peers = [i for i in data["items"] if i["kind"] == "peer"]
    assert peers == [
        {
            "kind": "peer",
            "dev": "raven-wg0",
            "public_key": KEYS["c1"],
            "endpoint": "47.0.0.1:4500",
            "allowed_ips": ["10.244.0.0/23", "10.244.4.0/23"],
            "keepalive": 5,
        }
    ]


def test_plan_recomputes_status_from_nodes(tmp_path: Path) -> None:
    wire = gateways_wire()
    for g in wire:
        g.pop("status")
    nodes = [
        node("c1", "gw-cloud", "192.168.0.195", "10.244.0.0/24").to_wire(),
        node("h1", "gw-hz", "172.16.2.103", "10.244.2.0/24").to_wire(),
        node("h2", "gw-hz", "172.16.2.104", "10.244.3.0/24").to_wire(),
    ]
    (tmp_path / "g.yaml").write_text(yaml.safe_dump_all(wire))
    (tmp_path / "n.json").write_text(json.dumps({"apiVersion": "v1", "kind": "NodeList", "items": nodes}))
    (tmp_path / "cfg.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "raven-cfg"},
                "data": {"enable-l3-tunnel": "true"},
            }
        )
    )
    args = ["plan", "--gateways", str(tmp_path / "g.yaml"), "--nodes", str(tmp_path / "n.json")]
    result = CliRunner().invoke(raven_app, [*args, "--config", str(tmp_path / "cfg.yaml"), "--node", "h2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["role"] == "member"
    routes = [i for i in data["items"] if i["kind"] == "route"]
    assert [(r["table"], r["dst"], r["via"]) for r in routes] == [(9027, "0.0.0.0/0", "240.16.2.103")]
