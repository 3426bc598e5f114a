"""hubleaderrbac planner invariants (hypothesis).

- test_role_grants_exactly_the_pool_scope: after applying the plan the role grants ``list``/``watch`` on
  every (group, resource) of every pool's poolScopeMetadata and on nothing else, one rule per group,
  rules ordered by group with sorted unique resources; metadata other than ``rules`` is kept.
- test_plan_is_deterministic: equal inputs give equal plans, whatever the order of pools and entries.
- test_plan_is_idempotent: planning again on the role the plan produced (in any rule order) is empty.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners.hubleaderrbac import plan_hub_leader_rbac
from openyurt.core.plans import wire
from tests.unit.planners.builders import NOW, pool

GROUPS = st.sampled_from(["", "apps", "discovery.k8s.io", "example.io"])
VERSIONS = st.sampled_from(["v1", "v1beta1"])
RESOURCES = st.sampled_from(["services", "endpointslices", "configmaps", "deployments", "widgets"])
GVRS = st.lists(st.builds(lambda g, v, r: {"group": g, "version": v, "resource": r}, GROUPS, VERSIONS, RESOURCES))
RULES = st.lists(
    st.fixed_dictionaries(
        {
            "apiGroups": st.lists(GROUPS, min_size=1, max_size=2),
            "resources": st.lists(RESOURCES, min_size=1, max_size=3),
            "verbs": st.lists(st.sampled_from(["get", "list", "watch"]), min_size=1, max_size=3),
        }
    ),
    max_size=4,
)


@st.composite
def inputs(draw: Any) -> tuple[list[NodePool], dict[str, Any] | None]:
    pools = [
        pool(f"p{i}", spec={"type": "Edge", "poolScopeMetadata": draw(GVRS)} if draw(st.booleans()) else None)
        for i in range(draw(st.integers(0, 4)))
    ]
    existing = None
    if draw(st.booleans()):
        existing = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "yurt-hub-multiplexer", "resourceVersion": "3", "labels": {"a": "b"}},
            "rules": draw(RULES),
        }
    return pools, existing


def _after(pools: list[NodePool], existing: dict[str, Any] | None) -> dict[str, Any]:
    plan = plan_hub_leader_rbac(pools, existing, now=NOW)
    if plan.op is None:
        assert existing is not None
        return existing
    return wire(plan.op.obj)


def _wanted(pools: list[NodePool]) -> set[tuple[str, str]]:
    return {(g.group, g.resource) for p in pools for g in (p.spec.pool_scope_metadata if p.spec else None) or ()}


@settings(max_examples=150, deadline=None)
@given(inputs())
def test_role_grants_exactly_the_pool_scope(c: Any) -> None:
    pools, existing = c
    role = _after(pools, existing)
    rules = role.get("rules") or []
    granted = set()
    for rule in rules:
        assert sorted(rule["verbs"]) == ["list", "watch"]
        assert len(rule["apiGroups"]) == 1
        assert set(rule) <= {"apiGroups", "resources", "verbs"}
        granted |= {(rule["apiGroups"][0], r) for r in rule["resources"]}
    assert granted == _wanted(pools)
    if existing is None or plan_hub_leader_rbac(pools, existing, now=NOW).op is not None:
        groups = [r["apiGroups"][0] for r in rules]
        assert groups == sorted(set(groups))
        assert all(r["resources"] == sorted(set(r["resources"])) for r in rules)
    if existing is not None:
        assert role["metadata"] == existing["metadata"]


@settings(max_examples=100, deadline=None)
@given(inputs(), st.randoms(use_true_random=False))
def test_plan_is_deterministic(c: Any, rnd: random.Random) -> None:
    pools, existing = c
    shuffled = []
    for p in pools:
        data = p.to_wire()
        if (data.get("spec") or {}).get("poolScopeMetadata"):
            rnd.shuffle(data["spec"]["poolScopeMetadata"])
        shuffled.append(NodePool.model_validate(data))
    rnd.shuffle(shuffled)
    first = plan_hub_leader_rbac(pools, existing, now=NOW)
    assert first == plan_hub_leader_rbac(pools, existing, now=NOW)
    assert first == plan_hub_leader_rbac(shuffled, existing, now=NOW)


@settings(max_examples=100, deadline=None)
@given(inputs(), st.randoms(use_true_random=False))
def test_plan_is_idempotent(c: Any, rnd: random.Random) -> None:
    pools, existing = c
    role = _after(pools, existing)
    assert plan_hub_leader_rbac(pools, role, now=NOW).is_empty
    reordered = [{k: list(reversed(v)) for k, v in r.items()} for r in role.get("rules") or []]
    rnd.shuffle(reordered)
    assert plan_hub_leader_rbac(pools, {**role, "rules": reordered}, now=NOW).is_empty
