"""YurtAppDaemon: one workload per NodePool matching nodepoolSelector (removed upstream; kept here)."""

from __future__ import annotations

from typing import Any

from openyurt.core.api.openyurt_apps_v1alpha1 import YurtAppDaemon
from openyurt.core.planners import plan_yurtappdaemon
from tests.unit.planners.builders import NOW, deployment_template, pool, workload


def yad(**status: Any) -> YurtAppDaemon:
    data: dict[str, Any] = {
        "apiVersion": "apps.openyurt.io/v1alpha1",
        "kind": "YurtAppDaemon",
        "metadata": {"name": "yad", "namespace": "default", "uid": "uid-yad", "generation": 2},
        "spec": {
            "selector": {"matchLabels": {"app": "demo"}},
            "workloadTemplate": deployment_template(),
            "nodepoolSelector": {"matchLabels": {"zone": "east"}},
        },
    }
    return YurtAppDaemon.model_validate(data)


def test_matching_pools_get_workloads_and_others_lose_them() -> None:
    owner = yad()
    pools = [
        pool("e1", labels={"zone": "east"}),
        pool("e2", labels={"zone": "east"}),
        pool("w", labels={"zone": "west"}),
    ]
    first = plan_yurtappdaemon(owner, pools, [], [], now=NOW)
    assert first.selected_pools == ("e1", "e2")
    creates = [c.obj for c in first.plan.creates if c.obj["kind"] == "Deployment"]
    assert [c["metadata"]["generateName"] for c in creates] == ["yad-e1-", "yad-e2-"]
    assert "apps.openyurt.io/ref-yurtappset" not in creates[0]["metadata"]["labels"]
    st = first.plan.status_updates[0].obj["status"]
    assert st["nodepools"] == ["e1", "e2"] and st["templateType"] == "Deployment"

    w_gone = workload("w-w", pool_name="w", revision=first.revision, owner=owner, ref=None)  # type: ignore[arg-type]
    w_e1 = workload("w-e1", pool_name="e1", revision=first.revision, owner=owner, ref=None)  # type: ignore[arg-type]
    second = plan_yurtappdaemon(owner, pools, [w_gone, w_e1], [], now=NOW)
    assert [d.ref.name for d in second.plan.deletes] == ["w-w"]
    assert [c.obj["metadata"]["generateName"] for c in second.plan.creates if c.obj["kind"] == "Deployment"] == [
        "yad-e2-"
    ]
