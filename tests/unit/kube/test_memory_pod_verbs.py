"""Pod binding and grace-period deletes on the in-memory client, directly and through an Interceptor.

Cases: bind sets ``spec.nodeName`` and a watcher sees it as MODIFIED; an injected failure on ``bind_pod``
reaches the caller and the next call passes through; a delete with a grace period is immediate here.
"""

from __future__ import annotations

from typing import Any

import pytest

from openyurt.adapters.kube.interceptor import Interceptor, conflict
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.errors import ConflictError, NotFoundError


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "d"},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }


async def test_bind_is_a_modification_watchers_see() -> None:
    mem = MemoryClient()
    created = await mem.create(pod("p"))
    stream = mem.watch("v1", "Pod", "d", resource_version=created["metadata"]["resourceVersion"])
    await mem.bind_pod("d", "p", "n1")
    event = await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert event.type == "MODIFIED" and event.object["spec"]["nodeName"] == "n1"


async def test_interceptor_forwards_bind_and_grace_period() -> None:
    mem = MemoryClient()
    client = Interceptor(mem)
    await client.create(pod("p"))
    client.fail("bind_pod", conflict)
    with pytest.raises(ConflictError):
        await client.bind_pod("d", "p", "n1")
    await client.bind_pod("d", "p", "n1")
    assert (await mem.get("v1", "Pod", "p", "d"))["spec"]["nodeName"] == "n1"
    await client.delete("v1", "Pod", "p", "d", grace_period_seconds=30)
    with pytest.raises(NotFoundError):
        await mem.get("v1", "Pod", "p", "d")
    assert client.calls == ["create", "bind_pod", "bind_pod", "delete"]
    assert mem.calls == ["create", "bind_pod", "get", "delete", "get"]
