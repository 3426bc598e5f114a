"""One contract, two implementations: the in-memory client and kubernetes-asyncio on the embedded server.

Cases: create/get round trip; AlreadyExists, NotFound and Conflict arrive as our error classes with the
server's message; unconditional and no-op updates; merge and JSON patches; delete with preconditions;
pod binding and zero-grace pod deletes; label/field selectors; paginated lists; watch ordering,
selector transitions, bookmarks-or-timeouts, 410 after compaction; the status subresource split;
finalizers; validation errors with causes; discovery of an unknown kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from openyurt.adapters.kube.protocols import WatchEvent
from openyurt.errors import (
    AlreadyExistsError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
)

from .conftest import Backend


def cm(name: str, namespace: str, data: dict[str, str] | None = None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}


async def take(stream: AsyncIterator[WatchEvent], n: int, timeout: float = 10.0) -> list[WatchEvent]:
    out: list[WatchEvent] = []

    async def collect() -> None:
        async for ev in stream:
            if ev.type == "BOOKMARK":
                continue
            out.append(ev)
            if len(out) == n:
                return

    await asyncio.wait_for(collect(), timeout)
    await stream.aclose()  # type: ignore[attr-defined]
    return out


async def test_create_get_round_trip(kube: Backend, namespace: str) -> None:
    created = await kube.client.create(cm("a", namespace, {"x": "1"}))
    meta = created["metadata"]
    assert meta["resourceVersion"] and meta["uid"] and meta["creationTimestamp"]
    got = await kube.client.get("v1", "ConfigMap", "a", namespace)
    assert got["data"] == {"x": "1"}
    assert got["metadata"]["resourceVersion"] == meta["resourceVersion"]
    assert (got["apiVersion"], got["kind"]) == ("v1", "ConfigMap")


async def test_already_exists_and_not_found_carry_the_server_message(kube: Backend, namespace: str) -> None:
    await kube.client.create(cm("a", namespace))
    with pytest.raises(AlreadyExistsError) as exists:
        await kube.client.create(cm("a", namespace))
    assert isinstance(exists.value, ConflictError)
    assert exists.value.code == 409 and exists.value.reason == "AlreadyExists"
    assert exists.value.message == 'configmaps "a" already exists'
    with pytest.raises(NotFoundError) as missing:
        await kube.client.get("v1", "ConfigMap", "nope", namespace)
    assert missing.value.message == 'configmaps "nope" not found'


async def test_conflict_on_stale_resource_version(kube: Backend, namespace: str) -> None:
    first = await kube.client.create(cm("a", namespace))
    second = dict(first, data={"k": "2"})
    await kube.client.update(second)
    stale = dict(first, data={"k": "3"})
    with pytest.raises(ConflictError) as err:
        await kube.client.update(stale)
    assert err.value.code == 409 and err.value.reason == "Conflict"
    assert err.value.message == (
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


async def test_unconditional_and_noop_updates(kube: Backend, namespace: str) -> None:
    first = await kube.client.create(cm("a", namespace))
    body = dict(first, data={"k": "2"})
    body["metadata"] = {k: v for k, v in first["metadata"].items() if k != "resourceVersion"}
    updated = await kube.client.update(body)
    assert updated["data"] == {"k": "2"}
    assert int(updated["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    again = await kube.client.update(updated)
    assert again["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]


async def test_merge_and_json_patch(kube: Backend, namespace: str) -> None:
    await kube.client.create(cm("a", namespace, {"a": "1", "b": "2"}))
    merged = await kube.client.patch("v1", "ConfigMap", "a", {"data": {"b": None, "c": "3"}}, namespace)
    assert merged["data"] == {"a": "1", "c": "3"}
    ops = [{"op": "replace", "path": "/data/a", "value": "9"}]
    patched = await kube.client.patch("v1", "ConfigMap", "a", ops, namespace, patch_type="json")
    assert patched["data"] == {"a": "9", "c": "3"}
    with pytest.raises(NotFoundError):
        await kube.client.patch("v1", "ConfigMap", "nope", {"data": {}}, namespace)


async def test_delete_with_preconditions(kube: Backend, namespace: str) -> None:
    obj = await kube.client.create(cm("a", namespace))
    with pytest.raises(ConflictError):
        await kube.client.delete("v1", "ConfigMap", "a", namespace, uid="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ConflictError):
        await kube.client.delete("v1", "ConfigMap", "a", namespace, resource_version="1")
    await kube.client.delete("v1", "ConfigMap", "a", namespace, uid=obj["metadata"]["uid"])
    with pytest.raises(NotFoundError):
        await kube.client.get("v1", "ConfigMap", "a", namespace)
    with pytest.raises(NotFoundError):
        await kube.client.delete("v1", "ConfigMap", "a", namespace)


def pod(name: str, namespace: str, node: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


async def test_bind_pod_assigns_a_node_once(kube: Backend, namespace: str) -> None:
    created = await kube.client.create(pod("p", namespace))
    await kube.client.bind_pod(namespace, "p", "node-1")
    got = await kube.client.get("v1", "Pod", "p", namespace)
    assert got["spec"]["nodeName"] == "node-1"
    assert int(got["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    with pytest.raises(ConflictError) as taken:
        await kube.client.bind_pod(namespace, "p", "node-2")
    assert taken.value.message == (
        'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "node-1"'
    )
    with pytest.raises(NotFoundError) as missing:
        await kube.client.bind_pod(namespace, "nope", "node-1")
    assert missing.value.message == 'pods "nope" not found'
    with pytest.raises(InvalidError):
        await kube.client.bind_pod(namespace, "p", "")


async def test_delete_with_zero_grace_period_is_immediate(kube: Backend, namespace: str) -> None:
    obj = await kube.client.create(pod("p", namespace, node="node-1"))
    await kube.client.delete("v1", "Pod", "p", namespace, uid=obj["metadata"]["uid"], grace_period_seconds=0)
    with pytest.raises(NotFoundError):
        await kube.client.get("v1", "Pod", "p", namespace)


async def test_selectors_and_pagination(kube: Backend, namespace: str) -> None:
    for i in range(5):
        await kube.client.create(cm(f"c{i}", namespace, app="web" if i % 2 == 0 else "db"))
    web = await kube.client.list("v1", "ConfigMap", namespace, label_selector="app=web")
    assert sorted(o["metadata"]["name"] for o in web.items) == ["c0", "c2", "c4"]
    one = await kube.client.list("v1", "ConfigMap", namespace, field_selector="metadata.name=c3")
    assert [o["metadata"]["name"] for o in one.items] == ["c3"]
    names: list[str] = []
    page = await kube.client.list("v1", "ConfigMap", namespace, limit=2)
    first_rv = page.resource_version
    pages = 1
    names += [o["metadata"]["name"] for o in page.items]
    await kube.client.create(cm("c9", namespace))  # not in the snapshot the pages come from
    while page.continue_token:
        page = await kube.client.list("v1", "ConfigMap", namespace, limit=2, continue_token=page.continue_token)
        assert page.resource_version == first_rv
        names += [o["metadata"]["name"] for o in page.items]
        pages += 1
    assert pages == 3
    assert [n for n in names if n.startswith("c")][:5] == ["c0", "c1", "c2", "c3", "c4"]


async def test_watch_from_a_version_sees_every_change_in_order(kube: Backend, namespace: str) -> None:
    first = await kube.client.create(cm("a", namespace))
    rv = first["metadata"]["resourceVersion"]
    stream = kube.client.watch("v1", "ConfigMap", namespace, resource_version=rv, timeout_seconds=30)
    await kube.client.patch("v1", "ConfigMap", "a", {"data": {"k": "2"}}, namespace)
    await kube.client.create(cm("b", namespace))
    await kube.client.delete("v1", "ConfigMap", "a", namespace)
    events = await take(stream, 3)
    assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
        ("MODIFIED", "a"),
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]
    rvs = [int(e.resource_version) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)


async def test_watch_without_version_starts_with_current_objects(kube: Backend, namespace: str) -> None:
    await kube.client.create(cm("a", namespace))
    events = await take(kube.client.watch("v1", "ConfigMap", namespace, timeout_seconds=30), 1)
    assert events[0].type == "ADDED" and events[0].object["metadata"]["name"] == "a"


async def test_watch_selector_transitions(kube: Backend, namespace: str) -> None:
    obj = await kube.client.create(cm("a", namespace, app="web"))
    stream = kube.client.watch(
        "v1",
        "ConfigMap",
        namespace,
        resource_version=obj["metadata"]["resourceVersion"],
        label_selector="app=web",
        timeout_seconds=30,
    )
    await kube.client.patch("v1", "ConfigMap", "a", {"metadata": {"labels": {"app": "db"}}}, namespace)
    await kube.client.patch("v1", "ConfigMap", "a", {"metadata": {"labels": {"app": "web"}}}, namespace)
    events = await take(stream, 2)
    assert [e.type for e in events] == ["DELETED", "ADDED"]


async def test_watch_timeout_ends_the_stream(kube: Backend, namespace: str) -> None:
    obj = await kube.client.create(cm("a", namespace))
    stream = kube.client.watch(
        "v1", "ConfigMap", namespace, resource_version=obj["metadata"]["resourceVersion"], timeout_seconds=1
    )

    async def drain() -> list[WatchEvent]:
        return [e async for e in stream]

    events = await asyncio.wait_for(drain(), 10)
    assert all(e.type == "BOOKMARK" for e in events)


async def test_watch_from_compacted_version_is_gone(kube: Backend, namespace: str) -> None:
    first = await kube.client.create(cm("a", namespace))
    for i in range(3):
        await kube.client.patch("v1", "ConfigMap", "a", {"data": {"k": str(i)}}, namespace)
    await kube.compact()
    client = kube.client
    if kube.server is not None:  # the server restarted: reconnect
        from openyurt.adapters.kube.asyncio_client import AsyncioClient

        client = await AsyncioClient.from_kubeconfig(kube.server.kubeconfig)
    try:
        with pytest.raises(GoneError) as gone:
            await take(
                client.watch(
                    "v1",
                    "ConfigMap",
                    namespace,
                    resource_version=first["metadata"]["resourceVersion"],
                    timeout_seconds=5,
                ),
                1,
            )
        assert gone.value.code == 410
        assert "too old resource version" in gone.value.message
    finally:
        if client is not kube.client:
            await client.close()


async def test_status_subresource_split(kube: Backend) -> None:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": f"n-{id(kube) % 100000}-{kube.name}"},
        "spec": {"unschedulable": False},
    }
    created = await kube.client.create(node)
    name = created["metadata"]["name"]
    try:
        with_status = dict(created, status={"phase": "Running"}, spec={"unschedulable": True})
        updated = await kube.client.update(with_status)
        assert updated["spec"] == {"unschedulable": True}
        assert "phase" not in (updated.get("status") or {})
        status_write = dict(updated, status={"phase": "Running"}, spec={"unschedulable": False})
        after = await kube.client.update_status(status_write)
        assert after["status"]["phase"] == "Running"
        assert after["spec"] == {"unschedulable": True}
    finally:
        await kube.client.delete("v1", "Node", name)


async def test_finalizers_hold_deletion(kube: Backend, namespace: str) -> None:
    obj = cm("a", namespace)
    obj["metadata"]["finalizers"] = ["example.com/hold"]
    created = await kube.client.create(obj)
    stream = kube.client.watch(
        "v1", "ConfigMap", namespace, resource_version=created["metadata"]["resourceVersion"], timeout_seconds=30
    )
    await kube.client.delete("v1", "ConfigMap", "a", namespace)
    held = await kube.client.get("v1", "ConfigMap", "a", namespace)
    assert held["metadata"]["deletionTimestamp"]
    await kube.client.patch("v1", "ConfigMap", "a", {"metadata": {"finalizers": None}}, namespace)
    with pytest.raises(NotFoundError):
        await kube.client.get("v1", "ConfigMap", "a", namespace)
    events = await take(stream, 3)
    assert [e.type for e in events] == ["MODIFIED", "MODIFIED", "DELETED"]
    assert events[2].object["metadata"]["name"] == "a"


async def test_invalid_object_names_the_field(kube: Backend, namespace: str) -> None:
    with pytest.raises(InvalidError) as err:
        await kube.client.create(cm("Bad_Name", namespace))
    assert err.value.code == 422
    assert any(c.field == "metadata.name" for c in err.value.causes)


async def test_unknown_kind_is_not_found(kube: Backend) -> None:
    with pytest.raises(NotFoundError):
        await kube.client.resolve("example.com/v1", "Widget")
    rt = await kube.client.resolve("apps.openyurt.io/v1beta1", "NodePool")
    assert rt.plural == "nodepools" and not rt.namespaced
