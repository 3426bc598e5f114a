"""image-preheat: pre-pull Jobs for OTA pods (yurt-manager reference §1.8)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openyurt.core.api.apps_v1 import DaemonSet
from openyurt.core.api.core_v1 import Pod
from openyurt.core.planners import plan_image_preheat
from openyurt.core.planners._util import format_time
from openyurt.core.planners.imagepreheat import (
    ACTION_CREATE_JOB,
    ACTION_FAILED,
    ACTION_SKIP,
    ACTION_SUCCEEDED,
    ACTION_WAIT,
    ImagePreheatPlan,
    job_name,
)
from tests.unit.planners.builders import NOW
from tests.unit.planners.test_daemonpodupdater import NEW_HASH, OLD_HASH, daemonset, dpod

NS = "default"
JOB = f"image-pre-pull-ds-n0-{NEW_HASH}"
EARLIER = format_time(NOW - timedelta(minutes=5))
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def need(status: str = "True", hash_: str = NEW_HASH) -> dict[str, Any]:
    return {"type": "PodNeedUpgrade", "status": status, "message": f"controllerrevision: {hash_}"}


def image_ready(status: str = "False", message: str = f"controllerrevision: {NEW_HASH}", **kw: Any) -> dict[str, Any]:
    return {"type": "PodImageReady", "status": status, "message": message, "lastTransitionTime": EARLIER, **kw}


def ota_pod(*conditions: dict[str, Any], node_name: str | None = "n0", **kw: Any) -> Pod:
    return dpod("ds-n0", node_name, conditions=list(conditions), **kw)


def template_ds(**kw: Any) -> DaemonSet:
    data = daemonset(strategy="OTA", **kw).to_wire()
    data["spec"]["template"]["spec"] = {
        "containers": [{"name": "app", "image": "foo/app:v2"}, {"name": "side", "image": "foo/side:v2"}],
        "initContainers": [{"name": "setup", "image": "foo/setup:v2"}],
        "imagePullSecrets": [{"name": "regcred"}],
    }
    return DaemonSet.model_validate(data)


def job(*, succeeded: int | None = None, failed: int | None = None, name: str = JOB) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if succeeded is not None:
        status["succeeded"] = succeeded
    if failed is not None:
        status["failed"] = failed
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS}, "status": status}


def plan(pod: Pod, ds: DaemonSet | None = None, jobs: list[dict[str, Any]] | None = None) -> ImagePreheatPlan:
    return plan_image_preheat(pod, template_ds() if ds is None else ds, jobs or [], now=NOW)


def written_condition(p: ImagePreheatPlan) -> dict[str, Any]:
    (step,) = p.plan.status_updates
    obj = step.obj
    assert isinstance(obj, dict)
    (cond,) = [c for c in obj["status"]["conditions"] if c["type"] == "PodImageReady"]
    return dict(cond)


# ==================================================================================================
# When nothing is done


@pytest.mark.parametrize(
    ("pod", "ds", "why"),
    [
        (ota_pod(need(), image_ready(), terminating=True), None, "pod is being deleted"),
        (ota_pod(need(), image_ready()), template_ds(deleting=True), "DaemonSet is being deleted"),
        (ota_pod(image_ready()), None, "PodNeedUpgrade is not True"),
        (ota_pod(need("False"), image_ready()), None, "PodNeedUpgrade is not True"),
        (ota_pod(need(hash_=""), image_ready(message="controllerrevision: ")), None, "names no revision"),
        (ota_pod(need()), None, "PodImageReady is not False"),
        (ota_pod(need(), image_ready("True")), None, "PodImageReady is not False"),
        (ota_pod(need(), image_ready(message=f"controllerrevision: {OLD_HASH}")), None, "PodImageReady is not False"),
        (ota_pod(need(), image_ready(message=f"pull image job {JOB} failed")), None, "PodImageReady is not False"),
        (ota_pod(need(), image_ready(), node_name=None), None, "not bound to a node"),
    ],
)
def test_skips(pod: Pod, ds: DaemonSet | None, why: str) -> None:
    p = plan(pod, ds, [job(succeeded=1)])
    assert p.action == ACTION_SKIP and why in p.reason and not p.plan


def test_skips_without_daemonset() -> None:
    p = plan_image_preheat(ota_pod(need(), image_ready()), None, [], now=NOW)
    assert p.action == ACTION_SKIP and not p.plan


# ==================================================================================================
# The Job


def test_creates_the_job_exactly_as_upstream() -> None:
    pod = ota_pod(need(), image_ready())
    p = plan(pod, jobs=[job(succeeded=1, name=f"image-pre-pull-ds-n0-{OLD_HASH}")])
    assert (p.action, p.revision_hash, p.job_name) == (ACTION_CREATE_JOB, NEW_HASH, JOB)
    assert not p.plan.status_updates and not p.plan.updates and not p.plan.deletes
    (create,) = p.plan.creates
    assert create.obj == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": JOB,
            "namespace": NS,
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": "ds-n0",
                    "uid": "uid-ds-n0",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "activeDeadlineSeconds": 600,
            "backoffLimit": 1,
            "ttlSecondsAfterFinished": 30,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "prepull-app",
                            "image": "foo/app:v2",
                            "command": ["true"],
                            "imagePullPolicy": "Always",
                        },
                        {
                            "name": "prepull-side",
                            "image": "foo/side:v2",
                            "command": ["true"],
                            "imagePullPolicy": "Always",
                        },
                        {
                            "name": "prepull-init-setup",
                            "image": "foo/setup:v2",
                            "command": ["true"],
                            "imagePullPolicy": "Always",
                        },
                    ],
                    "restartPolicy": "OnFailure",
                    "nodeName": "n0",
                    "imagePullSecrets": [{"name": "regcred"}],
                }
            },
        },
    }


def test_job_without_pull_secrets_or_init_containers() -> None:
    p = plan(ota_pod(need(), image_ready()), daemonset(strategy="OTA"))
    (create,) = p.plan.creates
    assert isinstance(create.obj, dict)
    spec = create.obj["spec"]["template"]["spec"]
    assert spec == {
        "containers": [{"name": "prepull-c", "image": "foo/bar:v2", "command": ["true"], "imagePullPolicy": "Always"}],
        "restartPolicy": "OnFailure",
        "nodeName": "n0",
    }


def test_job_in_another_namespace_does_not_count() -> None:
    other = job(succeeded=1)
    other["metadata"]["namespace"] = "elsewhere"
    assert plan(ota_pod(need(), image_ready()), jobs=[other]).action == ACTION_CREATE_JOB


_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
_POD_NAMES = st.lists(_LABEL, min_size=1, max_size=6).map(".".join).filter(lambda s: len(s) <= 253)


@given(pod=_POD_NAMES, hash_=st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True))
def test_job_names_are_valid_and_distinct(pod: str, hash_: str) -> None:
    """Invariant: a Job name is a DNS-1123 subdomain of at most 253 characters, and it is
    ``image-pre-pull-<pod>-<hash>`` whenever that fits, else distinct per (pod, hash)."""
    name = job_name(pod, hash_)
    assert len(name) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(name)
    full = f"image-pre-pull-{pod}-{hash_}"
    if len(full) <= 253:
        assert name == full
    else:
        assert job_name(pod, hash_ + "x") != name


def test_long_pod_names_give_a_shortened_job_name() -> None:
    long_pod = "a" * 240
    name = job_name(long_pod, NEW_HASH)
    assert len(name) == 253 and name.startswith("image-pre-pull-aaa")
    assert name != job_name(long_pod[:-1] + "b", NEW_HASH)


# ==================================================================================================
# The Job's outcome


def test_running_job_waits() -> None:
    for running in (job(), job(succeeded=0, failed=0)):
        p = plan(ota_pod(need(), image_ready()), jobs=[running])
        assert (p.action, p.job_name) == (ACTION_WAIT, JOB) and not p.plan


def test_succeeded_job_marks_the_images_ready() -> None:
    pod = ota_pod(need(), image_ready())
    p = plan(pod, jobs=[job(succeeded=1)])
    assert p.action == ACTION_SUCCEEDED and not p.plan.creates
    assert written_condition(p) == {
        "type": "PodImageReady",
        "status": "True",
        "reason": "PullImageSuccess",
        "message": f"controllerrevision: {NEW_HASH}",
        "lastTransitionTime": format_time(NOW),
    }
    # the other conditions and the rest of the status stay
    (step,) = p.plan.status_updates
    assert isinstance(step.obj, dict)
    types = [c["type"] for c in step.obj["status"]["conditions"]]
    assert types == ["Ready", "PodNeedUpgrade", "PodImageReady"]
    assert step.obj["status"]["phase"] == "Running"
    assert step.obj["metadata"]["resourceVersion"] == "7"


def test_failed_job_reports_the_failure() -> None:
    p = plan(ota_pod(need(), image_ready()), jobs=[job(failed=1)])
    assert p.action == ACTION_FAILED
    assert written_condition(p) == {
        "type": "PodImageReady",
        "status": "False",
        "reason": "PullImageFail",
        "message": f"pull image job {JOB} failed",
        "lastTransitionTime": EARLIER,  # still False: the transition time stays
    }


def test_success_wins_over_failure() -> None:
    p = plan(ota_pod(need(), image_ready()), jobs=[job(succeeded=1, failed=1)])
    assert p.action == ACTION_SUCCEEDED and written_condition(p)["status"] == "True"


def test_no_write_when_the_condition_is_already_set() -> None:
    """A failed Job whose failure the hub's request reset to the same text writes nothing new."""
    pod = ota_pod(need(), image_ready(reason="PullImageFail", message=f"controllerrevision: {NEW_HASH}"))
    p = plan(pod, jobs=[job(failed=1)])
    assert p.action == ACTION_FAILED and written_condition(p)["message"] == f"pull image job {JOB} failed"
    # equal plans for equal inputs, and applying the plan settles it
    assert plan(pod, jobs=[job(failed=1)]) == p
    cond = written_condition(p)
    settled = ota_pod(need(), cond)
    assert plan(settled, jobs=[job(failed=1)]).action == ACTION_SKIP  # message no longer names the revision


def test_hash_is_read_with_surrounding_spaces_trimmed() -> None:
    pod = ota_pod(need(), image_ready(message=f"controllerrevision:   {NEW_HASH} "))
    assert plan(pod).job_name == JOB


@given(
    need_status=st.sampled_from(["True", "False", None]),
    ready=st.sampled_from([None, ("False", NEW_HASH), ("False", OLD_HASH), ("True", NEW_HASH)]),
    succeeded=st.sampled_from([None, 0, 1, 2]),
    failed=st.sampled_from([None, 0, 1]),
    has_job=st.booleans(),
)
def test_one_write_at_most_and_applying_it_settles(
    need_status: str | None, ready: tuple[str, str] | None, succeeded: int | None, failed: int | None, has_job: bool
) -> None:
    """Invariant: a plan makes at most one write (the Job, or the pod's status with only PodImageReady
    changed), and re-planning on the pod as written plans no further write."""
    conds = [need(need_status)] if need_status else []
    if ready is not None:
        conds.append(image_ready(ready[0], f"controllerrevision: {ready[1]}"))
    pod = ota_pod(*conds)
    jobs = [job(succeeded=succeeded, failed=failed)] if has_job else []
    p = plan(pod, jobs=jobs)
    assert len(p.plan.steps()) <= 1
    if p.plan.creates:
        assert p.action == ACTION_CREATE_JOB and not has_job
    if p.plan.status_updates:
        (step,) = p.plan.status_updates
        assert isinstance(step.obj, dict)
        before = pod.to_wire()
        after = step.obj
        assert {k: v for k, v in after.items() if k != "status"} == {k: v for k, v in before.items() if k != "status"}
        old = [c for c in before["status"]["conditions"] if c["type"] != "PodImageReady"]
        new = [c for c in after["status"]["conditions"] if c["type"] != "PodImageReady"]
        assert old == new
        again = plan(Pod.model_validate(after), jobs=jobs)
        assert not again.plan
