"""Node autonomy: keep pods on an autonomous edge node through a cloud disconnection.

Kubernetes evicts pods from a node tainted ``not-ready``/``unreachable:NoExecute`` once their
toleration runs out (300 s by default admission). yurt-manager's pod-binding controller rewrites the
``tolerationSeconds`` of those two tolerations on every non-DaemonSet, non-mirror pod of an autonomous
edge node: the node's ``autonomy-duration``, or no limit at all. It remembers the original value in a
pod annotation and restores it when autonomy is switched off.

The node-lifecycle side is a pure decision too: a node is alive while its kubelet status or its
Lease is fresh; a Lease annotated ``openyurt.io/delegate-heartbeat`` was renewed by the pool leader
on behalf of a member cut off from the cloud, so the node counts as alive (but delegated).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from openyurt.core import wellknown
from openyurt.core.api.coordination_v1 import Lease, parse_time
from openyurt.core.api.core_v1 import Node, Pod, node_condition, pod_is_mirror
from openyurt.core.planners._util import MergePatch, WireDict, ref_of
from openyurt.core.plans import Plan

# ==================================================================================================
# Go durations

_UNITS = {
    "ns": Decimal(1),
    "us": Decimal(1_000),
    "µs": Decimal(1_000),  # U+00B5 micro sign
    "μs": Decimal(1_000),  # U+03BC greek mu
    "ms": Decimal(1_000_000),
    "s": Decimal(1_000_000_000),
    "m": Decimal(60_000_000_000),
    "h": Decimal(3_600_000_000_000),
}
_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` in nanoseconds (``1h30m``, ``-1.5s``, ``0``); ValueError otherwise."""
    s = text
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    total = Decimal(0)
    pos = 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None or m.group(1) in ("", "."):
            raise ValueError(f"invalid duration {text!r}")
        total += Decimal(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if total > 2**63 - 1:
        raise ValueError(f"invalid duration {text!r}: overflow")
    return sign * int(total)


# ==================================================================================================
# Autonomy of a node


@attrs.frozen
class AutonomySetting:
    autonomous: bool
    #: Seconds the pods may stay on an unreachable node; None = forever.
    toleration_seconds: int | None = None


def node_autonomy(node: Node) -> AutonomySetting:
    """``resolveNodeAutonomySetting`` of the pod-binding controller.

    ``binding``/legacy ``autonomy`` ``"true"`` → forever; else ``autonomy-duration`` parsed as a Go
    duration: ≤ 0 → forever, > 0 → whole seconds; unparsable or absent → not autonomous.
    """
    ann = node.metadata.annotations or {}
    if ann.get(wellknown.ANNOTATION_BINDING) == "true" or ann.get(wellknown.ANNOTATION_AUTONOMY_LEGACY) == "true":
        return AutonomySetting(True, None)
    raw = ann.get(wellknown.ANNOTATION_AUTONOMY_DURATION)
    if raw is None:
        return AutonomySetting(False)
    try:
        ns = parse_go_duration(raw)
    except ValueError:
        return AutonomySetting(False)
    if ns <= 0:
        return AutonomySetting(True, None)
    return AutonomySetting(True, int(ns // 1_000_000_000))


def node_is_autonomous(node: Node) -> bool:
    """``IsPodBoundenToNode`` (node lifecycle, endpoints webhooks): any non-empty duration counts."""
    ann = node.metadata.annotations or {}
    return (
        ann.get(wellknown.ANNOTATION_BINDING) == "true"
        or ann.get(wellknown.ANNOTATION_AUTONOMY_LEGACY) == "true"
        or bool(ann.get(wellknown.ANNOTATION_AUTONOMY_DURATION))
    )


# ==================================================================================================
# Pod binding

_TOLERATION_ANNOTATIONS = {
    wellknown.TAINT_NODE_NOT_READY: wellknown.ANNOTATION_ORIGINAL_NOT_READY_TOLERATION_DURATION,
    wellknown.TAINT_NODE_UNREACHABLE: wellknown.ANNOTATION_ORIGINAL_UNREACHABLE_TOLERATION_DURATION,
}


@attrs.frozen
class PodBindingConfig:
    pass


@attrs.frozen
class PodBindingPlan:
    patches: tuple[MergePatch, ...] = ()

    @property
    def plan(self) -> Plan:
        return Plan(patches=self.patches)

    @property
    def is_empty(self) -> bool:
        return not self.patches


def pod_is_daemonset_pod(pod: Pod) -> bool:
    return any(r.kind == "DaemonSet" for r in pod.metadata.owner_references or ())


def pod_binding_patch(pod: Pod, node: Node | None) -> MergePatch | None:
    """The patch rewriting one pod's NoExecute not-ready/unreachable tolerations, or None.

    Skipped: DaemonSet and mirror pods, pods whose node is unknown or not an edge worker.
    """
    if node is None or pod_is_daemonset_pod(pod) or pod_is_mirror(pod):
        return None
    if (node.metadata.labels or {}).get(wellknown.LABEL_EDGE_WORKER) != "true":
        return None
    setting = node_autonomy(node)
    annotations = dict(pod.metadata.annotations or {})
    tolerations = [t.to_wire() for t in (pod.spec.tolerations if pod.spec else None) or ()]
    new_annotations = dict(annotations)
    if setting.autonomous:
        # Record the originals first, so every toleration of a key sees the same record.
        for t in tolerations:
            key = t.get("key")
            if (
                key in _TOLERATION_ANNOTATIONS
                and t.get("effect") == wellknown.TAINT_EFFECT_NO_EXECUTE
                and t.get("tolerationSeconds") is not None
            ):
                new_annotations.setdefault(_TOLERATION_ANNOTATIONS[key], str(t["tolerationSeconds"]))
    new_tolerations: list[WireDict] = []
    for t in tolerations:
        t = dict(t)
        key = t.get("key")
        if key in _TOLERATION_ANNOTATIONS and t.get("effect") == wellknown.TAINT_EFFECT_NO_EXECUTE:
            ann_key = _TOLERATION_ANNOTATIONS[key]
            if setting.autonomous:
                if t.get("tolerationSeconds") is None and ann_key not in new_annotations:
                    # Upstream dereferences the nil value here and panics (the pod is never updated).
                    # A toleration that never had a limit already outlasts any autonomy: leave it.
                    new_tolerations.append(t)
                    continue
                if setting.toleration_seconds is None:
                    t.pop("tolerationSeconds", None)
                else:
                    t["tolerationSeconds"] = setting.toleration_seconds
            else:
                original = annotations.get(ann_key)
                if original is not None and re.fullmatch(r"[+-]?[0-9]+", original):
                    t["tolerationSeconds"] = int(original)
        new_tolerations.append(t)
    if new_tolerations == tolerations and new_annotations == annotations:
        return None
    patch: WireDict = {"metadata": {}}
    added = {k: v for k, v in new_annotations.items() if annotations.get(k) != v}
    if added:
        patch["metadata"]["annotations"] = added
    if new_tolerations != tolerations:
        patch["spec"] = {"tolerations": new_tolerations}
        if pod.metadata.resource_version:
            patch["metadata"]["resourceVersion"] = pod.metadata.resource_version
    if not patch["metadata"]:
        del patch["metadata"]
    return MergePatch(ref_of(pod), patch)


def plan_pod_binding(
    node: Node, pods: Sequence[Pod], *, now: datetime, config: PodBindingConfig | None = None
) -> PodBindingPlan:
    """pod-binding for every pod bound to ``node`` (pods elsewhere are ignored)."""
    del now, config
    out = []
    for pod in sorted(pods, key=lambda p: (p.namespace, p.name)):
        if pod.spec is None or pod.spec.node_name != node.name:
            continue
        p = pod_binding_patch(pod, node)
        if p is not None:
            out.append(p)
    return PodBindingPlan(tuple(out))


# ==================================================================================================
# Node liveness (node lifecycle)


class Liveness(enum.StrEnum):
    ALIVE = "Alive"
    #: Alive through a Lease the pool leader renews for it (``openyurt.io/delegate-heartbeat``).
    DELEGATED = "Delegated"
    UNKNOWN = "Unknown"


def node_liveness(node: Node, lease: Lease | None, *, now: datetime, grace_period: timedelta) -> Liveness:
    """Whether the node lifecycle controller should consider the node's heartbeat current.

    The freshest of the Ready condition's ``lastHeartbeatTime`` and the Lease's ``renewTime`` must be
    within ``grace_period`` (40 s upstream). A fresh Lease carrying the delegate-heartbeat annotation
    means the node itself is cut off but its pool leader vouches for it.
    """
    seen: list[datetime] = []
    ready = node_condition(node, wellknown.CONDITION_READY)
    if ready is not None and ready.last_heartbeat_time:
        seen.append(parse_time(ready.last_heartbeat_time))
    lease_fresh = False
    if lease is not None and lease.spec is not None and lease.spec.renew_time:
        renewed = parse_time(lease.spec.renew_time)
        lease_fresh = now - renewed <= grace_period
        seen.append(renewed)
    if not seen or now - max(seen) > grace_period:
        return Liveness.UNKNOWN
    delegated = (
        lease is not None and (lease.metadata.annotations or {}).get(wellknown.ANNOTATION_DELEGATE_HEARTBEAT) == "true"
    )
    if delegated and lease_fresh:
        return Liveness.DELEGATED
    return Liveness.ALIVE


def may_mark_pods_not_ready(node: Node) -> bool:
    """OpenYurt's node lifecycle change: pods on an autonomous node are never marked NotReady."""
    return not node_is_autonomous(node)
