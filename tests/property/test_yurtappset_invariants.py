"""YurtAppSet planner invariants (hypothesis).

- test_one_workload_per_selected_pool: after applying a plan there is exactly one workload per
  selected pool and none for any other pool.
- test_replicas_follow_last_matching_tweak: a pool's workload has the replicas of the last matching
  tweak that sets them, else the template's.
- test_plan_apply_replan_converges: applying a plan then planning again gives no workload or revision
  writes, and one more round (status lags a round, as upstream) gives an empty plan.
- test_yurtappset_plan_is_deterministic: equal inputs give equal plans.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.api.apps_v1 import ControllerRevision, Deployment
from openyurt.core.api.openyurt_apps_v1beta1 import YurtAppSet
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners import plan_yurtappset
from openyurt.core.planners._util import ObjectRef, apply_steps, ref_of
from openyurt.core.planners.yurtappset import matching_tweaks, pool_replicas
from tests.unit.planners.builders import NOW, deployment_template, pool, workload, yas

POOL_NAMES = ["np-a", "np-b", "np-c", "np-d"]
LABELS = st.dictionaries(st.sampled_from(["zone", "tier"]), st.sampled_from(["x", "y"]), max_size=2)


@st.composite
def scenarios(draw: Any) -> tuple[YurtAppSet, list[NodePool], list[Deployment]]:
    pools = [pool(n, labels=draw(LABELS)) for n in POOL_NAMES if draw(st.booleans())]
    names = draw(st.lists(st.sampled_from([*POOL_NAMES, "missing"]), max_size=4, unique=True))
    selector = draw(
        st.none()
        | st.builds(
            lambda k, v: {"matchLabels": {k: v}}, st.sampled_from(["zone", "tier"]), st.sampled_from(["x", "y"])
        )
    )
    tweaks = draw(
        st.lists(
            st.builds(
                lambda ps, sel, r: {
                    **({"pools": ps} if ps else {}),
                    **({"nodepoolSelector": sel} if sel else {}),
                    "tweaks": {"replicas": r} if r is not None else {},
                },
                st.lists(st.sampled_from(POOL_NAMES), max_size=2, unique=True),
                st.none() | st.just({"matchLabels": {"zone": "x"}}),
                st.none() | st.integers(0, 5),
            ),
            max_size=3,
        )
    )
    owner = yas(
        pools=names,
        selector=selector,
        tweaks=tweaks,
        template=deployment_template(replicas=draw(st.none() | st.integers(0, 4))),
    )
    existing = []
    for i, p in enumerate(draw(st.lists(st.sampled_from(POOL_NAMES), max_size=4))):
        existing.append(workload(f"w{i}", pool_name=p, revision=draw(st.sampled_from(["old", None])), owner=owner))
    return owner, pools, existing  # type: ignore[return-value]


def _simulate(owner: YurtAppSet, pools: list[NodePool], workloads: list[Deployment], revisions: list[Any]) -> Any:
    plan = plan_yurtappset(owner, pools, workloads, revisions, now=NOW)
    store = {ref_of(w): w.to_wire() for w in (*workloads, *revisions)}
    store[ref_of(owner)] = owner.to_wire()
    store = apply_steps(store, plan.plan.steps())
    new_owner = YurtAppSet.model_validate(store.pop(ref_of(owner)))
    new_workloads = [Deployment.model_validate(v) for k, v in store.items() if k.kind == "Deployment"]
    new_revs = [ControllerRevision.model_validate(v) for k, v in store.items() if k.kind == "ControllerRevision"]
    return plan, new_owner, new_workloads, new_revs


def _by_pool(workloads: list[Deployment]) -> dict[str, list[Deployment]]:
    out: dict[str, list[Deployment]] = {}
    for w in workloads:
        out.setdefault((w.metadata.labels or {})["apps.openyurt.io/pool-name"], []).append(w)
    return out


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_one_workload_per_selected_pool(sc: Any) -> None:
    owner, pools, workloads = sc
    plan, _, after, _ = _simulate(owner, pools, workloads, [])
    by_pool = _by_pool(after)
    assert sorted(by_pool) == list(plan.selected_pools)
    assert all(len(v) == 1 for v in by_pool.values())


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_replicas_follow_last_matching_tweak(sc: Any) -> None:
    owner, pools, workloads = sc
    _, _, after, _ = _simulate(owner, pools, workloads, [])
    template = owner.spec.workload.workload_template.deployment_template
    tweaks = owner.spec.workload.workload_tweaks or []
    for name, (w,) in _by_pool(after).items():
        np = next(p for p in pools if p.name == name)
        want = pool_replicas(template, matching_tweaks(tweaks, np))
        assert (w.spec.replicas if w.spec.replicas is not None else 1) == want


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_plan_apply_replan_converges(sc: Any) -> None:
    owner, pools, workloads = sc
    _, owner1, w1, r1 = _simulate(owner, pools, workloads, [])
    plan2, owner2, w2, r2 = _simulate(owner1, pools, w1, r1)
    assert plan2.plan.creates == () and plan2.plan.updates == () and plan2.plan.deletes == ()
    assert plan2.plan.patches == ()
    plan3 = plan_yurtappset(owner2, pools, w2, r2, now=NOW)
    assert not plan3.plan


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_yurtappset_plan_is_deterministic(sc: Any) -> None:
    owner, pools, workloads = sc
    assert plan_yurtappset(owner, pools, workloads, [], now=NOW) == plan_yurtappset(
        owner, list(reversed(pools)), workloads, [], now=NOW
    )


def test_object_ref_hashing_is_stable() -> None:
    assert ObjectRef("v1", "Node", "a") == ObjectRef("v1", "Node", "a")
