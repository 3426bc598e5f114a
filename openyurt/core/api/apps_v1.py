"""apps/v1: the workloads YurtAppSet stamps out per pool and the DaemonSets OpenYurt upgrades.

Partial models (``open_schema``) typed for what yurt-manager's controllers read and write: replicas,
selectors, pod templates, update strategies, revisions and the status counters that decide readiness.
Everything else a real API server sends survives a round trip untouched.
"""

from __future__ import annotations

from openyurt.core import wellknown
from openyurt.core.api._base import Int32, Int64, IntOrString, ResourceInfo, Schemaless, Time, WireModel
from openyurt.core.api._conditions import get_condition
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.core_v1 import PodTemplateSpec
from openyurt.core.api.meta_v1 import LabelSelector


class WorkloadCondition(WireModel):
    """Deployment/StatefulSet/DaemonSet/ReplicaSet condition (``lastUpdateTime`` is Deployment-only)."""

    open_schema = True
    type: str
    status: str
    last_update_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str | None = None
    message: str | None = None


#: The condition of that type in a workload status, or None.
workload_condition = get_condition


_SCALE = (".spec.replicas", ".status.replicas", None)


def _workload_info(kind: str, short_name: str, *, scale: tuple[str, str, str | None] | None = None) -> ResourceInfo:
    """A built-in apps/v1 workload kind: namespaced, in category ``all``, with a status subresource."""
    return ResourceInfo(
        group="apps",
        version="v1",
        kind=kind,
        plural=f"{kind.lower()}s",
        singular=kind.lower(),
        short_names=(short_name,),
        namespaced=True,
        categories=("all",),
        status_subresource=True,
        scale=scale,
        builtin=True,
        crd=False,
    )


# ==================================================================================================
# Deployment


class RollingUpdateDeployment(WireModel):
    open_schema = True
    max_unavailable: IntOrString | None = None
    max_surge: IntOrString | None = None


class DeploymentStrategy(WireModel):
    open_schema = True
    type: str | None = None
    rolling_update: RollingUpdateDeployment | None = None


class DeploymentSpec(WireModel):
    open_schema = True
    replicas: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    strategy: DeploymentStrategy | None = None
    min_ready_seconds: Int32 | None = None
    revision_history_limit: Int32 | None = None
    paused: bool | None = None
    progress_deadline_seconds: Int32 | None = None


class DeploymentStatus(WireModel):
    open_schema = True
    observed_generation: Int64 | None = None
    replicas: Int32 | None = None
    updated_replicas: Int32 | None = None
    ready_replicas: Int32 | None = None
    available_replicas: Int32 | None = None
    unavailable_replicas: Int32 | None = None
    terminating_replicas: Int32 | None = None
    conditions: list[WorkloadCondition] | None = None
    collision_count: Int32 | None = None


@register(_workload_info("Deployment", "deploy", scale=_SCALE))
class Deployment(Resource):
    open_schema = True
    spec: DeploymentSpec | None = None
    status: DeploymentStatus | None = None


# ==================================================================================================
# StatefulSet


class RollingUpdateStatefulSetStrategy(WireModel):
    open_schema = True
    partition: Int32 | None = None
    max_unavailable: IntOrString | None = None


class StatefulSetUpdateStrategy(WireModel):
    open_schema = True
    type: str | None = None
    rolling_update: RollingUpdateStatefulSetStrategy | None = None


class StatefulSetSpec(WireModel):
    open_schema = True
    replicas: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    volume_claim_templates: list[Schemaless] | None = None
    service_name: str | None = None
    pod_management_policy: str | None = None
    update_strategy: StatefulSetUpdateStrategy | None = None
    revision_history_limit: Int32 | None = None
    min_ready_seconds: Int32 | None = None


class StatefulSetStatus(WireModel):
    open_schema = True
    observed_generation: Int64 | None = None
    replicas: Int32 | None = None
    ready_replicas: Int32 | None = None
    current_replicas: Int32 | None = None
    updated_replicas: Int32 | None = None
    available_replicas: Int32 | None = None
    current_revision: str | None = None
    update_revision: str | None = None
    collision_count: Int32 | None = None
    conditions: list[WorkloadCondition] | None = None


@register(_workload_info("StatefulSet", "sts", scale=_SCALE))
class StatefulSet(Resource):
    open_schema = True
    spec: StatefulSetSpec | None = None
    status: StatefulSetStatus | None = None


# ==================================================================================================
# DaemonSet


class RollingUpdateDaemonSet(WireModel):
    open_schema = True
    max_unavailable: IntOrString | None = None
    max_surge: IntOrString | None = None


class DaemonSetUpdateStrategy(WireModel):
    open_schema = True
    #: ``RollingUpdate`` or ``OnDelete``; OpenYurt's upgrade annotations only apply to ``OnDelete``.
    type: str | None = None
    rolling_update: RollingUpdateDaemonSet | None = None


class DaemonSetSpec(WireModel):
    open_schema = True
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    update_strategy: DaemonSetUpdateStrategy | None = None
    min_ready_seconds: Int32 | None = None
    revision_history_limit: Int32 | None = None


class DaemonSetStatus(WireModel):
    open_schema = True
    current_number_scheduled: Int32 | None = None
    number_misscheduled: Int32 | None = None
    desired_number_scheduled: Int32 | None = None
    number_ready: Int32 | None = None
    observed_generation: Int64 | None = None
    updated_number_scheduled: Int32 | None = None
    number_available: Int32 | None = None
    number_unavailable: Int32 | None = None
    collision_count: Int32 | None = None
    conditions: list[WorkloadCondition] | None = None


@register(_workload_info("DaemonSet", "ds"))
class DaemonSet(Resource):
    open_schema = True
    spec: DaemonSetSpec | None = None
    status: DaemonSetStatus | None = None


def daemonset_upgrade_strategy(ds: DaemonSet) -> str | None:
    """OpenYurt's upgrade mode for a DaemonSet: ``OTA``, ``AdvancedRollingUpdate`` or None.

    Honoured only when ``spec.updateStrategy.type`` is ``OnDelete``; the annotation is compared
    case-insensitively, and ``Auto`` (the original design's name) means AdvancedRollingUpdate.
    """
    strategy = ds.spec.update_strategy if ds.spec else None
    if strategy is None or strategy.type != "OnDelete":
        return None
    value = (ds.metadata.annotations or {}).get(wellknown.ANNOTATION_UPDATE_STRATEGY, "").lower()
    if value == wellknown.UPDATE_STRATEGY_OTA.lower():
        return wellknown.UPDATE_STRATEGY_OTA
    if value in (wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE.lower(), wellknown.UPDATE_STRATEGY_AUTO.lower()):
        return wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE
    return None


# ==================================================================================================
# ReplicaSet


class ReplicaSetSpec(WireModel):
    open_schema = True
    replicas: Int32 | None = None
    min_ready_seconds: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None


class ReplicaSetStatus(WireModel):
    open_schema = True
    replicas: Int32 | None = None
    fully_labeled_replicas: Int32 | None = None
    ready_replicas: Int32 | None = None
    available_replicas: Int32 | None = None
    terminating_replicas: Int32 | None = None
    observed_generation: Int64 | None = None
    conditions: list[WorkloadCondition] | None = None


@register(_workload_info("ReplicaSet", "rs", scale=_SCALE))
class ReplicaSet(Resource):
    open_schema = True
    spec: ReplicaSetSpec | None = None
    status: ReplicaSetStatus | None = None


# ==================================================================================================
# ControllerRevision


@register(
    ResourceInfo(
        group="apps",
        version="v1",
        kind="ControllerRevision",
        plural="controllerrevisions",
        singular="controllerrevision",
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class ControllerRevision(Resource):
    """An immutable snapshot of a workload's template (DaemonSet, StatefulSet, YurtAppSet)."""

    open_schema = True
    data: Schemaless | None = None
    revision: Int64


def newest_revision(revisions: list[ControllerRevision]) -> ControllerRevision | None:
    """The revision with the highest ``revision`` number (ties broken by name), or None."""
    if not revisions:
        return None
    return max(revisions, key=lambda r: (r.revision, r.name))
