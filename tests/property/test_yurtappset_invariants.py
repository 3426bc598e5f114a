"""YurtAppSet planner invariants (hypothesis).

- test_one_workload_per_selected_pool: after applying a plan there is exactly one workload per
  selected pool and none for any other pool.
- test_replicas_follow_last_matching_tweak: a pool's workload has the replicas of the last matching
  tweak that sets them, else the template's.
- test_plan_apply_replan_converges: applying a plan then planning again gives no workload or revision
  writes, and one more round (status lags a round, as upstream) gives an empty plan.
- test_yurtappset_plan_is_deterministic: equal inputs give equal plans.
- test_pool_renderer_equals_reference(_for_every_single_patch): the planner's rendering gives the
  bytes render_workload (the reference) gives, for wire data and models as the existing workload.
- test_plan_equals_plan_rendered_by_the_reference: whole plans (selection, tweaks, adoption,
  deselected pools, duplicates) equal the plans made with the reference rendering.
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


# --------------------------------------------------------------------------------------------------
# PoolRenderer (shared, copy-on-write rendering) against render_workload (the reference)

PATHS = [
    "/metadata/labels/pool",
    "/metadata/labels",
    "/metadata/annotations/a~1b",
    "/metadata/name",
    "/spec/replicas",
    "/spec/paused",
    "/spec/template/spec/containers/0/image",
    "/spec/template/spec/containers/1",
    "/spec/template/spec/containers/-",
    "/spec/template/spec/containers/0/resources/limits/cpu",
    "/spec/template/spec/containers/0/env",
    "/spec/template/spec/initContainers/0",
    "/spec/template/spec/nodeSelector/zone",
    "/spec/template/metadata/labels/x",
    "/spec/strategy/type",
    "/spec/missing/deeper",
    "/status",
    "/spec/template/spec/containers/01",
    "/spec/template/spec/containers/9",
]
VALUES = st.sampled_from(
    ["{{nodepool-name}}", "v", 3, 0.5, "1000m", None, {"k": "{{nodepool-name}}"}, {"name": "n", "image": "i"}, [], {}]
)
PATCHES = st.lists(
    st.builds(
        lambda path, op, value: {"path": path, "operation": op, "value": value},
        st.sampled_from(PATHS),
        st.sampled_from(["add", "remove", "replace"]),
        VALUES,
    ),
    max_size=4,
)
CONTAINER = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b"]), "image": st.sampled_from(["img:1", "img:2"])},
    optional={
        "resources": st.fixed_dictionaries(
            {}, optional={"limits": st.just({"cpu": "1000m", "memory": "1024Mi"}), "requests": st.just({"cpu": 0.5})}
        ),
        "env": st.just([{"name": "E", "value": ""}]),
        "ports": st.just([{"containerPort": 80, "protocol": "TCP", "hostPort": 0}]),
    },
)
TWEAK = st.builds(
    lambda r, images, patches: {
        **({"replicas": r} if r is not None else {}),
        **({"containerImages": images} if images else {}),
        **({"patches": patches} if patches else {}),
    },
    st.none() | st.integers(0, 3),
    st.lists(
        st.builds(lambda n, t: {"name": n, "targetImage": t}, st.sampled_from(["a", "b", "c"]), st.just("new")),
        max_size=2,
    ),
    PATCHES,
)


@st.composite
def render_cases(draw: Any) -> tuple[Any, list[tuple[str, list[Any], Any]]]:
    kind = draw(st.sampled_from(["Deployment", "StatefulSet"]))
    spec: dict[str, Any] = {
        "selector": draw(st.sampled_from([{"matchLabels": {"app": "demo"}}, None, {}])),
        "template": {
            "metadata": {"labels": {"app": "demo"}},
            "spec": {
                "containers": draw(st.lists(CONTAINER, min_size=1, max_size=2)),
                **({"initContainers": draw(st.lists(CONTAINER, max_size=1))} if draw(st.booleans()) else {}),
                **({"nodeSelector": {"zone": "z"}} if draw(st.booleans()) else {}),
            },
        },
        "paused": draw(st.booleans()),
    }
    if kind == "StatefulSet":
        spec["serviceName"] = "svc"
        spec["volumeClaimTemplates"] = [
            {"metadata": {"name": "d"}, "spec": {"resources": {"requests": {"storage": "1024Mi"}}}}
        ]
    if draw(st.booleans()):
        spec["replicas"] = draw(st.integers(0, 3))
    key = "deploymentTemplate" if kind == "Deployment" else "statefulSetTemplate"
    tweaks = draw(st.lists(TWEAK, max_size=3))
    owner = yas(
        template={key: {"metadata": {"labels": {"tl": "1"}, "annotations": {"ta": "1"}}, "spec": spec}},
        tweaks=[{"pools": ["p0", "p1", "p2"], "tweaks": t} for t in tweaks],
    )
    pools = []
    for i in range(draw(st.integers(1, 3))):
        existing = None
        if draw(st.booleans()):
            existing = {
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": {
                    "name": f"w{i}",
                    "namespace": "default",
                    "labels": {"old": "1", "apps.openyurt.io/pool-name": f"p{i}"},
                    "ownerReferences": [
                        {"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u", "controller": draw(st.booleans())}
                    ],
                },
                "spec": {"replicas": 9},
                "status": {"replicas": 1},
            }
        pools.append((f"p{i}", draw(st.sampled_from([[], [0], [0, 1], [1, 0, 2]])), existing))
    return owner, pools


@settings(max_examples=300, deadline=None)
@given(render_cases())
def test_pool_renderer_equals_reference(case: Any) -> None:
    """Wire data or a model as the existing workload, memos hit or not: the same bytes as the reference."""
    import copy
    import json

    from openyurt.core.api.apps_v1 import StatefulSet
    from openyurt.core.api.openyurt_apps_v1beta1 import template_kind
    from openyurt.core.planners.yurtappset import PoolRenderer, RenderError, render_workload

    owner, pools = case
    kind, _, template = template_kind(owner.spec.workload.workload_template)
    all_tweaks = [t.tweaks for t in owner.spec.workload.workload_tweaks or []]
    common = {
        "kind": kind,
        "template": template,
        "revision": "rev-1",
        "owner_name": owner.name,
        "namespace": "default",
        "owner_reference": {"apiVersion": "apps.openyurt.io/v1beta1", "kind": "YurtAppSet", "name": owner.name},
        "ref_labels": {"apps.openyurt.io/ref-yurtappset": owner.name},
    }
    renderer = PoolRenderer(**common)
    template_before = copy.deepcopy(template.spec)
    for pool_name, picks, existing in pools * 2:  # twice: the memos are hit the second time
        tweaks = [all_tweaks[i] for i in picks if i < len(all_tweaks)]
        before = copy.deepcopy(existing)
        try:
            want: Any = render_workload(pool=pool_name, tweaks=tweaks, existing=existing, **common)
        except RenderError as exc:
            want = ("error", str(exc))
        try:
            got: Any = renderer.render(pool_name, tweaks, existing)
        except RenderError as exc:
            got = ("error", str(exc))
        assert json.dumps(got) == json.dumps(want)
        assert existing == before
        if existing is not None:
            model = (StatefulSet if kind == "StatefulSet" else Deployment).model_validate(existing)
            try:
                got = renderer.render(pool_name, tweaks, model)
            except RenderError as exc:
                got = ("error", str(exc))
            assert json.dumps(got) == json.dumps(want)
    assert template.spec == template_before


def test_pool_renderer_equals_reference_for_every_single_patch() -> None:
    """Every path x operation x value alone (a sequence stops at its first failing op, which hides
    later ones from the property above), with and without an existing workload."""
    from openyurt.core.api.openyurt_apps_v1beta1 import template_kind
    from openyurt.core.planners.yurtappset import PoolRenderer, RenderError, render_workload

    template = deployment_template()
    containers = template["deploymentTemplate"]["spec"]["template"]["spec"]["containers"]
    containers[0]["resources"] = {"limits": {"cpu": "1000m"}}
    containers.append({"name": "second", "image": "x"})
    values = ["{{nodepool-name}}", 3, None, {"name": "n"}, [], "1000m"]
    existing = {"metadata": {"name": "w", "labels": {"a": "1"}}, "spec": {}, "status": {"replicas": 1}}
    for path in [
        *PATHS,
        "",
        "/",
        "/spec/template/spec/containers/00",
        "/spec/template/spec/containers/0",
        "/metadata/labels/a~2b",
        "/spec/replicas/x",
    ]:
        for op in ("add", "remove", "replace"):
            for value in values:
                owner = yas(
                    template=template,
                    tweaks=[{"pools": ["p"], "tweaks": {"patches": [{"path": path, "operation": op, "value": value}]}}],
                )
                kind, _, tmpl = template_kind(owner.spec.workload.workload_template)  # type: ignore[union-attr,misc]
                tweaks = [owner.spec.workload.workload_tweaks[0].tweaks]  # type: ignore[union-attr,index]
                common: Any = {
                    "kind": kind,
                    "template": tmpl,
                    "revision": "r",
                    "owner_name": "o",
                    "namespace": "default",
                    "owner_reference": {"name": "o", "controller": True},
                    "ref_labels": {},
                }
                renderer = PoolRenderer(**common)
                for ex in (None, existing):
                    try:
                        want: Any = render_workload(pool="p", tweaks=tweaks, existing=ex, **common)
                    except RenderError as exc:
                        want = str(exc)
                    try:
                        got: Any = renderer.render("p", tweaks, ex)
                    except RenderError as exc:
                        got = str(exc)
                    assert got == want, (path, op, value, ex)


# --------------------------------------------------------------------------------------------------
# Whole plans: plan_yurtappset against itself with render_workload (the reference) for rendering

LABEL_PATHS = ["/metadata/labels/pool", "/metadata/labels/zone", "/metadata/annotations/note", "/metadata/labels/x"]
PLAN_PATCHES = st.lists(
    st.builds(
        lambda path, op, value: {"path": path, "operation": op, "value": value},
        st.sampled_from([*LABEL_PATHS, *LABEL_PATHS, *PATHS]),
        st.sampled_from(["add", "add", "remove", "replace"]),
        st.sampled_from(["{{nodepool-name}}", "v-{{nodepool-name}}", "v", 3, {"k": "{{nodepool-name}}"}]),
    ),
    max_size=3,
)


@st.composite
def plan_scenarios(draw: Any) -> tuple[YurtAppSet, list[NodePool], list[Any]]:
    kind = draw(st.sampled_from(["Deployment", "StatefulSet"]))
    names = POOL_NAMES
    pools = [pool(n, labels=draw(LABELS)) for n in names if draw(st.booleans())]
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "demo"}},
        "template": {
            "metadata": {"labels": {"app": "demo"}},
            "spec": {"containers": draw(st.lists(CONTAINER, min_size=1, max_size=2))},
        },
    }
    if kind == "StatefulSet":
        spec["serviceName"] = "svc"
    key = "deploymentTemplate" if kind == "Deployment" else "statefulSetTemplate"
    tweaks = draw(
        st.lists(
            st.builds(
                lambda ps, sel, r, patches: {
                    **({"pools": ps} if ps else {}),
                    **({"nodepoolSelector": sel} if sel else {}),
                    "tweaks": {
                        **({"replicas": r} if r is not None else {}),
                        **({"patches": patches} if patches else {}),
                    },
                },
                st.lists(st.sampled_from(names), max_size=2, unique=True),
                st.none() | st.just({"matchLabels": {"zone": "x"}}),
                st.none() | st.integers(0, 3),
                PLAN_PATCHES,
            ),
            max_size=3,
        )
    )
    owner = yas(
        pools=draw(st.lists(st.sampled_from([*names, "missing"]), max_size=4, unique=True)),
        selector=draw(st.none() | st.just({"matchLabels": {"tier": "x"}})),
        tweaks=tweaks,
        template={key: {"metadata": {"labels": {"app": "demo"}, "annotations": {"a": "1"}}, "spec": spec}},
    )
    existing = []
    for i, p in enumerate(draw(st.lists(st.sampled_from(names), max_size=5))):
        w = workload(
            f"w{i}",
            pool_name=p,
            revision=draw(st.sampled_from(["old", None])),
            owner=draw(st.sampled_from([owner, None])),
            ref=draw(st.sampled_from(["test-yurtappset", None])),
            status=draw(st.sampled_from([None, {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}])),
            kind=draw(st.sampled_from([kind, kind, "Deployment"])),
        )
        existing.append(w)
    return owner, pools, existing


class _ReferenceRenderer:
    """PoolRenderer's interface on top of render_workload and the full dump of the existing workload."""

    def __init__(self, **common: Any) -> None:
        self.common = common

    def render(self, pool_name: str, tweaks: Any, existing: Any = None) -> Any:
        from openyurt.core.planners.yurtappset import render_workload

        wire_existing = existing.to_wire() if existing is not None else None
        return render_workload(pool=pool_name, tweaks=tweaks, existing=wire_existing, **self.common)


def _plan_bytes(plan: Any) -> str:
    import json

    from openyurt.core.plans import wire

    steps = [(type(s).__name__, str(s.ref), wire(s.obj) if hasattr(s, "obj") else repr(s)) for s in plan.plan.steps()]
    return json.dumps([plan.revision, plan.collision_count, plan.selected_pools, steps, repr(plan.events)])


@settings(max_examples=200, deadline=None)
@given(plan_scenarios())
def test_plan_equals_plan_rendered_by_the_reference(sc: Any) -> None:
    from unittest import mock

    from openyurt.core.planners import yurtappset

    owner, pools, workloads = sc
    fast = plan_yurtappset(owner, pools, workloads, [], now=NOW)
    with mock.patch.object(yurtappset, "PoolRenderer", _ReferenceRenderer):
        reference = plan_yurtappset(owner, pools, workloads, [], now=NOW)
    assert _plan_bytes(fast) == _plan_bytes(reference)
