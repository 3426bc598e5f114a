"""Where a pod may run: the filters of kube-scheduler that matter to OpenYurt's pools.

A pool-scoped workload reaches its nodes through ``nodeSelector`` or required node affinity on the
``apps.openyurt.io/nodepool`` label, and the node lifecycle keeps pods off dead nodes with taints; so
the simulated scheduler checks readiness, ``unschedulable``, nodeSelector, required node affinity
(matchExpressions In/NotIn/Exists/DoesNotExist/Gt/Lt, matchFields on ``metadata.name``) and
NoSchedule/NoExecute taints against tolerations (PreferNoSchedule is a preference: ignored). Among
fitting nodes the one with the fewest pods wins, ties by name, so placement is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openyurt.core import wellknown
from openyurt.core.sim._wire import condition_true, dict_list, labels_of, name_of, spec

#: Effects that keep a pod off a node unless tolerated.
HARD_EFFECTS = (wellknown.TAINT_EFFECT_NO_SCHEDULE, wellknown.TAINT_EFFECT_NO_EXECUTE)


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``: effect (empty = all), key (empty + Exists = all), operator."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    if not key:
        return operator == "Exists"
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def first_toleration(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for t in tolerations:
        if tolerates(t, taint):
            return t
    return None


def untolerated_taints(
    tolerations: Sequence[Mapping[str, Any]], taints: Iterable[Mapping[str, Any]], effects: Sequence[str] = HARD_EFFECTS
) -> list[Mapping[str, Any]]:
    """The taints with one of ``effects`` that no toleration tolerates."""
    return [t for t in taints if t.get("effect") in effects and first_toleration(tolerations, t) is None]


def node_taints(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return dict_list(spec(node).get("taints"))


def requirement_matches(req: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One NodeSelectorRequirement against a label set (an unknown operator matches nothing)."""
    key = str(req.get("key") or "")
    op = req.get("operator")
    values = [str(v) for v in req.get("values") or []]
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        if not present or len(values) != 1:
            return False
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def term_matches(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """A NodeSelectorTerm: all its requirements hold; a term with none matches no node."""
    exprs = dict_list(term.get("matchExpressions"))
    fields = dict_list(term.get("matchFields"))
    if not exprs and not fields:
        return False
    labels = labels_of(node)
    if not all(requirement_matches(r, labels) for r in exprs):
        return False
    node_fields = {"metadata.name": name_of(node)}
    return all(r.get("key") in node_fields and requirement_matches(r, node_fields) for r in fields)


def required_affinity_matches(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Required node affinity: any of the terms (ORed); no affinity at all matches every node."""
    affinity = pod_spec.get("affinity") or {}
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") if node_affinity else None
    if not isinstance(required, Mapping):
        return True
    return any(term_matches(t, node) for t in dict_list(required.get("nodeSelectorTerms")))


def node_selector_matches(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    selector = pod_spec.get("nodeSelector") or {}
    labels = labels_of(node)
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


def node_is_ready(node: Mapping[str, Any]) -> bool:
    return condition_true(node, wellknown.CONDITION_READY)


_UNSCHEDULABLE_TAINT = {"key": wellknown.TAINT_NODE_UNSCHEDULABLE_NATIVE, "effect": wellknown.TAINT_EFFECT_NO_SCHEDULE}


def placement_problem(pod_spec: Mapping[str, Any], node: Mapping[str, Any], *, need_ready: bool = True) -> str | None:
    """Why the pod may not go to ``node`` (a short reason), or None when it fits."""
    tolerations = dict_list(pod_spec.get("tolerations"))
    if need_ready and not node_is_ready(node):
        return "NodeNotReady"
    if spec(node).get("unschedulable") and first_toleration(tolerations, _UNSCHEDULABLE_TAINT) is None:
        return "NodeUnschedulable"
    if not node_selector_matches(pod_spec, node):
        return "NodeSelectorMismatch"
    if not required_affinity_matches(pod_spec, node):
        return "NodeAffinityMismatch"
    if untolerated_taints(tolerations, node_taints(node)):
        return "TaintNotTolerated"
    return None


def choose_node(pod_spec: Mapping[str, Any], nodes: Iterable[Mapping[str, Any]], load: Mapping[str, int]) -> str | None:
    """The fitting node with the fewest pods (``load``: pods per node name), ties by name; or None."""
    fitting = [name_of(n) for n in nodes if placement_problem(pod_spec, n) is None]
    if not fitting:
        return None
    return min(fitting, key=lambda n: (load.get(n, 0), n))


def wants_default_scheduler(pod: Mapping[str, Any]) -> bool:
    """A pending pod for us: no node yet, not terminating, scheduler default or empty."""
    s = spec(pod)
    if s.get("nodeName"):
        return False
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return (s.get("schedulerName") or "default-scheduler") == "default-scheduler"
