"""nodepool, hubleader, hubleaderconfig and nodebucket controllers on the in-memory API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from openyurt.errors import make_error
from tests.unit.manager.harness import Rig, node, nodepool


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.stop()


async def test_pool_attributes_follow_the_pool_and_status_counts(rig: Rig) -> None:
    await rig.mem.create(
        nodepool("hz", labels={"region": "hz"}, taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])
    )
    await rig.mem.create(node("n1", "hz"))
    await rig.mem.create(node("n2", "hz", ready=False))
    await rig.mem.create(node("other"))
    await rig.start("nodepool")

    def synced() -> bool:
        pool = rig.one("NodePool", "hz") or {}
        st = pool.get("status") or {}
        n1 = rig.one("Node", "n1") or {}
        return st.get("nodes") == ["n1", "n2"] and n1["metadata"]["labels"].get("region") == "hz"

    await rig.until(synced)
    pool = rig.one("NodePool", "hz")
    assert pool is not None
    assert pool["status"]["readyNodeNum"] == 1 and pool["status"]["unreadyNodeNum"] == 1
    assert pool["metadata"]["labels"]["nodepool.openyurt.io/type"] == "edge"
    n1 = rig.one("Node", "n1")
    assert n1 is not None
    assert n1["spec"]["taints"] == [{"key": "k", "value": "v", "effect": "NoSchedule"}]
    prev = json.loads(n1["metadata"]["annotations"]["nodepool.openyurt.io/previous-attributes"])
    assert prev["labels"] == {"region": "hz"}
    assert "region" not in (rig.one("Node", "other") or {})["metadata"].get("labels", {})

    # the pool drops its label and taint: they leave the nodes
    pool["spec"]["labels"] = {}
    pool["spec"]["taints"] = []
    await rig.mem.update(pool)
    await rig.until(lambda: "region" not in (rig.one("Node", "n1") or {})["metadata"]["labels"])
    await rig.until(lambda: not ((rig.one("Node", "n1") or {}).get("spec") or {}).get("taints"))

    # a node readiness flip and a node leaving are counted
    n2 = rig.one("Node", "n2")
    assert n2 is not None
    n2["status"]["conditions"][0]["status"] = "True"
    await rig.mem.update_status(n2)
    await rig.until(lambda: ((rig.one("NodePool", "hz") or {}).get("status") or {}).get("readyNodeNum") == 2)
    await rig.mem.delete("v1", "Node", "n1")
    await rig.until(lambda: ((rig.one("NodePool", "hz") or {}).get("status") or {}).get("nodes") == ["n2"])
    assert rig.counts("nodepool").get("error", 0) == 0


async def test_write_failure_requeues_until_it_succeeds(rig: Rig) -> None:
    await rig.mem.create(nodepool("p", labels={"a": "b"}))
    await rig.mem.create(node("n1", "p"))
    failures = {"left": 3}
    real_patch = rig.mem.patch

    async def flaky_patch(*args, **kwargs):  # type: ignore[no-untyped-def]
        if args[1] == "Node" and failures["left"] > 0:
            failures["left"] -= 1
            raise make_error(503, "ServiceUnavailable", "try later")
        return await real_patch(*args, **kwargs)

    rig.mem.patch = flaky_patch  # type: ignore[method-assign]
    await rig.start("nodepool")
    await rig.until(lambda: (rig.one("Node", "n1") or {})["metadata"]["labels"].get("a") == "b")
    assert rig.counts("nodepool")["error"] >= 3
    assert failures["left"] == 0


async def test_hub_leaders_and_config(rig: Rig) -> None:
    await rig.mem.create(nodepool("p", enableLeaderElection=True, leaderElectionStrategy="random", leaderReplicas=1))
    await rig.mem.create(node("a", "p", ip="10.0.0.1"))
    await rig.mem.create(node("b", "p", ip="10.0.0.2"))
    await rig.start("hubleader", "hubleaderconfig")

    def leaders() -> list[dict[str, str]]:
        return list(((rig.one("NodePool", "p") or {}).get("status") or {}).get("leaderEndpoints") or [])

    await rig.until(lambda: len(leaders()) == 1)
    await rig.until(
        lambda: ((rig.one("ConfigMap", "leader-hub-p", "kube-system") or {}).get("data") or {}).get("leaders")
    )
    cm = rig.one("ConfigMap", "leader-hub-p", "kube-system")
    assert cm is not None
    leader = leaders()[0]
    assert cm["data"]["leaders"] == f"{leader['nodeName']}/{leader['address']}"
    assert cm["data"]["enable-leader-election"] == "true"
    # the leader goes NotReady: the other node takes over and the ConfigMap follows
    lead = rig.one("Node", leader["nodeName"])
    assert lead is not None
    lead["status"]["conditions"][0]["status"] = "False"
    await rig.mem.update_status(lead)
    await rig.until(lambda: leaders() and leaders()[0]["nodeName"] != leader["nodeName"])
    await rig.until(
        lambda: leader["nodeName"] not in (rig.one("ConfigMap", "leader-hub-p", "kube-system") or {})["data"]["leaders"]
    )
    # a hand-deleted ConfigMap comes back
    await rig.mem.delete("v1", "ConfigMap", "leader-hub-p", "kube-system")
    await rig.until(lambda: rig.one("ConfigMap", "leader-hub-p", "kube-system") is not None)


async def test_unsupported_strategy_is_terminal(rig: Rig) -> None:
    pool = nodepool("p", enableLeaderElection=True, leaderElectionStrategy="random")
    await rig.mem.create(pool)
    await rig.mem.create(node("a", "p"))
    # an invalid strategy only a broken webhook lets through: write it behind the model's back
    obj = await rig.mem.get("apps.openyurt.io/v1beta2", "NodePool", "p")
    rig.mem._objects[("apps.openyurt.io/v1beta2", "NodePool", "", "p")]["spec"]["leaderElectionStrategy"] = "weird"
    del obj
    await rig.start("hubleader")
    await rig.until(lambda: rig.counts("hubleader").get("terminal_error", 0) == 1)
    await rig.idle(60)
    assert rig.counts("hubleader") == {"terminal_error": 1}
    events = rig.all("Event")
    assert [e["reason"] for e in events] == ["ReconcileError"]


async def test_node_buckets(rig: Rig) -> None:
    await rig.mem.create(nodepool("p"))
    for i in range(5):
        await rig.mem.create(node(f"n{i}", "p"))
    from openyurt.runtime.manager import ctrl_nodebucket

    ctrl_nodebucket_workers = ctrl_nodebucket.WORKERS
    assert ctrl_nodebucket_workers >= 1
    await rig.start("nodebucket")

    def bucket_nodes() -> list[str]:
        return sorted(n["name"] for b in rig.all("NodeBucket") for n in b.get("nodes") or [])

    await rig.until(lambda: bucket_nodes() == [f"n{i}" for i in range(5)])
    await rig.idle(10)
    assert len(rig.all("NodeBucket")) == 1
    await rig.mem.delete("v1", "Node", "n0")
    await rig.until(lambda: bucket_nodes() == [f"n{i}" for i in range(1, 5)])
    assert rig.all("NodeBucket")[0]["numNodes"] == 4
