"""image-preheat-controller on the in-memory API (MemoryClient + VirtualClock): a pod asking for a
pre-pull gets its Job; the Job's outcome becomes the pod's PodImageReady condition."""

from __future__ import annotations

from typing import Any

from openyurt.adapters.kube.protocols import ResourceType
from openyurt.runtime.controller import Request
from openyurt.runtime.manager.ctrl_imagepreheat import job_mapper, pod_mapper, wants_image_pull
from tests.unit.manager.harness import Rig
from tests.unit.planners.test_daemonpodupdater import NEW_HASH, daemonset, dpod

RUNTIME_NS = "kube-system"
JOB = f"image-pre-pull-ds-n0-{NEW_HASH}"
#: the memory client knows only modelled kinds; batch/v1 Jobs are served by every real cluster
JOB_TYPE = ResourceType("batch/v1", "Job", "jobs", True, True)
NEED = {"type": "PodNeedUpgrade", "status": "True", "message": f"controllerrevision: {NEW_HASH}"}
ASKED = {"type": "PodImageReady", "status": "False", "message": f"controllerrevision: {NEW_HASH}"}


def _wire_ds() -> dict[str, Any]:
    data = daemonset(strategy="OTA").to_wire()
    data["metadata"] = {k: v for k, v in data["metadata"].items() if k not in ("uid", "namespace")}
    data["metadata"]["namespace"] = RUNTIME_NS
    return data


def _wire_pod(ds: dict[str, Any], *conditions: dict[str, Any]) -> dict[str, Any]:
    pod = dpod("ds-n0", "n0", conditions=list(conditions)).to_wire()
    for f in ("uid", "resourceVersion"):
        pod["metadata"].pop(f)
    pod["metadata"]["namespace"] = RUNTIME_NS
    pod["metadata"]["ownerReferences"][0]["uid"] = ds["metadata"]["uid"]
    return pod


def _condition(rig: Rig, type_: str) -> dict[str, Any] | None:
    pod = rig.one("Pod", "ds-n0", RUNTIME_NS)
    assert pod is not None
    return next((c for c in pod["status"].get("conditions") or [] if c["type"] == type_), None)


async def _rig_with_pod(*conditions: dict[str, Any]) -> tuple[Rig, dict[str, Any]]:
    rig = Rig()
    rig.mem.register_type(JOB_TYPE)
    ds = await rig.mem.create(_wire_ds())
    pod = await rig.mem.create(_wire_pod(ds, *conditions))
    return rig, dict(pod)


async def test_pod_asking_for_a_pull_gets_a_job_and_then_ready_images() -> None:
    rig, pod = await _rig_with_pod(NEED, ASKED)
    try:
        await rig.start("imagepreheat")
        await rig.until(lambda: rig.one("Job", JOB, RUNTIME_NS))
        job = rig.one("Job", JOB, RUNTIME_NS)
        assert job is not None
        assert job["metadata"]["ownerReferences"][0]["uid"] == pod["metadata"]["uid"]
        spec = job["spec"]["template"]["spec"]
        assert spec["nodeName"] == "n0" and [c["name"] for c in spec["containers"]] == ["prepull-c"]
        # the Job runs: nothing changes on the pod
        job["status"] = {"active": 1}
        job = await rig.mem.update_status(job)
        await rig.idle(10)
        assert _condition(rig, "PodImageReady") == ASKED
        # the Job succeeds: the images are ready for that revision
        job["status"] = {"succeeded": 1}
        await rig.mem.update_status(job)
        await rig.until(lambda: (_condition(rig, "PodImageReady") or {}).get("status") == "True")
        cond = _condition(rig, "PodImageReady")
        assert cond is not None
        assert (cond["reason"], cond["message"]) == ("PullImageSuccess", f"controllerrevision: {NEW_HASH}")
        writes = rig.mem.calls.count("update_status")
        await rig.idle(30)
        assert rig.mem.calls.count("update_status") == writes  # settled: no rewrite
        assert len(rig.all("Job", RUNTIME_NS)) == 1
        (controller,) = rig.controllers.values()
        assert controller.name == "image-preheat-controller" and controller.counts.get("error", 0) == 0
    finally:
        await rig.stop()


async def test_failed_job_is_reported_on_the_pod() -> None:
    rig, _ = await _rig_with_pod(NEED, ASKED)
    try:
        await rig.start("image-preheat-controller")
        await rig.until(lambda: rig.one("Job", JOB, RUNTIME_NS))
        job = rig.one("Job", JOB, RUNTIME_NS)
        assert job is not None
        job["status"] = {"failed": 1}
        await rig.mem.update_status(job)
        await rig.until(lambda: (_condition(rig, "PodImageReady") or {}).get("reason") == "PullImageFail")
        cond = _condition(rig, "PodImageReady")
        assert cond is not None and (cond["status"], cond["message"]) == ("False", f"pull image job {JOB} failed")
    finally:
        await rig.stop()


async def test_pod_not_asking_gets_no_job() -> None:
    rig, _ = await _rig_with_pod(NEED)
    try:
        await rig.start("imagepreheat")
        await rig.idle(30)
        assert rig.all("Job", RUNTIME_NS) == []
    finally:
        await rig.stop()


def test_mappers() -> None:
    ds = {"metadata": {"uid": "u"}}
    pod = _wire_pod(ds, NEED, ASKED)
    assert wants_image_pull(pod) and list(pod_mapper(None, pod)) == [Request(RUNTIME_NS, "ds-n0")]
    assert not wants_image_pull(_wire_pod(ds, NEED)) and list(pod_mapper(None, _wire_pod(ds, NEED))) == []
    orphan = _wire_pod(ds, NEED, ASKED)
    orphan["metadata"]["ownerReferences"] = []
    assert not wants_image_pull(orphan)
    owned = {"kind": "Pod", "name": "ds-n0", "uid": "x", "controller": True}
    job = {"metadata": {"name": JOB, "namespace": RUNTIME_NS, "ownerReferences": [owned]}}
    assert list(job_mapper(None, job)) == [Request(RUNTIME_NS, "ds-n0")]
    assert list(job_mapper(job, None)) == [Request(RUNTIME_NS, "ds-n0")]
    other = {"metadata": {"name": "backup", "namespace": RUNTIME_NS, "ownerReferences": [owned]}}
    assert list(job_mapper(None, other)) == []
