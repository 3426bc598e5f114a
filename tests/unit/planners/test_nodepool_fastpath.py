"""NodePool planner: the one-pass planner (PoolSync) against plan_nodepool_reference, case by case.

The property tests draw random clusters; these are the cases the fast path special-cases (nodes
that share their patch parts, the usual taint kinds and the others, an unsorted input), named so a
failure says which one broke.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from openyurt.core.api.core_v1 import Node, Taint
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners import plan_nodepool
from openyurt.core.planners._util import apply_steps, ref_of
from openyurt.core.planners.nodepool import NodePoolConfig, PoolAttributes, plan_nodepool_reference
from tests.unit.planners.builders import NOW, node, pool

PREV = "nodepool.openyurt.io/previous-attributes"
HN = "nodepool.openyurt.io/hostnetwork"
SPEC: dict[str, Any] = {
    "labels": {"region": "r1", "zone": "z1"},
    "annotations": {"owner": "me"},
    "taints": [{"key": "edge", "value": "true", "effect": "NoSchedule"}, {"key": "dedicated", "effect": "NoExecute"}],
}
OLD_SPEC: dict[str, Any] = {
    "labels": {"region": "r0", "gone": "x"},
    "annotations": {"old-anno": "y"},
    "taints": [{"key": "edge", "value": "true", "effect": "NoExecute"}, {"key": "old", "effect": "NoSchedule"}],
}
CONFIGS = [
    NodePoolConfig(),
    NodePoolConfig(sync_node_attributes=False),
    NodePoolConfig(label_host_network=False),
    NodePoolConfig(sync_node_attributes=False, label_host_network=False, label_pool_type=False),
]


def _prev(spec: dict[str, Any]) -> str:
    return PoolAttributes.of_pool(pool("p", spec=spec)).encode()


CASES: dict[str, list[Node]] = {
    "no previous attributes": [node(f"n{i}", "p") for i in range(3)],
    "in sync": [node("n", "p", labels=SPEC["labels"], annotations={PREV: _prev(SPEC)}, taints=SPEC["taints"])],
    "hand-edited label, annotation in sync": [
        node("n", "p", labels={"region": "edited"}, annotations={PREV: _prev(SPEC)})
    ],
    "pool changed since": [
        node(
            f"n{i}",
            "p",
            labels={**OLD_SPEC["labels"], "own": str(i % 2)},
            annotations={**OLD_SPEC["annotations"], PREV: _prev(OLD_SPEC)},
            taints=[*OLD_SPEC["taints"], {"key": "mine", "effect": "NoSchedule"}],
            rv=str(i),
        )
        for i in range(4)
    ],
    "taint effect changed": [
        node(
            "n",
            "p",
            annotations={PREV: _prev(OLD_SPEC)},
            taints=[{"key": "edge", "value": "true", "effect": "NoExecute"}],
        )
    ],
    "dropped taint comes back equal": [
        node(
            "n",
            "p",
            annotations={PREV: '{"taints":[{"key":"edge","value":"true","effect":"NoSchedule"}]}'},
            taints=[
                {"key": "edge", "value": "true", "effect": "NoSchedule"},
                {"key": "dedicated", "effect": "NoExecute"},
            ],
        )
    ],
    "unusual taints": [
        node("a", "p", taints=[{"key": "t", "effect": "NoSchedule", "timeAdded": "2025-01-01T00:00:00Z"}]),
        node("b", "p", taints=[{"key": "t", "value": None, "effect": "NoSchedule"}]),
        node("c", "p", taints=[{"key": "t", "effect": "NoSchedule", "extra": "kept"}]),
        node("d", "p", taints=[{"key": "t", "effect": "NoSchedule"}]),
        node("e", "p", taints=[{"key": "t", "value": "v", "effect": "NoSchedule"}]),
        # built, not parsed: its extra key is not among the fields set
        node("f", "p", taints=[Taint.model_construct(key="t", effect="NoSchedule", extra="kept")]),  # type: ignore[list-item]
    ],
    "pool taint already there with another value": [
        node("n", "p", taints=[{"key": "edge", "value": "other", "effect": "NoSchedule"}]),
    ],
    "unreadable previous attributes": [
        node("a", "p", annotations={PREV: "not json"}),
        node("b", "p", annotations={PREV: "[1]"}),
        node("c", "p", annotations={PREV: ""}),
    ],
    "other pools and NotReady": [
        node("a", "q"),
        node("b"),
        node("c", "p", ready=False),
        node("d", "p", ready=None),
    ],
    "host-network label": [
        node("a", "p", labels={HN: "true"}),
        node("b", "p", labels={HN: "false"}),
        node("c", "p", labels={HN: "true"}, annotations={PREV: _prev(SPEC)}),
        node("d", "p", annotations={PREV: _prev({"labels": {HN: "true"}})}),
    ],
}


def _pools() -> list[NodePool]:
    return [
        pool("p", spec=SPEC),
        pool("p", spec={**SPEC, "hostNetwork": True, "type": "Edge"}),
        pool("p", spec={"labels": {HN: "false"}, "hostNetwork": True}),
        pool("p", spec={"taints": [{"key": "edge", "effect": "NoSchedule"}, {"key": "edge", "effect": "NoSchedule"}]}),
        pool("p"),
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_equals_reference(case: str) -> None:
    nodes = CASES[case]
    for p in _pools():
        for cfg in CONFIGS:
            assert plan_nodepool(p, nodes, now=NOW, config=cfg) == plan_nodepool_reference(
                p, nodes, now=NOW, config=cfg
            )


def test_lookalike_nodes_in_any_order() -> None:
    """Many nodes of a few shapes (so patch parts are shared), unsorted, before and after a sync."""
    rnd = random.Random(7)
    shapes = [nodes[0] for nodes in CASES.values()]
    nodes = []
    for i in range(60):
        data = rnd.choice(shapes).to_wire()
        data["metadata"]["name"] = f"n{rnd.randrange(1000):03d}-{i}"
        data["metadata"]["resourceVersion"] = rnd.choice([None, str(i)])
        data["metadata"]["labels"]["apps.openyurt.io/nodepool"] = rnd.choice(["p", "p", "q"])
        nodes.append(Node.model_validate(data))
    p = pool("p", spec={**SPEC, "hostNetwork": True})
    store = apply_steps({ref_of(n): n.to_wire() for n in nodes}, plan_nodepool(p, nodes, now=NOW).plan.patches)
    synced = [Node.model_validate(v) for v in store.values()]
    for members in (nodes, synced, list(reversed(synced))):
        for other in _pools():
            assert plan_nodepool(other, members, now=NOW) == plan_nodepool_reference(other, members, now=NOW)
    assert plan_nodepool(p, synced, now=NOW).plan.patches == ()


def test_shared_parts_do_not_carry_a_resource_version() -> None:
    """Two look-alike nodes share labels/annotations/taints, not the metadata holding the version."""
    a, b = (
        node("a", "p", taints=[{"key": "k", "effect": "NoSchedule"}]),
        node("b", "p", taints=[{"key": "k", "effect": "NoSchedule"}], rv="9"),
    )
    first, second = plan_nodepool(pool("p", spec=SPEC), [a, b], now=NOW).plan.patches
    assert "resourceVersion" not in first.patch["metadata"]
    assert second.patch["metadata"]["resourceVersion"] == "9"
    assert first.patch["spec"] == second.patch["spec"]
