"""Node lifecycle decisions: when a silent node turns Unknown and tainted, and when its pods go.

A node is alive while its kubelet keeps posting status or renewing its Lease (or its pool leader
renews the Lease for it with ``openyurt.io/delegate-heartbeat``): that judgement is
:func:`openyurt.core.planners.autonomy.node_liveness`, shared with yurt-manager. After the grace
period without either, the Ready condition (and the other kubelet conditions) become ``Unknown``
with reason ``NodeStatusUnknown`` and the node gets ``node.kubernetes.io/unreachable`` taints
(NoExecute and NoSchedule); a reported Ready=False gives ``not-ready`` taints; Ready=True removes
both. Eviction follows the taint manager: a pod not tolerating a NoExecute taint goes at once, a
toleration with ``tolerationSeconds`` lets it stay that long after the taint's ``timeAdded``, one
without ``tolerationSeconds`` keeps it forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from openyurt.core import wellknown
from openyurt.core.api.coordination_v1 import Lease, format_time, parse_time
from openyurt.core.api.core_v1 import Node
from openyurt.core.planners.autonomy import Liveness, node_liveness
from openyurt.core.sim._wire import WireDict, condition, dict_list, spec, status
from openyurt.core.sim.scheduling import first_toleration

REASON_NODE_STATUS_UNKNOWN = "NodeStatusUnknown"
MESSAGE_NODE_STATUS_UNKNOWN = "Kubelet stopped posting node status."
#: Conditions kubelet posts; all of them turn Unknown when it goes silent.
KUBELET_CONDITIONS = (
    wellknown.CONDITION_READY,
    wellknown.CONDITION_MEMORY_PRESSURE,
    wellknown.CONDITION_DISK_PRESSURE,
    wellknown.CONDITION_PID_PRESSURE,
)
_HEALTH_TAINT_KEYS = (wellknown.TAINT_NODE_UNREACHABLE, wellknown.TAINT_NODE_NOT_READY)


@attrs.frozen
class NodeHealthPlan:
    liveness: Liveness
    #: strategic-merge status patch turning conditions Unknown, or None
    status_patch: WireDict | None = None
    #: the complete new ``spec.taints`` list, or None when unchanged
    taints: list[WireDict] | None = None


def _health_taints(ready_status: str | None, now: datetime, current: Sequence[Mapping[str, Any]]) -> list[WireDict]:
    """The not-ready/unreachable taints a node with this Ready status should carry (timeAdded kept)."""
    key = {"Unknown": wellknown.TAINT_NODE_UNREACHABLE, "False": wellknown.TAINT_NODE_NOT_READY}.get(ready_status or "")
    if key is None:
        return []
    out = []
    for effect in (wellknown.TAINT_EFFECT_NO_EXECUTE, wellknown.TAINT_EFFECT_NO_SCHEDULE):
        old = next((t for t in current if t.get("key") == key and t.get("effect") == effect), None)
        taint: WireDict = {"key": key, "effect": effect}
        if effect == wellknown.TAINT_EFFECT_NO_EXECUTE:
            taint["timeAdded"] = (old or {}).get("timeAdded") or format_time(now)
        out.append(taint)
    return out


def plan_node_health(
    node: Mapping[str, Any], lease: Mapping[str, Any] | None, *, now: datetime, grace_period: timedelta
) -> NodeHealthPlan | None:
    """What the node lifecycle controller writes for one node; None for a node that never reported."""
    ready = condition(node, wellknown.CONDITION_READY)
    if ready is None:
        return None  # kubelet has not posted status yet (upstream: startup grace)
    # delegate-heartbeat: the pool leader renews this Lease for a node cut off from the cloud
    liveness = node_liveness(
        Node.model_validate(node),
        Lease.model_validate(lease) if lease is not None else None,
        now=now,
        grace_period=grace_period,
    )
    status_patch: WireDict | None = None
    ready_status = str(ready.get("status") or "")
    if liveness is Liveness.UNKNOWN:
        conds = []
        for type_ in KUBELET_CONDITIONS:
            c = condition(node, type_)
            if c is not None and c.get("status") == "Unknown":
                continue
            new: WireDict = {
                "type": type_,
                "status": "Unknown",
                "reason": REASON_NODE_STATUS_UNKNOWN,
                "message": MESSAGE_NODE_STATUS_UNKNOWN,
                "lastTransitionTime": format_time(now),
            }
            if c is not None and c.get("lastHeartbeatTime"):
                new["lastHeartbeatTime"] = c["lastHeartbeatTime"]
            conds.append(new)
        if conds:
            status_patch = {"status": {"conditions": conds}}
        ready_status = "Unknown"
    elif liveness is Liveness.DELEGATED and ready_status != "True":
        # historical delegate-lease controller: a leader-renewed node counts as Ready
        status_patch = {
            "status": {
                "conditions": [
                    {
                        "type": wellknown.CONDITION_READY,
                        "status": "True",
                        "reason": "NodeDelegateLease",
                        "message": "the pool leader renews this node's lease",
                        "lastTransitionTime": format_time(now),
                    }
                ]
            }
        }
        ready_status = "True"
    current = dict_list(spec(node).get("taints"))
    others = [dict(t) for t in current if t.get("key") not in _HEALTH_TAINT_KEYS]
    wanted = others + _health_taints(ready_status, now, current)
    taints = wanted if wanted != [dict(t) for t in current] else None
    return NodeHealthPlan(liveness, status_patch, taints)


def pods_not_ready_patch(pod: Mapping[str, Any], now: datetime) -> WireDict | None:
    """``MarkPodsNotReady``: the status patch setting Ready=False on a pod of a silent node, or None."""
    c = condition(pod, wellknown.CONDITION_READY)
    if c is None or c.get("status") == "False":
        return None
    return {
        "status": {
            "conditions": [
                {
                    "type": wellknown.CONDITION_READY,
                    "status": "False",
                    "reason": "NodeNotReady",
                    "lastTransitionTime": format_time(now),
                }
            ]
        }
    }


@attrs.frozen
class EvictionDecision:
    #: evict now
    now: bool = False
    #: evict at this time (None with ``now`` False: never, as things stand)
    at: datetime | None = None


def plan_eviction(pod: Mapping[str, Any], taints: Sequence[Mapping[str, Any]], *, now: datetime) -> EvictionDecision:
    """The taint manager's decision for one pod on a node with ``taints``."""
    no_execute = [t for t in taints if t.get("effect") == wellknown.TAINT_EFFECT_NO_EXECUTE]
    if not no_execute:
        return EvictionDecision()
    tolerations = dict_list(spec(pod).get("tolerations"))
    deadline: datetime | None = None
    for taint in no_execute:
        tol = first_toleration(tolerations, taint)
        if tol is None:
            return EvictionDecision(now=True)
        seconds = tol.get("tolerationSeconds")
        if seconds is None:
            continue
        added = parse_time(str(taint["timeAdded"])) if taint.get("timeAdded") else now
        due = added + timedelta(seconds=max(0, int(seconds)))
        deadline = due if deadline is None else min(deadline, due)
    if deadline is not None and deadline <= now:
        return EvictionDecision(now=True)
    return EvictionDecision(at=deadline)


def pod_phase_terminal(pod: Mapping[str, Any]) -> bool:
    return status(pod).get("phase") in ("Succeeded", "Failed")
