"""NodeBucket sharding (node_bucket_controller.go, yurt-manager.md §7.3)."""

from __future__ import annotations

from typing import Any

from openyurt.core.api.openyurt_apps_v1alpha1 import NodeBucket
from openyurt.core.planners import plan_node_buckets
from openyurt.core.planners.nodebucket import NodeBucketConfig
from tests.unit.planners.builders import NOW, node, pool


def bucket(name: str, nodes: list[str], pool_name: str = "p") -> NodeBucket:
    return NodeBucket.model_validate(
        {
            "apiVersion": "apps.openyurt.io/v1alpha1",
            "kind": "NodeBucket",
            "metadata": {"name": name, "labels": {"openyurt.io/pool-name": pool_name}, "resourceVersion": "1"},
            "numNodes": len(nodes),
            "nodes": [{"name": n} for n in nodes],
        }
    )


def _members(objs: Any) -> list[list[str]]:
    return [[n["name"] for n in o["nodes"]] for o in objs]


def test_new_pool_is_split_into_buckets_of_at_most_n() -> None:
    nodes = [node(f"n{i:03d}", "p") for i in range(250)] + [node("x", "other")]
    plan = plan_node_buckets(pool("p"), nodes, [], now=NOW)
    objs = [c.obj for c in plan.creates]
    assert [o["numNodes"] for o in objs] == [100, 100, 50]
    assert all(o["metadata"]["name"].startswith("p-") and len(o["metadata"]["name"]) == 8 for o in objs)
    assert all(o["metadata"]["labels"] == {"openyurt.io/pool-name": "p"} for o in objs)
    assert objs[0]["metadata"]["ownerReferences"][0]["kind"] == "NodePool"
    assert len({o["metadata"]["name"] for o in objs}) == 3


def test_departed_nodes_removed_and_new_ones_top_up() -> None:
    b1 = bucket("p-aaaaaa", ["a", "b", "c"])
    plan = plan_node_buckets(
        pool("p"),
        [node(n, "p") for n in ("a", "c", "d")],
        [b1],
        now=NOW,
        config=NodeBucketConfig(max_nodes_per_bucket=3),
    )
    assert _members(u.obj for u in plan.updates) == [["a", "c", "d"]]
    assert plan.updates[0].obj["metadata"]["resourceVersion"] == "1"


def test_tightest_unchanged_bucket_absorbs_and_emptied_bucket_deleted() -> None:
    buckets = [bucket("p-big", ["a", "b", "c"]), bucket("p-small", ["d"]), bucket("p-gone", ["z"])]
    nodes = [node(n, "p") for n in ("a", "b", "c", "d", "e")]
    plan = plan_node_buckets(pool("p"), nodes, buckets, now=NOW, config=NodeBucketConfig(max_nodes_per_bucket=4))
    assert [(u.obj["metadata"]["name"], u.obj["numNodes"]) for u in plan.updates] == [("p-big", 4)]
    assert [d.ref.name for d in plan.deletes] == ["p-gone"]


def test_emptied_bucket_is_recycled_for_new_nodes() -> None:
    buckets = [bucket("p-full", ["a", "b"]), bucket("p-old", ["z"])]
    nodes = [node(n, "p") for n in ("a", "b", "c", "d")]
    plan = plan_node_buckets(pool("p"), nodes, buckets, now=NOW, config=NodeBucketConfig(max_nodes_per_bucket=2))
    assert plan.creates == () and plan.deletes == ()
    assert [(u.obj["metadata"]["name"], u.obj["numNodes"]) for u in plan.updates] == [("p-old", 2)]


def test_steady_state_is_empty() -> None:
    nodes = [node(n, "p") for n in ("a", "b")]
    assert plan_node_buckets(pool("p"), nodes, [bucket("p-x", ["a", "b"])], now=NOW).is_empty
