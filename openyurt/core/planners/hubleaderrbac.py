"""ClusterRole ``yurt-hub-multiplexer``: what a leader YurtHub may list and watch for its pool.

A leader hub serves its pool the resources named in ``spec.poolScopeMetadata``, so it must be allowed
to list and watch them. The role covers the union over *all* pools (one role, bound cluster-wide):
one PolicyRule per API group with that group's resources (sorted, unique; versions do not matter to
RBAC) and verbs ``list``, ``watch``, rules ordered by group, as hubleaderrbac-controller writes them.
The role is created when missing and its ``rules`` replaced when they differ as sets (rule order and
list order inside a rule do not count); every other field of an existing role is kept.

We do not model ``rbac.authorization.k8s.io`` kinds, so the role is read and written as wire data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from openyurt.core import wellknown
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.plans import EMPTY_PLAN, Create, Plan, Update

RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
CLUSTER_ROLE_KIND = "ClusterRole"
VERBS = ("list", "watch")


@attrs.frozen
class HubLeaderRBACConfig:
    #: name of the ClusterRole leader hubs are bound to
    cluster_role: str = wellknown.CLUSTERROLE_YURT_HUB_MULTIPLEXER


@attrs.frozen
class PolicyRule:
    """One rule of the role: ``list``/``watch`` on ``resources`` of one API group ("" is core)."""

    api_group: str
    resources: tuple[str, ...]

    def to_wire(self) -> dict[str, Any]:
        return {"apiGroups": [self.api_group], "resources": list(self.resources), "verbs": list(VERBS)}


@attrs.frozen(hash=False)
class HubLeaderRBACPlan:
    rules: tuple[PolicyRule, ...] = ()
    op: Create | Update | None = None

    @property
    def plan(self) -> Plan:
        return Plan.of((self.op,)) if self.op is not None else EMPTY_PLAN

    @property
    def is_empty(self) -> bool:
        return self.op is None


def pool_scope_rules(pools: Iterable[NodePool]) -> tuple[PolicyRule, ...]:
    """The union of every pool's ``poolScopeMetadata`` as rules: per group, sorted unique resources."""
    by_group: dict[str, set[str]] = {}
    for pool in pools:
        for gvr in (pool.spec.pool_scope_metadata if pool.spec is not None else None) or ():
            by_group.setdefault(gvr.group, set()).add(gvr.resource)
    return tuple(PolicyRule(group, tuple(sorted(res))) for group, res in sorted(by_group.items()))


def _normal(rules: Any) -> list[tuple[tuple[str, tuple[str, ...]], ...]]:
    """Rules as comparable data that ignores list order (within a rule and among rules) and empty fields."""
    out: list[tuple[tuple[str, tuple[str, ...]], ...]] = []
    for rule in rules if isinstance(rules, list) else []:
        fields: list[tuple[str, tuple[str, ...]]] = []
        if not isinstance(rule, Mapping):
            fields.append(("", (repr(rule),)))
        else:
            for key, value in sorted(rule.items()):
                items = value if isinstance(value, list) else [] if value is None else [value]
                if items:
                    fields.append((str(key), tuple(sorted(str(v) for v in items))))
        out.append(tuple(fields))
    return sorted(out)


def rules_equal(a: Any, b: Any) -> bool:
    """Equal as sets of rules; a missing or null ``rules`` equals an empty list."""
    return _normal(a or []) == _normal(b or [])


def plan_hub_leader_rbac(
    pools: Sequence[NodePool],
    existing_clusterrole: Mapping[str, Any] | None,
    *,
    now: datetime,
    config: HubLeaderRBACConfig | None = None,
) -> HubLeaderRBACPlan:
    """Create the role if missing, replace its rules when they differ from the pools' union."""
    del now
    config = config or HubLeaderRBACConfig()
    rules = pool_scope_rules(pools)
    wire_rules = [r.to_wire() for r in rules]
    if existing_clusterrole is None:
        obj = {
            "apiVersion": RBAC_API_VERSION,
            "kind": CLUSTER_ROLE_KIND,
            "metadata": {"name": config.cluster_role},
            "rules": wire_rules,
        }
        return HubLeaderRBACPlan(rules, Create(obj))
    if rules_equal(existing_clusterrole.get("rules"), wire_rules):
        return HubLeaderRBACPlan(rules)
    updated = copy.deepcopy(dict(existing_clusterrole))
    updated["rules"] = wire_rules
    return HubLeaderRBACPlan(rules, Update(updated))


__all__ = [
    "CLUSTER_ROLE_KIND",
    "RBAC_API_VERSION",
    "HubLeaderRBACConfig",
    "HubLeaderRBACPlan",
    "PolicyRule",
    "plan_hub_leader_rbac",
    "pool_scope_rules",
    "rules_equal",
]
