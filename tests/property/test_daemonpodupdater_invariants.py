"""daemon-pod-updater invariants (hypothesis).

- test_rolling_stays_within_budget: available pods deleted never exceed max(budget - unavailable, 0);
  every old pod that is unavailable anyway, alone on a Ready node, is deleted (up to the burst cap).
- test_rolling_never_touches_not_ready_nodes: every deleted pod is an old, non-terminating pod of the
  DaemonSet on a known Ready node.
- test_rolling_apply_then_replan_stays_within_budget: applying a round and planning again (nothing
  recreated yet) deletes no more available pods in total than the first round's budget allowed.
- test_ota_never_deletes_and_marks_exactly_the_old_pods: OTA deletes nothing; afterwards
  PodNeedUpgrade is True exactly on the pods that are not latest, with the newest revision's hash.
- test_ota_idempotent: applying the OTA plan then planning again (later) writes nothing.
- test_plan_ignores_input_order: shuffled pods and nodes give the same plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.api.apps_v1 import DaemonSet
from openyurt.core.api.core_v1 import Node, Pod, node_is_ready, pod_condition
from openyurt.core.planners import plan_daemon_pod_update
from openyurt.core.planners._util import apply_steps, ref_of
from openyurt.core.planners.daemonpodupdater import (
    DaemonPodUpdatePlan,
    max_unavailable,
    pod_is_available,
    pod_is_latest,
)
from tests.unit.planners.builders import NOW, node
from tests.unit.planners.test_daemonpodupdater import NEW_HASH, REVISIONS, daemonset, dpod

BUDGETS = st.sampled_from([None, "0", "1", "2", "5", "0%", "10%", "30%", "50%", "100%"])
POD = st.fixed_dictionaries(
    {
        "latest": st.booleans(),
        "ready": st.booleans(),
        "terminating": st.integers(0, 5).map(lambda i: i == 0),
        "ready_since": st.sampled_from([timedelta(seconds=5), timedelta(hours=1)]),
        "mine": st.integers(0, 7).map(lambda i: i != 0),
    }
)


@st.composite
def clusters(draw: Any, strategy: str = "AdvancedRollingUpdate", desired: bool | None = None) -> Any:
    n = draw(st.integers(0, 10))
    nodes: list[Node] = []
    pods: list[Pod] = []
    for i in range(n):
        name = f"node-{i:02d}"
        present = draw(st.integers(0, 9)) != 0
        if present:
            nodes.append(node(name, ready=draw(st.booleans())))
        for j, spec in enumerate(draw(st.lists(POD, min_size=0, max_size=2))):
            pods.append(
                dpod(
                    f"ds-{i:02d}-{j}",
                    name,
                    latest=spec["latest"],
                    ready=spec["ready"],
                    terminating=spec["terminating"],
                    ready_since=spec["ready_since"],
                    owner_uid="uid-ds" if spec["mine"] else "uid-other",
                )
            )
    hosts = len({p.spec.node_name for p in pods if p.spec is not None and _mine(p)})
    with_desired = draw(st.booleans()) if desired is None else desired
    ds = daemonset(
        strategy=strategy,
        max_unavailable=draw(BUDGETS),
        min_ready=draw(st.sampled_from([0, 10])),
        desired=hosts if with_desired else None,
    )
    return ds, pods, nodes


def _mine(p: Pod) -> bool:
    return any(r.uid == "uid-ds" for r in p.metadata.owner_references or [])


def _plan(ds: DaemonSet, pods: list[Pod], nodes: list[Node], **kw: Any) -> DaemonPodUpdatePlan:
    return plan_daemon_pod_update(ds, pods, nodes, REVISIONS, now=kw.pop("now", NOW), **kw)


def _reference_counts(ds: DaemonSet, pods: list[Pod], nodes: list[Node]) -> tuple[int, int, set[str]]:
    """(budget, unavailable, names of unavailable old pods alone on Ready nodes), computed plainly."""
    min_ready = (ds.spec.min_ready_seconds if ds.spec else None) or 0
    known = {n.name: n for n in nodes}
    by_node: dict[str, list[Pod]] = {}
    for p in pods:
        if _mine(p) and p.spec is not None and p.spec.node_name:
            by_node.setdefault(p.spec.node_name, []).append(p)
    budget = max_unavailable(ds, len(by_node))
    desired = (ds.status.desired_number_scheduled if ds.status else None) or 0
    unavailable = max(desired - len(by_node), 0)
    broken: set[str] = set()
    for name, group in by_node.items():
        n = known.get(name)
        if n is None or not node_is_ready(n):
            continue
        live = [p for p in group if p.metadata.deletion_timestamp is None]
        if len(live) != 1:
            unavailable += 1
            continue
        (p,) = live
        available = pod_is_available(p, min_ready, NOW)
        if pod_is_latest(ds, p, NEW_HASH):
            unavailable += 0 if available else 1
        elif not available:
            broken.add(p.name)
    return budget, unavailable, broken


def _pods_by_name(pods: list[Pod]) -> dict[str, Pod]:
    return {p.name: p for p in pods}


def _apply(pods: list[Pod], plan: DaemonPodUpdatePlan) -> list[Pod]:
    store = apply_steps({ref_of(p): p.to_wire() for p in pods}, plan.plan.steps())
    return [Pod.model_validate(o) for o in store.values()]


@settings(max_examples=200, deadline=None)
@given(clusters())
def test_rolling_stays_within_budget(c: Any) -> None:
    ds, pods, nodes = c
    p = _plan(ds, pods, nodes)
    budget, unavailable, broken = _reference_counts(ds, pods, nodes)
    gone = {d.target.name for d in p.plan.deletes}
    assert len(gone - broken) <= max(budget - unavailable, 0)
    assert len(p.plan.deletes) <= max(budget - unavailable, 0) + len(broken)
    assert broken <= gone
    assert p.num_unavailable == unavailable and p.max_unavailable == budget


@settings(max_examples=200, deadline=None)
@given(clusters())
def test_rolling_never_touches_not_ready_nodes(c: Any) -> None:
    ds, pods, nodes = c
    p = _plan(ds, pods, nodes)
    known = {n.name: n for n in nodes}
    by_name = _pods_by_name(pods)
    for d in p.plan.deletes:
        pod = by_name[d.target.name]
        assert pod.spec is not None and pod.spec.node_name in known
        assert node_is_ready(known[pod.spec.node_name])
        assert _mine(pod) and pod.metadata.deletion_timestamp is None
        assert not pod_is_latest(ds, pod, NEW_HASH)
        assert d.uid == pod.metadata.uid
    assert len(p.events) == len(p.plan.deletes)


@settings(max_examples=200, deadline=None)
@given(clusters(desired=True))
def test_rolling_apply_then_replan_stays_within_budget(c: Any) -> None:
    ds, pods, nodes = c
    budget, unavailable, broken = _reference_counts(ds, pods, nodes)
    first = _plan(ds, pods, nodes)
    after = _apply(pods, first)
    second = _plan(ds, after, nodes)
    gone = {d.target.name for d in (*first.plan.deletes, *second.plan.deletes)}
    assert len(gone - broken) <= max(budget - unavailable, 0)


@settings(max_examples=150, deadline=None)
@given(clusters(strategy="OTA"))
def test_ota_never_deletes_and_marks_exactly_the_old_pods(c: Any) -> None:
    ds, pods, nodes = c
    p = _plan(ds, pods, nodes)
    assert not p.plan.deletes and not p.events
    for pod in _apply(pods, p):
        cond = pod_condition(pod, "PodNeedUpgrade")
        if not _mine(pod):
            assert cond is None
            continue
        assert cond is not None
        assert cond.status == ("False" if pod_is_latest(ds, pod, NEW_HASH) else "True")
        assert cond.message == f"controllerrevision: {NEW_HASH}"


@settings(max_examples=150, deadline=None)
@given(clusters(strategy="OTA"))
def test_ota_idempotent(c: Any) -> None:
    ds, pods, nodes = c
    after = _apply(pods, _plan(ds, pods, nodes))
    assert not _plan(ds, after, nodes, now=NOW + timedelta(minutes=5)).plan


@settings(max_examples=100, deadline=None)
@given(clusters(strategy="Auto"), st.randoms(use_true_random=False))
def test_plan_ignores_input_order(c: Any, rnd: Any) -> None:
    ds, pods, nodes = c
    shuffled_pods, shuffled_nodes = list(pods), list(nodes)
    rnd.shuffle(shuffled_pods)
    rnd.shuffle(shuffled_nodes)
    assert _plan(ds, pods, nodes) == _plan(ds, shuffled_pods, shuffled_nodes)
