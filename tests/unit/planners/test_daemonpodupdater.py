"""daemon-pod-updater: AdvancedRollingUpdate and OTA (daemon_pod_updater_controller.go, util.go, pod_util.go).

Cases from the upstream tests (yurt-manager reference §9.4.1) with the outputs derived from the
algorithm; node choice is only asserted where the order is ours (sorted by node name).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from openyurt.core.api.apps_v1 import ControllerRevision, DaemonSet
from openyurt.core.api.core_v1 import Node, Pod
from openyurt.core.planners import plan_daemon_pod_update
from openyurt.core.planners._util import apply_steps, format_time, ref_of
from openyurt.core.planners.daemonpodupdater import (
    BURST_REPLICAS,
    DaemonPodUpdateConfig,
    DaemonPodUpdatePlan,
    latest_revision_hash,
    max_unavailable,
    merge_pod_condition,
    pod_is_latest,
    target_node_name,
    update_mode,
)
from tests.unit.planners.builders import NOW, node

NS = "default"
DS_UID = "uid-ds"
NEW_HASH = "7b9d5c6f4"
OLD_HASH = "5f6c8d9b7"
NEW_GEN = "2"
OLD_GEN = "1"


# ==================================================================================================
# Builders (also used by tests/property/test_daemonpodupdater_invariants.py)


def daemonset(
    *,
    strategy: str | None = "AdvancedRollingUpdate",
    max_unavailable: str | None = None,
    on_delete: bool = True,
    min_ready: int | None = None,
    desired: int | None = None,
    deleting: bool = False,
) -> DaemonSet:
    annotations = {"deprecated.daemonset.template.generation": NEW_GEN}
    if strategy is not None:
        annotations["apps.openyurt.io/update-strategy"] = strategy
    if max_unavailable is not None:
        annotations["apps.openyurt.io/max-unavailable"] = max_unavailable
    meta: dict[str, Any] = {"name": "ds", "namespace": NS, "uid": DS_UID, "annotations": annotations}
    if deleting:
        meta["deletionTimestamp"] = "2025-03-01T11:00:00Z"
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "ds"}},
        "template": {
            "metadata": {"labels": {"app": "ds"}},
            "spec": {"containers": [{"name": "c", "image": "foo/bar:v2"}]},
        },
        "updateStrategy": {"type": "OnDelete" if on_delete else "RollingUpdate"},
    }
    if min_ready is not None:
        spec["minReadySeconds"] = min_ready
    data: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta, "spec": spec}
    if desired is not None:
        data["status"] = {"desiredNumberScheduled": desired}
    return DaemonSet.model_validate(data)


def revision(hash_: str, number: int, *, owner_uid: str = DS_UID, label: bool = True) -> ControllerRevision:
    meta: dict[str, Any] = {
        "name": f"ds-{hash_}",
        "namespace": NS,
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "uid": owner_uid, "controller": True}
        ],
    }
    if label:
        meta["labels"] = {"controller-revision-hash": hash_}
    return ControllerRevision.model_validate(
        {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta, "revision": number}
    )


REVISIONS = [revision(OLD_HASH, 1), revision(NEW_HASH, 2)]


def dpod(
    name: str,
    node_name: str | None,
    *,
    latest: bool = False,
    ready: bool = True,
    ready_since: timedelta = timedelta(hours=1),
    terminating: bool = False,
    owner_uid: str = DS_UID,
    conditions: list[dict[str, Any]] | None = None,
    pinned_to: str | None = None,
) -> Pod:
    """A pod of ``ds``: new (``latest``) or old template, Ready since ``ready_since`` before NOW."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": NS,
        "uid": f"uid-{name}",
        "resourceVersion": "7",
        "labels": {
            "app": "ds",
            "controller-revision-hash": NEW_HASH if latest else OLD_HASH,
            "pod-template-generation": NEW_GEN if latest else OLD_GEN,
        },
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "uid": owner_uid, "controller": True}
        ],
    }
    if terminating:
        meta["deletionTimestamp"] = "2025-03-01T11:59:00Z"
    spec: dict[str, Any] = {"containers": [{"name": "c"}]}
    if node_name:
        spec["nodeName"] = node_name
    if pinned_to:
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [pinned_to]}]}
                    ]
                }
            }
        }
    ready_cond = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "lastTransitionTime": format_time(NOW - ready_since),
    }
    status = {"phase": "Running", "conditions": [ready_cond, *(conditions or [])]}
    return Pod.model_validate({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status})


def plan(ds: DaemonSet, pods: list[Pod], nodes: list[Node], **kw: Any) -> DaemonPodUpdatePlan:
    return plan_daemon_pod_update(ds, pods, nodes, kw.pop("revisions", REVISIONS), now=kw.pop("now", NOW), **kw)


def deleted(p: DaemonPodUpdatePlan) -> list[str]:
    return [d.target.name for d in p.plan.deletes]


def cluster(n: int, *, ready: int | None = None, latest: int = 0) -> tuple[list[Node], list[Pod]]:
    """``n`` nodes (the first ``ready`` of them Ready), one available pod each (the first ``latest`` new)."""
    ready = n if ready is None else ready
    nodes = [node(f"node-{i:02d}", ready=i < ready) for i in range(n)]
    pods = [dpod(f"ds-{i:02d}", f"node-{i:02d}", latest=i < latest) for i in range(n)]
    return nodes, pods


# ==================================================================================================
# max-unavailable


@pytest.mark.parametrize(
    ("value", "nodes", "expected"),
    [
        ("0", 10, 1),
        ("0%", 10, 1),
        ("10%", 10, 1),
        ("20%", 10, 2),
        ("90%", 10, 9),
        ("95%", 10, 10),
        ("100%", 10, 10),
        ("50%", 3, 2),
        ("1", 3, 1),
        (None, 10, 1),
        ("", 10, 1),
        (None, 25, 3),
        ("20", 10, 20),  # an integer is not capped at the node count
        ("+2", 10, 2),
        ("+0", 10, 1),
        ("1%", 0, 0),
    ],
)
def test_max_unavailable_table(value: str | None, nodes: int, expected: int) -> None:
    assert max_unavailable(daemonset(max_unavailable=value), nodes) == expected


@pytest.mark.parametrize("value", ["abc", "-1", "-5%", " 2", "2.5%", "%", "1e3", "1_0"])
def test_invalid_max_unavailable_names_the_annotation(value: str) -> None:
    with pytest.raises(ValueError, match=re.escape("apps.openyurt.io/max-unavailable")):
        max_unavailable(daemonset(max_unavailable=value), 10)
    nodes, pods = cluster(3)
    p = plan(daemonset(max_unavailable=value), pods, nodes)
    assert p.error is not None and "apps.openyurt.io/max-unavailable" in p.error and repr(value) in p.error
    assert not p.plan


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 1), ("0%", 1), ("10%", 1), ("20%", 2), ("90%", 9), ("95%", 10), ("100%", 10)]
)
def test_budget_counts_nodes_hosting_pods(value: str, expected: int) -> None:
    nodes, pods = cluster(10)
    p = plan(daemonset(max_unavailable=value), pods, nodes)
    assert p.max_unavailable == expected
    assert len(p.plan.deletes) == expected


# ==================================================================================================
# AdvancedRollingUpdate


def test_two_not_ready_nodes_are_skipped() -> None:
    """Upstream row "success with 2 nodes not-ready": only the Ready node's pod goes."""
    nodes = [node("node-ready-1"), node("node-not-ready-1", ready=False), node("node-not-ready-2", ready=False)]
    pods = [dpod("ds-a", "node-ready-1"), dpod("ds-b", "node-not-ready-1"), dpod("ds-c", "node-not-ready-2")]
    p = plan(daemonset(max_unavailable="1"), pods, nodes)
    assert deleted(p) == ["ds-a"]
    assert p.skipped_nodes == ("node-not-ready-1", "node-not-ready-2")
    assert p.plan.deletes[0].uid == "uid-ds-a"
    assert p.plan.deletes[0].target.namespace == NS
    assert [(e.reason, e.message, e.ref.kind, e.ref.name) for e in p.events] == [
        ("SuccessfulDelete", "Deleted pod: ds-a", "DaemonSet", "ds")
    ]


@pytest.mark.parametrize(
    ("ready", "value", "expected"),
    [(3, "1", 1), (3, "50%", 2), (2, "1", 1), (0, "100%", 0), (3, "100%", 3)],
)
def test_upstream_rows_with_the_annotation(ready: int, value: str, expected: int) -> None:
    nodes, pods = cluster(3, ready=ready)
    p = plan(daemonset(max_unavailable=value), pods, nodes)
    assert len(p.plan.deletes) == expected
    ready_nodes = {n.name for n in nodes[:ready]}
    hosts = {q.name: q.spec.node_name for q in pods if q.spec is not None}
    assert all(hosts[name] in ready_nodes for name in deleted(p))


@pytest.mark.parametrize("strategy", ["AdvancedRollingUpdate", "advancedrollingupdate", "Auto", "auto", "AUTO"])
def test_strategy_values_are_case_insensitive_and_auto_is_an_alias(strategy: str) -> None:
    nodes, pods = cluster(3)
    p = plan(daemonset(strategy=strategy, max_unavailable="1"), pods, nodes)
    assert p.mode == "AdvancedRollingUpdate"
    assert deleted(p) == ["ds-00"]  # nodes in name order


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"strategy": None}, False),
        ({"on_delete": False}, False),
        ({"deleting": True}, False),
        ({"strategy": "UnknownStrategy"}, True),
    ],
)
def test_prerequisites(kw: dict[str, Any], error: bool) -> None:
    nodes, pods = cluster(3)
    p = plan(daemonset(**kw), pods, nodes)
    assert p.mode is None and not p.plan and not p.events
    assert (p.error is not None) is error
    if error:
        assert "unknown update type" in (p.error or "")


def test_update_mode() -> None:
    assert update_mode(daemonset(strategy="ota")) == "OTA"
    assert update_mode(daemonset(strategy="Auto")) == "AdvancedRollingUpdate"
    assert update_mode(daemonset(strategy="OTA", on_delete=False)) is None
    assert update_mode(daemonset(strategy="other")) is None
    assert update_mode(daemonset(strategy=None)) is None


def test_unavailable_old_pods_are_always_replaced() -> None:
    nodes = [node(f"n{i}") for i in range(4)]
    pods = [
        dpod("p0", "n0", ready=False),
        dpod("p1", "n1", ready=False),
        dpod("p2", "n2"),
        dpod("p3", "n3"),
    ]
    p = plan(daemonset(max_unavailable="1"), pods, nodes)
    # both broken old pods go without budget; the budget of 1 takes one available old pod
    assert deleted(p) == ["p0", "p1", "p2"]


def test_new_pods_not_yet_available_use_the_budget() -> None:
    nodes = [node(f"n{i}") for i in range(3)]
    pods = [dpod("p0", "n0", latest=True, ready=False), dpod("p1", "n1"), dpod("p2", "n2")]
    p = plan(daemonset(max_unavailable="1"), pods, nodes)
    assert p.num_unavailable == 1 and not p.plan.deletes
    # once it is Ready, the next node goes
    pods[0] = dpod("p0", "n0", latest=True)
    assert deleted(plan(daemonset(max_unavailable="1"), pods, nodes)) == ["p1"]


def test_min_ready_seconds_delays_availability_and_asks_for_a_recheck() -> None:
    nodes = [node(f"n{i}") for i in range(2)]
    pods = [dpod("p0", "n0", latest=True, ready_since=timedelta(seconds=5)), dpod("p1", "n1")]
    p = plan(daemonset(max_unavailable="1", min_ready=10), pods, nodes)
    assert not p.plan.deletes and p.num_unavailable == 1
    assert p.recheck_after == pytest.approx(6.0)
    later = plan(daemonset(max_unavailable="1", min_ready=10), pods, nodes, now=NOW + timedelta(seconds=6))
    assert deleted(later) == ["p1"] and later.recheck_after is None


def test_two_pods_of_a_kind_make_a_node_unavailable_and_terminating_pods_do_not_count() -> None:
    nodes = [node(f"n{i}") for i in range(3)]
    pods = [
        dpod("a1", "n0"),
        dpod("a2", "n0"),  # two old pods on n0: unavailable
        dpod("b1", "n1", terminating=True),  # only a terminating pod on n1: no pod, unavailable
        dpod("c1", "n2", latest=True, terminating=True),
        dpod("c2", "n2"),  # the terminating new pod is ignored: c2 is the only old pod
    ]
    p = plan(daemonset(max_unavailable="3"), pods, nodes)
    assert p.num_unavailable == 2
    assert deleted(p) == ["c2"]


def test_a_node_with_a_new_and_an_old_pod_is_unavailable() -> None:
    nodes = [node("n0"), node("n1")]
    pods = [dpod("a1", "n0"), dpod("a2", "n0", latest=True), dpod("b", "n1")]
    p = plan(daemonset(max_unavailable="1"), pods, nodes)
    assert p.num_unavailable == 1 and not p.plan.deletes


def test_pods_on_unknown_nodes_and_unplaceable_pods_are_skipped() -> None:
    nodes = [node("n0")]
    pods = [dpod("a", "n0"), dpod("b", "gone"), dpod("c", None)]
    p = plan(daemonset(max_unavailable="100%"), pods, nodes)
    assert deleted(p) == ["a"]
    assert p.skipped_nodes == ("gone",)
    assert p.max_unavailable == 2  # two nodes host a placeable pod


def test_pods_of_other_owners_are_ignored() -> None:
    nodes = [node("n0"), node("n1")]
    pods = [dpod("mine", "n0"), dpod("theirs", "n1", owner_uid="someone-else")]
    assert deleted(plan(daemonset(max_unavailable="100%"), pods, nodes)) == ["mine"]


def test_gone_replacements_count_as_unavailable_so_a_replan_deletes_no_more() -> None:
    nodes, pods = cluster(10)
    ds = daemonset(max_unavailable="20%", desired=10)
    first = plan(ds, pods, nodes)
    assert len(first.plan.deletes) == 2
    store = apply_steps({ref_of(p): p.to_wire() for p in pods}, first.plan.steps())
    left = [Pod.model_validate(o) for o in store.values()]
    second = plan(ds, left, nodes)
    assert second.num_unavailable == 2 and not second.plan.deletes
    # replacements arrive (new and Ready): the next two go
    fresh = [dpod(f"new-{n}", n, latest=True) for n in ("node-00", "node-01")]
    third = plan(ds, left + fresh, nodes)
    assert deleted(third) == ["ds-02", "ds-03"]


def test_burst_cap() -> None:
    nodes = [node(f"n{i:03d}") for i in range(6)]
    pods = [dpod(f"p{i:03d}", f"n{i:03d}", ready=False) for i in range(6)]
    p = plan(daemonset(), pods, nodes, config=DaemonPodUpdateConfig(burst_replicas=4))
    assert deleted(p) == ["p000", "p001", "p002", "p003"]
    assert BURST_REPLICAS == 250


def test_pinned_pods_are_grouped_by_their_affinity_node() -> None:
    nodes = [node("n0"), node("n1")]
    pods = [dpod("a", None, pinned_to="n0"), dpod("b", "n1")]
    assert deleted(plan(daemonset(max_unavailable="100%"), pods, nodes)) == ["a", "b"]


def test_all_latest_deletes_nothing() -> None:
    nodes, pods = cluster(5, latest=5)
    p = plan(daemonset(max_unavailable="100%"), pods, nodes)
    assert not p.plan and p.num_unavailable == 0


# ==================================================================================================
# Helpers: latest, revision hash, target node


def test_pod_is_latest() -> None:
    ds = daemonset()
    assert pod_is_latest(ds, dpod("p", "n", latest=True), NEW_HASH)
    old = dpod("p", "n")
    assert not pod_is_latest(ds, old, NEW_HASH)
    # same hash, different generation: still latest (a template rolled back to an old revision)
    assert pod_is_latest(ds, old, OLD_HASH)
    # no hash known: the template generation decides alone
    assert pod_is_latest(ds, dpod("p", "n", latest=True), "") and not pod_is_latest(ds, old, "")


def test_latest_revision_hash() -> None:
    ds = daemonset()
    assert latest_revision_hash(ds, REVISIONS) == NEW_HASH
    assert latest_revision_hash(ds, list(reversed(REVISIONS))) == NEW_HASH
    assert latest_revision_hash(ds, [revision("abc", 3, label=False), *REVISIONS]) == "abc"
    assert latest_revision_hash(ds, [revision("zzz", 9, owner_uid="other"), *REVISIONS]) == NEW_HASH
    assert latest_revision_hash(ds, []) == ""


def test_target_node_name() -> None:
    assert target_node_name(dpod("p", "node")) == "node"
    assert target_node_name(dpod("p", None, pinned_to="affinity")) == "affinity"
    assert target_node_name(dpod("p", None)) is None
    two = dpod("p", None).to_wire()
    two["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}
                ]
            }
        }
    }
    assert target_node_name(Pod.model_validate(two)) is None


# ==================================================================================================
# OTA


def need_upgrade(p: DaemonPodUpdatePlan) -> dict[str, dict[str, Any]]:
    out = {}
    for su in p.plan.status_updates:
        obj = su.obj
        assert isinstance(obj, dict)
        cond = next(c for c in obj["status"]["conditions"] if c["type"] == "PodNeedUpgrade")
        out[obj["metadata"]["name"]] = cond
    return out


def test_ota_marks_old_pods_true_and_new_pods_false_and_deletes_nothing() -> None:
    nodes = [node("n0"), node("n1", ready=False), node("n2")]
    pods = [dpod("old", "n0"), dpod("old-on-not-ready", "n1"), dpod("new", "n2", latest=True)]
    p = plan(daemonset(strategy="OTA"), pods, nodes)
    assert p.mode == "OTA" and not p.plan.deletes and not p.events
    conds = need_upgrade(p)
    assert {k: c["status"] for k, c in conds.items()} == {"old": "True", "old-on-not-ready": "True", "new": "False"}
    for c in conds.values():
        assert c == {
            "type": "PodNeedUpgrade",
            "status": c["status"],
            "message": f"controllerrevision: {NEW_HASH}",
            "lastTransitionTime": format_time(NOW),
        }
    # the rest of the status (the Ready condition, the phase) is kept; resourceVersion is a precondition
    su = p.plan.status_updates[0].obj
    assert isinstance(su, dict)
    assert su["status"]["phase"] == "Running" and su["status"]["conditions"][0]["type"] == "Ready"
    assert su["metadata"]["resourceVersion"] == "7"


def test_ota_is_idempotent_and_keeps_the_transition_time() -> None:
    pods = [dpod("old", "n0"), dpod("new", "n1", latest=True)]
    nodes = [node("n0"), node("n1")]
    first = plan(daemonset(strategy="ota"), pods, nodes)
    store = apply_steps({ref_of(p): p.to_wire() for p in pods}, first.plan.steps())
    after = [Pod.model_validate(o) for o in store.values()]
    again = plan(daemonset(strategy="ota"), after, nodes, now=NOW + timedelta(hours=1))
    assert not again.plan


def test_ota_condition_flips_with_a_new_transition_time() -> None:
    stale = {
        "type": "PodNeedUpgrade",
        "status": "False",
        "message": f"controllerrevision: {OLD_HASH}",
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }
    p = plan(daemonset(strategy="OTA"), [dpod("old", "n0", conditions=[stale])], [node("n0")])
    cond = need_upgrade(p)["old"]
    assert cond["status"] == "True" and cond["lastTransitionTime"] == format_time(NOW)
    assert cond["message"] == f"controllerrevision: {NEW_HASH}"


def test_ota_waits_for_a_revision() -> None:
    p = plan(daemonset(strategy="OTA"), [dpod("old", "n0")], [node("n0")], revisions=[])
    assert p.mode == "OTA" and not p.plan


KEEP = "2025-01-01T00:00:00Z"
DESIRED = {"type": "PodNeedUpgrade", "status": "True", "message": "controllerrevision: h"}


@pytest.mark.parametrize(
    ("old", "changed", "transition"),
    [
        (None, True, format_time(NOW)),
        ({**DESIRED, "lastTransitionTime": KEEP}, False, KEEP),
        ({**DESIRED, "status": "False", "lastTransitionTime": KEEP}, True, format_time(NOW)),
        ({**DESIRED, "message": "controllerrevision: old", "lastTransitionTime": KEEP}, True, KEEP),
        ({**DESIRED, "reason": "Stale", "lastTransitionTime": KEEP}, True, KEEP),
        ({**DESIRED, "lastProbeTime": KEEP, "lastTransitionTime": KEEP}, True, KEEP),
        ({**DESIRED, "reason": "", "lastProbeTime": None, "lastTransitionTime": KEEP}, False, KEEP),
        ({**DESIRED}, False, None),
    ],
)
def test_condition_merge_rule(old: dict[str, Any] | None, changed: bool, transition: str | None) -> None:
    other = {"type": "Ready", "status": "True"}
    conditions = [other] + ([old] if old else [])
    merged, did = merge_pod_condition(conditions, DESIRED, NOW)
    assert did is changed
    assert merged[0] == other and len(merged) == 2
    new = merged[1]
    assert new.get("lastTransitionTime") == transition
    assert {k: v for k, v in new.items() if k != "lastTransitionTime"} == DESIRED
