"""hubleaderrbac: the ClusterRole planner and the controller on the in-memory API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from openyurt.adapters.kube.protocols import ResourceType
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.hubleaderrbac import (
    HubLeaderRBACConfig,
    plan_hub_leader_rbac,
    rules_equal,
)
from openyurt.core.plans import Create, Update, wire
from tests.unit.manager.harness import Rig, nodepool

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
RBAC = "rbac.authorization.k8s.io/v1"
CLUSTER_ROLES = ResourceType(RBAC, "ClusterRole", "clusterroles", False)
SERVICES = {"group": "", "version": "v1", "resource": "services"}
SLICES = {"group": "discovery.k8s.io", "version": "v1", "resource": "endpointslices"}


def gvr(group: str, resource: str, version: str = "v1") -> dict[str, str]:
    return {"group": group, "version": version, "resource": resource}


def pool(name: str, *scope: dict[str, str]) -> NodePool:
    return NodePool.model_validate(nodepool(name, poolScopeMetadata=list(scope)))


def rule(group: str, *resources: str) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": list(resources), "verbs": ["list", "watch"]}


def role(rules: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": {"name": "yurt-hub-multiplexer", "resourceVersion": "7", **meta},
        "rules": rules,
    }


# ==================================================================================================
# Planner


def test_missing_role_is_created_with_the_union_merged_per_group() -> None:
    pools = [
        pool("a", SERVICES, SLICES, gvr("apps", "deployments")),
        pool("b", gvr("", "configmaps"), SERVICES, gvr("apps", "daemonsets", "v1beta1")),
        pool("c"),
    ]
    plan = plan_hub_leader_rbac(pools, None, now=NOW)
    assert isinstance(plan.op, Create)
    obj = wire(plan.op.obj)
    assert obj["metadata"] == {"name": "yurt-hub-multiplexer"}
    assert obj["rules"] == [
        rule("", "configmaps", "services"),
        rule("apps", "daemonsets", "deployments"),
        rule("discovery.k8s.io", "endpointslices"),
    ]


def test_no_pools_give_an_empty_role() -> None:
    plan = plan_hub_leader_rbac([], None, now=NOW, config=HubLeaderRBACConfig(cluster_role="other"))
    assert isinstance(plan.op, Create)
    assert wire(plan.op.obj)["metadata"]["name"] == "other"
    assert wire(plan.op.obj)["rules"] == []
    assert plan_hub_leader_rbac([], role([]), now=NOW).is_empty
    assert plan_hub_leader_rbac([], {**role([]), "rules": None}, now=NOW).is_empty


def test_equal_rules_in_another_order_are_left_alone() -> None:
    pools = [pool("a", SERVICES, gvr("", "pods"), SLICES)]
    shuffled = [
        {"verbs": ["watch", "list"], "resources": ["endpointslices"], "apiGroups": ["discovery.k8s.io"]},
        {"apiGroups": [""], "resources": ["services", "pods"], "verbs": ["list", "watch"], "resourceNames": []},
    ]
    assert plan_hub_leader_rbac(pools, role(shuffled), now=NOW).is_empty


@pytest.mark.parametrize(
    "rules",
    [
        [rule("", "services")],  # a resource missing
        [rule("", "services", "pods", "secrets")],  # one too many
        [rule("", "services", "pods"), rule("apps", "deployments")],  # a group too many
        [{**rule("", "services", "pods"), "verbs": ["get", "list", "watch"]}],  # a verb too many
        [{"apiGroups": ["", "apps"], "resources": ["services", "pods"], "verbs": ["list", "watch"]}],
    ],
)
def test_differing_rules_are_replaced_and_the_rest_is_kept(rules: list[dict[str, Any]]) -> None:
    existing = role(rules, labels={"team": "edge"})
    existing["aggregationRule"] = None
    plan = plan_hub_leader_rbac([pool("a", SERVICES, gvr("", "pods"))], existing, now=NOW)
    assert isinstance(plan.op, Update)
    obj = wire(plan.op.obj)
    assert obj["rules"] == [rule("", "pods", "services")]
    assert obj["metadata"] == existing["metadata"]  # resourceVersion kept: the update is a CAS
    assert "aggregationRule" in obj
    assert existing["rules"] == rules  # the input is not modified


def test_rules_equal_ignores_order_and_empty_fields() -> None:
    assert rules_equal([rule("", "a", "b"), rule("x", "c")], [rule("x", "c"), rule("", "b", "a")])
    assert rules_equal(None, [])
    assert not rules_equal([rule("", "a")], [rule("", "a"), rule("", "a")])
    assert not rules_equal([rule("", "a")], [{**rule("", "a"), "resourceNames": ["n"]}])


# ==================================================================================================
# Controller


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.stop()


def rules_of(rig: Rig) -> list[dict[str, Any]] | None:
    obj = rig.one("ClusterRole", "yurt-hub-multiplexer")
    return None if obj is None else list(obj.get("rules") or [])


async def test_role_follows_every_pools_scope(rig: Rig) -> None:
    rig.mem.register_type(CLUSTER_ROLES)
    await rig.mem.create(nodepool("a", poolScopeMetadata=[SERVICES, SLICES]))
    await rig.mem.create(nodepool("b", poolScopeMetadata=[SERVICES]))
    await rig.start("hubleaderrbac")
    await rig.until(lambda: rules_of(rig) == [rule("", "services"), rule("discovery.k8s.io", "endpointslices")])

    # pool b adds a resource of a new group and one of the core group
    b = rig.one("NodePool", "b")
    assert b is not None
    b["spec"]["poolScopeMetadata"] = [SERVICES, gvr("", "configmaps"), gvr("apps", "deployments")]
    await rig.mem.update(b)
    want = [rule("", "configmaps", "services"), rule("apps", "deployments"), rule("discovery.k8s.io", "endpointslices")]
    await rig.until(lambda: rules_of(rig) == want)

    # a pool leaves: what only it needed is no longer granted
    await rig.mem.delete("apps.openyurt.io/v1beta2", "NodePool", "b")
    await rig.until(lambda: rules_of(rig) == [rule("", "services"), rule("discovery.k8s.io", "endpointslices")])

    # a change elsewhere in a pool does not touch the role
    rv = (rig.one("ClusterRole", "yurt-hub-multiplexer") or {})["metadata"]["resourceVersion"]
    a = rig.one("NodePool", "a")
    assert a is not None
    a["spec"]["labels"] = {"x": "y"}
    await rig.mem.update(a)
    await rig.idle(10)
    assert (rig.one("ClusterRole", "yurt-hub-multiplexer") or {})["metadata"]["resourceVersion"] == rv
    assert rig.counts("hubleaderrbac").get("error", 0) == 0


async def test_hand_edited_role_is_repaired_at_the_next_pool_change(rig: Rig) -> None:
    rig.mem.register_type(CLUSTER_ROLES)
    edited = role([rule("", "secrets")], labels={"keep": "me"})
    del edited["metadata"]["resourceVersion"]
    await rig.mem.create(edited)
    await rig.start("hubleaderrbac")
    await rig.mem.create(nodepool("a", poolScopeMetadata=[SERVICES]))
    await rig.until(lambda: rules_of(rig) == [rule("", "services")])
    obj = rig.one("ClusterRole", "yurt-hub-multiplexer")
    assert obj is not None and obj["metadata"]["labels"] == {"keep": "me"}


async def test_server_without_clusterroles_leaves_the_controller_idle(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await rig.mem.create(nodepool("a", poolScopeMetadata=[SERVICES]))
    with caplog.at_level(logging.WARNING, logger="openyurt.runtime.manager.ctrl_hubleaderrbac"):
        await rig.start("hubleaderrbac-controller")
        await rig.until(lambda: rig.counts("hubleaderrbac-controller").get("success", 0) >= 1)
        await rig.mem.create(nodepool("b", poolScopeMetadata=[SLICES]))
        await rig.until(lambda: rig.counts("hubleaderrbac-controller").get("success", 0) >= 2)
        await rig.idle(10)
    assert rig.counts("hubleaderrbac-controller") == {"success": 2}
    assert rig.all("ClusterRole") == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ClusterRole" in warnings[0] and "yurt-hub-multiplexer" in warnings[0]
