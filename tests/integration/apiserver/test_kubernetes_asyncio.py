"""kubernetes_asyncio, unchanged, against the in-process server: typed APIs, custom objects, Watch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.rest import ApiException

from openyurt.runtime.apiserver.main import Running

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def api(inproc: Running) -> AsyncIterator[client.ApiClient]:
    cfg = client.Configuration(
        host=inproc.url, api_key={"BearerToken": inproc.token}, api_key_prefix={"BearerToken": "Bearer"}
    )
    async with client.ApiClient(cfg) as c:
        yield c


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }


async def test_core_crud_conflict_and_selectors(api: client.ApiClient) -> None:
    v1 = client.CoreV1Api(api)
    created = await v1.create_namespaced_pod(
        "default", {**pod(""), "metadata": {"generateName": "w-", "labels": {"app": "web"}}}
    )
    name = created.metadata.name
    assert name.startswith("w-") and len(name) == 7 and created.metadata.uid
    await v1.create_namespaced_pod("default", pod("other", app="db"))
    lst = await v1.list_namespaced_pod("default", label_selector="app=web")
    assert [p.metadata.name for p in lst.items] == [name]
    lst = await v1.list_namespaced_pod("default", field_selector=f"metadata.name={name}")
    assert len(lst.items) == 1
    lst = await v1.list_namespaced_pod("default", field_selector="status.phase=Pending")
    assert len(lst.items) == 2
    with pytest.raises(ApiException) as ei:
        await v1.list_namespaced_pod("default", field_selector="spec.bogus=1")
    assert ei.value.status == 400
    # strategic merge (dict body) and json patch (list body)
    await v1.patch_namespaced_pod(name, "default", {"metadata": {"labels": {"x": "1"}}})
    await v1.patch_namespaced_pod(name, "default", [{"op": "add", "path": "/metadata/labels/y", "value": "2"}])
    got = await v1.read_namespaced_pod(name, "default")
    assert got.metadata.labels == {"app": "web", "x": "1", "y": "2"}
    got.metadata.labels["z"] = "3"
    replaced = await v1.replace_namespaced_pod(name, "default", got)
    assert int(replaced.metadata.resource_version) > int(got.metadata.resource_version)
    with pytest.raises(ApiException) as ei:
        await v1.replace_namespaced_pod(name, "default", got)  # stale resourceVersion
    assert ei.value.status == 409 and json.loads(ei.value.body)["reason"] == "Conflict"
    with pytest.raises(ApiException) as ei:
        await v1.create_namespaced_pod("default", pod("other"))
    assert ei.value.status == 409 and json.loads(ei.value.body)["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as ei:
        await v1.create_namespaced_pod("nope", pod("x"))
    assert ei.value.status == 404
    # status subresource: main endpoint ignores status; /status changes only status
    got = await v1.read_namespaced_pod(name, "default")
    await v1.patch_namespaced_pod_status(name, "default", {"status": {"phase": "Running", "podIP": "10.0.0.7"}})
    await v1.patch_namespaced_pod(name, "default", {"status": {"phase": "Failed"}})
    got = await v1.read_namespaced_pod(name, "default")
    assert got.status.phase == "Running" and got.status.pod_ip == "10.0.0.7"
    # pagination at a consistent revision
    for i in range(5):
        await v1.create_namespaced_config_map("default", {"metadata": {"name": f"cm{i}"}, "data": {"i": str(i)}})
    page = await v1.list_namespaced_config_map("default", limit=2)
    names = [c.metadata.name for c in page.items]
    rv = page.metadata.resource_version
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "cm9"}})
    while page.metadata._continue:
        page = await v1.list_namespaced_config_map("default", limit=2, _continue=page.metadata._continue)
        assert page.metadata.resource_version == rv
        names += [c.metadata.name for c in page.items]
    assert names == [f"cm{i}" for i in range(5)]
    resp = await v1.delete_namespaced_pod(name, "default")
    assert resp.metadata.name == name
    status = await v1.delete_namespaced_config_map("cm0", "default")
    assert status.status == "Success"


async def test_apps_coordination_and_scale(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    created = await apps.create_namespaced_deployment("default", d)
    assert created.metadata.generation == 1
    await apps.patch_namespaced_deployment("default" and "web", "default", {"metadata": {"labels": {"a": "b"}}})
    assert (await apps.read_namespaced_deployment("web", "default")).metadata.generation == 1
    await apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}})
    dep = await apps.read_namespaced_deployment("web", "default")
    assert dep.metadata.generation == 2 and dep.spec.replicas == 3
    scale = await apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 3
    await apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 5}})
    assert (await apps.read_namespaced_deployment("web", "default")).spec.replicas == 5
    await apps.patch_namespaced_deployment_status("web", "default", {"status": {"readyReplicas": 2}})
    dep = await apps.read_namespaced_deployment("web", "default")
    assert dep.status.ready_replicas == 2 and dep.metadata.generation == 3
    coord = client.CoordinationV1Api(api)
    lease = {
        "metadata": {"name": "edge-1"},
        "spec": {"holderIdentity": "edge-1", "leaseDurationSeconds": 40, "renewTime": "2026-01-01T00:00:00.000000Z"},
    }
    await coord.create_namespaced_lease("kube-node-lease", lease)
    got = await coord.read_namespaced_lease("edge-1", "kube-node-lease")
    for _ in range(3):
        got.spec.lease_transitions = (got.spec.lease_transitions or 0) + 1
        got = await coord.replace_namespaced_lease("edge-1", "kube-node-lease", got)
    assert got.spec.lease_transitions == 3 and got.metadata.generation is None


async def test_custom_objects_and_versions(api: client.ApiClient) -> None:
    co = client.CustomObjectsApi(api)
    w = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1"},
        "spec": {"color": "red", "extra": True},
        "status": {"ready": True},
    }
    created = await co.create_namespaced_custom_object("example.com", "v1", "default", "widgets", w)
    assert created["spec"] == {"color": "red", "size": 1}  # pruned, defaulted
    assert "status" not in created  # status subresource: dropped on create
    with pytest.raises(ApiException) as ei:
        await co.create_namespaced_custom_object(
            "example.com", "v1", "default", "widgets", {**w, "metadata": {"name": "w2"}, "spec": {"size": -1}}
        )
    body = json.loads(ei.value.body)
    assert ei.value.status == 422 and body["reason"] == "Invalid"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert {"spec.color", "spec.size"} <= fields
    patched = await co.patch_namespaced_custom_object(
        "example.com",
        "v1",
        "default",
        "widgets",
        "w1",
        {"spec": {"color": "blue"}},
        _content_type="application/merge-patch+json",
    )
    assert patched["spec"]["color"] == "blue" and patched["metadata"]["generation"] == 2
    with pytest.raises(ApiException) as ei:
        await co.patch_namespaced_custom_object(
            "example.com",
            "v1",
            "default",
            "widgets",
            "w1",
            {"spec": {"color": "red"}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert ei.value.status == 415
    await co.patch_namespaced_custom_object_status(
        "example.com",
        "v1",
        "default",
        "widgets",
        "w1",
        {"status": {"ready": True}},
        _content_type="application/merge-patch+json",
    )
    got = await co.get_namespaced_custom_object("example.com", "v1beta1", "default", "widgets", "w1")
    assert got["apiVersion"] == "example.com/v1beta1" and got["status"] == {"ready": True}
    assert got["metadata"]["generation"] == 2
    sel = await co.list_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", field_selector="spec.color=blue"
    )
    assert [i["metadata"]["name"] for i in sel["items"]] == ["w1"]
    assert sel["kind"] == "WidgetList"
    await co.delete_namespaced_custom_object("example.com", "v1", "default", "widgets", "w1")


async def test_watch_helper_bookmarks_and_410(api: client.ApiClient, inproc: Running) -> None:
    v1 = client.CoreV1Api(api)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    w = watch.Watch()
    seen: list[tuple[str, str]] = []

    async def consume() -> None:
        async for ev in w.stream(
            v1.list_namespaced_config_map, "default", timeout_seconds=5, allow_watch_bookmarks=True
        ):
            if ev["type"] == "BOOKMARK":
                seen.append(("BOOKMARK", ev["object"]["metadata"]["resourceVersion"]))
            else:
                seen.append((ev["type"], ev["object"].metadata.name))
            if ("DELETED", "b") in seen and any(t == "BOOKMARK" for t, _ in seen):
                w.stop()

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    await v1.delete_namespaced_config_map("b", "default")
    await asyncio.wait_for(task, 10)
    assert ("ADDED", "a") in seen and ("ADDED", "b") in seen and ("DELETED", "b") in seen
    # a compacted start point: ERROR 410 in-stream -> ApiException(410)
    for i in range(5):
        await v1.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
    await inproc.server.store.compact(2)
    with pytest.raises(ApiException) as ei:
        async for _ in watch.Watch().stream(
            v1.list_namespaced_config_map, "default", resource_version="3", timeout_seconds=2
        ):
            pass
    assert ei.value.status == 410
    # relist recovers
    lst = await v1.list_namespaced_config_map("default")
    assert int(lst.metadata.resource_version) > 3
