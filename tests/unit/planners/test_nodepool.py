"""NodePool planner: upstream's util_test.go (TestConcilateNode, TestConciliateNodePoolStatus) and the
full-reconcile check of nodepool_controller_test.go, plus hostNetwork/type labelling."""

from __future__ import annotations

from typing import Any

import pytest

from openyurt.core.api.core_v1 import Node
from openyurt.core.planners import plan_nodepool
from openyurt.core.planners._util import apply_steps, ref_of
from openyurt.core.planners.nodepool import NodePoolConfig, PoolAttributes, conciliate_node
from tests.unit.planners.builders import NOW, node, pool

PREV = "nodepool.openyurt.io/previous-attributes"
POOL_SPEC: dict[str, Any] = {
    "labels": {"poollabel1": "value1", "poollabel2": "value2"},
    "annotations": {"poolanno1": "value1", "poolanno2": "value2"},
    "taints": [{"key": "poolkey1", "value": "value1", "effect": "NoSchedule"}],
}


def _keys(taints: list[dict[str, Any]]) -> list[str]:
    return [t["key"] for t in taints]


def test_node_has_no_pool_attributes() -> None:
    n = node(
        "n",
        "p",
        labels={"label1": "v", "label2": "v"},
        annotations={"anno1": "v"},
        taints=[{"key": "key1", "value": "v", "effect": "NoSchedule"}],
    )
    ch = conciliate_node(n, pool("p", spec=POOL_SPEC))
    assert ch.changed
    assert set(ch.labels) == {"label1", "label2", "poollabel1", "poollabel2", "apps.openyurt.io/nodepool"}
    assert set(ch.annotations) == {"anno1", "poolanno1", "poolanno2", PREV}
    assert _keys(ch.taints) == ["key1", "poolkey1"]


def test_node_has_some_pool_attributes() -> None:
    prev = (
        '{"labels":{"label2":"v"},"annotations":{"anno2":"v","anno3":"v"},'
        '"taints":[{"key":"key1","effect":"NoSchedule"}]}'
    )
    n = node(
        "n",
        "p",
        labels={"label1": "v", "label2": "v"},
        annotations={"anno1": "v", "anno2": "v", "anno3": "v", PREV: prev},
        taints=[
            {"key": "key1", "effect": "NoSchedule"},
            {"key": "key2", "effect": "NoSchedule"},
            {"key": "key3", "effect": "NoExecute"},
        ],
    )
    ch = conciliate_node(n, pool("p", spec=POOL_SPEC))
    assert ch.changed
    assert set(ch.labels) - {"apps.openyurt.io/nodepool"} == {"label1", "poollabel1", "poollabel2"}
    assert set(ch.annotations) == {"anno1", "poolanno1", "poolanno2", PREV}
    assert _keys(ch.taints) == ["key2", "key3", "poolkey1"]


def test_pool_attributes_not_changed() -> None:
    p = pool("p", spec=POOL_SPEC)
    n = node("n", "p", labels={"poollabel1": "value1"}, annotations={PREV: PoolAttributes.of_pool(p).encode()})
    ch = conciliate_node(n, p)
    assert not ch.changed
    assert plan_nodepool(p, [n], now=NOW).plan.patches == ()


def test_pool_has_duplicated_attributes() -> None:
    n = node(
        "n", "p", labels={"label2": "v"}, annotations={"anno1": "v"}, taints=[{"key": "key1", "effect": "NoSchedule"}]
    )
    p = pool(
        "p",
        spec={
            "labels": {"label2": "v", "poollabel2": "v"},
            "annotations": {"anno1": "v"},
            "taints": [{"key": "key1", "effect": "NoSchedule"}],
        },
    )
    (patch,) = plan_nodepool(p, [n], now=NOW).plan.patches
    assert patch.patch["metadata"]["labels"] == {"poollabel2": "v"}
    assert set(patch.patch["metadata"]["annotations"]) == {PREV}
    assert "spec" not in patch.patch


def test_conciliate_status_cases() -> None:
    nodes = [node(f"r{i}", "p") for i in range(5)] + [node(f"u{i}", "p", ready=False) for i in range(2)]
    stale = pool("p", status={"readyNodeNum": 2, "unreadyNodeNum": 3})
    (st,) = plan_nodepool(stale, nodes, now=NOW).plan.status_updates
    assert st.obj["status"] == {
        "readyNodeNum": 5,
        "unreadyNodeNum": 2,
        "nodes": ["r0", "r1", "r2", "r3", "r4", "u0", "u1"],
    }
    same = pool("p", status=st.obj["status"])
    assert plan_nodepool(same, nodes, now=NOW).plan.status_updates == ()
    assert plan_nodepool(pool("p", status={"readyNodeNum": 0, "unreadyNodeNum": 0, "nodes": []}), [], now=NOW).is_empty
    assert plan_nodepool(pool("p"), [], now=NOW).is_empty


def test_full_reconcile_beijing_byte_exact_annotation() -> None:
    p = pool("beijing", spec={"labels": {"region": "beijing"}})
    nodes = [node("node3", "beijing", ready=None), node("node4", "beijing"), node("node5", "shanghai")]
    plan = plan_nodepool(p, nodes, now=NOW)
    assert plan.plan.status_updates[0].obj["status"] == {
        "readyNodeNum": 1,
        "unreadyNodeNum": 1,
        "nodes": ["node3", "node4"],
    }
    assert [x.ref.name for x in plan.plan.patches] == ["node3", "node4"]
    for x in plan.plan.patches:
        assert x.patch["metadata"]["labels"] == {"region": "beijing"}
        assert x.patch["metadata"]["annotations"][PREV] == '{"labels":{"region":"beijing"}}'


def test_keys_dropped_from_the_pool_leave_the_node() -> None:
    p1 = pool("p", spec={"labels": {"a": "1", "b": "2"}, "taints": [{"key": "t", "effect": "NoSchedule"}]})
    n = node("n", "p", labels={"own": "x"})
    store = {ref_of(n): n.to_wire()}
    store = apply_steps(store, plan_nodepool(p1, [n], now=NOW).plan.patches)
    from openyurt.core.api.core_v1 import Node

    n2 = Node.model_validate(store[ref_of(n)])
    assert n2.metadata.labels == {"own": "x", "apps.openyurt.io/nodepool": "p", "a": "1", "b": "2"}
    p2 = pool("p", spec={"labels": {"a": "1"}})
    store = apply_steps(store, plan_nodepool(p2, [n2], now=NOW).plan.patches)
    n3 = Node.model_validate(store[ref_of(n)])
    assert n3.metadata.labels == {"own": "x", "apps.openyurt.io/nodepool": "p", "a": "1"}
    assert not (n3.spec and n3.spec.taints)


def test_taint_identity_is_key_and_effect_and_list_patch_has_precondition() -> None:
    prev = '{"taints":[{"key":"t","value":"old","effect":"NoSchedule"}]}'
    n = node("n", "p", annotations={PREV: prev}, taints=[{"key": "t", "value": "old", "effect": "NoSchedule"}], rv="42")
    p = pool("p", spec={"taints": [{"key": "t", "value": "new", "effect": "NoSchedule"}]})
    (patch,) = plan_nodepool(p, [n], now=NOW).plan.patches
    assert patch.patch["spec"]["taints"] == [{"key": "t", "value": "new", "effect": "NoSchedule"}]
    assert patch.patch["metadata"]["resourceVersion"] == "42"


def test_previous_attributes_taint_field_order() -> None:
    p = pool(
        "p",
        spec={
            "taints": [{"effect": "NoSchedule", "timeAdded": "2025-01-01T00:00:00Z", "key": "k", "value": "v"}],
            "annotations": {"b": "<x>", "a": "1"},
        },
    )
    assert PoolAttributes.of_pool(p).encode() == (
        '{"annotations":{"a":"1","b":"\\u003cx\\u003e"},'
        '"taints":[{"key":"k","value":"v","effect":"NoSchedule","timeAdded":"2025-01-01T00:00:00Z"}]}'
    )


def test_host_network_and_type_labels() -> None:
    p = pool("p", spec={"type": "Edge", "hostNetwork": True})
    plan = plan_nodepool(p, [node("n", "p")], now=NOW)
    (pool_patch, node_patch) = plan.plan.patches
    assert pool_patch.patch == {"metadata": {"labels": {"nodepool.openyurt.io/type": "edge"}}}
    assert node_patch.patch["metadata"]["labels"]["nodepool.openyurt.io/hostnetwork"] == "true"
    off = plan_nodepool(
        p,
        [node("n", "p")],
        now=NOW,
        config=NodePoolConfig(sync_node_attributes=False, label_host_network=False, label_pool_type=False),
    )
    assert off.plan.patches == ()


def test_non_members_are_untouched() -> None:
    p = pool("p", spec={"labels": {"a": "1"}})
    plan = plan_nodepool(p, [node("x", "other"), node("y")], now=NOW)
    assert plan.plan.patches == () and plan.members == ()


HN = "nodepool.openyurt.io/hostnetwork"


@pytest.mark.parametrize("old_value", ["true", "false"])
@pytest.mark.parametrize("host", [True, False])
@pytest.mark.parametrize("new_labels", [{}, {HN: "false"}, {"x": "1"}])
def test_fast_plan_matches_reference_on_host_network_edges(old_value: str, host: bool, new_labels: Any) -> None:
    """The host-network label dropped by the old pool and put back by setdefault, or set by the pool."""
    from openyurt.core.planners.nodepool import plan_nodepool_reference

    old = pool("p", spec={"labels": {HN: old_value}, "annotations": {PREV: "odd"}})
    new = pool("p", spec={"labels": new_labels, "hostNetwork": host})
    nodes = [node("a", "p"), node("b", "p", labels={HN: "true"}), node("c", "p", annotations={PREV: "not json"})]
    store = apply_steps({ref_of(n): n.to_wire() for n in nodes}, plan_nodepool(old, nodes, now=NOW).plan.patches)
    after = [Node.model_validate(store[ref_of(n)]) for n in nodes]
    for members in (nodes, after):
        assert plan_nodepool(new, members, now=NOW) == plan_nodepool_reference(new, members, now=NOW)
