"""The hub end to end: every verb online (kubectl and kubernetes-asyncio), the API server stopped
(reads and watches keep working from the cache), the hub restarted offline (served from disk), the API
server back (watches end so clients re-list; new objects appear, deleted ones disappear)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.rest import ApiException

from tests.integration.hub.conftest import NODE, ApiServer, Hub, Kubectl, http_json, wait_for, wait_until

pytestmark = pytest.mark.timeout(150)


def cm_yaml(name: str, value: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}})


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "busybox"}]},
    }


async def metric(hub: Hub, name: str) -> float | None:
    async with aiohttp.ClientSession() as s, s.get(hub.admin + "/metrics") as r:
        text = await r.text()
    for line in text.splitlines():
        if line.startswith(name):
            return float(line.rsplit(" ", 1)[1])
    return None


async def offline(hub: Hub) -> bool:
    return await metric(hub, "node_yurthub_server_healthy_status") == 0.0


async def online(hub: Hub) -> bool:
    return await metric(hub, "node_yurthub_server_healthy_status") == 1.0


def names(lst: dict[str, Any]) -> set[str]:
    return {i["metadata"]["name"] for i in lst["items"]}


async def test_online_offline_restart_reconnect(apiserver: ApiServer, hubs: list[Hub], tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub", apiserver, "--cache-agents", "kubectl")
    hubs.append(hub)
    hub.start()
    k = Kubectl(hub.kubeconfig(tmp_path / "hub.kubeconfig"), tmp_path / "home")

    # ---- online: every verb through the hub with kubectl
    k.run("apply", "-f", "-", input=cm_yaml("c1", "1"))
    k.run("create", "-f", "-", input=cm_yaml("c2", "2"))
    k.run("label", "configmap", "c1", "tier=edge")
    k.run("annotate", "configmap", "c1", "note=hello")
    k.run("patch", "configmap", "c1", "--type", "merge", "-p", '{"data":{"v":"patched"}}')
    replaced = k.json("get", "configmap", "c2")
    replaced["data"] = {"v": "replaced"}
    k.run("replace", "-f", "-", input=json.dumps(replaced))
    k.run("create", "-f", "-", input=cm_yaml("c3", "3"))
    k.run("delete", "configmap", "c3")
    got = k.json("get", "configmap", "c1")
    assert got["metadata"]["labels"] == {"tier": "edge"}
    assert got["metadata"]["annotations"]["note"] == "hello"
    assert got["data"] == {"v": "patched"}
    assert {"c1", "c2"} <= names(k.json("get", "configmaps")) and "c3" not in names(k.json("get", "configmaps"))
    assert k.json("get", "configmap", "c2")["data"] == {"v": "replaced"}

    # ---- online: kubernetes-asyncio as kubelet (a cacheable component)
    cfg = client.Configuration(host=hub.proxy)
    async with client.ApiClient(cfg) as api, aiohttp.ClientSession() as direct:
        api.user_agent = "kubelet/v1.31.0 (linux/amd64) kubernetes/abc"
        v1 = client.CoreV1Api(api)
        await http_json(
            direct, "POST", apiserver.url + "/api/v1/nodes", ua="test", headers=apiserver.headers,
            body={"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}},
        )  # fmt: skip
        for n in ("p1", "p2", "p3"):
            await v1.create_namespaced_pod("default", pod(n))
        await v1.patch_namespaced_pod("p1", "default", {"metadata": {"labels": {"a": "b"}}})
        p2 = await v1.read_namespaced_pod("p2", "default")
        p2.metadata.labels = {"replaced": "yes"}
        await v1.replace_namespaced_pod("p2", "default", p2)
        await v1.delete_namespaced_pod("p3", "default", grace_period_seconds=0)
        pods = await v1.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={NODE}")
        assert {p.metadata.name for p in pods.items} >= {"p1", "p2"}
        w = watch.Watch()
        seen = []
        async for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=1):
            seen.append(ev["object"].metadata.name)
        assert {"p1", "p2"} <= set(seen)

        # ---- the API server goes away
        apiserver.stop()
        await wait_until(lambda: offline(hub), 10, "hub notices the cloud is gone")

        assert names(k.json("get", "configmaps")) >= {"c1", "c2"}
        assert "c3" not in names(k.json("get", "configmaps"))
        assert k.json("get", "configmap", "c1")["data"] == {"v": "patched"}
        out = subprocess.run(
            [k.binary, "get", "secrets", "-o", "json"], capture_output=True, text=True, env=k.env, timeout=30
        )
        assert out.returncode != 0 and "NotFound" in out.stderr + out.stdout, "a never-cached list is a 404"
        denied = subprocess.run(
            [k.binary, "delete", "configmap", "c1"], capture_output=True, text=True, env=k.env, timeout=30
        )
        assert denied.returncode != 0 and "not supported" in denied.stderr

        pods = await v1.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={NODE}")
        assert {p.metadata.name for p in pods.items} == {"p1", "p2"}
        assert (await v1.read_namespaced_pod("p1", "default")).metadata.labels == {"a": "b"}
        # status patches are acknowledged with the cached object (kubelet keeps going)
        patched = await v1.patch_namespaced_pod_status("p1", "default", {"status": {"phase": "Running"}})
        assert patched.metadata.name == "p1"
        with pytest.raises(ApiException) as exc:
            await v1.read_namespaced_pod("never-there", "default")
        assert exc.value.status == 404

        # ---- restart the hub while offline: still served from disk
        hub.stop()
        hub.start()
        assert names(k.json("get", "configmaps")) >= {"c1", "c2"}
        cfg2 = client.Configuration(host=hub.proxy)
        async with client.ApiClient(cfg2) as api2:
            api2.user_agent = "kubelet/v1.31.0"
            v1b = client.CoreV1Api(api2)
            pods = await v1b.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={NODE}")
            assert {p.metadata.name for p in pods.items} == {"p1", "p2"}

            # a watch stays open while offline ...
            kwatch = k.popen("get", "configmaps", "-w", "-o", "name")
            events: list[str] = []

            async def consume() -> None:
                async for ev in watch.Watch().stream(v1b.list_namespaced_pod, "default", timeout_seconds=120):
                    events.append(ev["type"])

            aw = asyncio.create_task(consume())
            try:
                await asyncio.sleep(0)  # let both watches connect
                await wait_until(lambda: _true(kwatch.poll() is None), 5, "kubectl watch running")
                assert not aw.done()

                # ---- ... and ends once the cloud is back, so clients re-list and converge
                apiserver.start()
                async with aiohttp.ClientSession() as direct2:
                    await http_json(
                        direct2, "DELETE", apiserver.url + "/api/v1/namespaces/default/configmaps/c2",
                        ua="test", headers=apiserver.headers,
                    )  # fmt: skip
                    await http_json(
                        direct2, "POST", apiserver.url + "/api/v1/namespaces/default/configmaps",
                        ua="test", headers=apiserver.headers, body=json.loads(cm_yaml("c4", "4")),
                    )  # fmt: skip
                    await http_json(
                        direct2, "DELETE", apiserver.url + "/api/v1/namespaces/default/pods/p2",
                        ua="test", headers=apiserver.headers, body={"gracePeriodSeconds": 0},
                    )  # fmt: skip
                await wait_until(lambda: online(hub), 15, "hub sees the cloud again")
                wait_for(lambda: kwatch.poll() is not None, 15, "kubectl watch ended by the hub")
                await asyncio.wait_for(aw, 15)
            finally:
                if kwatch.poll() is None:
                    kwatch.kill()
                kwatch.wait()
                aw.cancel()
                await asyncio.gather(aw, return_exceptions=True)

            cms = names(k.json("get", "configmaps"))
            assert "c4" in cms and "c2" not in cms
            pods = await v1b.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={NODE}")
            assert {p.metadata.name for p in pods.items} == {"p1"}

    # the cache converged too: the vanished objects are gone from disk
    cm_dir = hub.cache_dir / "kubectl" / "configmaps.v1.core" / "default"
    wait_for(lambda: (cm_dir / "c4").exists() and not (cm_dir / "c2").exists(), 10, "cache converged")
    pod_dir = hub.cache_dir / "kubelet" / "pods.v1.core" / "default"
    wait_for(lambda: not (pod_dir / "p2").exists() and (pod_dir / "p1").exists(), 10, "pod cache converged")
    for path in hub.cache_dir.rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


async def _true(v: bool) -> bool:
    return v
