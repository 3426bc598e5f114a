"""The OTA API on the hub's admin port (yurthub.md §4) against the embedded API server.

A real hub process: kubelet's pods listed from the cache, DaemonSet pods upgraded (deleted) only when
the pre-check passes, an image pull marking ``PodImageReady=False`` and holding the upgrade until the
pull is done, and 503 once the cloud is gone. The static-pod flow writes manifest files, so it runs
the same routes in-process with temporary manifest and staging directories.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from openyurt.adapters.cache.disk import DiskCache
from openyurt.runtime.hub.cloud import Cloud, load_kubeconfig
from openyurt.runtime.hub.ota import Ota
from tests.integration.hub.conftest import NODE, ApiServer, Hub, http_json, wait_until

pytestmark = pytest.mark.timeout(120)

KUBELET = "kubelet/v1.31.0 (linux/amd64) kubernetes/abc"
NS = "default"
OFFLINE = "OTA upgrade is not allowed when node is disconnected to cloud"


def need(hash_: str = "h1", status: str = "True") -> dict[str, Any]:
    return {"type": "PodNeedUpgrade", "status": status, "message": f"controllerrevision: {hash_}"}


def image(status: str, hash_: str) -> dict[str, Any]:
    return {"type": "PodImageReady", "status": status, "message": f"controllerrevision: {hash_}"}


def condition(pod: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


class Cluster:
    """Direct writes to the API server, as yurt-manager and the image-preheat controller would make."""

    def __init__(self, api: ApiServer, session: aiohttp.ClientSession) -> None:
        self.api = api
        self.s = session

    async def call(self, method: str, path: str, body: Any = None, ctype: str | None = None) -> tuple[int, Any]:
        headers = {**self.api.headers, **({"Content-Type": ctype} if ctype else {})}
        if ctype is not None:
            async with self.s.request(
                method, self.api.url + path, data=json.dumps(body), headers={"User-Agent": "test", **headers}
            ) as r:
                return r.status, json.loads(await r.read())
        return await http_json(self.s, method, self.api.url + path, ua="test", headers=headers, body=body)

    async def create(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        status, got = await self.call("POST", path, obj)
        assert status == 201, got
        return dict(got)

    async def pod(
        self,
        name: str,
        *conditions: dict[str, Any],
        node: str = NODE,
        owner: dict[str, Any] | None = None,
        finalizers: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name, "namespace": NS}
        if owner is not None:
            meta["ownerReferences"] = [{**owner, "controller": True}]
        if finalizers:
            meta["finalizers"] = list(finalizers)
        spec = {"nodeName": node, "terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": "i:1"}]}
        await self.create(
            f"/api/v1/namespaces/{NS}/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        )
        return await self.set_conditions(name, *conditions) if conditions else await self.get(name)

    async def set_conditions(self, name: str, *conditions: dict[str, Any]) -> dict[str, Any]:
        status, got = await self.call(
            "PATCH",
            f"/api/v1/namespaces/{NS}/pods/{name}/status",
            {"status": {"conditions": list(conditions)}},
            "application/merge-patch+json",
        )
        assert status == 200, got
        return dict(got)

    async def get(self, name: str) -> dict[str, Any]:
        status, got = await self.call("GET", f"/api/v1/namespaces/{NS}/pods/{name}")
        assert status == 200, got
        return dict(got)

    async def gone(self, name: str) -> bool:
        status, _ = await self.call("GET", f"/api/v1/namespaces/{NS}/pods/{name}")
        return status == 404


async def ota_call(s: aiohttp.ClientSession, base: str, name: str, verb: str) -> tuple[int, str, str]:
    async with s.post(f"{base}/openyurt.io/v1/namespaces/{NS}/pods/{name}/{verb}") as r:
        return r.status, await r.text(), r.headers.get("Content-Type", "")


async def cached_pods(s: aiohttp.ClientSession, base: str) -> tuple[int, Any]:
    async with s.get(base + "/pods") as r:
        return r.status, json.loads(await r.read())


async def hub_offline(s: aiohttp.ClientSession, hub: Hub) -> bool:
    async with s.get(hub.admin + "/metrics") as r:
        text = await r.text()
    return any(
        line.startswith("node_yurthub_server_healthy_status") and line.endswith(" 0.0") for line in text.splitlines()
    )


async def test_ota_daemonset_pods_through_a_real_hub(apiserver: ApiServer, hubs: list[Hub], tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub", apiserver)
    hubs.append(hub)
    hub.start()
    async with aiohttp.ClientSession() as s:
        c = Cluster(apiserver, s)
        ds = await c.create(
            f"/apis/apps/v1/namespaces/{NS}/daemonsets",
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": "agent", "annotations": {"apps.openyurt.io/update-strategy": "OTA"}},
                "spec": {
                    "selector": {"matchLabels": {"app": "agent"}},
                    "updateStrategy": {"type": "OnDelete"},
                    "template": {
                        "metadata": {"labels": {"app": "agent"}},
                        "spec": {"containers": [{"name": "c", "image": "i:2"}]},
                    },
                },
            },
        )
        owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": ds["metadata"]["uid"]}
        await c.pod("ready", need(), owner=owner)
        await c.pod("elsewhere", need(), owner=owner, node="edge-2")
        await c.pod("current", need(status="False"), owner=owner)
        await c.pod("bare", owner=owner)
        await c.pod("stale-pull", need(), image("True", "h0"), owner=owner)
        await c.pod("pulled", need(), image("True", "h1"), owner=owner)
        await c.pod("prepull", need(), owner=owner)
        await c.pod("loner", need())
        await c.pod("leaving", need(), owner=owner, finalizers=("test.openyurt.io/hold",))
        status, _ = await c.call("DELETE", f"/api/v1/namespaces/{NS}/pods/leaving")
        assert status == 200
        assert "deletionTimestamp" in (await c.get("leaving"))["metadata"]

        # ---- GET /pods: what kubelet's own list through the hub cached (this node's pods only)
        status, listed = await http_json(
            s, "GET", f"{hub.proxy}/api/v1/pods?fieldSelector=spec.nodeName%3D{NODE}", ua=KUBELET
        )
        assert status == 200
        on_node = {p["metadata"]["name"] for p in listed["items"]}
        assert on_node == {"ready", "current", "bare", "stale-pull", "pulled", "prepull", "loner", "leaving"}

        async def listed_by_hub() -> bool:
            code, body = await cached_pods(s, hub.admin)
            return code == 200 and {p["metadata"]["name"] for p in body["items"]} == on_node

        await wait_until(listed_by_hub, 10, "GET /pods lists kubelet's cached pods")
        _, body = await cached_pods(s, hub.admin)
        assert (body["apiVersion"], body["kind"]) == ("v1", "PodList")
        assert all((p["apiVersion"], p["kind"]) == ("v1", "Pod") for p in body["items"])

        # ---- refused upgrades leave the pods alone
        for name, code, why in [
            ("elsewhere", 403, "not on node"),
            ("current", 403, "does not need an upgrade"),
            ("bare", 403, "does not need an upgrade"),
            ("stale-pull", 403, "revision 'h0'"),
            ("leaving", 403, "being deleted"),
            ("never-there", 403, "not found"),
            ("loner", 400, "no owner"),
        ]:
            got, text, _ = await ota_call(s, hub.admin, name, "upgrade")
            assert (got, why in text) == (code, True), (name, got, text)
            assert name == "never-there" or not await c.gone(name)

        # ---- allowed upgrades delete the pod (its DaemonSet recreates it at the new revision)
        for name in ("ready", "pulled"):
            got, text, ctype = await ota_call(s, hub.admin, name, "upgrade")
            assert (got, text) == (200, f"Start updating pod {NS}/{name}")
            assert ctype.startswith("application/json")
            await wait_until(lambda n=name: c.gone(n), 10, f"pod {name} deleted")

        # ---- image pull: PodImageReady=False for the needed revision, then the upgrade waits for it
        got, text, _ = await ota_call(s, hub.admin, "prepull", "imagepull")
        assert (got, text) == (200, f"Image pre-pull requested for pod {NS}/prepull")
        pod = await c.get("prepull")
        cond = condition(pod, "PodImageReady")
        assert cond is not None and cond["status"] == "False" and cond["message"] == "controllerrevision: h1"
        assert cond.get("lastTransitionTime")
        kept = condition(pod, "PodNeedUpgrade") or {}
        assert (kept.get("status"), kept.get("message")) == ("True", "controllerrevision: h1"), "other conditions kept"
        got, text, _ = await ota_call(s, hub.admin, "prepull", "upgrade")
        assert got == 403 and "not ready" in text
        got, text, _ = await ota_call(s, hub.admin, "elsewhere", "imagepull")
        assert got == 403 and "not on node" in text
        assert condition(await c.get("elsewhere"), "PodImageReady") is None
        # the image-preheat controller reports the pull done: now the upgrade goes through
        await c.set_conditions("prepull", need(), image("True", "h1"))
        got, text, _ = await ota_call(s, hub.admin, "prepull", "upgrade")
        assert (got, text) == (200, f"Start updating pod {NS}/prepull")
        await wait_until(lambda: c.gone("prepull"), 10, "pod prepull deleted")

        # ---- the cloud goes away: both POSTs refuse with 503, the cached list still answers
        apiserver.stop()
        await wait_until(lambda: hub_offline(s, hub), 15, "hub notices the cloud is gone")
        for verb in ("upgrade", "imagepull"):
            got, text, _ = await ota_call(s, hub.admin, "current", verb)
            assert (got, text) == (503, OFFLINE)
        code, body = await cached_pods(s, hub.admin)
        assert code == 200 and {p["metadata"]["name"] for p in body["items"]} <= on_node


# ---------------------------------------------------------------------------------- static pods


@pytest.fixture
async def ota_app(apiserver: ApiServer, tmp_path: Path) -> AsyncIterator[tuple[str, Ota]]:
    """The OTA routes in-process, on the embedded API server, with temporary manifest directories."""
    cloud = Cloud([], load_kubeconfig(apiserver.kubeconfig), user_agent="yurthub/test")
    for b in cloud.backends:
        b.healthy = True
    disk = DiskCache(tmp_path / "cache", sync=False)
    disk.load()
    routes = Ota(
        node_name=NODE,
        cloud=cloud,
        disk=disk,
        manifest_dir=tmp_path / "manifests",
        upgrade_dir=tmp_path / "staging" / "manifests",
    )
    app = web.Application()
    routes.add_routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{int(runner.addresses[0][1])}", routes
    finally:
        await runner.cleanup()
        await cloud.close()
        disk.close()


async def test_ota_static_pod_swaps_the_manifest(
    apiserver: ApiServer, ota_app: tuple[str, Ota], tmp_path: Path
) -> None:
    base, routes = ota_app
    manifests = routes.manifest_dir
    manifests.mkdir()
    old = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-proxy\nspec: {}  # v1\n"
    new = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-proxy\nspec: {}  # v2\n"
    (manifests / "kube-proxy.yaml").write_text(old)
    (manifests / "kube-proxy.yaml").chmod(0o640)
    async with aiohttp.ClientSession() as s:
        c = Cluster(apiserver, s)
        node = await c.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}})
        owner = {"apiVersion": "v1", "kind": "Node", "name": NODE, "uid": node["metadata"]["uid"]}
        await c.pod(f"kube-proxy-{NODE}", need(), owner=owner)
        await c.pod(f"no-config-{NODE}", need(), owner=owner)
        await c.pod(f"no-file-{NODE}", need(), owner=owner)
        await c.pod(f"two-files-{NODE}", need(), owner=owner)
        await c.pod("unnamed", need(), owner=owner)
        cms = {"kube-proxy": {"kube-proxy": new}, "no-file": {"no-file": new}, "two-files": {"a": new, "b": new}}
        for static, data in cms.items():
            await c.create(
                f"/api/v1/namespaces/{NS}/configmaps",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"yurt-static-set-{static}"},
                    "data": data,
                },
            )

        got, text, _ = await ota_call(s, base, f"kube-proxy-{NODE}", "upgrade")
        assert (got, text) == (200, f"Start updating pod {NS}/kube-proxy-{NODE}")
        assert (manifests / "kube-proxy.yaml").read_text() == new
        assert (manifests / "kube-proxy.yaml").stat().st_mode & 0o777 == 0o640
        assert (routes.upgrade_dir / "kube-proxy.upgrade").read_text() == new
        assert (routes.upgrade_dir / "kube-proxy.bak").read_text() == old
        assert sorted(p.name for p in manifests.iterdir()) == ["kube-proxy.yaml"], "no temp file left for kubelet"
        assert not await c.gone(f"kube-proxy-{NODE}"), "a static pod is restarted by kubelet, not deleted"

        got, text, _ = await ota_call(s, base, f"no-config-{NODE}", "upgrade")
        assert got == 403 and "yurt-static-set-no-config" in text
        got, text, _ = await ota_call(s, base, "unnamed", "upgrade")
        assert got == 403 and f"<name>-{NODE}" in text
        got, text, _ = await ota_call(s, base, f"no-file-{NODE}", "upgrade")
        assert got == 500 and "no-file.yaml" in text
        got, text, _ = await ota_call(s, base, f"two-files-{NODE}", "upgrade")
        assert got == 500 and "exactly one manifest" in text
        assert sorted(p.name for p in manifests.iterdir()) == ["kube-proxy.yaml"]

        # a staging directory that is not ours (here: a link planted in its place) is never written through
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        for f in routes.upgrade_dir.iterdir():
            f.unlink()
        routes.upgrade_dir.rmdir()
        routes.upgrade_dir.symlink_to(elsewhere)
        got, text, _ = await ota_call(s, base, f"kube-proxy-{NODE}", "upgrade")
        assert got == 500 and "not a directory owned by this user" in text
        assert list(elsewhere.iterdir()) == [] and (manifests / "kube-proxy.yaml").read_text() == new

        # GET /pods: an unreadable cache entry is a 500 with a text message, not a partial list
        routes.disk.put("kubelet/pods.v1.core/default/p1", "5", json.dumps({"metadata": {"name": "p1"}}).encode())
        routes.disk.put("kubectl/pods.v1.core/default/other", "5", b"{}")
        code, body = await cached_pods(s, base)
        assert code == 200 and [p["metadata"]["name"] for p in body["items"]] == ["p1"]
        routes.disk.put("kubelet/pods.v1.core/default/p2", "6", b"[1, 2]")
        async with s.get(base + "/pods") as r:
            assert r.status == 500 and "kubelet/pods.v1.core/default/p2" in await r.text()

        # the cloud vanishes before the health checker notices: the request itself fails -> 503
        apiserver.stop()
        for verb in ("upgrade", "imagepull"):
            got, text, _ = await ota_call(s, base, f"kube-proxy-{NODE}", verb)
            assert (got, text) == (503, OFFLINE)
        # no healthy backend: refused before any cloud request
        for b in routes.cloud.backends:
            b.healthy = False
        got, text, _ = await ota_call(s, base, f"kube-proxy-{NODE}", "upgrade")
        assert (got, text) == (503, OFFLINE)
