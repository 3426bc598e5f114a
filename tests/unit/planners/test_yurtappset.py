"""YurtAppSet planner: upstream's unit cases (yurt_app_set_controller_test.go, tweaks_test.go) and the
rendering/status rules of yurt-manager.md §2.5-§2.9."""

from __future__ import annotations

from typing import Any

import pytest

from openyurt.core.api.openyurt_apps_v1beta1 import Tweaks
from openyurt.core.planners import plan_yurtappset
from openyurt.core.planners.yurtappset import (
    RenderError,
    apply_pool_tweaks,
    classify_workloads,
    generate_name,
    matching_tweaks,
    pool_replicas,
    set_condition,
)
from tests.unit.planners.builders import NOW, deployment_template, pool, workload, yas

# --------------------------------------------------------------------------------------------------
# TestClassifyWorkloads / TestReconcile


def test_classify_workloads_upstream_case() -> None:
    owner = yas()
    w1 = workload("test-deployment-1", pool_name="test-np2", revision="test-revision-2", owner=owner)
    w2 = workload("test-deployment-2", pool_name="test-np1", revision="test-revision-1", owner=owner)
    cls = classify_workloads([w1, w2], ["test-np1", "test-np3"], "test-revision-2")
    assert [w.name for w in cls.delete] == ["test-deployment-1"]
    assert [w.name for w in cls.update] == ["test-deployment-2"]
    assert cls.create == ("test-np3",)


def test_reconcile_no_pool_found_adopts_and_deletes_the_orphan() -> None:
    orphan = workload("orphan", pool_name="test-np2", revision=None, owner=None)
    plan = plan_yurtappset(yas(pools=["test-np1"]), [], [orphan], [], now=NOW)
    assert plan.selected_pools == ()
    assert plan.workload_deletes == ("orphan",)
    assert plan.plan.deletes[0].propagation_policy == "Background"
    assert plan.workload_creates == ()
    assert [e.reason for e in plan.events] == ["NoFindPools", "Successful DeleteWorkload"]
    conds = {c["type"]: c for c in plan.plan.status_updates[0].obj["status"]["conditions"]}
    assert conds["PoolFound"]["status"] == "False" and conds["PoolFound"]["reason"] == "NoFindPools"
    assert conds["PoolFound"]["message"] == "There are no matched nodepools for YurtAppSet"


def test_reconcile_creates_two_deployments_for_two_pools() -> None:
    plan = plan_yurtappset(yas(pools=["test-np1", "test-np2"]), [pool("test-np1"), pool("test-np2")], [], [], now=NOW)
    assert [c["metadata"]["generateName"] for c in plan.workload_creates] == [
        "test-yurtappset-test-np1-",
        "test-yurtappset-test-np2-",
    ]
    status = plan.plan.status_updates[0].obj["status"]
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["PoolFound"]["message"] == "There are 2 matched nodepools: [test-np1 test-np2]"
    assert conds["AppDispatched"] == {
        "type": "AppDispatched",
        "status": "True",
        "lastTransitionTime": "2025-03-01T12:00:00Z",
        "reason": "",
        "message": "All expected workloads are created successfully",
    }
    assert conds["AppReady"]["reason"] == "NoWorkloadFound"
    assert ("Successful CreateWorkload", "Create 2 Deployment") in [(e.reason, e.message) for e in plan.events]


# --------------------------------------------------------------------------------------------------
# tweaks_test.go


def test_tweaks_matching_by_pool_name_and_selector() -> None:
    owner = yas(tweaks=[{"pools": ["test-nodepool"], "tweaks": {"replicas": 3}}])
    np = pool("test-nodepool", labels={"app": "test-nodepool"})
    assert matching_tweaks(owner.spec.workload.workload_tweaks or [], np) == [Tweaks(replicas=3)]  # type: ignore[union-attr]
    by_sel = yas(tweaks=[{"nodepoolSelector": {"matchLabels": {"app": "test-nodepool"}}, "tweaks": {"replicas": 3}}])
    assert len(matching_tweaks(by_sel.spec.workload.workload_tweaks or [], np)) == 1  # type: ignore[union-attr]
    neither = yas(tweaks=[{"tweaks": {"replicas": 3}}])
    assert matching_tweaks(neither.spec.workload.workload_tweaks or [], np) == []  # type: ignore[union-attr]


def test_missing_pool_object_is_a_render_error() -> None:
    owner = yas(pools=["gone"], tweaks=[{"pools": ["gone"], "tweaks": {"replicas": 3}}])
    w = workload("w", pool_name="gone", revision="old", owner=owner)
    # the pool object is missing: it is not selected, so the workload is deleted (not updated)
    plan = plan_yurtappset(owner, [], [w], [], now=NOW)
    assert plan.workload_deletes == ("w",)


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"labels": {"apps.openyurt.io/pool-name": "test-nodepool"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [{"name": "nginx", "image": "nginx:nginx"}],
                    "initContainers": [{"name": "initContainer", "image": "initOld"}],
                }
            },
        },
    }


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_apply_basic_tweaks(kind: str) -> None:
    obj = _deployment() | {"kind": kind}
    tw = Tweaks.model_validate(
        {
            "replicas": 2,
            "containerImages": [
                {"name": "nginx", "targetImage": "nginx-test"},
                {"name": "initContainer", "targetImage": "initNew"},
            ],
        }
    )
    out = apply_pool_tweaks(obj, kind, [tw], "test-nodepool")
    pod = out["spec"]["template"]["spec"]
    assert (out["spec"]["replicas"], pod["containers"][0]["image"], pod["initContainers"][0]["image"]) == (
        2,
        "nginx-test",
        "initNew",
    )


def test_apply_advanced_tweaks_to_statefulset() -> None:
    obj = _deployment() | {"kind": "StatefulSet"}
    tw = Tweaks.model_validate(
        {
            "patches": [
                {"operation": "replace", "path": "/spec/template/spec/containers/0/image", "value": "tomcat:1.18"},
                {
                    "operation": "add",
                    "path": "/spec/template/spec/volumes",
                    "value": [{"name": "foo", "configMap": {"name": "{{nodepool-name}}-configmap"}}],
                },
            ]
        }
    )
    out = apply_pool_tweaks(obj, "StatefulSet", [tw], "test-nodepool")
    pod = out["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "tomcat:1.18"
    assert pod["volumes"][0]["configMap"]["name"] == "test-nodepool-configmap"
    assert apply_pool_tweaks(obj, "StatefulSet", [], "test-nodepool") == obj


def test_patch_on_empty_deployment_fails_but_basic_tweaks_do_not() -> None:
    empty = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}, "spec": {}}
    basic = Tweaks.model_validate({"replicas": 2, "containerImages": [{"name": "nginx", "targetImage": "x"}]})
    apply_pool_tweaks(empty, "Deployment", [basic], "p")
    bad = Tweaks.model_validate(
        {"patches": [{"operation": "replace", "path": "/spec/template/spec/containers/0/image", "value": "x"}]}
    )
    with pytest.raises(RenderError):
        apply_pool_tweaks(empty, "Deployment", [basic, bad], "p")


def test_remove_of_a_label_has_no_effect_and_add_labels_merges() -> None:
    obj = _deployment()
    tw = Tweaks.model_validate(
        {
            "patches": [
                {"operation": "remove", "path": "/metadata/labels/apps.openyurt.io~1pool-name"},
            ]
        }
    )
    assert apply_pool_tweaks(obj, "Deployment", [tw], "p")["metadata"]["labels"] == obj["metadata"]["labels"]
    add = Tweaks.model_validate(
        {"patches": [{"operation": "add", "path": "/metadata/labels", "value": {"foo": "bar"}}]}
    )
    assert apply_pool_tweaks(obj, "Deployment", [add], "p")["metadata"]["labels"] == {
        "apps.openyurt.io/pool-name": "test-nodepool",
        "foo": "bar",
    }


# --------------------------------------------------------------------------------------------------
# Rendering and status


def test_rendered_workload_labels_selector_and_node_selector() -> None:
    plan = plan_yurtappset(yas(pools=["np1"]), [pool("np1")], [], [], now=NOW)
    (obj,) = plan.workload_creates
    rev = plan.revision
    assert obj["metadata"]["labels"] == {
        "app": "demo",
        "apps.openyurt.io/pool-name": "np1",
        "apps.openyurt.io/controller-revision-hash": rev,
        "apps.openyurt.io/ref-yurtappset": "test-yurtappset",
    }
    assert obj["metadata"]["annotations"] == {"apps.openyurt.io/ref-nodepool": "np1"}
    assert obj["metadata"]["ownerReferences"][0]["controller"] is True
    assert obj["spec"]["selector"]["matchLabels"] == {"app": "demo", "apps.openyurt.io/pool-name": "np1"}
    assert obj["spec"]["template"]["metadata"]["labels"] == {
        "app": "demo",
        "apps.openyurt.io/pool-name": "np1",
        "apps.openyurt.io/controller-revision-hash": rev,
    }
    assert obj["spec"]["template"]["spec"]["nodeSelector"] == {"apps.openyurt.io/nodepool": "np1"}


def test_statefulset_pod_labels_include_template_metadata_labels() -> None:
    tmpl = {
        "statefulSetTemplate": {
            "metadata": {"labels": {"tier": "db"}},
            "spec": deployment_template()["deploymentTemplate"]["spec"],
        }
    }
    plan = plan_yurtappset(yas(pools=["np1"], template=tmpl), [pool("np1")], [], [], now=NOW)
    (obj,) = plan.workload_creates
    assert obj["kind"] == "StatefulSet"
    assert obj["spec"]["template"]["metadata"]["labels"]["tier"] == "db"


def test_generate_name_falls_back_when_not_a_dns_subdomain() -> None:
    assert generate_name("yas", "np1") == "yas-np1-"
    assert generate_name("yas", "Bad_Pool") == "yas-"


def test_replicas_last_matching_tweak_wins_else_template_else_one() -> None:
    owner = yas(tweaks=[{"pools": ["a"], "tweaks": {"replicas": 3}}, {"pools": ["a"], "tweaks": {"replicas": 5}}])
    tmpl = owner.spec.workload.workload_template.deployment_template  # type: ignore[union-attr]
    assert tmpl is not None
    assert pool_replicas(tmpl, matching_tweaks(owner.spec.workload.workload_tweaks or [], pool("a"))) == 5  # type: ignore[union-attr]
    assert pool_replicas(tmpl, []) == 2


def test_update_keeps_name_and_merges_stale_labels() -> None:
    owner = yas(pools=["np1"])
    w = workload("w1", pool_name="np1", revision="old-rev", owner=owner)
    w = w.model_copy(update={"metadata": w.metadata.evolve(labels={**(w.metadata.labels or {}), "hand": "x"})})
    plan = plan_yurtappset(owner, [pool("np1")], [w], [], now=NOW)
    (obj,) = plan.workload_updates
    assert obj["metadata"]["name"] == "w1" and obj["metadata"]["resourceVersion"] == "7"
    assert obj["metadata"]["labels"]["hand"] == "x"
    assert obj["metadata"]["labels"]["apps.openyurt.io/controller-revision-hash"] == plan.revision
    assert obj["spec"]["replicas"] == 2


def test_duplicate_workloads_for_one_pool_keep_one() -> None:
    owner = yas(pools=["np1"])
    plan0 = plan_yurtappset(owner, [pool("np1")], [], [], now=NOW)
    a = workload("a", pool_name="np1", revision=plan0.revision, owner=owner)
    b = workload("b", pool_name="np1", revision="old", owner=owner)
    plan = plan_yurtappset(owner, [pool("np1")], [a, b], [], now=NOW)
    assert plan.workload_deletes == ("b",) and plan.workload_updates == ()


def test_status_counts_ready_and_updated() -> None:
    owner = yas(pools=["a", "b"])
    rev = plan_yurtappset(owner, [], [], [], now=NOW).revision
    ready = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2}
    ws = [
        workload("a", pool_name="a", revision=rev, owner=owner, status=ready),
        workload("b", pool_name="b", revision="old", owner=owner, status={"replicas": 0}),
    ]
    plan = plan_yurtappset(owner, [pool("a"), pool("b")], ws, [], now=NOW)
    st = plan.plan.status_updates[0].obj["status"]
    assert (st["totalWorkloads"], st["readyWorkloads"], st["updatedWorkloads"]) == (2, 1, 1)
    assert {c["type"]: c["reason"] for c in st["conditions"]}["AppReady"] == "NotAllWorkloadsReady"


def test_set_condition_keeps_identical_and_moves_replaced_to_end() -> None:
    a = {"type": "A", "status": "True", "reason": "", "message": "m", "lastTransitionTime": "t0"}
    b = {"type": "B", "status": "True", "reason": "", "message": "", "lastTransitionTime": "t0"}
    assert set_condition([a, b], {**a, "lastTransitionTime": "t1"}) == [a, b]
    new_a = {**a, "status": "False", "lastTransitionTime": "t1"}
    assert set_condition([a, b], new_a) == [b, new_a]


def test_deleting_yurtappset_gets_an_empty_plan() -> None:
    owner = yas(pools=["np1"])
    owner = owner.model_copy(update={"metadata": owner.metadata.evolve(deletion_timestamp="2025-01-01T00:00:00Z")})
    assert plan_yurtappset(owner, [pool("np1")], [], [], now=NOW).is_empty


def test_release_owned_workload_that_lost_the_ref_label() -> None:
    owner = yas(pools=["np1"])
    w = workload("w", pool_name="np1", revision="r", owner=owner, ref=None)
    plan = plan_yurtappset(owner, [pool("np1")], [w], [], now=NOW)
    (patch,) = plan.plan.patches
    assert patch.patch["metadata"]["ownerReferences"] is None
    assert len(plan.workload_creates) == 1
