"""YurtAppDaemon (apps.openyurt.io/v1alpha1): one workload in every NodePool its selector matches.

Upstream removed this controller in favour of YurtAppSet v1beta1 with ``nodepoolSelector``; we keep
the kind working because its CRD is still served and old manifests use it. It is a YurtAppSet with
no ``pools`` list and no tweaks, so rendering, claiming and classifying reuse :mod:`yurtappset`: a
pool that starts matching gets its workload, a pool that stops matching (or disappears) loses it.

Differences from YurtAppSet, from the removed controller: workloads and revisions are claimed by the
controller ownerReference only (there is no ``ref-yurtappset`` label), the revision records only
``spec.workloadTemplate``, and the status lists the pools and a per-workload summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import ControllerRevision, workload_condition
from openyurt.core.api.meta_v1 import selector_matches
from openyurt.core.api.openyurt_apps_v1alpha1 import YurtAppDaemon
from openyurt.core.api.openyurt_apps_v1beta1 import DEFAULT_REVISION_HISTORY_LIMIT, template_kind
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners import revision as rev
from openyurt.core.planners._util import (
    Event,
    StatusUpdate,
    WireDict,
    controller_uid,
    owner_ref_wire,
    ref_of,
    status_update,
)
from openyurt.core.planners.yurtappset import Workload, condition, plan_pool_workloads, set_condition
from openyurt.core.plans import EMPTY_PLAN, Plan


@attrs.frozen
class YurtAppDaemonConfig:
    default_revision_history_limit: int = DEFAULT_REVISION_HISTORY_LIMIT


@attrs.frozen
class YurtAppDaemonPlan:
    revision: str
    selected_pools: tuple[str, ...]
    plan: Plan = EMPTY_PLAN
    events: tuple[Event, ...] = ()
    render_errors: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.plan and not self.events


def plan_yurtappdaemon(
    yad: YurtAppDaemon,
    pools: Sequence[NodePool],
    workloads: Sequence[Workload],
    revisions: Sequence[ControllerRevision],
    *,
    now: datetime,
    config: YurtAppDaemonConfig | None = None,
) -> YurtAppDaemonPlan:
    """One reconcile of ``yad``: its revision, one workload per matching pool, and its status."""
    config = config or YurtAppDaemonConfig()
    status = yad.status
    if yad.metadata.deletion_timestamp is not None or yad.spec is None:
        return YurtAppDaemonPlan(status.current_revision if status else "", ())
    spec = yad.spec
    ref = ref_of(yad)
    collisions = status.collision_count if status and status.collision_count is not None else 0
    owned = [
        r
        for r in revisions
        if r.namespace == yad.namespace and yad.metadata.uid and controller_uid(r) == yad.metadata.uid
    ]
    tmpl_wire = spec.workload_template.to_wire() if spec.workload_template is not None else {}
    outcome = rev.plan_revision(
        owner_name=yad.name,
        namespace=yad.namespace,
        data=rev.workload_template_revision_data(tmpl_wire),
        history=owned,
        namespace_revisions=[r for r in revisions if r.namespace == yad.namespace],
        collision_count=collisions,
        labels=dict(yad.metadata.labels or {}),
        owner_reference=owner_ref_wire(yad),
    )
    selected = tuple(sorted(p.name for p in pools if selector_matches(spec.nodepool_selector, p.metadata.labels)))
    chosen = template_kind(spec.workload_template)
    if chosen is None:
        return YurtAppDaemonPlan(outcome.name, selected, Plan.of(outcome.ops))
    kind, _, template = chosen
    pw = plan_pool_workloads(
        owner=yad,
        kind=kind,
        template=template,
        tweaks=(),
        ref_labels={},
        pools=pools,
        selected=selected,
        workloads=workloads,
        revision=outcome.name,
    )
    conditions = [c.to_wire() for c in (status.conditions if status and status.conditions else [])]
    events: list[Event] = []
    errors = (*pw.create_errors, *pw.update_errors)
    if errors:
        msg = "; ".join(f"nodepool {p}: {m}" for p, m in errors)
        conditions = set_condition(
            conditions, condition(wellknown.CONDITION_WORKLOAD_FAILURE, "True", "Error", msg, now)
        )
        events.append(Event(ref, "Warning", "Failed", msg))
    if pw.creates or pw.deletes:
        conditions = set_condition(conditions, condition(wellknown.CONDITION_WORKLOAD_PROVISIONED, "True", "", "", now))
    if pw.updates:
        conditions = set_condition(conditions, condition(wellknown.CONDITION_WORKLOAD_UPDATED, "True", "", "", now))
    summary = []
    for w in sorted(pw.current, key=lambda w: w.name):
        st = w.status
        available = workload_condition(st.conditions if st else None, "Available")
        summary.append(
            {
                "availableCondition": available.status if available else "",
                "readyReplicas": (st.ready_replicas if st else None) or 0,
                "replicas": (st.replicas if st else None) or 0,
                "workloadName": w.name,
            }
        )
    new_status: WireDict = {
        "observedGeneration": yad.metadata.generation or 0,
        "collisionCount": outcome.collision_count,
        "currentRevision": outcome.name,
        "templateType": kind,
        "nodepools": list(selected) or None,
        "workloadSummary": summary or None,
        "conditions": conditions or None,
    }
    old_status = status.to_wire() if status is not None else {}
    status_op: StatusUpdate | None = None
    if {k: v for k, v in new_status.items() if v is not None} != {
        k: old_status.get(k) for k in new_status if old_status.get(k) is not None
    }:
        status_op = status_update(yad, {k: v for k, v in new_status.items() if v is not None})
    limit = spec.revision_history_limit
    prune = rev.prune_history(
        outcome.history,
        limit=config.default_revision_history_limit if limit is None else limit,
        keep=outcome.name,
        namespace=yad.namespace,
    )
    return YurtAppDaemonPlan(
        revision=outcome.name,
        selected_pools=selected,
        plan=Plan.of(
            (*outcome.ops, *pw.creates, *pw.updates, *pw.deletes, *prune, *((status_op,) if status_op else ()))
        ),
        events=tuple(events),
        render_errors=errors,
    )
