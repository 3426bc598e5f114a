"""The simulated control plane and node agents against the embedded API server."""

from __future__ import annotations

import asyncio
from typing import Any

from openyurt.adapters.clock import RealClock
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.runtime.sim import (
    USER_AGENT_CONTROLLERS,
    USER_AGENT_KUBE_PROXY,
    USER_AGENT_KUBELET,
    KubeProxy,
    NodeAgent,
    SimControlPlane,
)

from .conftest import Cluster, until

NS = "default"


def agent(client: Client, n: int, pool: str, **kw: Any) -> NodeAgent:
    return NodeAgent(
        client,
        RealClock(),
        node_name=f"node-{n}",
        pool=pool,
        pod_cidr=f"10.244.{n}.0/24",
        internal_ip=f"127.0.1.{n}",
        sync_interval=0.1,
        **kw,
    )


def deployment(name: str, replicas: int, pool: str | None = None, image: str = "nginx") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80}]}]}
    if pool:
        spec["nodeSelector"] = {wellknown.LABEL_NODEPOOL: pool}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


async def pods_of(client: Client, app: str) -> list[dict[str, Any]]:
    return list((await client.list("v1", "Pod", NS, label_selector=f"app={app}")).items)


def running(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        p
        for p in pods
        if (p.get("status") or {}).get("phase") == "Running"
        and (p.get("status") or {}).get("podIP")
        and not p["metadata"].get("deletionTimestamp")
    ]


async def test_workloads_endpoints_and_daemonsets(cluster: Cluster) -> None:
    ctl_client = await cluster.client(USER_AGENT_CONTROLLERS)
    cp = SimControlPlane(ctl_client, RealClock(), node_grace_period=40.0)
    agents = [agent(await cluster.client(USER_AGENT_KUBELET), n, pool) for n, pool in ((1, "hz"), (2, "sh"))]
    proxy = KubeProxy(await cluster.client(USER_AGENT_KUBE_PROXY), RealClock(), node_name="node-1")
    for a in agents:
        await a.start()
    await cp.start()
    await proxy.start()
    try:

        async def nodes_ready() -> bool:
            nodes = (await ctl_client.list("v1", "Node")).items
            return len(nodes) == 2 and all(
                any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in (n.get("status") or {}).get("conditions") or []
                )
                for n in nodes
            )

        await until(nodes_ready, 10, "two Ready nodes")
        node = await ctl_client.get("v1", "Node", "node-1")
        assert node["metadata"]["labels"][wellknown.LABEL_NODEPOOL] == "hz"
        assert node["metadata"]["labels"][wellknown.LABEL_EDGE_WORKER] == "true"
        assert node["spec"]["podCIDR"] == "10.244.1.0/24"
        lease = await ctl_client.get("coordination.k8s.io/v1", "Lease", "node-1", "kube-node-lease")
        assert lease["spec"]["holderIdentity"] == "node-1"

        # a pool-pinned Deployment runs on the pool's node only, with IPs from its podCIDR
        await ctl_client.create(deployment("web", 3, pool="hz"))

        async def three_running() -> list[dict[str, Any]]:
            got = running(await pods_of(ctl_client, "web"))
            return got if len(got) == 3 else []

        pods = await until(three_running, 15, "3 web pods running")
        assert {p["spec"]["nodeName"] for p in pods} == {"node-1"}
        assert all(p["status"]["podIP"].startswith("10.244.1.") for p in pods)
        assert len({p["status"]["podIP"] for p in pods}) == 3
        rs = (await ctl_client.list("apps/v1", "ReplicaSet", NS)).items
        assert len(rs) == 1
        hash_ = rs[0]["metadata"]["labels"][wellknown.LABEL_POD_TEMPLATE_HASH]
        assert rs[0]["metadata"]["name"] == f"web-{hash_}"
        assert all(p["metadata"]["name"].startswith(f"web-{hash_}-") for p in pods)
        assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in pods)

        async def deploy_status() -> bool:
            st = (await ctl_client.get("apps/v1", "Deployment", "web", NS)).get("status") or {}
            return st.get("readyReplicas") == 3 and st.get("updatedReplicas") == 3 and st.get("observedGeneration") == 1

        await until(deploy_status, 10, "deployment status")

        # a Service gets an EndpointSlice and Endpoints listing the ready pods
        await ctl_client.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web", "namespace": NS},
                "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 8080, "targetPort": 80}]},
            }
        )
        ips = sorted(p["status"]["podIP"] for p in pods)

        async def slice_ready() -> dict[str, Any] | None:
            slices = (
                await ctl_client.list(
                    "discovery.k8s.io/v1", "EndpointSlice", NS, label_selector="kubernetes.io/service-name=web"
                )
            ).items
            if len(slices) != 1:
                return None
            got = sorted(a for e in slices[0].get("endpoints") or [] for a in e["addresses"])
            return slices[0] if got == ips else None

        sl = await until(slice_ready, 10, "endpointslice with the 3 pods")
        assert sl["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
        assert all(e["nodeName"] == "node-1" and e["conditions"]["ready"] for e in sl["endpoints"])
        assert sl["metadata"]["labels"][wellknown.LABEL_ENDPOINTSLICE_MANAGED_BY] == "endpointslice-controller.k8s.io"
        ep = await ctl_client.get("v1", "Endpoints", "web", NS)
        assert sorted(a["ip"] for a in ep["subsets"][0]["addresses"]) == ips
        assert all(a["nodeName"] == "node-1" and a["targetRef"]["kind"] == "Pod" for a in ep["subsets"][0]["addresses"])
        await until(lambda: proxy.endpoints_of(NS, "web") == ips, 10, "kube-proxy table")

        # scale down: one pod goes, and so does its endpoint
        await ctl_client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 1}}, NS)

        async def one_left() -> bool:
            return len(await pods_of(ctl_client, "web")) == 1

        await until(one_left, 15, "scale down to 1")
        await until(lambda: len(proxy.endpoints_of(NS, "web")) == 1, 10, "one endpoint left")

        # a template change rolls to a new ReplicaSet
        await ctl_client.patch(
            "apps/v1",
            "Deployment",
            "web",
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}},
            NS,
        )

        async def rolled() -> bool:
            got = running(await pods_of(ctl_client, "web"))
            return len(got) == 1 and got[0]["spec"]["containers"][0]["image"] == "nginx:2"

        await until(rolled, 15, "rollout to nginx:2")

        # DaemonSet: one pod per node, bound directly, with the labels upstream puts on them
        await ctl_client.create(
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": "agent", "namespace": NS},
                "spec": {
                    "selector": {"matchLabels": {"app": "agent"}},
                    "template": {
                        "metadata": {"labels": {"app": "agent"}},
                        "spec": {"containers": [{"name": "a", "image": "busybox"}]},
                    },
                },
            }
        )

        async def ds_pods() -> list[dict[str, Any]]:
            got = running(await pods_of(ctl_client, "agent"))
            return got if len(got) == 2 else []

        dpods = await until(ds_pods, 15, "one daemon pod per node")
        assert sorted(p["spec"]["nodeName"] for p in dpods) == ["node-1", "node-2"]
        for p in dpods:
            labels = p["metadata"]["labels"]
            assert labels[wellknown.LABEL_POD_TEMPLATE_GENERATION] == "1"
            assert labels[wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE]
            keys = {t["key"] for t in p["spec"]["tolerations"]}
            assert {wellknown.TAINT_NODE_UNREACHABLE, wellknown.TAINT_NODE_NOT_READY} <= keys
            terms = p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            assert terms["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [p["spec"]["nodeName"]]
        revs = (await ctl_client.list("apps/v1", "ControllerRevision", NS)).items
        assert any(
            r["metadata"]["labels"][wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE]
            == dpods[0]["metadata"]["labels"][wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE]
            for r in revs
        )

        async def ds_status() -> bool:
            st = (await ctl_client.get("apps/v1", "DaemonSet", "agent", NS)).get("status") or {}
            return st.get("desiredNumberScheduled") == 2 and st.get("numberReady") == 2

        await until(ds_status, 10, "daemonset status")

        # StatefulSet: ordinal names, created in order
        await ctl_client.create(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": {"name": "db", "namespace": NS},
                "spec": {
                    "replicas": 2,
                    "serviceName": "db",
                    "selector": {"matchLabels": {"app": "db"}},
                    "template": {
                        "metadata": {"labels": {"app": "db"}},
                        "spec": {"containers": [{"name": "db", "image": "redis"}]},
                    },
                },
            }
        )

        async def sts_pods() -> list[dict[str, Any]]:
            got = running(await pods_of(ctl_client, "db"))
            return got if len(got) == 2 else []

        spods = await until(sts_pods, 15, "two statefulset pods")
        assert sorted(p["metadata"]["name"] for p in spods) == ["db-0", "db-1"]
        assert all(
            p["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == p["metadata"]["name"] for p in spods
        )

        async def sts_status() -> bool:
            st = (await ctl_client.get("apps/v1", "StatefulSet", "db", NS)).get("status") or {}
            return st.get("readyReplicas") == 2 and st.get("currentRevision") == st.get("updateRevision")

        await until(sts_status, 10, "statefulset status")
    finally:
        await proxy.stop()
        await cp.stop()
        for a in agents:
            await a.stop()


async def test_node_failure_eviction_and_recovery(cluster: Cluster) -> None:
    ctl_client = await cluster.client(USER_AGENT_CONTROLLERS)
    cp = SimControlPlane(ctl_client, RealClock(), node_grace_period=3.0, monitor_period=0.2)
    kw = {"lease_interval": 0.5, "status_interval": 0.5}
    a1 = agent(await cluster.client(USER_AGENT_KUBELET), 1, "hz", **kw)
    a2 = agent(await cluster.client(USER_AGENT_KUBELET), 2, "hz", **kw)
    await a1.start()
    await a2.start()
    await cp.start()
    try:
        await until(lambda: a1.status_reports and a2.status_reports, 10, "both nodes reporting")
        for name, tolerations in (
            ("plain", []),
            (
                "patient",
                [
                    {
                        "key": wellknown.TAINT_NODE_UNREACHABLE,
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 3600,
                    }
                ],
            ),
        ):
            await ctl_client.create(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
                    "spec": {
                        "nodeName": "node-2",
                        "tolerations": tolerations,
                        "containers": [{"name": "c", "image": "busybox"}],
                    },
                }
            )
        await until(lambda: len(a2.pod_ips()) == 2, 10, "both pods running on node-2")

        await a2.stop()

        async def unreachable() -> dict[str, Any] | None:
            node = await ctl_client.get("v1", "Node", "node-2")
            ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
            taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}
            ok = ready["status"] == "Unknown" and (wellknown.TAINT_NODE_UNREACHABLE, "NoExecute") in taints
            return node if ok else None

        node = await until(unreachable, 10, "node-2 Unknown and tainted")
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["reason"] == "NodeStatusUnknown"
        assert (wellknown.TAINT_NODE_UNREACHABLE, "NoSchedule") in {
            (t["key"], t["effect"]) for t in node["spec"]["taints"]
        }

        async def plain_evicted() -> bool:
            pod = await ctl_client.get("v1", "Pod", "plain", NS)
            return bool(pod["metadata"].get("deletionTimestamp"))

        await until(plain_evicted, 10, "the intolerant pod evicted")
        patient = await ctl_client.get("v1", "Pod", "patient", NS)
        assert not patient["metadata"].get("deletionTimestamp")
        # the node agent of node-1 keeps running; its node stays healthy
        node1 = await ctl_client.get("v1", "Node", "node-1")
        assert not node1["spec"].get("taints")

        a2b = agent(await cluster.client(USER_AGENT_KUBELET), 2, "hz", **kw)
        await a2b.start()
        try:

            async def healed() -> bool:
                node = await ctl_client.get("v1", "Node", "node-2")
                ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
                return ready["status"] == "True" and not node["spec"].get("taints")

            await until(healed, 10, "node-2 Ready and untainted again")

            async def plain_gone() -> bool:
                pods = (await ctl_client.list("v1", "Pod", NS)).items
                return [p["metadata"]["name"] for p in pods] == ["patient"]

            await until(plain_gone, 10, "the restarted agent finishes the eviction")
        finally:
            await a2b.stop()
    finally:
        await cp.stop()
        await a1.stop()
        await asyncio.sleep(0)
