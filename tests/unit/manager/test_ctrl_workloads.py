"""yurtappset, yurtappdaemon, podbinding and servicetopology controllers on the in-memory API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from openyurt.errors import make_error
from tests.unit.manager.harness import Rig, node, nodepool

NS = "default"


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.stop()


def deployment_template(replicas: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1"}]},
            },
        },
    }


def yurtappset(name: str, pools: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps.openyurt.io/v1beta1",
        "kind": "YurtAppSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "pools": pools,
            "workload": {
                "workloadTemplate": {"deploymentTemplate": deployment_template()},
                "workloadTweaks": extra.pop("tweaks", []),
            },
            **extra,
        },
    }


def by_pool(rig: Rig) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["labels"]["apps.openyurt.io/pool-name"]: d for d in rig.all("Deployment", NS)}


async def test_yurtappset_workloads_status_and_pool_removal(rig: Rig) -> None:
    for p in ("a", "b"):
        await rig.mem.create(nodepool(p))
    await rig.mem.create(yurtappset("web", ["a", "b"], tweaks=[{"pools": ["b"], "tweaks": {"replicas": 3}}]))
    await rig.start("yurtappset")
    await rig.until(lambda: set(by_pool(rig)) == {"a", "b"})
    await rig.idle(10)
    deps = by_pool(rig)
    assert len(rig.all("Deployment", NS)) == 2  # no duplicates from a stale cache
    yas = rig.one("YurtAppSet", "web", NS)
    assert yas is not None
    rev = yas["status"]["currentRevision"]
    assert rev.startswith("web-")
    for pool, dep in deps.items():
        assert dep["metadata"]["name"].startswith(f"web-{pool}-")
        assert dep["metadata"]["labels"]["apps.openyurt.io/controller-revision-hash"] == rev
        assert dep["metadata"]["labels"]["apps.openyurt.io/ref-yurtappset"] == "web"
        assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"apps.openyurt.io/nodepool": pool}
    assert deps["a"]["spec"]["replicas"] == 1 and deps["b"]["spec"]["replicas"] == 3
    assert yas["status"]["totalWorkloads"] == 2
    assert yas["status"]["observedGeneration"] == yas["metadata"]["generation"]
    types = {c["type"]: c for c in yas["status"]["conditions"]}
    assert types["PoolFound"]["status"] == "True" and types["AppDispatched"]["status"] == "True"
    assert rig.one("ControllerRevision", rev, NS) is not None

    # workloads become ready: readyWorkloads follows (Deployments are watched)
    for dep in deps.values():
        dep["status"] = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}
        await rig.mem.update_status(dep)
    await rig.until(lambda: ((rig.one("YurtAppSet", "web", NS) or {}).get("status") or {}).get("readyWorkloads") == 2)

    # drop pool b: its workload goes
    yas = rig.one("YurtAppSet", "web", NS)
    assert yas is not None
    yas["spec"]["pools"] = ["a"]
    await rig.mem.update(yas)
    await rig.until(lambda: set(by_pool(rig)) == {"a"})
    events = {e["reason"] for e in rig.all("Event", NS)}
    assert {"Successful CreateWorkload", "Successful DeleteWorkload"} <= events


async def test_yurtappset_create_failure_sets_condition_and_retries(rig: Rig) -> None:
    await rig.mem.create(nodepool("a"))
    await rig.mem.create(yurtappset("web", ["a"]))
    left = {"n": 2}
    real_create = rig.mem.create

    async def flaky_create(obj: Any) -> dict[str, Any]:
        if obj.get("kind") == "Deployment" and left["n"] > 0:
            left["n"] -= 1
            raise make_error(500, "InternalError", "disk full")
        return await real_create(obj)

    rig.mem.create = flaky_create  # type: ignore[method-assign]
    await rig.start("yurtappset")

    def dispatched() -> dict[str, Any]:
        conds = ((rig.one("YurtAppSet", "web", NS) or {}).get("status") or {}).get("conditions") or []
        return next((c for c in conds if c["type"] == "AppDispatched"), {})

    await rig.until(lambda: dispatched().get("reason") == "CreateWorkloadError")
    assert "disk full" in dispatched()["message"]
    await rig.until(lambda: set(by_pool(rig)) == {"a"})
    await rig.until(lambda: dispatched().get("status") == "True")
    assert rig.counts("yurtappset")["error"] >= 1
    assert "Failed CreateWorkload" in {e["reason"] for e in rig.all("Event", NS)}


async def test_invalid_write_is_terminal(rig: Rig) -> None:
    await rig.mem.create(nodepool("a"))
    await rig.mem.create(yurtappset("web", ["a"]))
    real_create = rig.mem.create

    async def refuse(obj: Any) -> dict[str, Any]:
        if obj.get("kind") == "Deployment":
            raise make_error(422, "Invalid", "spec.template: bad")
        return await real_create(obj)

    rig.mem.create = refuse  # type: ignore[method-assign]
    await rig.start("yurtappset")
    await rig.until(lambda: rig.counts("yurtappset").get("terminal_error", 0) >= 1)
    await rig.idle(60)
    assert rig.counts("yurtappset").get("error", 0) == 0


async def test_yurtappdaemon_follows_matching_pools(rig: Rig) -> None:
    await rig.mem.create(nodepool("a", labels_meta={"app": "yes"}))
    await rig.mem.create(nodepool("b"))
    await rig.mem.create(
        {
            "apiVersion": "apps.openyurt.io/v1alpha1",
            "kind": "YurtAppDaemon",
            "metadata": {"name": "d", "namespace": NS},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "nodepoolSelector": {"matchLabels": {"app": "yes"}},
                "workloadTemplate": {"deploymentTemplate": deployment_template()},
            },
        }
    )
    await rig.start("yurtappdaemon")
    await rig.until(lambda: set(by_pool(rig)) == {"a"})
    pool_b = rig.one("NodePool", "b")
    assert pool_b is not None
    pool_b["metadata"]["labels"] = {"app": "yes"}
    await rig.mem.update(pool_b)
    await rig.until(lambda: set(by_pool(rig)) == {"a", "b"})
    pool_a = rig.one("NodePool", "a")
    assert pool_a is not None
    pool_a["metadata"]["labels"] = {}
    await rig.mem.update(pool_a)
    await rig.until(lambda: set(by_pool(rig)) == {"b"})
    st = (rig.one("YurtAppDaemon", "d", NS) or {}).get("status") or {}
    assert st.get("templateType") == "Deployment"


def pod(name: str, node_name: str, seconds: int = 300) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": "c", "image": "x"}],
            "tolerations": [
                {"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
                for k in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
            ],
        },
    }


async def test_pod_binding(rig: Rig) -> None:
    await rig.mem.create(
        node(
            "edge",
            labels={"openyurt.io/is-edge-worker": "true"},
            metadata={"annotations": {"node.openyurt.io/autonomy-duration": "2h"}},
        )
    )
    await rig.mem.create(pod("p", "edge"))
    await rig.start("podbinding")

    def seconds() -> list[int | None]:
        p = rig.one("Pod", "p", NS) or {}
        return [t.get("tolerationSeconds") for t in p["spec"]["tolerations"]]

    await rig.until(lambda: seconds() == [7200, 7200])
    p = rig.one("Pod", "p", NS)
    assert p is not None
    assert p["metadata"]["annotations"]["apps.openyurt.io/original-not-ready-toleration-duration"] == "300"
    # autonomy switched off: the originals come back
    n = rig.one("Node", "edge")
    assert n is not None
    del n["metadata"]["annotations"]["node.openyurt.io/autonomy-duration"]
    await rig.mem.update(n)
    await rig.until(lambda: seconds() == [300, 300])


async def test_service_topology_touches_endpointslices(rig: Rig) -> None:
    await rig.mem.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s", "namespace": NS},
            "spec": {"ports": [{"port": 80}]},
        }
    )
    await rig.mem.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "s-1", "namespace": NS, "labels": {"kubernetes.io/service-name": "s"}},
            "addressType": "IPv4",
            "endpoints": [],
        }
    )
    await rig.mem.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "s", "namespace": NS}})
    await rig.start("servicetopology-endpointslice", "servicetopology-endpoints")
    await rig.idle(5)
    assert "annotations" not in (rig.one("EndpointSlice", "s-1", NS) or {})["metadata"]
    svc = rig.one("Service", "s", NS)
    assert svc is not None
    svc["metadata"]["annotations"] = {"openyurt.io/topologyKeys": "openyurt.io/nodepool"}
    await rig.mem.update(svc)

    def trigger(kind: str, name: str) -> str | None:
        meta = (rig.one(kind, name, NS) or {}).get("metadata") or {}
        return (meta.get("annotations") or {}).get("openyurt.io/update-trigger")

    await rig.until(lambda: trigger("EndpointSlice", "s-1") and trigger("Endpoints", "s"))
