"""image-preheat controller: pre-pull an OTA DaemonSet pod's new images when its node's yurthub asks.

:func:`~openyurt.core.planners.imagepreheat.plan_image_preheat` decides per pod; this module feeds it
the pod, its DaemonSet and the namespace's pre-pull Jobs from the caches, and creates the Job or
writes the pod's ``PodImageReady`` condition (a 409 re-plans on the fresh pod).

Watches as upstream: Pods owned by a DaemonSet whose ``PodImageReady`` is False for the revision
``PodNeedUpgrade`` names (what the hub writes on request), and Jobs named ``image-pre-pull-*`` owned
by a Pod (their progress enqueues that pod). Creating the Job is idempotent (it has a fixed name), so
no expectations are needed: a round planned before the cache saw the Job finds it exists.

A server that does not serve ``batch/v1`` Jobs (our embedded API server does not) keeps the Job
cache from syncing, so the controller stays idle there, as upstream would without the Job kind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import DaemonSet
from openyurt.core.api.core_v1 import Pod
from openyurt.core.hub.ota import pod_condition, revision_hash
from openyurt.core.planners.imagepreheat import (
    ACTION_SKIP,
    JOB_API_VERSION,
    JOB_KIND,
    JOB_PREFIX,
    ImagePreheatPlan,
    owner_daemonset_name,
    plan_image_preheat,
)
from openyurt.core.plans import ObjectRef
from openyurt.runtime.controller import Controller, Reconciler, Request, Result
from openyurt.runtime.manager.ctrl_common import (
    ModelCache,
    apply_plan,
    fresh_one,
    plans_of,
    raise_for,
    substitute,
    watch_changes,
)
from openyurt.runtime.manager.registry import ControllerContext

log = logging.getLogger(__name__)

NAME = "image-preheat-controller"
ALIAS = "imagepreheat"
WORKERS = 3


def _meta(obj: Obj | None) -> dict[str, Any]:
    return dict((obj or {}).get("metadata") or {})


def _owner_names(obj: Obj | None, kind: str) -> list[str]:
    return [
        str(ref.get("name") or "")
        for ref in _meta(obj).get("ownerReferences") or []
        if isinstance(ref, dict) and ref.get("kind") == kind and ref.get("name")
    ]


def _message(cond: Mapping[str, Any] | None) -> str:
    msg = (cond or {}).get("message")
    return msg if isinstance(msg, str) else ""


def wants_image_pull(pod: Obj | None) -> bool:
    """Upstream's pod predicate on wire data: owned by a DaemonSet, ``PodImageReady`` False for the next revision."""
    if pod is None or not any(
        isinstance(ref, dict) and ref.get("apiVersion") == "apps/v1" and ref.get("kind") == "DaemonSet"
        for ref in _meta(pod).get("ownerReferences") or []
    ):
        return False
    ready = pod_condition(pod, wellknown.CONDITION_POD_IMAGE_READY)
    if ready is None or ready.get("status") != "False":
        return False
    want = revision_hash(_message(pod_condition(pod, wellknown.CONDITION_POD_NEED_UPGRADE)))
    return bool(want) and revision_hash(_message(ready)) == want


def pod_mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    """A pod added or changed so that it asks for a pre-pull → that pod."""
    return [Request.of(new)] if new is not None and wants_image_pull(new) else []


def job_mapper(old: Obj | None, new: Obj | None) -> Iterable[Request]:
    """A pre-pull Job (``image-pre-pull-*``) appearing, progressing or going → the Pod owning it."""
    keys: set[Request] = set()
    for job in (old, new):
        meta = _meta(job)
        if job is None or not str(meta.get("name") or "").startswith(JOB_PREFIX):
            continue
        ns = str(meta.get("namespace") or "")
        keys.update(Request(ns, owner) for owner in _owner_names(job, "Pod"))
    return sorted(keys)


def _is_pre_pull_job(job: Obj) -> bool:
    return str(_meta(job).get("name") or "").startswith(JOB_PREFIX)


def make_reconciler(
    client: Client,
    *,
    pods: Informer,
    daemonsets: Informer,
    jobs: Informer,
    clock: Clock,
    models: ModelCache | None = None,
) -> Reconciler:
    memo = models or ModelCache()
    for cls, informer in ((Pod, pods), (DaemonSet, daemonsets)):
        memo.track(cls, informer)

    async def reconcile(req: Request) -> Result | None:
        pod_obj = pods.get(req.namespace, req.name)
        if pod_obj is None:
            return None
        ds_name = owner_daemonset_name(memo.model(Pod, pod_obj))
        ds_obj = daemonsets.get(req.namespace, ds_name) if ds_name else None
        if ds_obj is None:
            return None
        job_objs = [j for j in jobs.by_namespace(req.namespace) if _is_pre_pull_job(j)]
        now = clock.wall()

        def plan_for(fresh: Mapping[ObjectRef, Obj | None]) -> ImagePreheatPlan | None:
            pod_now = fresh_one(pod_obj, "v1", "Pod", fresh)
            if pod_now is None:
                return None
            return plan_image_preheat(
                memo.model(Pod, pod_now),
                memo.model(DaemonSet, ds_obj),
                substitute(job_objs, JOB_API_VERSION, JOB_KIND, fresh),
                now=now,
            )

        planner = plans_of(plan_for)
        first = plan_for({})
        assert first is not None
        if first.action == ACTION_SKIP:
            log.debug("%s: %s: skipped: %s", NAME, req, first.reason)
            return None
        raise_for(await apply_plan(client, first.plan, planner))
        return None

    return reconcile


def build_controller(ctx: ControllerContext) -> Controller:
    f = ctx.informers
    pods = f.informer("v1", "Pod")
    daemonsets = f.informer("apps/v1", "DaemonSet")
    jobs = f.informer(JOB_API_VERSION, JOB_KIND)
    reconcile = make_reconciler(ctx.client, pods=pods, daemonsets=daemonsets, jobs=jobs, clock=ctx.clock)
    controller = Controller(NAME, reconcile, clock=ctx.clock, workers=WORKERS, metrics=ctx.metrics)
    watch_changes(controller, pods, pod_mapper)
    watch_changes(controller, jobs, job_mapper)
    # the DaemonSet is read, not watched (as upstream); its cache must be filled before a round
    controller.informers.append(daemonsets)
    return controller


__all__ = [
    "ALIAS",
    "NAME",
    "build_controller",
    "job_mapper",
    "make_reconciler",
    "pod_mapper",
    "wants_image_pull",
]
