"""yurt-manager's workload, node and service controllers end to end: the embedded API server,
``openyurt manager`` as a subprocess running every controller, and the real kubectl applying manifests
and reading results (the rig is in ``conftest.py``: one server and one manager per module).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.integration.apiserver.conftest import Kubectl
from tests.integration.manager import manifests
from tests.integration.manager.conftest import apply, get, set_ready, wait


def test_nodepool_syncs_nodes_and_counts(kubectl: Kubectl) -> None:
    apply(kubectl, manifests.NODEPOOLS)
    apply(kubectl, manifests.NODES)
    set_ready(kubectl, "hz-1", True)
    set_ready(kubectl, "hz-2", False)

    def status() -> dict[str, Any]:
        st: dict[str, Any] = get(kubectl, "nodepool", "hangzhou").get("status") or {}
        return st if st.get("nodes") == ["hz-1", "hz-2"] and st.get("readyNodeNum") == 1 else {}

    st = wait(status, "hangzhou status")
    assert st["unreadyNodeNum"] == 1

    def synced() -> dict[str, Any]:
        n: dict[str, Any] = get(kubectl, "node", "hz-2")
        return n if n["metadata"]["labels"].get("region") == "hangzhou" else {}

    node = wait(synced, "pool attributes on hz-2")
    assert node["metadata"]["annotations"]["openyurt.io/note"] == "pooled"
    assert {"key": "edge", "value": "true", "effect": "NoSchedule"} in node["spec"]["taints"]
    assert "nodepool.openyurt.io/previous-attributes" in node["metadata"]["annotations"]
    bj = get(kubectl, "node", "bj-1")
    assert "region" not in bj["metadata"]["labels"]

    # the pool drops everything: labels, annotations and taints leave its nodes
    apply(kubectl, manifests.NODEPOOL_HANGZHOU_BARE)

    def cleaned() -> bool:
        n = get(kubectl, "node", "hz-1")
        return (
            "region" not in n["metadata"]["labels"]
            and "openyurt.io/note" not in n["metadata"].get("annotations", {})
            and not (n.get("spec") or {}).get("taints")
        )

    wait(cleaned, "pool attributes removed from hz-1")
    set_ready(kubectl, "hz-2", True)
    wait(lambda: (get(kubectl, "nodepool", "hangzhou").get("status") or {}).get("readyNodeNum") == 2, "ready 2")


def _deployments(k: Kubectl, label: str) -> dict[str, dict[str, Any]]:
    items = get(k, "deployments", "-n", "default", "-l", label)["items"]
    return {d["metadata"]["labels"]["apps.openyurt.io/pool-name"]: d for d in items}


def test_yurtappset_renders_one_workload_per_pool(kubectl: Kubectl) -> None:
    # the pools come from the first test's manifest; apply again so this test also runs alone
    apply(kubectl, manifests.NODEPOOLS)
    apply(kubectl, manifests.YURTAPPSET)
    label = "apps.openyurt.io/ref-yurtappset=web"
    deps = wait(lambda: (d := _deployments(kubectl, label)) and set(d) == {"hangzhou", "beijing"} and d, "workloads")
    yas = wait(
        lambda: (
            (y := get(kubectl, "yurtappset", "web", "-n", "default")).get("status", {}).get("totalWorkloads") == 2 and y
        ),
        "yas status",
    )
    rev = yas["status"]["currentRevision"]
    assert rev.startswith("web-")
    assert get(kubectl, "controllerrevision", rev, "-n", "default")["revision"] == 1
    for pool, dep in deps.items():
        meta = dep["metadata"]
        assert meta["name"].startswith(f"web-{pool}-") and meta["generateName"] == f"web-{pool}-"
        assert meta["labels"]["apps.openyurt.io/pool-name"] == pool
        assert meta["labels"]["apps.openyurt.io/controller-revision-hash"] == rev
        assert meta["labels"]["apps.openyurt.io/ref-yurtappset"] == "web"
        assert meta["ownerReferences"][0]["kind"] == "YurtAppSet"
        assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"apps.openyurt.io/nodepool": pool}
        assert dep["spec"]["template"]["metadata"]["labels"]["apps.openyurt.io/pool-name"] == pool
    assert deps["hangzhou"]["spec"]["replicas"] == 1
    assert deps["beijing"]["spec"]["replicas"] == 3
    st = yas["status"]
    assert st["observedGeneration"] == yas["metadata"]["generation"]
    # no replicas reported yet: not ready; "updated" compares 0 updated with 0 replicas (upstream's rule)
    assert st["readyWorkloads"] == 0 and st["updatedWorkloads"] == 2
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["PoolFound"]["status"] == "True"
    assert conds["AppDispatched"]["status"] == "True"

    # the workloads report ready (no deployment controller here): the YurtAppSet counts them
    for dep in deps.values():
        replicas = dep["spec"]["replicas"]
        kubectl.run(
            "patch",
            "deployment",
            dep["metadata"]["name"],
            "-n",
            "default",
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps({"status": {"replicas": replicas, "readyReplicas": replicas, "updatedReplicas": replicas}}),
        )

    def ready() -> dict[str, Any]:
        s: dict[str, Any] = get(kubectl, "yurtappset", "web", "-n", "default")["status"]
        return s if s.get("readyWorkloads") == 2 and s.get("updatedWorkloads") == 2 else {}

    st = wait(ready, "readyWorkloads 2")
    assert {c["type"]: c for c in st["conditions"]}["AppReady"]["reason"] == "AllWorkloadsReady"

    # remove beijing from the pools: its Deployment goes, hangzhou's stays untouched
    kubectl.run("patch", "yurtappset", "web", "-n", "default", "--type=merge", "-p", '{"spec":{"pools":["hangzhou"]}}')
    wait(lambda: set(_deployments(kubectl, label)) == {"hangzhou"}, "beijing workload deleted")
    assert _deployments(kubectl, label)["hangzhou"]["metadata"]["name"] == deps["hangzhou"]["metadata"]["name"]


def test_yurtappdaemon_follows_pool_selector(kubectl: Kubectl) -> None:
    apply(kubectl, manifests.YURTAPPDAEMON)
    apply(kubectl, manifests.AGENT_POOL)

    def statefulsets() -> dict[str, dict[str, Any]]:
        items = get(kubectl, "statefulsets", "-n", "default")["items"]
        return {
            s["metadata"]["labels"]["apps.openyurt.io/pool-name"]: s
            for s in items
            if (s["metadata"].get("ownerReferences") or [{}])[0].get("kind") == "YurtAppDaemon"
        }

    sts = wait(lambda: (s := statefulsets()) and set(s) == {"shanghai"} and s, "shanghai workload")
    assert sts["shanghai"]["spec"]["template"]["spec"]["nodeSelector"] == {"apps.openyurt.io/nodepool": "shanghai"}
    kubectl.run("label", "nodepool", "beijing", "agent=yes")
    wait(lambda: set(statefulsets()) == {"shanghai", "beijing"}, "beijing workload")
    kubectl.run("label", "nodepool", "shanghai", "agent-")
    wait(lambda: set(statefulsets()) == {"beijing"}, "shanghai workload removed")


def test_pods_on_autonomous_nodes_tolerate_longer(kubectl: Kubectl) -> None:
    apply(kubectl, manifests.AUTONOMY)

    def seconds() -> list[Any]:
        pod = get(kubectl, "pod", "bound", "-n", "default")
        return [t.get("tolerationSeconds") for t in pod["spec"]["tolerations"]]

    wait(lambda: seconds() == [21600, 21600], "tolerationSeconds = 6h")
    pod = get(kubectl, "pod", "bound", "-n", "default")
    assert pod["metadata"]["annotations"]["apps.openyurt.io/original-unreachable-toleration-duration"] == "300"
    kubectl.run("annotate", "node", "edge-auto", "node.openyurt.io/autonomy-duration=0", "--overwrite")
    wait(lambda: seconds() == [None, None], "tolerate forever")
    kubectl.run("annotate", "node", "edge-auto", "node.openyurt.io/autonomy-duration-")
    wait(lambda: seconds() == [300, 300], "original tolerations restored")


def test_topology_keys_change_touches_endpointslices(kubectl: Kubectl) -> None:
    apply(kubectl, manifests.SERVICE)
    slice_ = get(kubectl, "endpointslice", "topo-abcde", "-n", "default")
    assert "openyurt.io/update-trigger" not in (slice_["metadata"].get("annotations") or {})

    def trigger() -> str | None:
        s = get(kubectl, "endpointslice", "topo-abcde", "-n", "default")
        return (s["metadata"].get("annotations") or {}).get("openyurt.io/update-trigger")

    # The controllers react to a *change* of topologyKeys (as upstream): a change that reaches the
    # manager's informer before the Service's creation does is seen as the Service's first state.
    # So flip the annotation until one change is seen, with an overall deadline, instead of sleeping.
    deadline = time.monotonic() + 20
    value: str | None = None
    keys = ("openyurt.io/nodepool", "kubernetes.io/hostname")
    flips = 0
    while value is None and time.monotonic() < deadline:
        key = keys[flips % 2]
        kubectl.run("annotate", "--overwrite", "service", "topo", "-n", "default", f"openyurt.io/topologyKeys={key}")
        flips += 1
        try:
            value = wait(trigger, "update-trigger annotation", timeout=3)
        except AssertionError:
            continue
    assert value is not None, "no topologyKeys change touched the EndpointSlice"
    assert flips <= 2, "only a change racing the Service's creation may be missed"
    assert value.isdigit()
