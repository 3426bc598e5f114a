"""Every built-in filter through a real hub (lists, gets and watch events, and what lands in the
cache), per-component selection, --disable-filters, yurt-hub-cfg and a user filter from an entry point."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.hub.conftest import NODE, ApiServer, Hub, http_json, wait_for, wait_until

pytestmark = pytest.mark.timeout(120)

HUB_IP = "169.254.2.1"


def svc(name: str, *, ns: str = "default", type_: str = "ClusterIP", annotations: dict[str, str] | None = None) -> Any:
    port: dict[str, Any] = {"name": "https", "port": 443, "targetPort": 6443, "protocol": "TCP"}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}},
        "spec": {"type": type_, "ports": [port], "selector": {"app": name}},
    }


def slice_(name: str, service: str, endpoints: list[dict[str, Any]]) -> Any:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": "default", "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }


KUBE_PROXY_CONF = (
    "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nclientConnection:\n"
    "  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nmode: iptables\n"
)
FIXTURES: list[tuple[str, Any]] = [
    (
        "/api/v1/namespaces/default/services",
        svc("lb-discard", type_="LoadBalancer", annotations={"svc.openyurt.io/discard": "true"}),
    ),
    (
        "/api/v1/namespaces/default/services",
        svc("np-deny", type_="NodePort", annotations={"nodeport.openyurt.io/listen": "-pool-a"}),
    ),
    (
        "/api/v1/namespaces/default/services",
        svc("np-allow", type_="NodePort", annotations={"nodeport.openyurt.io/listen": "pool-a"}),
    ),
    (
        "/api/v1/namespaces/default/services",
        svc("topo", annotations={"openyurt.io/topologyKeys": "kubernetes.io/hostname"}),
    ),
    (
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
        slice_(
            "topo-1",
            "topo",
            [{"addresses": ["10.0.0.1"], "nodeName": NODE}, {"addresses": ["10.0.0.2"], "nodeName": "elsewhere"}],
        ),
    ),
    (
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
        slice_("kubernetes", "kubernetes", [{"addresses": ["10.0.0.100"], "conditions": {"ready": True}}]),
    ),
    (
        "/api/v1/namespaces/kube-system/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
            "data": {"config.conf": KUBE_PROXY_CONF},
        },
    ),
    (
        "/api/v1/namespaces/default/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "plain", "namespace": "default"},
            "data": {"a": "b"},
        },
    ),
    (
        "/api/v1/namespaces/default/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "envpod", "namespace": "default"},
            "spec": {
                "nodeName": NODE,
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "env": [
                            {"name": "KUBERNETES_SERVICE_HOST", "value": "10.96.0.1"},
                            {"name": "KUBERNETES_SERVICE_PORT", "value": "443"},
                            {"name": "OTHER", "value": "x"},
                        ],
                    }
                ],
            },
        },
    ),
]


@pytest.fixture
async def seeded(apiserver: ApiServer) -> AsyncIterator[ApiServer]:
    async with aiohttp.ClientSession() as s:
        status, _ = await http_json(
            s,
            "GET",
            apiserver.url + "/api/v1/namespaces/default/services/kubernetes",
            ua="t",
            headers=apiserver.headers,
        )
        fixtures = list(FIXTURES)
        if status == 404:
            fixtures.insert(0, ("/api/v1/namespaces/default/services", svc("kubernetes")))
        for path, obj in fixtures:
            status, out = await http_json(s, "POST", apiserver.url + path, ua="t", headers=apiserver.headers, body=obj)
            assert status == 201, out
    yield apiserver


def names(lst: dict[str, Any]) -> set[str]:
    return {i["metadata"]["name"] for i in lst["items"]}


def by_name(lst: dict[str, Any], name: str) -> dict[str, Any]:
    return next(i for i in lst["items"] if i["metadata"]["name"] == name)


async def test_builtin_filters(seeded: ApiServer, hubs: list[Hub], tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub", seeded, "--nodepool", "pool-a")
    hubs.append(hub)
    hub.start()
    h = hub.proxy
    async with aiohttp.ClientSession() as s:

        async def get(path: str, ua: str) -> Any:
            status, body = await http_json(s, "GET", h + path, ua=ua)
            assert status == 200, body
            return body

        # masterservice: kubelet sees the kubernetes Service pointing at the hub
        services = await get("/api/v1/services", "kubelet/v1.31")
        k8s = by_name(services, "kubernetes")
        assert k8s["spec"]["clusterIP"] == HUB_IP and k8s["spec"]["ports"][0]["port"] == 10268
        cached_file = hub.cache_dir / "kubelet/services.v1.core/default/kubernetes"
        wait_for(cached_file.exists, 10, "kubelet's services cached")
        cached = json.loads(cached_file.read_text())
        assert cached["spec"]["clusterIP"] == HUB_IP, "the cache stores the filtered object"
        # ... but kube-proxy does not get masterservice; it gets discardcloudservice + nodeportisolation
        kp = await get("/api/v1/services", "kube-proxy/v1.31")
        assert by_name(kp, "kubernetes")["spec"].get("clusterIP") != HUB_IP
        assert "lb-discard" not in names(kp) and "lb-discard" in names(services)
        assert "np-deny" not in names(kp) and "np-allow" in names(kp)
        # yurthub itself is never filtered
        raw = await get("/api/v1/services", "yurthub/v1")
        assert {"lb-discard", "np-deny"} <= names(raw)

        # servicetopology (needs the hub's Service informer) + forwardkubesvctraffic, for kube-proxy
        async def topo_filtered() -> bool:
            eps = await get("/apis/discovery.k8s.io/v1/endpointslices", "kube-proxy/v1.31")
            return [e["nodeName"] for e in by_name(eps, "topo-1")["endpoints"]] == [NODE]

        await wait_until(topo_filtered, 10, "servicetopology applied")
        eps = await get("/apis/discovery.k8s.io/v1/endpointslices", "kube-proxy/v1.31")
        fw = by_name(eps, "kubernetes")
        assert fw["endpoints"] == [{"addresses": [HUB_IP], "conditions": {"ready": True}}]
        assert fw["ports"][0]["port"] == 10268
        coredns = await get("/apis/discovery.k8s.io/v1/endpointslices", "coredns/v1")
        assert len(by_name(coredns, "topo-1")["endpoints"]) == 1, "coredns gets servicetopology"
        assert by_name(coredns, "kubernetes")["endpoints"][0]["addresses"] == ["10.0.0.100"], (
            "not forwardkubesvctraffic"
        )

        # inclusterconfig: kubelet's view of the kube-proxy ConfigMap (get)
        cm = await get("/api/v1/namespaces/kube-system/configmaps/kube-proxy", "kubelet/v1.31")
        assert "  #kubeconfig: /var/lib/kube-proxy/kubeconfig.conf" in cm["data"]["config.conf"]

        # serviceenvupdater: kubelet's view of a pod (get and list)
        pod = await get("/api/v1/namespaces/default/pods/envpod", "kubelet/v1.31")
        env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
        assert env == {"KUBERNETES_SERVICE_HOST": HUB_IP, "KUBERNETES_SERVICE_PORT": "10268", "OTHER": "x"}
        pods = await get(f"/api/v1/pods?fieldSelector=spec.nodeName%3D{NODE}", "kubelet/v1.31")
        assert by_name(pods, "envpod")["spec"]["containers"][0]["env"][0]["value"] == HUB_IP
        # ... and watch: the one event holding the marker is rewritten, unmarked ones are relayed as is
        url = f"{h}/api/v1/namespaces/default/pods?watch=true&resourceVersion=0"
        async with s.get(url, headers={"User-Agent": "kubelet/v1.31"}) as w:
            ev = json.loads(await asyncio.wait_for(w.content.readline(), 10))
        assert (ev["type"], ev["object"]["metadata"]["name"]) == ("ADDED", "envpod")
        assert ev["object"]["spec"]["containers"][0]["env"][0]["value"] == HUB_IP

        # watch: an object the chain drops reaches kube-proxy as DELETED
        lst = await get("/api/v1/namespaces/default/services", "kube-proxy/v1.31")
        url = f"{h}/api/v1/namespaces/default/services?watch=true&resourceVersion={lst['metadata']['resourceVersion']}"
        async with s.get(url, headers={"User-Agent": "kube-proxy/v1.31"}) as w:
            for name in ("lb-discard", "np-allow"):
                status, _ = await http_json(
                    s, "PATCH", f"{seeded.url}/api/v1/namespaces/default/services/{name}", ua="t",
                    headers={**seeded.headers, "Content-Type": "application/merge-patch+json"},
                    body={"metadata": {"labels": {"touched": "yes"}}},
                )  # fmt: skip
                assert status == 200
            events: list[tuple[str, str]] = []
            while len(events) < 2:
                line = await asyncio.wait_for(w.content.readline(), 10)
                ev = json.loads(line)
                events.append((ev["type"], ev["object"]["metadata"]["name"]))
        assert events == [("DELETED", "lb-discard"), ("MODIFIED", "np-allow")]

        # yurt-hub-cfg: extra cache agent and extra filter component, applied without a restart
        status, out = await http_json(
            s,
            "POST",
            seeded.url + "/api/v1/namespaces/kube-system/configmaps",
            ua="t",
            headers=seeded.headers,
            body={
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "yurt-hub-cfg", "namespace": "kube-system"},
                "data": {"cache_agents": "mytool", "masterservice": "mytool"},
            },
        )
        assert status == 201, out

        async def mytool_filtered() -> bool:
            lst = await get("/api/v1/services", "mytool/v0")
            return bool(by_name(lst, "kubernetes")["spec"].get("clusterIP") == HUB_IP)

        await wait_until(mytool_filtered, 10, "yurt-hub-cfg applied")
        wait_for((hub.cache_dir / "mytool/services.v1.core/default/kubernetes").exists, 10, "mytool cached")


PLUGIN = """
class Tagger:
    name = "tagger"
    default_components = frozenset({"kubelet"})
    resources = frozenset({("", "configmaps")})
    verbs = frozenset({"get", "list", "watch"})

    def filter(self, obj, ctx):
        meta = obj.get("metadata") or {}
        if meta.get("name") != "plain":
            return obj
        annotations = {**(meta.get("annotations") or {}), "tagged-by": ctx.node_name}
        return {**obj, "metadata": {**meta, "annotations": annotations}}
"""


async def test_disable_filters_and_user_filter(seeded: ApiServer, hubs: list[Hub], tmp_path: Path) -> None:
    plug = tmp_path / "plug"
    (plug / "hubplug-0.1.dist-info").mkdir(parents=True)
    (plug / "hubplug.py").write_text(PLUGIN)
    (plug / "hubplug-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: hubplug\nVersion: 0.1\n")
    (plug / "hubplug-0.1.dist-info" / "entry_points.txt").write_text(
        "[openyurt.hub.filters]\ntagger = hubplug:Tagger\n"
    )
    hub = Hub(
        tmp_path / "hub", seeded, "--disable-filters", "masterservice,inclusterconfig", env={"PYTHONPATH": str(plug)}
    )
    hubs.append(hub)
    hub.start()
    async with aiohttp.ClientSession() as s:
        status, services = await http_json(s, "GET", hub.proxy + "/api/v1/services", ua="kubelet/v1.31")
        assert status == 200
        assert by_name(services, "kubernetes")["spec"].get("clusterIP") != HUB_IP, "masterservice disabled"
        status, cm = await http_json(
            s, "GET", hub.proxy + "/api/v1/namespaces/kube-system/configmaps/kube-proxy", ua="kubelet/v1"
        )
        assert "#kubeconfig" not in cm["data"]["config.conf"], "inclusterconfig disabled"
        status, pod = await http_json(s, "GET", hub.proxy + "/api/v1/namespaces/default/pods/envpod", ua="kubelet/v1")
        assert pod["spec"]["containers"][0]["env"][0]["value"] == HUB_IP, "serviceenvupdater still on"
        # the user's filter, for its component only, on get and list
        status, plain = await http_json(
            s, "GET", hub.proxy + "/api/v1/namespaces/default/configmaps/plain", ua="kubelet/v1"
        )
        assert plain["metadata"]["annotations"] == {"tagged-by": NODE}
        status, lst = await http_json(s, "GET", hub.proxy + "/api/v1/namespaces/default/configmaps", ua="kubelet/v1")
        assert by_name(lst, "plain")["metadata"]["annotations"] == {"tagged-by": NODE}
        status, other = await http_json(
            s, "GET", hub.proxy + "/api/v1/namespaces/default/configmaps/plain", ua="coredns/v1"
        )
        assert not other["metadata"].get("annotations")
