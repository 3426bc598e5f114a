"""Workload controllers' decisions: Deployment → ReplicaSet → Pods, StatefulSet and DaemonSet pods.

Kubernetes' controllers are large because they handle surge, history, partitions and pausing; the
embedded cluster needs their *observable contract*: the names (``<deploy>-<hash>``, ``<rs>-<5>``,
``<sts>-<ordinal>``), the labels OpenYurt's controllers read (``pod-template-hash``,
``controller-revision-hash``, ``pod-template-generation``, ``statefulset.kubernetes.io/pod-name``),
controller ownerReferences (so the API server's garbage collector cleans up), the status counters
``kubectl rollout status`` and yurt-manager look at, and a rollout that replaces pods when the template
changes. Hashes are FNV-1a over canonical JSON (not Go's ``spew`` dump: they are stable and unique,
not byte-equal to kube-controller-manager's).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from openyurt.core import wellknown
from openyurt.core.planners.revision import SAFE_ALPHABET, safe_encode
from openyurt.core.sim._wire import (
    WireDict,
    annotations_of,
    creation_key,
    dict_list,
    is_terminating,
    labels_of,
    meta,
    name_of,
    namespace_of,
    owner_ref,
    pod_is_active,
    pod_is_ready,
    pod_node,
    spec,
    status,
)
from openyurt.core.sim.scheduling import placement_problem

#: Characters of generated name suffixes (Go's ``rand.String`` alphabet).
SUFFIX_ALPHABET = SAFE_ALPHABET
SUFFIX_LENGTH = 5
LABEL_STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name"
LABEL_POD_INDEX = "apps.kubernetes.io/pod-index"
#: Label on ControllerRevisions naming their hash (as kube-controller-manager writes it).
LABEL_REVISION_HASH_K8S = "controller.kubernetes.io/hash"


# ==================================================================================================
# Hashes and names


def fnv1a_32(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def template_hash(template: Mapping[str, Any] | None, collision_count: int | None = None) -> str:
    """The pod-template hash of a workload template (plus collision count), safe-encoded."""
    data = canonical_json(template or {})
    if collision_count:
        data += collision_count.to_bytes(8, "little")
    return safe_encode(str(fnv1a_32(data)))


def check_suffix(suffix: str) -> str:
    if len(suffix) != SUFFIX_LENGTH or any(c not in SUFFIX_ALPHABET for c in suffix):
        raise ValueError(f"a name suffix is {SUFFIX_LENGTH} characters of {SUFFIX_ALPHABET!r}, got {suffix!r}")
    return suffix


def generated_name(prefix: str, suffix: str) -> str:
    """``generateName`` semantics: ``<prefix>-<suffix>`` with the prefix cut to fit 63 characters."""
    base = f"{prefix}-"
    return base[: 63 - SUFFIX_LENGTH] + check_suffix(suffix)


def replicaset_name(deployment: str, hash_: str) -> str:
    return f"{deployment}-{hash_}"


# ==================================================================================================
# Pods from templates


def pod_from_template(
    template: Mapping[str, Any] | None,
    *,
    owner: Mapping[str, Any],
    name: str,
    labels: Mapping[str, str] = {},
    node_name: str | None = None,
    extra_tolerations: Sequence[Mapping[str, Any]] = (),
    spec_patch: Mapping[str, Any] | None = None,
) -> WireDict:
    """A Pod for ``owner`` from its pod template: template labels + ``labels``, controller owner ref."""
    tpl = template or {}
    tmeta = tpl.get("metadata") or {}
    pod_spec: WireDict = copy.deepcopy(dict(tpl.get("spec") or {}))
    if node_name:
        pod_spec["nodeName"] = node_name
    if extra_tolerations:
        have = dict_list(pod_spec.get("tolerations"))
        add = [dict(t) for t in extra_tolerations if dict(t) not in [dict(h) for h in have]]
        pod_spec["tolerations"] = [dict(h) for h in have] + add
    if spec_patch:
        pod_spec.update(copy.deepcopy(dict(spec_patch)))
    pod_meta: WireDict = {
        "name": name,
        "namespace": namespace_of(owner),
        "labels": {**{str(k): str(v) for k, v in (tmeta.get("labels") or {}).items()}, **labels},
        "ownerReferences": [owner_ref(owner)],
    }
    if tmeta.get("annotations"):
        pod_meta["annotations"] = dict(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}


def _template_with_label(template: Mapping[str, Any] | None, key: str, value: str) -> WireDict:
    tpl: WireDict = copy.deepcopy(dict(template or {}))
    tmeta = dict(tpl.get("metadata") or {})
    tmeta["labels"] = {**(tmeta.get("labels") or {}), key: value}
    tpl["metadata"] = tmeta
    return tpl


# ==================================================================================================
# ReplicaSet


@attrs.frozen
class ReplicaDiff:
    """How many pods to create and which to delete to reach the desired count."""

    create: int = 0
    delete: tuple[str, ...] = ()


_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _deletion_rank(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """``ActivePods`` order: unassigned, then pending/unknown/running, not ready, newest first."""
    created, name = creation_key(pod)
    newest_first = tuple(-ord(c) for c in created)
    return (
        1 if pod_node(pod) else 0,
        _PHASE_RANK.get(str(status(pod).get("phase") or "Pending"), 0),
        1 if pod_is_ready(pod) else 0,
        newest_first,
        name,
    )


def replica_diff(desired: int, pods: Iterable[Mapping[str, Any]]) -> ReplicaDiff:
    """Active pods vs ``desired``: create the missing ones or delete the least valuable extras."""
    active = [p for p in pods if pod_is_active(p)]
    if len(active) < desired:
        return ReplicaDiff(create=desired - len(active))
    extra = len(active) - desired
    if extra <= 0:
        return ReplicaDiff()
    ranked = sorted(active, key=_deletion_rank)
    return ReplicaDiff(delete=tuple(name_of(p) for p in ranked[:extra]))


def replica_counts(pods: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """replicas / readyReplicas / availableReplicas of a set of owned pods (minReadySeconds 0)."""
    active = [p for p in pods if pod_is_active(p)]
    ready = sum(1 for p in active if pod_is_ready(p))
    return {"replicas": len(active), "readyReplicas": ready, "availableReplicas": ready}


def replicaset_status(rs: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> WireDict:
    labels = labels_of(rs)
    pods = list(pods)
    counts = replica_counts(pods)
    fully = sum(1 for p in pods if pod_is_active(p) and labels_of(p).items() >= labels.items())
    out: WireDict = {
        **counts,
        "fullyLabeledReplicas": fully,
        "observedGeneration": int(meta(rs).get("generation") or 0),
    }
    return out


def desired_replicas(obj: Mapping[str, Any]) -> int:
    value = spec(obj).get("replicas")
    return 1 if value is None else max(0, int(value))


# ==================================================================================================
# Deployment


@attrs.frozen
class DeploymentPlan:
    """The new ReplicaSet (created if missing), every owned ReplicaSet's replicas, and the status."""

    hash: str
    new_name: str
    create: WireDict | None
    scale: dict[str, int]
    status: WireDict


def new_replicaset(deploy: Mapping[str, Any], hash_: str) -> WireDict:
    """The ReplicaSet for the current template: hash label on it, its selector and its template."""
    d_spec = spec(deploy)
    selector = copy.deepcopy(dict(d_spec.get("selector") or {}))
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), wellknown.LABEL_POD_TEMPLATE_HASH: hash_}
    template = _template_with_label(d_spec.get("template"), wellknown.LABEL_POD_TEMPLATE_HASH, hash_)
    labels = {**(template["metadata"].get("labels") or {})}
    revision = annotations_of(deploy).get("deployment.kubernetes.io/revision")
    annotations = {"deployment.kubernetes.io/desired-replicas": str(desired_replicas(deploy))}
    if revision:
        annotations["deployment.kubernetes.io/revision"] = revision
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": replicaset_name(name_of(deploy), hash_),
            "namespace": namespace_of(deploy),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [owner_ref(deploy)],
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": int(d_spec.get("minReadySeconds") or 0),
            "selector": selector,
            "template": template,
        },
    }


def plan_deployment(deploy: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]]) -> DeploymentPlan:
    """Recreate-style rollout: the current template's ReplicaSet gets every replica, the others 0.

    ``replicasets`` are the ones the Deployment controls. Status sums theirs; ``updatedReplicas`` is
    the new ReplicaSet's.
    """
    d_spec = spec(deploy)
    hash_ = template_hash(d_spec.get("template"), status(deploy).get("collisionCount"))
    new_name = replicaset_name(name_of(deploy), hash_)
    new = next((rs for rs in replicasets if labels_of(rs).get(wellknown.LABEL_POD_TEMPLATE_HASH) == hash_), None)
    create = None if new is not None else new_replicaset(deploy, hash_)
    want = desired_replicas(deploy)
    scale: dict[str, int] = {}
    for rs in replicasets:
        target = want if rs is new else 0
        if desired_replicas(rs) != target:
            scale[name_of(rs)] = target
    if new is not None:
        new_name = name_of(new)
    totals = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0}
    updated = 0
    for rs in replicasets:
        st = status(rs)
        for k in totals:
            totals[k] += int(st.get(k) or 0)
        if rs is new:
            updated = int(st.get("replicas") or 0)
    available = totals["availableReplicas"]
    st_out: WireDict = {
        "observedGeneration": int(meta(deploy).get("generation") or 0),
        "replicas": totals["replicas"],
        "updatedReplicas": updated,
        "readyReplicas": totals["readyReplicas"],
        "availableReplicas": available,
        "unavailableReplicas": max(0, want - available),
    }
    return DeploymentPlan(hash_, new_name, create, scale, st_out)


# ==================================================================================================
# StatefulSet


@attrs.frozen
class StatefulSetPlan:
    #: pods to create (full objects), at most one at a time under OrderedReady
    create: tuple[WireDict, ...] = ()
    #: pod names to delete (scale down, outdated revision)
    delete: tuple[str, ...] = ()
    status: WireDict = attrs.field(factory=dict)


def statefulset_ordinal(sts_name: str, pod_name: str) -> int | None:
    prefix = f"{sts_name}-"
    if not pod_name.startswith(prefix) or not pod_name[len(prefix) :].isdigit():
        return None
    return int(pod_name[len(prefix) :])


def statefulset_pod(sts: Mapping[str, Any], ordinal: int, revision: str) -> WireDict:
    name = f"{name_of(sts)}-{ordinal}"
    s = spec(sts)
    patch: WireDict = {"hostname": name}
    if s.get("serviceName"):
        patch["subdomain"] = s["serviceName"]
    return pod_from_template(
        s.get("template"),
        owner=sts,
        name=name,
        labels={
            wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE: revision,
            LABEL_STATEFULSET_POD_NAME: name,
            LABEL_POD_INDEX: str(ordinal),
        },
        spec_patch=patch,
    )


def plan_statefulset(
    sts: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], *, update_revision: str, current_revision: str
) -> StatefulSetPlan:
    """Ordinals ``0..replicas-1``; OrderedReady creates one at a time after the lower ones are ready and
    deletes from the highest; RollingUpdate replaces outdated pods (highest first) once all are ready."""
    s = spec(sts)
    want = desired_replicas(sts)
    parallel = s.get("podManagementPolicy") == "Parallel"
    rolling = ((s.get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"
    by_ordinal: dict[int, Mapping[str, Any]] = {}
    for p in pods:
        o = statefulset_ordinal(name_of(sts), name_of(p))
        if o is not None:
            by_ordinal[o] = p
    creates: list[WireDict] = []
    deletes: list[str] = []
    blocked = False
    for o in range(want):
        pod = by_ordinal.get(o)
        if pod is None:
            if not blocked:
                creates.append(statefulset_pod(sts, o, update_revision))
                if not parallel:
                    blocked = True
            continue
        if not parallel and not (pod_is_active(pod) and pod_is_ready(pod)):
            blocked = True
    extras = sorted((o for o in by_ordinal if o >= want), reverse=True)
    for o in extras:
        if not is_terminating(by_ordinal[o]):
            deletes.append(name_of(by_ordinal[o]))
        if not parallel:
            break
    in_range = [by_ordinal[o] for o in range(want) if o in by_ordinal]
    if rolling and not creates and not deletes and all(pod_is_ready(p) and pod_is_active(p) for p in in_range):
        outdated = [
            o
            for o in range(want)
            if o in by_ordinal
            and labels_of(by_ordinal[o]).get(wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE) != update_revision
        ]
        if outdated:
            deletes.append(name_of(by_ordinal[max(outdated)]))
    active = [p for p in pods if pod_is_active(p)]
    revision_of = [labels_of(p).get(wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE) for p in active]
    updated = sum(1 for r in revision_of if r == update_revision)
    ready = sum(1 for p in active if pod_is_ready(p))
    current = current_revision if updated < len(active) or len(active) < want else update_revision
    st: WireDict = {
        "observedGeneration": int(meta(sts).get("generation") or 0),
        "replicas": len(active),
        "readyReplicas": ready,
        "currentReplicas": sum(1 for r in revision_of if r == current),
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "currentRevision": current,
        "updateRevision": update_revision,
        "collisionCount": int(status(sts).get("collisionCount") or 0),
    }
    return StatefulSetPlan(tuple(creates), tuple(deletes), st)


# ==================================================================================================
# ControllerRevisions (StatefulSet and DaemonSet history)


def revision_data(template: Mapping[str, Any] | None) -> WireDict:
    """What upstream stores in a workload's ControllerRevision: a patch replacing the template."""
    return {"spec": {"template": {**copy.deepcopy(dict(template or {})), "$patch": "replace"}}}


def controller_revision(owner: Mapping[str, Any], hash_: str, number: int) -> WireDict:
    """ControllerRevision ``<owner>-<hash>``, labelled with the owner's selector labels and the hash."""
    selector = (spec(owner).get("selector") or {}).get("matchLabels") or {}
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"{name_of(owner)}-{hash_}",
            "namespace": namespace_of(owner),
            "labels": {
                **{str(k): str(v) for k, v in selector.items()},
                wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE: hash_,
                LABEL_REVISION_HASH_K8S: hash_,
            },
            "ownerReferences": [owner_ref(owner)],
        },
        "data": revision_data(spec(owner).get("template")),
        "revision": number,
    }


def next_revision_number(revisions: Iterable[Mapping[str, Any]]) -> int:
    return max((int(r.get("revision") or 0) for r in revisions), default=0) + 1


# ==================================================================================================
# DaemonSet


def daemon_tolerations(pod_spec: Mapping[str, Any]) -> list[WireDict]:
    """``AddOrUpdateDaemonPodTolerations``: daemon pods survive not-ready/unreachable nodes, pressure
    and cordoning (network-unavailable only for hostNetwork pods)."""
    out: list[WireDict] = [
        {"key": wellknown.TAINT_NODE_NOT_READY, "operator": "Exists", "effect": wellknown.TAINT_EFFECT_NO_EXECUTE},
        {"key": wellknown.TAINT_NODE_UNREACHABLE, "operator": "Exists", "effect": wellknown.TAINT_EFFECT_NO_EXECUTE},
        {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": wellknown.TAINT_EFFECT_NO_SCHEDULE},
        {
            "key": "node.kubernetes.io/memory-pressure",
            "operator": "Exists",
            "effect": wellknown.TAINT_EFFECT_NO_SCHEDULE,
        },
        {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": wellknown.TAINT_EFFECT_NO_SCHEDULE},
        {
            "key": wellknown.TAINT_NODE_UNSCHEDULABLE_NATIVE,
            "operator": "Exists",
            "effect": wellknown.TAINT_EFFECT_NO_SCHEDULE,
        },
    ]
    if pod_spec.get("hostNetwork"):
        out.append(
            {
                "key": "node.kubernetes.io/network-unavailable",
                "operator": "Exists",
                "effect": wellknown.TAINT_EFFECT_NO_SCHEDULE,
            }
        )
    return out


def daemon_pod_spec(ds: Mapping[str, Any]) -> WireDict:
    """The DaemonSet template's pod spec plus the daemon tolerations (what eligibility is judged on)."""
    pod_spec: WireDict = copy.deepcopy(dict((spec(ds).get("template") or {}).get("spec") or {}))
    have = [dict(t) for t in dict_list(pod_spec.get("tolerations"))]
    pod_spec["tolerations"] = have + [t for t in daemon_tolerations(pod_spec) if t not in have]
    return pod_spec


def daemon_node_eligible(ds: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``NodeShouldRunDaemonPod``: selector, required affinity, taints — readiness does not matter."""
    return placement_problem(daemon_pod_spec(ds), node, need_ready=False) is None


def _node_affinity_for(pod_spec: WireDict, node: str) -> None:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: require ``metadata.name In [node]``."""
    affinity = dict(pod_spec.get("affinity") or {})
    na = dict(affinity.get("nodeAffinity") or {})
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    required = dict(na.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = dict_list(required.get("nodeSelectorTerms"))
    if terms:
        new_terms = []
        for t in terms:
            t2 = {k: v for k, v in t.items() if k != "matchFields"}
            t2["matchFields"] = term["matchFields"]
            new_terms.append(t2)
        required["nodeSelectorTerms"] = new_terms
    else:
        required["nodeSelectorTerms"] = [term]
    na["requiredDuringSchedulingIgnoredDuringExecution"] = required
    affinity["nodeAffinity"] = na
    pod_spec["affinity"] = affinity


def daemon_pod(ds: Mapping[str, Any], node: str, *, hash_: str, generation: int, suffix: str) -> WireDict:
    """A daemon pod for ``node``: bound directly (nodeName) and pinned by node affinity, like upstream."""
    pod_spec = daemon_pod_spec(ds)
    _node_affinity_for(pod_spec, node)
    pod_spec["nodeName"] = node
    template = dict(spec(ds).get("template") or {})
    template["spec"] = pod_spec
    return pod_from_template(
        template,
        owner=ds,
        name=generated_name(name_of(ds), suffix),
        labels={
            wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE: hash_,
            wellknown.LABEL_POD_TEMPLATE_GENERATION: str(generation),
        },
    )


@attrs.frozen
class DaemonSetPlan:
    #: node names that need a pod
    create_on: tuple[str, ...] = ()
    #: pod names to delete (extras, ineligible nodes, vanished nodes, outdated under RollingUpdate)
    delete: tuple[str, ...] = ()
    status: WireDict = attrs.field(factory=dict)


def _max_unavailable(ds: Mapping[str, Any], desired: int) -> int:
    ru = (spec(ds).get("updateStrategy") or {}).get("rollingUpdate") or {}
    raw = ru.get("maxUnavailable", 1)
    if isinstance(raw, str) and raw.endswith("%"):
        try:
            return max(1, desired * int(raw[:-1]) // 100)
        except ValueError:
            return 1
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def plan_daemonset(
    ds: Mapping[str, Any], nodes: Sequence[Mapping[str, Any]], pods: Sequence[Mapping[str, Any]], *, hash_: str
) -> DaemonSetPlan:
    """One pod per eligible node; OnDelete never replaces a pod, RollingUpdate replaces outdated ones
    up to ``maxUnavailable`` at a time (counting pods already unavailable)."""
    eligible = {name_of(n) for n in nodes if daemon_node_eligible(ds, n)}
    known = {name_of(n) for n in nodes}
    by_node: dict[str, list[Mapping[str, Any]]] = {}
    deletes: list[str] = []
    misscheduled = 0
    for p in pods:
        if is_terminating(p):
            continue
        node = pod_node(p)
        if node not in known or node not in eligible:
            deletes.append(name_of(p))
            misscheduled += 1
            continue
        by_node.setdefault(node, []).append(p)
    creates = []
    current: dict[str, Mapping[str, Any]] = {}
    for node in sorted(eligible):
        have = sorted(by_node.get(node, []), key=creation_key)
        if not have:
            if not any(pod_node(p) == node for p in pods):  # wait for a terminating one to go
                creates.append(node)
            continue
        current[node] = have[0]
        deletes.extend(name_of(p) for p in have[1:])
    rolling = ((spec(ds).get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"

    def updated(p: Mapping[str, Any]) -> bool:
        return labels_of(p).get(wellknown.LABEL_CONTROLLER_REVISION_HASH_NATIVE) == hash_

    if rolling:
        budget = _max_unavailable(ds, len(eligible)) - sum(1 for p in current.values() if not pod_is_ready(p))
        budget -= sum(1 for n in eligible if n not in current)
        outdated = sorted(
            (n for n, p in current.items() if not updated(p)), key=lambda n: (pod_is_ready(current[n]), n)
        )
        for n in outdated:
            if pod_is_ready(current[n]) and budget <= 0:
                break
            deletes.append(name_of(current[n]))
            if pod_is_ready(current[n]):
                budget -= 1
    ready = sum(1 for p in current.values() if pod_is_ready(p))
    st: WireDict = {
        "desiredNumberScheduled": len(eligible),
        "currentNumberScheduled": len(current),
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "updatedNumberScheduled": sum(1 for p in current.values() if updated(p)),
        "numberAvailable": ready,
        "numberUnavailable": max(0, len(eligible) - ready),
        "observedGeneration": int(meta(ds).get("generation") or 0),
    }
    return DaemonSetPlan(tuple(creates), tuple(dict.fromkeys(deletes)), st)
