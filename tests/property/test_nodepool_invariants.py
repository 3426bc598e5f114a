"""NodePool planner invariants (hypothesis).

- test_members_carry_pool_attributes: after applying the plan every member node has the pool's labels,
  annotations and taints (taint identity key+effect) and none of the keys the pool dropped since its
  previous spec.
- test_non_members_untouched: the plan never writes a node outside the pool.
- test_status_counts_add_up: readyNodeNum + unreadyNodeNum == len(nodes) and nodes is sorted.
- test_nodepool_plan_idempotent: applying the plan then planning again gives an empty plan.
- test_nodepool_plan_is_deterministic: equal inputs give equal plans.
- test_optimised_plan_equals_reference: plan_nodepool (pool side computed once) gives the plan of
  plan_nodepool_reference (node_patch on every member), for any config, host network and history.
- test_lookalike_nodes_plan_equals_reference: the same with many nodes of a few shapes (which share
  their patch parts), in any order.
- test_hubleader_and_nodebucket_deterministic / test_nodebucket_covers_members: equal inputs give equal
  plans; buckets cover exactly the members with at most N names each.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.api.core_v1 import Node
from openyurt.core.api.openyurt_apps_v1alpha1 import NodeBucket
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners import plan_hub_leaders, plan_node_buckets, plan_nodepool
from openyurt.core.planners._util import apply_steps, ref_of
from openyurt.core.planners.nodebucket import NodeBucketConfig
from openyurt.core.planners.nodepool import NodePoolConfig, PoolAttributes, plan_nodepool_reference
from tests.unit.planners.builders import NOW, node, pool

PREV = "nodepool.openyurt.io/previous-attributes"
KEYS = st.sampled_from(["a", "b", "c", "example.io/d"])
VALS = st.sampled_from(["1", "2", "x"])
TAINTS = st.lists(
    st.fixed_dictionaries(
        {"key": KEYS, "effect": st.sampled_from(["NoSchedule", "NoExecute"])},
        optional={"value": st.one_of(VALS, st.none()), "timeAdded": st.just("2025-01-01T00:00:00Z")},
    ),
    max_size=3,
    unique_by=lambda t: (t["key"], t["effect"]),
)
SPEC = st.builds(
    lambda labels, ann, taints: {"labels": labels, "annotations": ann, "taints": taints},
    st.dictionaries(KEYS, VALS, max_size=3),
    st.dictionaries(KEYS, VALS, max_size=3),
    TAINTS,
)


@st.composite
def clusters(draw: Any) -> tuple[NodePool, NodePool, list[Node]]:
    old_spec, new_spec = draw(SPEC), draw(SPEC)
    nodes = []
    for i in range(draw(st.integers(0, 6))):
        nodes.append(
            node(
                f"n{i}",
                draw(st.sampled_from(["p", "q", None])),
                ready=draw(st.sampled_from([True, False, None])),
                labels=draw(st.dictionaries(KEYS, VALS, max_size=2)),
                annotations=draw(st.dictionaries(KEYS, VALS, max_size=2)),
                taints=draw(TAINTS),
            )
        )
    return pool("p", spec=old_spec), pool("p", spec=new_spec), nodes


def _apply(p: NodePool, nodes: list[Node]) -> list[Node]:
    store = {ref_of(n): n.to_wire() for n in nodes}
    store = apply_steps(store, plan_nodepool(p, nodes, now=NOW).plan.patches)
    return [Node.model_validate(store[ref_of(n)]) for n in nodes]


@settings(max_examples=80, deadline=None)
@given(clusters())
def test_members_carry_pool_attributes(c: Any) -> None:
    old, new, nodes = c
    after = _apply(new, _apply(old, nodes))
    spec, old_spec = new.spec, old.spec
    for n in after:
        if (n.metadata.labels or {}).get("apps.openyurt.io/nodepool") != "p":
            continue
        labels, ann = n.metadata.labels or {}, n.metadata.annotations or {}
        assert all(labels.get(k) == v for k, v in (spec.labels or {}).items())
        assert all(ann.get(k) == v for k, v in (spec.annotations or {}).items())
        taints = {(t.key, t.effect) for t in (n.spec.taints if n.spec else None) or ()}
        assert {(t.key, t.effect) for t in spec.taints or ()} <= taints
        assert not (set(old_spec.labels or {}) - set(spec.labels or {})) & (set(labels) - {"apps.openyurt.io/nodepool"})
        assert not (set(old_spec.annotations or {}) - set(spec.annotations or {})) & set(ann)
        dropped = {(t.key, t.effect) for t in old_spec.taints or ()} - {(t.key, t.effect) for t in spec.taints or ()}
        assert not dropped & taints


@settings(max_examples=80, deadline=None)
@given(clusters())
def test_non_members_untouched(c: Any) -> None:
    _, new, nodes = c
    members = {n.name for n in nodes if (n.metadata.labels or {}).get("apps.openyurt.io/nodepool") == "p"}
    assert {s.ref.name for s in plan_nodepool(new, nodes, now=NOW).plan.patches if s.ref.kind == "Node"} <= members


@settings(max_examples=80, deadline=None)
@given(clusters())
def test_status_counts_add_up(c: Any) -> None:
    _, new, nodes = c
    plan = plan_nodepool(new, nodes, now=NOW)
    members = [n for n in nodes if (n.metadata.labels or {}).get("apps.openyurt.io/nodepool") == "p"]
    for st_update in plan.plan.status_updates:
        status = st_update.obj["status"]
        assert status["readyNodeNum"] + status["unreadyNodeNum"] == len(members)
        assert status.get("nodes", []) == sorted(n.name for n in members)


@settings(max_examples=80, deadline=None)
@given(clusters())
def test_nodepool_plan_idempotent(c: Any) -> None:
    _, new, nodes = c
    plan = plan_nodepool(new, nodes, now=NOW)
    after = _apply(new, nodes)
    status = plan.plan.status_updates[0].obj["status"] if plan.plan.status_updates else None
    new2 = new
    if status is not None:
        new2 = NodePool.model_validate({**new.to_wire(), "status": status})
    assert plan_nodepool(new2, after, now=NOW).is_empty


@settings(max_examples=50, deadline=None)
@given(clusters())
def test_nodepool_plan_is_deterministic(c: Any) -> None:
    _, new, nodes = c
    assert plan_nodepool(new, nodes, now=NOW) == plan_nodepool(new, list(reversed(nodes)), now=NOW)


@settings(max_examples=150, deadline=None)
@given(clusters(), st.booleans(), st.booleans(), st.booleans(), st.sampled_from([None, "", "true", "false"]))
def test_optimised_plan_equals_reference(c: Any, sync: bool, host: bool, label_host: bool, hn_value: Any) -> None:
    old, new, nodes = c
    if hn_value is not None:  # the host-network label pushed by a pool, or set on a node
        old = pool("p", spec={**old.to_wire()["spec"], "labels": {"nodepool.openyurt.io/hostnetwork": hn_value}})
        nodes = [*nodes, node("hn", "p", labels={"nodepool.openyurt.io/hostnetwork": hn_value})]
    new = pool("p", spec={**new.to_wire()["spec"], "hostNetwork": host, "type": "Edge"})
    cfg = NodePoolConfig(sync_node_attributes=sync, label_host_network=label_host)
    for members in (nodes, _apply(old, nodes), _apply(new, _apply(old, nodes))):
        assert plan_nodepool(new, members, now=NOW, config=cfg) == plan_nodepool_reference(
            new, members, now=NOW, config=cfg
        )


@st.composite
def lookalikes(draw: Any) -> list[dict[str, Any]]:
    """Up to 20 nodes (as builder arguments) mixing two label maps, two annotation maps and three
    taint lists (one the first with other values), each node with its own name, version, readiness
    and pool: many share a part of their patch, not all of it."""
    labels = draw(st.lists(st.dictionaries(KEYS, VALS, max_size=2), min_size=2, max_size=2))
    annotations = draw(st.lists(st.dictionaries(KEYS, VALS, max_size=2), min_size=2, max_size=2))
    taints = draw(st.lists(TAINTS, min_size=2, max_size=2))
    taints.append([{**t, "value": "other"} if "value" in t else {**t, "value": None} for t in taints[0]])
    return [
        {
            "name": f"n{draw(st.integers(0, 99)):02d}-{i}",
            "pool": draw(st.sampled_from(["p", "p", "q"])),
            "ready": draw(st.sampled_from([True, False, None])),
            "rv": draw(st.sampled_from([None, "1", "2"])),
            "labels": draw(st.sampled_from(labels)),
            "annotations": draw(st.sampled_from(annotations)),
            "taints": draw(st.sampled_from(taints)),
        }
        for i in range(draw(st.integers(0, 20)))
    ]


@settings(max_examples=100, deadline=None)
@given(SPEC, SPEC, lookalikes(), st.booleans())
def test_lookalike_nodes_plan_equals_reference(
    old_spec: Any, new_spec: Any, shapes: list[dict[str, Any]], host: bool
) -> None:
    old, new = pool("p", spec=old_spec), pool("p", spec={**new_spec, "hostNetwork": host})
    nodes = [node(**s) for s in shapes]
    # synced with the old pool, then edited back by hand (the pool's keys partly gone)
    prev = PoolAttributes.of_pool(old).encode()
    edited = [node(**{**s, "annotations": {**s["annotations"], PREV: prev}}) for s in shapes]
    for members in (nodes, _apply(old, nodes), edited):
        for cfg in (NodePoolConfig(), NodePoolConfig(label_host_network=False)):
            assert plan_nodepool(new, members, now=NOW, config=cfg) == plan_nodepool_reference(
                new, members, now=NOW, config=cfg
            )


@settings(max_examples=50, deadline=None)
@given(clusters(), st.integers(1, 3))
def test_hubleader_and_nodebucket_deterministic(c: Any, n: int) -> None:
    _, new, nodes = c
    p = NodePool.model_validate(
        {
            **new.to_wire(),
            "spec": {
                **new.to_wire()["spec"],
                "enableLeaderElection": True,
                "leaderElectionStrategy": "random",
                "leaderReplicas": n,
            },
        }
    )
    assert plan_hub_leaders(p, nodes, now=NOW) == plan_hub_leaders(p, nodes, now=NOW)
    assert plan_node_buckets(p, nodes, [], now=NOW) == plan_node_buckets(p, nodes, [], now=NOW)


@settings(max_examples=80, deadline=None)
@given(st.sets(st.integers(0, 40), max_size=30), st.sets(st.integers(0, 40), max_size=30), st.integers(1, 7))
def test_nodebucket_covers_members(before: set[int], now_members: set[int], cap: int) -> None:
    p = pool("p")
    cfg = NodeBucketConfig(max_nodes_per_bucket=cap)
    store: dict[Any, Any] = {}
    for members in (before, now_members):
        nodes = [node(f"n{i:02d}", "p") for i in sorted(members)]
        buckets = [NodeBucket.model_validate(v) for v in store.values()]
        store = apply_steps(store, plan_node_buckets(p, nodes, buckets, now=NOW, config=cfg).plan.steps())
        names = [x["name"] for b in store.values() for x in b["nodes"]]
        assert sorted(names) == sorted(f"n{i:02d}" for i in members)
        assert all(0 < b["numNodes"] == len(b["nodes"]) <= cap for b in store.values())
        buckets = [NodeBucket.model_validate(v) for v in store.values()]
        assert plan_node_buckets(p, nodes, buckets, now=NOW, config=cfg).is_empty
