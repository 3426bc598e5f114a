"""``openyurt up`` end to end: all nodes Ready, a YurtAppSet across pools, edge autonomy under a cut
cloud link (and its negative control), heal, and clean shutdown by ``down`` and by SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.e2e.up.conftest import FAST, REPO, Cluster, group_alive, kill_group, until, up_cmd

AUTONOMOUS = "pool-1-node-1"
PLAIN = "pool-2-node-1"

CONTROL_POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: not-autonomous, namespace: default, labels: {{app: not-autonomous}}}}
spec:
  nodeSelector: {{kubernetes.io/hostname: {PLAIN}}}
  containers: [{{name: app, image: busybox:1.36}}]
  tolerations:
    - {{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}}
    - {{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}}
"""


def pods(c: Cluster, selector: str) -> list[dict[str, Any]]:
    items = c.get("pods", "-n", "default", "-l", selector)["items"]
    assert isinstance(items, list)
    return items


def running(pod: dict[str, Any]) -> bool:
    st = pod.get("status") or {}
    return st.get("phase") == "Running" and bool(st.get("podIP")) and not pod["metadata"].get("deletionTimestamp")


def node_ready(c: Cluster, name: str) -> bool:
    node = c.get("node", name)
    return any(x["type"] == "Ready" and x["status"] == "True" for x in node["status"]["conditions"])


def test_all_ready_and_yurtappset_across_pools(cluster: Cluster) -> None:
    out = cluster.kubectl("get", "nodes,nodepools")
    for name in ("pool-1-node-1", "pool-1-node-2", "pool-2-node-1", "pool-2-node-2", "pool-1", "pool-2"):
        assert name in out
    nodes = cluster.get("nodes")["items"]
    assert len(nodes) == 4
    assert all(n["metadata"]["labels"]["openyurt.io/is-edge-worker"] == "true" for n in nodes)
    pool_of = {n["metadata"]["name"]: n["metadata"]["labels"]["apps.openyurt.io/nodepool"] for n in nodes}

    cluster.kubectl("apply", "-f", REPO / "examples" / "yurtappset-two-pools.yaml")
    want = {"pool-1": 2, "pool-2": 3}

    def placed() -> bool:
        got: dict[str, int] = {}
        for p in pods(cluster, "app=web"):
            if running(p):
                got[pool_of[p["spec"]["nodeName"]]] = got.get(pool_of[p["spec"]["nodeName"]], 0) + 1
        assert got == want, got
        return True

    until(placed, 60, "YurtAppSet pods Running in both pools on their pools' nodes")
    cluster.kubectl("apply", "-f", REPO / "examples" / "service-topology.yaml")
    # the agents saw their pods through their hubs
    snap = cluster.status()
    assert sum(len(n["agent"]["pods"]) for n in snap["nodes"]) >= 5


def test_autonomous_node_survives_cut_and_heals(cluster: Cluster, tmp_path: Path) -> None:
    cluster.kubectl("annotate", "node", AUTONOMOUS, "node.openyurt.io/autonomy-duration=0")
    cluster.kubectl("apply", "-f", REPO / "examples" / "autonomous-node.yaml")
    cluster.kubectl("apply", "-f", "-", input=CONTROL_POD)
    auto = until(lambda: [p for p in pods(cluster, "app=autonomous-demo") if running(p)], 30, "autonomous pod Running")[
        0
    ]
    ctrl = until(lambda: [p for p in pods(cluster, "app=not-autonomous") if running(p)], 30, "control pod Running")[0]
    assert auto["spec"]["nodeName"] == AUTONOMOUS and ctrl["spec"]["nodeName"] == PLAIN

    def tolerates_forever() -> bool:
        pod = cluster.get("pod", "autonomous-demo", "-n", "default")
        tols = pod["spec"].get("tolerations") or []
        return any(
            t.get("key") == "node.kubernetes.io/unreachable"
            and t.get("effect") == "NoExecute"
            and "tolerationSeconds" not in t
            for t in tols
        )

    until(tolerates_forever, 30, "podbinding to give the autonomous node's pod unlimited unreachable tolerations")
    until(lambda: cluster.node(AUTONOMOUS)["agent"]["pods"] == ["default/autonomous-demo"], 10, "agent sees its pod")

    out = cluster.cli("cut", AUTONOMOUS, PLAIN)
    cut_at = time.monotonic()
    assert f"{AUTONOMOUS}: link cut" in out
    reads_at_cut = cluster.node(AUTONOMOUS)["agent"]["reads_ok"]
    until(lambda: not cluster.node(AUTONOMOUS)["hub_online"], 15, "hub to notice the cut")

    # negative control: without autonomy the pod is evicted once the node is NotReady and tainted
    def evicted(uid: str) -> bool:
        left = [p for p in pods(cluster, "app=not-autonomous") if p["metadata"]["uid"] == uid]
        return not left or bool(left[0]["metadata"].get("deletionTimestamp"))

    until(lambda: not node_ready(cluster, AUTONOMOUS) and not node_ready(cluster, PLAIN), 20, "cut nodes NotReady")
    until(lambda: evicted(ctrl["metadata"]["uid"]), 20, "the non-autonomous node's pod evicted")
    unreachable = [t["key"] for t in cluster.get("node", AUTONOMOUS)["spec"].get("taints") or []]
    assert "node.kubernetes.io/unreachable" in unreachable

    # the autonomous pod is kept for well past the (shortened) eviction timeout while the agent keeps
    # reading its pods from the hub's cache
    # (NotReady after 3 s + 5 s of toleration; watch until well after that)
    window_end = max(time.monotonic() + 2.0, cut_at + 12.0)
    while time.monotonic() < window_end:
        pod = cluster.get("pod", "autonomous-demo", "-n", "default")
        assert pod["metadata"]["uid"] == auto["metadata"]["uid"]
        assert not pod["metadata"].get("deletionTimestamp"), "autonomous pod was evicted"
        time.sleep(0.5)
    agent = cluster.node(AUTONOMOUS)
    assert agent["cut"] and not agent["hub_online"]
    assert agent["agent"]["reads_ok"] >= reads_at_cut + 3, (reads_at_cut, agent["agent"])
    assert agent["agent"]["pod_uids"] == [auto["metadata"]["uid"]]

    out = cluster.cli("heal", "--all")
    assert f"{AUTONOMOUS}: link healed" in out
    until(lambda: node_ready(cluster, AUTONOMOUS) and node_ready(cluster, PLAIN), 30, "healed nodes Ready")
    after = pods(cluster, "app=autonomous-demo")
    assert [p["metadata"]["uid"] for p in after] == [auto["metadata"]["uid"]], "autonomous pod was recreated"
    assert running(after[0])
    # the evicted pod's deletion is finished by its node agent once it can reach the cloud again
    until(
        lambda: not [p for p in pods(cluster, "app=not-autonomous") if p["metadata"]["uid"] == ctrl["metadata"]["uid"]],
        20,
        "evicted pod gone",
    )


def test_sigint_stops_foreground_up_without_leftovers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        up_cmd("up", "--pools", "1", "--nodes-per-pool", "2", "--data-dir", data, "--plain", *FAST),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    try:

        def ready() -> bool:
            assert proc.poll() is None, "up exited early"
            return bool(json.loads((data / "up.json").read_text()).get("ready"))

        until(ready, 60, "foreground up to report all nodes Ready")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "event=info msg=stopping" in out
        until(lambda: not group_alive(proc.pid), 10, "no process left in up's process group")
        assert not (data / "up.json").exists()
    finally:
        if proc.poll() is None or group_alive(proc.pid):
            kill_group(proc.pid)
            proc.wait()
