"""daemon-pod-updater-controller on the in-memory API (MemoryClient + VirtualClock): rolling node by
node past NotReady nodes, waiting for observed deletions, OTA conditions, an invalid budget."""

from __future__ import annotations

from typing import Any

from tests.unit.manager.harness import Rig
from tests.unit.manager.harness import node as wire_node
from tests.unit.planners.test_daemonpodupdater import NEW_HASH, OLD_HASH, daemonset, dpod, revision

RUNTIME_NS = "kube-system"


def _wire_ds(strategy: str, max_unavailable: str = "1") -> dict[str, Any]:
    data = daemonset(strategy=strategy, max_unavailable=max_unavailable).to_wire()
    data["metadata"] = {k: v for k, v in data["metadata"].items() if k not in ("uid", "namespace")}
    data["metadata"]["namespace"] = RUNTIME_NS
    return data


def _wire_revision(ds: dict[str, Any], hash_: str, number: int) -> dict[str, Any]:
    rev = revision(hash_, number).to_wire()
    rev["metadata"]["namespace"] = RUNTIME_NS
    rev["metadata"]["ownerReferences"][0]["uid"] = ds["metadata"]["uid"]
    return rev


def _wire_pod(ds: dict[str, Any], name: str, node_name: str, *, latest: bool = False, **kw: Any) -> dict[str, Any]:
    pod = dpod(name, node_name, latest=latest, **kw).to_wire()
    for f in ("uid", "resourceVersion"):
        pod["metadata"].pop(f)
    pod["metadata"]["namespace"] = RUNTIME_NS
    pod["metadata"]["ownerReferences"][0]["uid"] = ds["metadata"]["uid"]
    return pod


async def _setup(rig: Rig, strategy: str, nodes: dict[str, bool], **kw: Any) -> dict[str, Any]:
    ds = await rig.mem.create(_wire_ds(strategy, **kw))
    ds["status"] = {"desiredNumberScheduled": len(nodes)}
    ds = await rig.mem.update_status(ds)
    for rev in (_wire_revision(ds, OLD_HASH, 1), _wire_revision(ds, NEW_HASH, 2)):
        await rig.mem.create(rev)
    for name, ready in nodes.items():
        await rig.mem.create(wire_node(name, ready=ready))
        await rig.mem.create(_wire_pod(ds, f"ds-{name}", name))
    return dict(ds)


def _counts(rig: Rig) -> dict[str, int]:
    """Reconcile results of the one controller started (by its name or its alias)."""
    (controller,) = rig.controllers.values()
    assert controller.name == "daemon-pod-updater-controller"
    return dict(controller.counts)


def _pod_names(rig: Rig) -> set[str]:
    return {p["metadata"]["name"] for p in rig.all("Pod", RUNTIME_NS)}


async def test_controller_rolls_node_by_node_and_skips_not_ready_nodes() -> None:
    rig = Rig()
    try:
        ds = await _setup(rig, "AdvancedRollingUpdate", {"n0": True, "n1": True, "n2": False})
        await rig.start("daemonpodupdater")
        await rig.until(lambda: "ds-n0" not in _pod_names(rig))
        await rig.idle(30)
        # budget 1, and the replacement on n0 does not exist yet: nothing else goes
        assert _pod_names(rig) == {"ds-n1", "ds-n2"}
        events = [e for e in rig.all("Event", RUNTIME_NS) if e["reason"] == "SuccessfulDelete"]
        assert [(e["message"], e["involvedObject"]["kind"], e["involvedObject"]["name"]) for e in events] == [
            ("Deleted pod: ds-n0", "DaemonSet", "ds")
        ]
        # the native controller would recreate it from the new template: the next Ready node goes
        await rig.mem.create(_wire_pod(ds, "ds-n0-new", "n0", latest=True))
        await rig.until(lambda: "ds-n1" not in _pod_names(rig))
        await rig.mem.create(_wire_pod(ds, "ds-n1-new", "n1", latest=True))
        await rig.idle(30)
        assert "ds-n2" in _pod_names(rig)  # NotReady: never touched
        # the node becomes Ready: its pod is upgraded too (node watch)
        n2 = rig.one("Node", "n2")
        assert n2 is not None
        n2["status"]["conditions"][0]["status"] = "True"
        await rig.mem.update_status(n2)
        await rig.until(lambda: "ds-n2" not in _pod_names(rig))
        assert _counts(rig).get("error", 0) == 0
    finally:
        await rig.stop()


async def test_controller_waits_for_observed_deletions() -> None:
    """A pod held by a finalizer is not gone yet: the next round waits (at most 5 minutes)."""
    rig = Rig()
    try:
        ds = await _setup(rig, "Auto", {"n0": True, "n1": True}, max_unavailable="100%")
        held = rig.one("Pod", "ds-n0", RUNTIME_NS)
        assert held is not None
        held["metadata"]["finalizers"] = ["test/hold"]
        await rig.mem.update(held)
        await rig.start("daemon-pod-updater-controller")
        await rig.until(lambda: "ds-n1" not in _pod_names(rig))
        held = rig.one("Pod", "ds-n0", RUNTIME_NS)
        assert held is not None and held["metadata"].get("deletionTimestamp")
        await rig.idle(10)
        counts = _counts(rig)
        assert counts.get("requeue_after", 0) >= 5 and counts.get("error", 0) == 0
        # a new pod appears meanwhile: no round runs while the deletion is pending
        before = counts.get("success", 0)
        await rig.mem.create(_wire_pod(ds, "ds-n1-new", "n1", latest=True))
        await rig.idle(5)
        assert _counts(rig).get("success", 0) == before
        # the finalizer goes, the pod goes, the key runs normally again
        held["metadata"]["finalizers"] = []
        await rig.mem.update(held)
        await rig.until(lambda: _counts(rig).get("success", 0) > before)
    finally:
        await rig.stop()


async def test_controller_ota_sets_conditions_and_follows_new_revisions() -> None:
    rig = Rig()
    try:
        ds = await _setup(rig, "OTA", {"n0": True, "n1": False})
        await rig.mem.create(_wire_pod(ds, "ds-new", "n0", latest=True))
        await rig.start("daemonpodupdater")

        def conditions() -> dict[str, tuple[str, str]]:
            out = {}
            for p in rig.all("Pod", RUNTIME_NS):
                for c in p["status"].get("conditions") or []:
                    if c["type"] == "PodNeedUpgrade":
                        out[p["metadata"]["name"]] = (c["status"], c["message"])
            return out

        want = f"controllerrevision: {NEW_HASH}"
        await rig.until(lambda: len(conditions()) == 3)
        assert conditions() == {"ds-n0": ("True", want), "ds-n1": ("True", want), "ds-new": ("False", want)}
        writes = rig.mem.calls.count("update_status")
        await rig.idle(30)
        assert rig.mem.calls.count("update_status") == writes  # settled: no rewrite
        assert len(_pod_names(rig)) == 3  # OTA never deletes
        # a newer template (new generation, new revision): every pod is now behind
        current = rig.one("DaemonSet", "ds", RUNTIME_NS)
        assert current is not None
        current["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "3"
        await rig.mem.update(current)
        await rig.mem.create(_wire_revision(ds, "9f8e7d6c5", 3))
        want = "controllerrevision: 9f8e7d6c5"
        await rig.until(lambda: set(conditions().values()) == {("True", want)})
    finally:
        await rig.stop()


async def test_controller_reports_an_invalid_budget_without_retrying() -> None:
    rig = Rig()
    try:
        await _setup(rig, "AdvancedRollingUpdate", {"n0": True}, max_unavailable="abc")
        await rig.start("daemonpodupdater")
        await rig.until(lambda: _counts(rig).get("terminal_error", 0) >= 1)
        await rig.idle(60)
        assert _counts(rig).get("terminal_error", 0) == 1
        assert _pod_names(rig) == {"ds-n0"}
    finally:
        await rig.stop()
