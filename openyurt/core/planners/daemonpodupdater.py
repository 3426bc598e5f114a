"""daemon-pod-updater: upgrade the pods of an ``OnDelete`` DaemonSet the OpenYurt way.

Kubernetes' own RollingUpdate stalls when edge nodes are NotReady (their pods count as unavailable
forever), so OpenYurt leaves such DaemonSets on ``OnDelete`` and decides itself which old pods to
delete; the native DaemonSet controller then recreates each from the new template. The DaemonSet
opts in with the annotation ``apps.openyurt.io/update-strategy`` (case-insensitive):

- ``AdvancedRollingUpdate`` (or ``Auto``, the original design's name, which upstream dropped in
  Dec 2025 and we keep as a synonym): delete old pods on Ready nodes within a budget
  (``apps.openyurt.io/max-unavailable``, int or percent of the nodes hosting the DaemonSet's pods,
  default ``10%``); NotReady nodes are skipped entirely, old pods that are not available anyway are
  always replaced.
- ``OTA``: delete nothing; mark every pod with the condition ``PodNeedUpgrade`` (True when it is not
  at the latest revision) so the node's yurthub can upgrade it on request.

"Latest" is decided like upstream's ``IsDaemonsetPodLatest``, with one [compat] change: upstream
recomputes the template hash from a Go ``spew`` dump that Python cannot reproduce, so we take the
hash from the ``controller-revision-hash`` label of the DaemonSet's newest ControllerRevision, which
the native controller sets to exactly that hash.

Where we deliberately differ from upstream (all safer, none changes the wire format):

- node order is sorted by name, not Go map order, so equal inputs give equal plans;
- a pod whose Node is missing from the inputs is treated like one on a NotReady node (skipped)
  instead of failing the whole round;
- nodes the DaemonSet should run on (``status.desiredNumberScheduled``) beyond those hosting one of
  its pods count as unavailable: that is a pod this controller deleted whose replacement the native
  controller has not created yet, and without counting it a round started in that gap would delete a
  second budget's worth of pods;
- a negative ``max-unavailable`` is an error (upstream silently stops replacing available pods);
- OTA waits until a ControllerRevision exists, rather than writing a message with an empty hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import ControllerRevision, DaemonSet, newest_revision
from openyurt.core.api.coordination_v1 import parse_time
from openyurt.core.api.core_v1 import Node, Pod, is_controlled_by, node_is_ready, pod_condition
from openyurt.core.planners._util import Event, WireDict, format_time, ref_of, status_update
from openyurt.core.plans import EMPTY_PLAN, Delete, Plan, StatusUpdate
from openyurt.core.podconditions import update_pod_condition

#: The mode names a plan reports (canonical spelling of the accepted annotation values).
OTA = wellknown.UPDATE_STRATEGY_OTA
ADVANCED_ROLLING_UPDATE = wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE
#: Lower-cased annotation value → mode. ``Auto`` is our synonym of AdvancedRollingUpdate.
_MODES = {
    OTA.lower(): OTA,
    ADVANCED_ROLLING_UPDATE.lower(): ADVANCED_ROLLING_UPDATE,
    wellknown.UPDATE_STRATEGY_AUTO.lower(): ADVANCED_ROLLING_UPDATE,
}
#: Upstream's ``BurstReplicas``: at most this many pods are deleted per round.
BURST_REPLICAS = 250
#: metav1.ObjectNameField: the field a DaemonSet pod's node affinity pins it to its node with.
_OBJECT_NAME_FIELD = "metadata.name"
_GO_INT = re.compile(r"[+-]?[0-9]+")

REASON_SUCCESSFUL_DELETE = "SuccessfulDelete"
REASON_FAILED_DELETE = "FailedDelete"


@attrs.frozen
class DaemonPodUpdateConfig:
    #: deletions per round (upstream's burst cap)
    burst_replicas: int = BURST_REPLICAS
    #: budget when ``apps.openyurt.io/max-unavailable`` is missing, empty, ``0`` or ``0%``
    default_max_unavailable: str = wellknown.DEFAULT_MAX_UNAVAILABLE


@attrs.frozen
class DaemonPodUpdatePlan:
    """Pod deletions (rolling) or pod status updates (OTA), and the numbers behind them."""

    #: ``OTA``, ``AdvancedRollingUpdate``, or None when the DaemonSet is not ours to upgrade
    mode: str | None
    #: the revision hash pods are compared with ("" while no ControllerRevision is known)
    revision_hash: str = ""
    plan: Plan = EMPTY_PLAN
    #: ``SuccessfulDelete`` per planned deletion, on the DaemonSet (record those that went through)
    events: tuple[Event, ...] = ()
    #: the rolling budget, scaled to a pod count
    max_unavailable: int | None = None
    #: nodes counted unavailable in this round (rolling)
    num_unavailable: int = 0
    #: nodes skipped because they are NotReady or unknown (rolling)
    skipped_nodes: tuple[str, ...] = ()
    #: seconds until a Ready new pod passes ``minReadySeconds``: plan again then (no event says so)
    recheck_after: float | None = None
    #: why nothing could be planned (an invalid annotation); retrying the same input will not help
    error: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.plan


# ==================================================================================================
# Prerequisites and "latest"


def update_mode_of(annotation: str | None) -> str | None:
    """The mode an ``update-strategy`` annotation value selects (case-insensitive), or None."""
    return _MODES.get((annotation or "").lower())


def update_mode(ds: DaemonSet) -> str | None:
    """``checkPrerequisites``: the DaemonSet's mode when it is ``OnDelete`` with a known strategy annotation."""
    strategy = ds.spec.update_strategy if ds.spec else None
    if strategy is None or strategy.type != "OnDelete":
        return None
    return update_mode_of((ds.metadata.annotations or {}).get(wellknown.ANNOTATION_UPDATE_STRATEGY))


def owned_pods(ds: DaemonSet, pods: Sequence[Pod]) -> list[Pod]:
    """The DaemonSet's pods (its uid is their controller owner), sorted by name."""
    return sorted(
        (p for p in pods if p.namespace == ds.namespace and is_controlled_by(p.metadata, ds)),
        key=lambda p: p.name,
    )


def latest_revision_hash(ds: DaemonSet, revisions: Sequence[ControllerRevision]) -> str:
    """The template hash of the DaemonSet's newest ControllerRevision ("" when it has none).

    The native controller labels the revision ``controller-revision-hash=<hash>`` and names it
    ``<ds>-<hash>``; the name is the fallback when the label is missing.
    """
    owned = [r for r in revisions if r.namespace == ds.namespace and is_controlled_by(r.metadata, ds)]
    newest = newest_revision(owned)
    if newest is None:
        return ""
    label = (newest.metadata.labels or {}).get(wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE)
    if label:
        return label
    prefix = f"{ds.name}-"
    return newest.name[len(prefix) :] if newest.name.startswith(prefix) else ""


def pod_is_latest(ds: DaemonSet, pod: Pod, revision_hash: str) -> bool:
    """``IsDaemonsetPodLatest``: same template generation, or same revision hash."""
    labels = pod.metadata.labels or {}
    generation = (ds.metadata.annotations or {}).get(wellknown.ANNOTATION_DAEMONSET_TEMPLATE_GENERATION)
    if generation is not None and labels.get(wellknown.LABEL_POD_TEMPLATE_GENERATION) == generation:
        return True
    return bool(revision_hash) and labels.get(wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE) == revision_hash


def target_node_name(pod: Pod) -> str | None:
    """``GetTargetNodeName``: ``spec.nodeName``, or the node an unscheduled daemon pod is pinned to.

    The native controller pins each pod with a required node affinity term ``matchFields
    metadata.name In [node]``; a pod with neither (or an ambiguous term) has no target: None.
    """
    spec = pod.spec
    if spec is None:
        return None
    if spec.node_name:
        return spec.node_name
    na = spec.affinity.node_affinity if spec.affinity else None
    required = na.required_during_scheduling_ignored_during_execution if na else None
    for term in (required.node_selector_terms if required else None) or ():
        for req in term.match_fields or ():
            if req.key == _OBJECT_NAME_FIELD and req.operator == "In":
                values = req.values or []
                return values[0] if len(values) == 1 else None
    return None


# ==================================================================================================
# Budget and availability


def scaled_int_or_percent(value: str, total: int) -> int:
    """Go's ``intstr`` scaling: ``"3"`` → 3, ``"20%"`` of ``total`` rounded up; ValueError otherwise.

    Numbers follow ``strconv.Atoi`` (an optional sign, digits, nothing else); negatives are refused.
    """
    text = value[:-1] if value.endswith("%") else value
    if not _GO_INT.fullmatch(text):
        raise ValueError(f"{value!r} is neither an integer nor a percentage")
    number = int(text)
    if number < 0:
        raise ValueError(f"{value!r} is negative")
    if value.endswith("%"):
        return -(-number * total // 100)  # exact ceil(number * total / 100)
    return number


def max_unavailable(ds: DaemonSet, node_count: int, config: DaemonPodUpdateConfig | None = None) -> int:
    """The rolling budget as a pod count, from ``apps.openyurt.io/max-unavailable``.

    Missing, empty, zero or ``0%`` mean the default (10%). Percentages scale against ``node_count``,
    the nodes hosting the DaemonSet's pods (NotReady ones included) and round up; an integer larger
    than that is kept. An invalid value raises ValueError naming the annotation.
    """
    config = config or DaemonPodUpdateConfig()
    raw = (ds.metadata.annotations or {}).get(wellknown.ANNOTATION_MAX_UNAVAILABLE) or ""
    try:
        value = scaled_int_or_percent(raw, node_count) if raw else 0
    except ValueError as exc:
        raise ValueError(
            f"invalid annotation {wellknown.ANNOTATION_MAX_UNAVAILABLE}={raw!r} on DaemonSet "
            f"{ds.namespace}/{ds.name}: {exc}; want a non-negative integer or a percentage such as 10%"
        ) from exc
    if not raw or int(raw.removesuffix("%")) == 0:  # parsed above, so int() cannot fail
        return scaled_int_or_percent(config.default_max_unavailable, node_count)
    return value


def pod_available_in(pod: Pod, min_ready_seconds: int, now: datetime) -> float | None:
    """Seconds until ``pod`` counts as available: 0 when it is, None when being Ready is not enough.

    ``IsPodAvailable``: Ready, and Ready for longer than ``minReadySeconds`` (strictly).
    """
    ready = pod_condition(pod, wellknown.CONDITION_READY)
    if ready is None or ready.status != "True":
        return None
    if min_ready_seconds <= 0:
        return 0.0
    if not ready.last_transition_time:
        return None
    until = parse_time(ready.last_transition_time) + timedelta(seconds=min_ready_seconds)
    return 0.0 if until < now else (until - now).total_seconds()


def pod_is_available(pod: Pod, min_ready_seconds: int, now: datetime) -> bool:
    return pod_available_in(pod, min_ready_seconds, now) == 0.0


# ==================================================================================================
# OTA: the PodNeedUpgrade condition


def merge_pod_condition(
    conditions: Sequence[Mapping[str, Any]], desired: Mapping[str, Any], now: datetime
) -> tuple[list[WireDict], bool]:
    """``UpdatePodCondition`` at ``now`` (see :func:`openyurt.core.podconditions.update_pod_condition`)."""
    return update_pod_condition(conditions, desired, format_time(now))


def need_upgrade_condition(latest: bool, revision_hash: str) -> WireDict:
    """The ``PodNeedUpgrade`` condition a pod should carry (no reason, as upstream)."""
    return {
        "type": wellknown.CONDITION_POD_NEED_UPGRADE,
        "status": "False" if latest else "True",
        "message": f"{wellknown.CONDITION_MESSAGE_REVISION_PREFIX}{revision_hash}",
    }


def _ota(ds: DaemonSet, pods: Sequence[Pod], revision_hash: str, now: datetime) -> DaemonPodUpdatePlan:
    if not revision_hash:
        return DaemonPodUpdatePlan(OTA)
    updates: list[StatusUpdate] = []
    for pod in pods:
        status = pod.status.to_wire() if pod.status is not None else {}
        conditions = [c.to_wire() for c in (pod.status.conditions if pod.status else None) or ()]
        desired = need_upgrade_condition(pod_is_latest(ds, pod, revision_hash), revision_hash)
        merged, changed = merge_pod_condition(conditions, desired, now)
        if changed:
            updates.append(status_update(pod, {**status, "conditions": merged}))
    return DaemonPodUpdatePlan(OTA, revision_hash, Plan(status_updates=tuple(updates)))


# ==================================================================================================
# AdvancedRollingUpdate


def _split_node_pods(ds: DaemonSet, pods: Sequence[Pod], revision_hash: str) -> tuple[Pod | None, Pod | None, bool]:
    """``findUpdatedPodsOnNode``: (new, old, ok) among pods not being deleted; two of a kind: not ok."""
    new: Pod | None = None
    old: Pod | None = None
    for pod in pods:
        if pod.metadata.deletion_timestamp is not None:
            continue
        if pod_is_latest(ds, pod, revision_hash):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def _rolling(
    ds: DaemonSet,
    pods: Sequence[Pod],
    nodes: Sequence[Node],
    revision_hash: str,
    now: datetime,
    config: DaemonPodUpdateConfig,
) -> DaemonPodUpdatePlan:
    by_node: dict[str, list[Pod]] = {}
    for pod in pods:
        target = target_node_name(pod)
        if target is not None:  # upstream logs and skips a pod it cannot place
            by_node.setdefault(target, []).append(pod)
    try:
        budget = max_unavailable(ds, len(by_node), config)
    except ValueError as exc:
        return DaemonPodUpdatePlan(ADVANCED_ROLLING_UPDATE, revision_hash, error=str(exc))
    known = {n.name: n for n in nodes}
    min_ready = (ds.spec.min_ready_seconds if ds.spec else None) or 0
    desired = (ds.status.desired_number_scheduled if ds.status else None) or 0
    # Nodes that should host a pod but host none: a replacement not created yet.
    unavailable = max(desired - len(by_node), 0)
    replace: list[Pod] = []  # old pods that are unavailable anyway: no budget needed
    candidates: list[Pod] = []
    skipped: list[str] = []
    recheck: float | None = None
    for name in sorted(by_node):
        node = known.get(name)
        if node is None or not node_is_ready(node):
            skipped.append(name)
            continue
        new, old, ok = _split_node_pods(ds, by_node[name], revision_hash)
        if not ok or (new is None) == (old is None):
            unavailable += 1
        elif new is not None:
            wait = pod_available_in(new, min_ready, now)
            if wait != 0.0:
                unavailable += 1
                if wait is not None:
                    recheck = wait if recheck is None else min(recheck, wait)
        elif old is not None:
            if not pod_is_available(old, min_ready, now):
                replace.append(old)
            elif unavailable < budget:
                candidates.append(old)
    room = min(max(budget - unavailable, 0), len(candidates))
    doomed = (replace + candidates[:room])[: max(config.burst_replicas, 0)]
    ref = ref_of(ds)
    return DaemonPodUpdatePlan(
        ADVANCED_ROLLING_UPDATE,
        revision_hash,
        Plan(deletes=tuple(Delete(ref_of(p), uid=p.metadata.uid) for p in doomed)),
        events=tuple(Event(ref, "Normal", REASON_SUCCESSFUL_DELETE, f"Deleted pod: {p.name}") for p in doomed),
        max_unavailable=budget,
        num_unavailable=unavailable,
        skipped_nodes=tuple(skipped),
        # whole-second timestamps: one second more is surely past the strict "before"
        recheck_after=None if recheck is None else recheck + 1.0,
    )


# ==================================================================================================
# The planner


def plan_daemon_pod_update(
    ds: DaemonSet,
    pods: Sequence[Pod],
    nodes: Sequence[Node],
    revisions: Sequence[ControllerRevision],
    *,
    now: datetime,
    config: DaemonPodUpdateConfig | None = None,
) -> DaemonPodUpdatePlan:
    """One round of daemon-pod-updater for ``ds``.

    ``pods`` may hold any pods (those the DaemonSet controls are picked by uid), ``nodes`` at least
    the nodes hosting them, ``revisions`` any ControllerRevisions. A DaemonSet being deleted, not
    ``OnDelete``, or without the strategy annotation gets an empty plan; an unknown strategy value
    or an invalid budget gets an empty plan with ``error`` set.
    """
    config = config or DaemonPodUpdateConfig()
    if ds.metadata.deletion_timestamp is not None:
        return DaemonPodUpdatePlan(None)
    raw = (ds.metadata.annotations or {}).get(wellknown.ANNOTATION_UPDATE_STRATEGY)
    if raw is None:
        return DaemonPodUpdatePlan(None)
    if update_mode_of(raw) is None:
        return DaemonPodUpdatePlan(None, error=f"unknown update type {raw!r} of DaemonSet {ds.namespace}/{ds.name}")
    mode = update_mode(ds)
    if mode is None:  # not OnDelete: the native controller owns the rollout
        return DaemonPodUpdatePlan(None)
    revision_hash = latest_revision_hash(ds, revisions)
    mine = owned_pods(ds, pods)
    if mode == OTA:
        return _ota(ds, mine, revision_hash, now)
    return _rolling(ds, mine, nodes, revision_hash, now, config)


__all__ = [
    "ADVANCED_ROLLING_UPDATE",
    "BURST_REPLICAS",
    "OTA",
    "REASON_FAILED_DELETE",
    "REASON_SUCCESSFUL_DELETE",
    "DaemonPodUpdateConfig",
    "DaemonPodUpdatePlan",
    "latest_revision_hash",
    "max_unavailable",
    "merge_pod_condition",
    "need_upgrade_condition",
    "owned_pods",
    "plan_daemon_pod_update",
    "pod_available_in",
    "pod_is_available",
    "pod_is_latest",
    "scaled_int_or_percent",
    "target_node_name",
    "update_mode",
    "update_mode_of",
]
