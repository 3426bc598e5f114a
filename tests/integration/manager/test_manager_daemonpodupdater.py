"""daemon-pod-updater end to end: the embedded API server, ``openyurt manager`` running every
controller by default, and the real kubectl (the rig is in ``conftest.py``).

There is no native DaemonSet controller here, so the test plays its part: it creates each DaemonSet's
ControllerRevisions and pods (labels ``controller-revision-hash``/``pod-template-generation``, a
controller ownerReference), writes the status counters, and recreates deleted pods from the new
template. Pods use ``terminationGracePeriodSeconds: 0`` since no kubelet finishes graceful deletes.
A DaemonSet gets its strategy annotation only once all its pods exist, so the first round sees them all.
"""

from __future__ import annotations

import json
from typing import Any

from tests.integration.apiserver.conftest import Kubectl
from tests.integration.manager.conftest import ManagerRun, apply, get, set_ready, wait

NS = "default"
OLD_HASH = "6d4b8f7c9"
NEW_HASH = "8c5f9d7b6"
CONTROLLER = "daemon-pod-updater-controller"
NODES = {"dpu-0": True, "dpu-1": True, "dpu-2": True, "dpu-3": False}


def _nodes(k: Kubectl) -> None:
    for name in NODES:
        apply(k, json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}))
    for name, ready in NODES.items():
        set_ready(k, name, ready)


def _daemonset(k: Kubectl, name: str) -> dict[str, Any]:
    """An OnDelete DaemonSet at template generation 2, its two revisions, its status counters."""
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": name,
            "namespace": NS,
            "annotations": {"deprecated.daemonset.template.generation": "2"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "agent", "image": "foo/bar:v2"}]},
            },
            "updateStrategy": {"type": "OnDelete"},
        },
    }
    apply(k, json.dumps(ds))
    live: dict[str, Any] = get(k, "daemonset", name, "-n", NS)
    owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name, "uid": live["metadata"]["uid"]}
    for number, hash_ in ((1, OLD_HASH), (2, NEW_HASH)):
        rev = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": f"{name}-{hash_}",
                "namespace": NS,
                "labels": {"app": name, "controller-revision-hash": hash_},
                "ownerReferences": [{**owner, "controller": True, "blockOwnerDeletion": True}],
            },
            "data": {"spec": {"template": {"$patch": "replace"}}},
            "revision": number,
        }
        apply(k, json.dumps(rev))
    status = {"status": {"desiredNumberScheduled": len(NODES), "currentNumberScheduled": len(NODES)}}
    k.run("patch", "daemonset", name, "-n", NS, "--subresource=status", "--type=merge", "-p", json.dumps(status))
    return live


def _pod(k: Kubectl, ds: dict[str, Any], name: str, node: str, *, latest: bool) -> None:
    ds_name = ds["metadata"]["name"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {
                "app": ds_name,
                "controller-revision-hash": NEW_HASH if latest else OLD_HASH,
                "pod-template-generation": "2" if latest else "1",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": ds_name,
                    "uid": ds["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": node,
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "agent", "image": "foo/bar:v2" if latest else "foo/bar:v1"}],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"}],
        },
    }
    k.run("create", "-f", "-", input=json.dumps(pod))


def _pods(k: Kubectl, app: str) -> dict[str, dict[str, Any]]:
    items = get(k, "pods", "-n", NS, "-l", f"app={app}")["items"]
    return {p["metadata"]["name"]: p for p in items}


def _enable(k: Kubectl, name: str, strategy: str, *extra: str) -> None:
    k.run("annotate", "daemonset", name, "-n", NS, f"apps.openyurt.io/update-strategy={strategy}", *extra)


def _another_round(k: Kubectl, manager: ManagerRun, name: str, annotation: str) -> None:
    """Change the DaemonSet and wait until the controller has reconciled since (a sync point)."""
    done = manager.reconciles(CONTROLLER)
    k.run("annotate", "daemonset", name, "-n", NS, annotation, "--overwrite")
    wait(lambda: manager.reconciles(CONTROLLER) > done, f"a reconcile after {annotation}")


def test_controller_runs_by_default(manager: ManagerRun) -> None:
    started = next(line for line in manager.text().splitlines() if "started controllers" in line)
    assert "daemon-pod-updater-controller" in started


def test_advanced_rolling_update_skips_not_ready_nodes_and_keeps_the_budget(
    kubectl: Kubectl, manager: ManagerRun
) -> None:
    _nodes(kubectl)
    ds = _daemonset(kubectl, "rolling")
    for node in NODES:
        _pod(kubectl, ds, f"rolling-{node}", node, latest=False)
    _enable(kubectl, "rolling", "AdvancedRollingUpdate", "apps.openyurt.io/max-unavailable=1")

    # budget 1: the first Ready node by name goes, and nothing else while its replacement is missing
    wait(lambda: set(_pods(kubectl, "rolling")) == {"rolling-dpu-1", "rolling-dpu-2", "rolling-dpu-3"}, "dpu-0")
    events = [
        e
        for e in get(kubectl, "events", "-n", NS)["items"]
        if e["reason"] == "SuccessfulDelete" and e["involvedObject"]["name"] == "rolling"
    ]
    assert [(e["involvedObject"]["kind"], e["message"]) for e in events] == [
        ("DaemonSet", "Deleted pod: rolling-dpu-0")
    ]
    _another_round(kubectl, manager, "rolling", "touch=1")
    assert set(_pods(kubectl, "rolling")) == {"rolling-dpu-1", "rolling-dpu-2", "rolling-dpu-3"}

    # "the native controller" recreates it from the new template: the next Ready node goes, and so on
    _pod(kubectl, ds, "rolling-dpu-0-v2", "dpu-0", latest=True)
    wait(lambda: "rolling-dpu-1" not in _pods(kubectl, "rolling"), "dpu-1 replaced")
    assert "rolling-dpu-2" in _pods(kubectl, "rolling")
    _pod(kubectl, ds, "rolling-dpu-1-v2", "dpu-1", latest=True)
    wait(lambda: "rolling-dpu-2" not in _pods(kubectl, "rolling"), "dpu-2 replaced")
    _pod(kubectl, ds, "rolling-dpu-2-v2", "dpu-2", latest=True)

    # the NotReady node's pod is never touched, whatever the budget
    _another_round(kubectl, manager, "rolling", "apps.openyurt.io/max-unavailable=100%")
    assert "rolling-dpu-3" in _pods(kubectl, "rolling")
    # until it becomes Ready (the node watch starts the round)
    set_ready(kubectl, "dpu-3", True)
    wait(lambda: "rolling-dpu-3" not in _pods(kubectl, "rolling"), "dpu-3 replaced once Ready")


def test_ota_marks_old_pods_and_deletes_nothing(kubectl: Kubectl, manager: ManagerRun) -> None:
    _nodes(kubectl)
    ds = _daemonset(kubectl, "ota")
    _pod(kubectl, ds, "ota-old", "dpu-0", latest=False)
    _pod(kubectl, ds, "ota-old-not-ready", "dpu-3", latest=False)
    _pod(kubectl, ds, "ota-new", "dpu-1", latest=True)
    _enable(kubectl, "ota", "ota")

    def conditions() -> dict[str, tuple[str, str, str]]:
        out = {}
        for name, pod in _pods(kubectl, "ota").items():
            for c in pod["status"].get("conditions") or []:
                if c["type"] == "PodNeedUpgrade":
                    out[name] = (c["status"], c["message"], c["lastTransitionTime"])
        return out

    got = wait(lambda: (c := conditions()) and len(c) == 3 and c, "PodNeedUpgrade on every pod")
    want = f"controllerrevision: {NEW_HASH}"
    assert {k: v[:2] for k, v in got.items()} == {
        "ota-old": ("True", want),
        "ota-old-not-ready": ("True", want),
        "ota-new": ("False", want),
    }
    assert set(_pods(kubectl, "ota")) == {"ota-old", "ota-old-not-ready", "ota-new"}
    # a later change of the DaemonSet re-runs the round: nothing to write, the times stay
    before = {n: p["metadata"]["resourceVersion"] for n, p in _pods(kubectl, "ota").items()}
    _another_round(kubectl, manager, "ota", "touch=1")
    assert conditions() == got
    assert {n: p["metadata"]["resourceVersion"] for n, p in _pods(kubectl, "ota").items()} == before
