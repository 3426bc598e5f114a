"""Kubernetes' rule for setting one pod condition (``UpdatePodCondition``), on plain dicts.

Shared by yurt-manager's DaemonSet upgrade planners and the hub's OTA endpoints; it imports no model
so the hub, which keeps pydantic out of its process, can use it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

WireDict = dict[str, Any]


def update_pod_condition(
    conditions: Sequence[Mapping[str, Any]], desired: Mapping[str, Any], now: str
) -> tuple[list[WireDict], bool]:
    """``conditions`` with ``desired`` set, and whether anything changed.

    A new condition gets ``lastTransitionTime = now``; an existing one keeps its transition time (none
    if it had none) while its status is unchanged. Changed means status, reason, message, probe time or
    transition time differ (so a stale probe time or reason is cleared by a write). Empty fields of
    ``desired`` are left out, as Go's omitempty does.
    """
    new = {k: v for k, v in desired.items() if v not in (None, "")}
    new["lastTransitionTime"] = now
    out = [dict(c) for c in conditions]
    for i, old in enumerate(out):
        if old.get("type") != new["type"]:
            continue
        if old.get("status") == new["status"]:
            if old.get("lastTransitionTime"):
                new["lastTransitionTime"] = old["lastTransitionTime"]
            else:
                del new["lastTransitionTime"]
        same = all(
            (old.get(k) or None) == (new.get(k) or None)
            for k in ("status", "reason", "message", "lastProbeTime", "lastTransitionTime")
        )
        out[i] = new
        return out, not same
    out.append(new)
    return out, True
