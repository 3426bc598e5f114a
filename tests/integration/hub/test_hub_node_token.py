"""The hub's own writes to the cloud: the ``Autonomy`` condition it keeps on the Node when answering
kubelet's Node GET (yurthub.md §1.6), and the join token rotated through the admin port."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.hub.conftest import NODE, ApiServer, Hub, http_json, wait_until

pytestmark = pytest.mark.timeout(120)

KUBELET = "kubelet/v1.31.0 (linux/amd64) kubernetes/abc"
AUTONOMY = "node.beta.openyurt.io/autonomy"
NODE_PATH = f"/api/v1/nodes/{NODE}"


def autonomy(node: Any) -> dict[str, Any] | None:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Autonomy":
            return dict(cond)
    return None


async def test_kubelet_node_get_maintains_the_autonomy_condition(
    apiserver: ApiServer, hubs: list[Hub], tmp_path: Path
) -> None:
    hub = Hub(tmp_path / "hub", apiserver)
    hubs.append(hub)
    hub.start()
    async with aiohttp.ClientSession() as s:
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE, "annotations": {AUTONOMY: "true"}}}
        status, _ = await http_json(
            s, "POST", apiserver.url + "/api/v1/nodes", ua="test", headers=apiserver.headers, body=node
        )
        assert status == 201

        async def cloud_condition(want: str) -> bool:
            code, got = await http_json(s, "GET", apiserver.url + NODE_PATH, ua="test", headers=apiserver.headers)
            cond = autonomy(got) if code == 200 else None
            return cond is not None and cond["status"] == want

        # kubelet's first GET: not cached yet, read from the cloud, condition written, answered
        code, got = await http_json(s, "GET", hub.proxy + NODE_PATH, ua=KUBELET)
        assert code == 200, got
        cond = autonomy(got)
        assert cond is not None and (cond["status"], cond["reason"]) == ("True", "autonomy enabled successfully")
        await wait_until(lambda: cloud_condition("True"), 10, "Autonomy=True written through nodes/status")
        first_transition = cond["lastTransitionTime"]

        # unchanged: the cached Node is served, nothing is written
        code, again = await http_json(s, "GET", hub.proxy + NODE_PATH, ua=KUBELET)
        assert code == 200 and autonomy(again) == cond

        # the annotation is removed in the cloud; kubelet's status patch brings the Node to the cache
        patch = [{"op": "remove", "path": "/metadata/annotations/node.beta.openyurt.io~1autonomy"}]
        code, _ = await http_json(
            s, "PATCH", apiserver.url + NODE_PATH, ua="test", body=patch,
            headers={**apiserver.headers, "Content-Type": "application/json-patch+json"},
        )  # fmt: skip
        assert code == 200
        code, _ = await http_json(
            s, "PATCH", hub.proxy + NODE_PATH + "/status", ua=KUBELET, body={"status": {}},
            headers={"Content-Type": "application/strategic-merge-patch+json"},
        )  # fmt: skip
        assert code == 200

        async def disabled() -> bool:
            code, got = await http_json(s, "GET", hub.proxy + NODE_PATH, ua=KUBELET)
            c = autonomy(got) if code == 200 else None
            return c is not None and (c["status"], c["reason"]) == ("False", "autonomy disabled")

        await wait_until(disabled, 10, "kubelet sees Autonomy=False")
        await wait_until(lambda: cloud_condition("False"), 10, "Autonomy=False written through nodes/status")
        code, got = await http_json(s, "GET", apiserver.url + NODE_PATH, ua="test", headers=apiserver.headers)
        assert autonomy(got)["lastTransitionTime"] >= first_transition  # type: ignore[index]
        assert AUTONOMY not in (got["metadata"].get("annotations") or {})


async def test_token_rotated_through_admin_port_is_stored_private_and_used(
    apiserver: ApiServer, hubs: list[Hub], tmp_path: Path
) -> None:
    hub = Hub(tmp_path / "hub", apiserver)
    hubs.append(hub)
    hub.start()
    new_token = "rotated-" + "x" * 32
    async with aiohttp.ClientSession() as s:
        async with s.post(hub.admin + "/v1/token", json={"jointoken": "  "}) as r:
            assert r.status == 400
        async with s.post(hub.admin + "/v1/token", json={"jointoken": new_token}) as r:
            assert r.status == 200, await r.text()
        saved = hub.cache_dir / "%hub-token"
        assert saved.read_text() == new_token
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600

        # the cloud now only accepts the new token: a request the hub forwards must carry it
        apiserver.stop()
        apiserver.token = new_token
        apiserver.start()
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after-rotation"}}
        code, _ = await http_json(
            s, "POST", apiserver.url + "/api/v1/namespaces/default/configmaps", ua="test",
            headers=apiserver.headers, body=cm,
        )  # fmt: skip
        assert code == 201

        async def forwarded() -> bool:
            # "curl" is not a cache agent: the answer can only come from the cloud
            code, got = await http_json(
                s, "GET", hub.proxy + "/api/v1/namespaces/default/configmaps/after-rotation", ua="curl/8"
            )
            return code == 200 and got["metadata"]["name"] == "after-rotation"

        await wait_until(forwarded, 20, "a request through the hub authenticated with the rotated token")

    # a restarted hub keeps using the rotated token (it is read back from the cache directory)
    hub.stop()
    hub.start()
    async with aiohttp.ClientSession() as s:
        code, _ = await http_json(
            s, "GET", hub.proxy + "/api/v1/namespaces/default/configmaps/after-rotation", ua="curl/8"
        )
        assert code == 200
