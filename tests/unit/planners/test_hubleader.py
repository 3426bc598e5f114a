"""Hub leader election (hubleader_controller_test.go cases) and the leader-hub-<pool> ConfigMap."""

from __future__ import annotations

import random
from typing import Any

import pytest

from openyurt.core.api.core_v1 import ConfigMap
from openyurt.core.planners import plan_hub_leaders, plan_leader_hub_config
from tests.unit.planners.builders import NOW, node, pool

MARK = {"apps.openyurt.io/leader": "true"}
NODES = [
    node("ready with internal IP", "hangzhou", ip="10.0.0.1"),
    node("not ready", "hangzhou", ready=False, ip="10.0.0.9"),
    node("no ip", "hangzhou"),
    node("leader-1", "shanghai", labels=MARK, ip="10.0.0.2"),
    node("leader-2", "shanghai", labels=MARK, ip="10.0.0.5"),
    node("marked not ready", "shanghai", labels=MARK, ready=False, ip="10.0.0.3"),
    node("ready unmarked", "shanghai", ip="10.0.0.4"),
]


def _pool(name: str, **spec: Any) -> Any:
    status = spec.pop("status", None)
    return pool(
        name,
        spec={"enableLeaderElection": True, "leaderElectionStrategy": "random", "leaderReplicas": 1, **spec},
        status=status,
    )


def _leaders(plan: Any) -> list[dict[str, str]]:
    return plan.status.obj["status"].get("leaderEndpoints", [])


def test_random_strategy() -> None:
    plan = plan_hub_leaders(_pool("hangzhou"), NODES, now=NOW)
    assert _leaders(plan) == [{"nodeName": "ready with internal IP", "address": "10.0.0.1"}]
    assert plan.status.obj["status"]["leaderNum"] == 1  # type: ignore[union-attr]
    assert plan.status.obj["status"]["leaderLastElectedTime"] == "2025-03-01T12:00:00Z"  # type: ignore[union-attr]


def test_mark_strategy() -> None:
    p = _pool("shanghai", leaderElectionStrategy="mark", leaderNodeLabelSelector=MARK, leaderReplicas=2)
    plan = plan_hub_leaders(p, NODES, now=NOW)
    assert sorted(x["nodeName"] for x in _leaders(plan)) == ["leader-1", "leader-2"]


def test_mark_strategy_without_marked_nodes_elects_nobody() -> None:
    p = _pool("hangzhou", leaderElectionStrategy="mark", leaderNodeLabelSelector=MARK)
    plan = plan_hub_leaders(p, NODES, now=NOW)
    assert plan.is_empty and plan.error is None


def test_disabled_election_clears_leaders() -> None:
    p = _pool(
        "shanghai",
        enableLeaderElection=False,
        status={"leaderEndpoints": [{"nodeName": "leader-1", "address": "10.0.0.2"}], "leaderNum": 1},
    )
    plan = plan_hub_leaders(p, NODES, now=NOW)
    assert "leaderEndpoints" not in plan.status.obj["status"]  # type: ignore[union-attr]
    assert plan.status.obj["status"]["leaderNum"] == 0  # type: ignore[union-attr]


def test_empty_strategy_is_an_error() -> None:
    plan = plan_hub_leaders(_pool("hangzhou", leaderElectionStrategy=""), NODES, now=NOW)
    assert plan.error and plan.status is None
    assert [(e.type, e.reason) for e in plan.events] == [("Warning", "ReconcileError")]


def test_fewer_replicas_keep_the_first_listed_leader() -> None:
    leaders = [{"nodeName": "leader-2", "address": "10.0.0.5"}, {"nodeName": "leader-1", "address": "10.0.0.2"}]
    p = _pool(
        "shanghai",
        leaderElectionStrategy="mark",
        leaderNodeLabelSelector=MARK,
        leaderReplicas=1,
        status={"leaderEndpoints": leaders, "leaderNum": 2},
    )
    assert _leaders(plan_hub_leaders(p, NODES, now=NOW)) == [leaders[0]]


def test_unchanged_leaders_write_nothing_and_rng_is_used_when_given() -> None:
    p = _pool("shanghai", status={"leaderEndpoints": [{"nodeName": "leader-1", "address": "10.0.0.2"}]})
    assert plan_hub_leaders(p, NODES, now=NOW).is_empty
    picks = {
        _leaders(plan_hub_leaders(_pool("shanghai"), NODES, now=NOW, rng=random.Random(s)))[0]["nodeName"]
        for s in range(20)
    }
    assert picks <= {"leader-1", "leader-2", "ready unmarked"} and len(picks) > 1


@pytest.mark.parametrize("existing", [None, {"leaders": "stale"}])
def test_leader_hub_configmap(existing: dict[str, str] | None) -> None:
    p = _pool(
        "shanghai",
        interConnectivity=True,
        poolScopeMetadata=[
            {"group": "discovery.k8s.io", "version": "v1", "resource": "endpointslices"},
            {"group": "", "version": "v1", "resource": "services"},
        ],
        status={"leaderEndpoints": [{"nodeName": "b", "address": "2"}, {"nodeName": "a", "address": "1"}]},
    )
    cm = (
        None
        if existing is None
        else ConfigMap.model_validate(
            {
                "metadata": {"name": "leader-hub-shanghai", "namespace": "kube-system", "resourceVersion": "3"},
                "data": existing,
            }
        )
    )
    plan = plan_leader_hub_config(p, cm, now=NOW)
    assert plan.op is not None
    obj = plan.op.obj
    assert obj["data"] == {
        "leaders": "a/1,b/2",
        "pool-scoped-metadata": "/v1/services,discovery.k8s.io/v1/endpointslices",
        "interconnectivity": "true",
        "enable-leader-election": "true",
    }
    if existing is None:
        assert obj["metadata"]["labels"] == {"openyurt.io/configmap-name": "leader-hub-shanghai"}
        assert obj["metadata"]["ownerReferences"][0]["kind"] == "NodePool"
        again = ConfigMap.model_validate(obj)
        assert plan_leader_hub_config(p, again, now=NOW).is_empty
    else:
        assert plan.op.op == "update" and obj["metadata"]["resourceVersion"] == "3"
