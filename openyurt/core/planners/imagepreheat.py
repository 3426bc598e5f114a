"""image-preheat: pre-pull an OTA DaemonSet pod's new images on its node before the upgrade.

The companion of daemon-pod-updater's OTA mode. A node owner asks the node's yurthub to pre-pull
(``POST .../pods/{pod}/imagepull``); the hub sets the pod's ``PodImageReady=False`` with the message
``controllerrevision: <hash>`` naming the revision ``PodNeedUpgrade`` asks for. This planner then:

1. creates the Job ``image-pre-pull-<pod>-<hash>`` on the pod's node: one container per container of
   the DaemonSet's (new) template, ``prepull-<name>``, and one per init container,
   ``prepull-init-<name>``, each with the same image, ``command: ["true"]`` and
   ``imagePullPolicy: Always`` (pulling is the whole job); the Job is owned by the pod, so it goes
   with it, and its TTL removes it 30 s after it finished;
2. once that Job succeeded, sets ``PodImageReady=True`` (reason ``PullImageSuccess``, message
   ``controllerrevision: <hash>``), which lets the hub's upgrade go ahead; once it failed, keeps
   ``PodImageReady=False`` with reason ``PullImageFail`` and message ``pull image job <name> failed``
   (the message no longer names the revision, so nothing more happens until the hub is asked again).

Where we deliberately differ from upstream (none changes the wire format):

- a ``PodNeedUpgrade`` message without a hash, or a pod not bound to a node, plans nothing (upstream
  would create a Job with an invalid name, or one the scheduler may place on any node);
- a Job name longer than a DNS-1123 subdomain allows (253) is shortened, keeping a digest of the full
  name so different pods or revisions never share a Job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import DaemonSet
from openyurt.core.api.core_v1 import Container, Pod, pod_condition
from openyurt.core.hub.ota import revision_hash, revision_message
from openyurt.core.planners._util import WireDict, owner_ref_wire, status_update
from openyurt.core.planners.daemonpodupdater import merge_pod_condition
from openyurt.core.plans import EMPTY_PLAN, Create, Plan

JOB_API_VERSION: Final = "batch/v1"
JOB_KIND: Final = "Job"
JOB_PREFIX: Final = wellknown.JOB_IMAGE_PRE_PULL_PREFIX
JOB_ACTIVE_DEADLINE_SECONDS: Final = 600
JOB_BACKOFF_LIMIT: Final = 1
JOB_TTL_SECONDS_AFTER_FINISHED: Final = 30
CONTAINER_PREFIX: Final = "prepull-"
INIT_CONTAINER_PREFIX: Final = "prepull-init-"
#: a DNS-1123 subdomain (every object name) is at most this long
MAX_NAME_LENGTH: Final = 253
_DIGEST_LENGTH: Final = 10

#: What a plan did (``ImagePreheatPlan.action``).
ACTION_SKIP: Final = "skip"
ACTION_CREATE_JOB: Final = "create-job"
ACTION_WAIT: Final = "wait"
ACTION_SUCCEEDED: Final = "succeeded"
ACTION_FAILED: Final = "failed"


@attrs.frozen
class ImagePreheatPlan:
    """The Job to create or the pod status to write, and why."""

    #: ``skip``, ``create-job``, ``wait`` (the Job runs), ``succeeded`` or ``failed`` (the Job ended)
    action: str
    #: the revision the images are pulled for ("" when skipped before it was known)
    revision_hash: str = ""
    #: the pre-pull Job's name ("" when skipped before it was known)
    job_name: str = ""
    plan: Plan = EMPTY_PLAN
    #: why nothing is to be done (``skip`` only), for logs
    reason: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.plan


# ==================================================================================================
# Inputs


def _message_of(pod: Pod, type_: str) -> tuple[str | None, str]:
    """(status, message) of the pod's condition ``type_`` (status None when it has none)."""
    cond = pod_condition(pod, type_)
    if cond is None:
        return None, ""
    return cond.status, cond.message or ""


def next_revision_hash(pod: Pod) -> str:
    """The revision ``PodNeedUpgrade`` asks the pod to move to ("" without that condition)."""
    return revision_hash(_message_of(pod, wellknown.CONDITION_POD_NEED_UPGRADE)[1])


def wants_image_pull(pod: Pod) -> bool:
    """``PodImageReady=False`` for the revision ``PodNeedUpgrade`` names (what the hub writes on request)."""
    status, message = _message_of(pod, wellknown.CONDITION_POD_IMAGE_READY)
    want = next_revision_hash(pod)
    return status == "False" and bool(want) and revision_hash(message) == want


def owner_daemonset_name(pod: Pod) -> str | None:
    """The first ``DaemonSet`` among the pod's owners (upstream does not require ``controller``)."""
    for ref in pod.metadata.owner_references or ():
        if ref.kind == "DaemonSet":
            return ref.name
    return None


def job_name(pod_name: str, hash_: str) -> str:
    """``image-pre-pull-<pod>-<hash>``, shortened with a digest when longer than 253 characters."""
    name = f"{JOB_PREFIX}{pod_name}-{hash_}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_DIGEST_LENGTH]
    head = name[: MAX_NAME_LENGTH - _DIGEST_LENGTH - 1].rstrip("-.")
    return f"{head}-{digest}"


# ==================================================================================================
# The Job


def _prepull(prefix: str, c: Container) -> WireDict:
    out: WireDict = {"name": f"{prefix}{c.name}", "command": ["true"], "imagePullPolicy": "Always"}
    if c.image is not None:
        out["image"] = c.image
    return out


def pre_pull_job(pod: Pod, ds: DaemonSet, name: str) -> WireDict:
    """The Job pulling every image of ``ds``'s template on ``pod``'s node (owned by the pod)."""
    spec = ds.spec.template.spec if ds.spec is not None and ds.spec.template is not None else None
    containers = [_prepull(CONTAINER_PREFIX, c) for c in (spec.containers if spec else None) or ()]
    containers += [_prepull(INIT_CONTAINER_PREFIX, c) for c in (spec.init_containers if spec else None) or ()]
    pod_spec: WireDict = {"containers": containers, "restartPolicy": "OnFailure"}
    if pod.spec is not None and pod.spec.node_name:
        pod_spec["nodeName"] = pod.spec.node_name
    secrets = spec.image_pull_secrets if spec else None
    if secrets:
        pod_spec["imagePullSecrets"] = [s.to_wire() for s in secrets]
    return {
        "apiVersion": JOB_API_VERSION,
        "kind": JOB_KIND,
        "metadata": {
            "name": name,
            "namespace": pod.namespace,
            "ownerReferences": [owner_ref_wire(pod)],
        },
        "spec": {
            "activeDeadlineSeconds": JOB_ACTIVE_DEADLINE_SECONDS,
            "backoffLimit": JOB_BACKOFF_LIMIT,
            "ttlSecondsAfterFinished": JOB_TTL_SECONDS_AFTER_FINISHED,
            "template": {"spec": pod_spec},
        },
    }


def _count(job: Mapping[str, Any], key: str) -> int:
    value = (job.get("status") or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _find(jobs: Sequence[Mapping[str, Any]], namespace: str, name: str) -> Mapping[str, Any] | None:
    for job in jobs:
        meta = job.get("metadata") or {}
        if meta.get("name") == name and (meta.get("namespace") or "") == namespace:
            return job
    return None


# ==================================================================================================
# The planner


def image_ready_condition(succeeded: bool, hash_: str, name: str) -> WireDict:
    """The ``PodImageReady`` condition a finished pre-pull Job leads to."""
    if succeeded:
        return {
            "type": wellknown.CONDITION_POD_IMAGE_READY,
            "status": "True",
            "reason": wellknown.REASON_PULL_IMAGE_SUCCESS,
            "message": revision_message(hash_),
        }
    return {
        "type": wellknown.CONDITION_POD_IMAGE_READY,
        "status": "False",
        "reason": wellknown.REASON_PULL_IMAGE_FAIL,
        "message": f"pull image job {name} failed",
    }


def _skip(reason: str) -> ImagePreheatPlan:
    return ImagePreheatPlan(ACTION_SKIP, reason=reason)


def plan_image_preheat(
    pod: Pod,
    daemonset: DaemonSet | None,
    jobs: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
) -> ImagePreheatPlan:
    """One round of image-preheat for ``pod`` (a pod of ``daemonset``, which may be missing).

    ``jobs`` are Jobs as wire data (any; the pod's pre-pull Job is picked by name in its namespace).
    """
    if daemonset is None:
        return _skip("its DaemonSet is missing")
    if pod.metadata.deletion_timestamp is not None:
        return _skip("the pod is being deleted")
    if daemonset.metadata.deletion_timestamp is not None:
        return _skip("its DaemonSet is being deleted")
    need, _ = _message_of(pod, wellknown.CONDITION_POD_NEED_UPGRADE)
    if need != "True":
        return _skip(f"condition {wellknown.CONDITION_POD_NEED_UPGRADE} is not True")
    hash_ = next_revision_hash(pod)
    if not hash_:
        return _skip(f"condition {wellknown.CONDITION_POD_NEED_UPGRADE} names no revision")
    if not wants_image_pull(pod):
        return _skip(f"condition {wellknown.CONDITION_POD_IMAGE_READY} is not False for revision {hash_}")
    if not (pod.spec and pod.spec.node_name):
        return _skip("the pod is not bound to a node")
    name = job_name(pod.name, hash_)
    job = _find(jobs, pod.namespace, name)
    if job is None:
        return ImagePreheatPlan(
            ACTION_CREATE_JOB, hash_, name, Plan(creates=(Create(pre_pull_job(pod, daemonset, name)),))
        )
    if _count(job, "succeeded") > 0:
        action, desired = ACTION_SUCCEEDED, image_ready_condition(True, hash_, name)
    elif _count(job, "failed") > 0:
        action, desired = ACTION_FAILED, image_ready_condition(False, hash_, name)
    else:
        return ImagePreheatPlan(ACTION_WAIT, hash_, name)
    status = pod.status.to_wire() if pod.status is not None else {}
    conditions = [c.to_wire() for c in (pod.status.conditions if pod.status else None) or ()]
    merged, changed = merge_pod_condition(conditions, desired, now)
    if not changed:
        return ImagePreheatPlan(action, hash_, name)
    return ImagePreheatPlan(
        action, hash_, name, Plan(status_updates=(status_update(pod, {**status, "conditions": merged}),))
    )


__all__ = [
    "ACTION_CREATE_JOB",
    "ACTION_FAILED",
    "ACTION_SKIP",
    "ACTION_SUCCEEDED",
    "ACTION_WAIT",
    "CONTAINER_PREFIX",
    "INIT_CONTAINER_PREFIX",
    "JOB_ACTIVE_DEADLINE_SECONDS",
    "JOB_API_VERSION",
    "JOB_BACKOFF_LIMIT",
    "JOB_KIND",
    "JOB_PREFIX",
    "JOB_TTL_SECONDS_AFTER_FINISHED",
    "ImagePreheatPlan",
    "image_ready_condition",
    "job_name",
    "next_revision_hash",
    "owner_daemonset_name",
    "plan_image_preheat",
    "pre_pull_job",
    "wants_image_pull",
]
