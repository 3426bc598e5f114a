"""ControllerRevisions as yurt-manager names and hashes them, byte for byte.

A YurtAppSet stamps its revision *name* (``<yas>-<hash>``) on every workload and pod template, so a
name that differs from the Go controller's would roll every pool's pods once when one controller
replaces the other. The hash is Kubernetes' ``HashControllerRevision`` (32-bit FNV-1 over the data
bytes plus the decimal collision count, encoded through the "safe" alphabet); the data bytes are what
Go's ``encoding/json`` makes of the *typed* object: zero-valued fields without ``omitempty`` appear
(``"creationTimestamp":null``, ``"resources":{}``, ``"containers":null``), unknown ones vanish, and
the result is re-marshalled from a generic map (sorted keys, HTML-safe escapes).

So this module carries a small table of the Go struct shapes of the apps/v1 template types
(:data:`GO_TYPES`) and :func:`go_normalize`, which turns wire JSON into what Go would marshal. The
table covers the fields workload templates use in practice; a key it does not know is passed through
unchanged (Go would drop it), which only matters for fields Kubernetes does not have. Resource
quantities are not canonicalised (``1000m`` stays ``1000m``; Go writes ``1``). The same table drives
:func:`go_decode_over`, the emulation of Go decoding patched JSON on top of an existing object, which
YurtAppSet tweak patches rely on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from openyurt.core.api.apps_v1 import ControllerRevision
from openyurt.core.api.coordination_v1 import parse_time
from openyurt.core.planners._util import (
    Create,
    Delete,
    MergePatch,
    ObjectRef,
    WireDict,
    go_json,
)

#: Label Kubernetes puts on ControllerRevisions: the hash part of the name.
LABEL_CONTROLLER_REVISION_HASH_K8S = "controller.kubernetes.io/hash"
#: Go's ``rand.SafeEncodeString`` alphabet (no vowels, no confusable digits).
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
#: Names are cut so that ``<name>-<hash>`` fits in 253 characters.
MAX_OWNER_NAME_IN_REVISION = 223

# ==================================================================================================
# Hashing


def fnv1_32(data: bytes) -> int:
    """32-bit FNV-1 (multiply, then xor), Go's ``hash/fnv.New32``."""
    h = 0x811C9DC5
    for byte in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return h


def safe_encode(text: str) -> str:
    """Go's ``rand.SafeEncodeString``: each character mapped through SAFE_ALPHABET by code point."""
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in text)


def hash_controller_revision(data: bytes, probe: int | None) -> str:
    """Kubernetes' ``HashControllerRevision``: FNV-1 over data then ``str(probe)``, safe-encoded."""
    payload = data + (str(probe).encode() if probe is not None else b"")
    return safe_encode(str(fnv1_32(payload)))


def revision_name(owner_name: str, hash_: str) -> str:
    return f"{owner_name[:MAX_OWNER_NAME_IN_REVISION]}-{hash_}"


# ==================================================================================================
# Go struct shapes
#
# A type is a struct name (a key of GO_TYPES), or one of: "s" string, "i" integer, "b" bool, "m" a
# map (kept as is), "raw" anything (kept as is), "time" metav1.Time (a struct that marshals ``null``
# when zero), "ios" intstr.IntOrString (a struct; zero marshals 0), "json" apiextensions JSON (zero
# marshals null). "*T" is a pointer, "[]T" a slice. A field is (type, omitempty).

Field = tuple[str, bool]
OE, RQ = True, False  # omitempty / always emitted (no omitempty)

# fmt: off

GO_TYPES: dict[str, dict[str, Field]] = {
    "ObjectMeta": {
        "name": ("s", OE), "generateName": ("s", OE), "namespace": ("s", OE), "selfLink": ("s", OE),
        "uid": ("s", OE), "resourceVersion": ("s", OE), "generation": ("i", OE),
        "creationTimestamp": ("time", OE), "deletionTimestamp": ("*time", OE),
        "deletionGracePeriodSeconds": ("*i", OE), "labels": ("m", OE), "annotations": ("m", OE),
        "ownerReferences": ("[]OwnerReference", OE), "finalizers": ("[]s", OE), "managedFields": ("[]raw", OE),
    },
    "OwnerReference": {
        "apiVersion": ("s", RQ), "kind": ("s", RQ), "name": ("s", RQ), "uid": ("s", RQ),
        "controller": ("*b", OE), "blockOwnerDeletion": ("*b", OE),
    },
    "LabelSelector": {"matchLabels": ("m", OE), "matchExpressions": ("[]LabelSelectorRequirement", OE)},
    "LabelSelectorRequirement": {"key": ("s", RQ), "operator": ("s", RQ), "values": ("[]s", OE)},
    "Deployment": {
        "kind": ("s", OE), "apiVersion": ("s", OE), "metadata": ("ObjectMeta", OE),
        "spec": ("DeploymentSpec", OE), "status": ("raw_struct", OE),
    },
    "StatefulSet": {
        "kind": ("s", OE), "apiVersion": ("s", OE), "metadata": ("ObjectMeta", OE),
        "spec": ("StatefulSetSpec", OE), "status": ("raw_struct", OE),
    },
    "DeploymentSpec": {
        "replicas": ("*i", OE), "selector": ("*LabelSelector", RQ), "template": ("PodTemplateSpec", RQ),
        "strategy": ("DeploymentStrategy", OE), "minReadySeconds": ("i", OE), "revisionHistoryLimit": ("*i", OE),
        "paused": ("b", OE), "progressDeadlineSeconds": ("*i", OE),
    },
    "DeploymentStrategy": {"type": ("s", OE), "rollingUpdate": ("*RollingUpdateDeployment", OE)},
    "RollingUpdateDeployment": {"maxUnavailable": ("*ios", OE), "maxSurge": ("*ios", OE)},
    "StatefulSetSpec": {
        "replicas": ("*i", OE), "selector": ("*LabelSelector", RQ), "template": ("PodTemplateSpec", RQ),
        "volumeClaimTemplates": ("[]PersistentVolumeClaim", OE), "serviceName": ("s", RQ),
        "podManagementPolicy": ("s", OE), "updateStrategy": ("StatefulSetUpdateStrategy", OE),
        "revisionHistoryLimit": ("*i", OE), "minReadySeconds": ("i", OE),
        "persistentVolumeClaimRetentionPolicy": ("*raw", OE), "ordinals": ("*raw", OE),
    },
    "StatefulSetUpdateStrategy": {"type": ("s", OE), "rollingUpdate": ("*RollingUpdateStatefulSetStrategy", OE)},
    "RollingUpdateStatefulSetStrategy": {"partition": ("*i", OE), "maxUnavailable": ("*ios", OE)},
    "PersistentVolumeClaim": {
        "kind": ("s", OE), "apiVersion": ("s", OE), "metadata": ("ObjectMeta", OE),
        "spec": ("PersistentVolumeClaimSpec", OE), "status": ("raw_struct", OE),
    },
    "PersistentVolumeClaimSpec": {
        "accessModes": ("[]s", OE), "selector": ("*LabelSelector", OE), "resources": ("ResourceRequirements", OE),
        "volumeName": ("s", OE), "storageClassName": ("*s", OE), "volumeMode": ("*s", OE),
        "dataSource": ("*raw", OE), "dataSourceRef": ("*raw", OE), "volumeAttributesClassName": ("*s", OE),
    },
    "PodTemplateSpec": {"metadata": ("ObjectMeta", OE), "spec": ("PodSpec", OE)},
    "PodSpec": {
        "volumes": ("[]Volume", OE), "initContainers": ("[]Container", OE), "containers": ("[]Container", RQ),
        "ephemeralContainers": ("[]raw", OE), "restartPolicy": ("s", OE),
        "terminationGracePeriodSeconds": ("*i", OE), "activeDeadlineSeconds": ("*i", OE), "dnsPolicy": ("s", OE),
        "nodeSelector": ("m", OE), "serviceAccountName": ("s", OE), "serviceAccount": ("s", OE),
        "automountServiceAccountToken": ("*b", OE), "nodeName": ("s", OE), "hostNetwork": ("b", OE),
        "hostPID": ("b", OE), "hostIPC": ("b", OE), "shareProcessNamespace": ("*b", OE),
        "securityContext": ("*raw", OE), "imagePullSecrets": ("[]raw", OE), "hostname": ("s", OE),
        "subdomain": ("s", OE), "affinity": ("*raw", OE), "schedulerName": ("s", OE),
        "tolerations": ("[]Toleration", OE), "hostAliases": ("[]raw", OE), "priorityClassName": ("s", OE),
        "priority": ("*i", OE), "dnsConfig": ("*raw", OE), "readinessGates": ("[]raw", OE),
        "runtimeClassName": ("*s", OE), "enableServiceLinks": ("*b", OE), "preemptionPolicy": ("*s", OE),
        "overhead": ("m", OE), "topologySpreadConstraints": ("[]raw", OE), "setHostnameAsFQDN": ("*b", OE),
        "os": ("*raw", OE), "hostUsers": ("*b", OE), "schedulingGates": ("[]raw", OE),
        "resourceClaims": ("[]raw", OE), "resources": ("*raw", OE),
    },
    "Toleration": {
        "key": ("s", OE), "operator": ("s", OE), "value": ("s", OE), "effect": ("s", OE),
        "tolerationSeconds": ("*i", OE),
    },
    "Volume": {"name": ("s", RQ)},  # the inlined VolumeSource members are all omitempty pointers: raw
    "Container": {
        "name": ("s", RQ), "image": ("s", OE), "command": ("[]s", OE), "args": ("[]s", OE), "workingDir": ("s", OE),
        "ports": ("[]ContainerPort", OE), "envFrom": ("[]raw", OE), "env": ("[]EnvVar", OE),
        "resources": ("ResourceRequirements", OE), "resizePolicy": ("[]raw", OE), "restartPolicy": ("*s", OE),
        "volumeMounts": ("[]VolumeMount", OE), "volumeDevices": ("[]raw", OE), "livenessProbe": ("*Probe", OE),
        "readinessProbe": ("*Probe", OE), "startupProbe": ("*Probe", OE), "lifecycle": ("*raw", OE),
        "terminationMessagePath": ("s", OE), "terminationMessagePolicy": ("s", OE), "imagePullPolicy": ("s", OE),
        "securityContext": ("*raw", OE), "stdin": ("b", OE), "stdinOnce": ("b", OE), "tty": ("b", OE),
    },
    "ContainerPort": {
        "name": ("s", OE), "hostPort": ("i", OE), "containerPort": ("i", RQ), "protocol": ("s", OE),
        "hostIP": ("s", OE),
    },
    "EnvVar": {"name": ("s", RQ), "value": ("s", OE), "valueFrom": ("*raw", OE)},
    "ResourceRequirements": {"limits": ("m", OE), "requests": ("m", OE), "claims": ("[]raw", OE)},
    "VolumeMount": {
        "name": ("s", RQ), "readOnly": ("b", OE), "recursiveReadOnly": ("*s", OE), "mountPath": ("s", RQ),
        "subPath": ("s", OE), "mountPropagation": ("*s", OE), "subPathExpr": ("s", OE),
    },
    "Probe": {
        "exec": ("*raw", OE), "httpGet": ("*HTTPGetAction", OE), "tcpSocket": ("*TCPSocketAction", OE),
        "grpc": ("*raw", OE), "initialDelaySeconds": ("i", OE), "timeoutSeconds": ("i", OE),
        "periodSeconds": ("i", OE), "successThreshold": ("i", OE), "failureThreshold": ("i", OE),
        "terminationGracePeriodSeconds": ("*i", OE),
    },
    "HTTPGetAction": {
        "path": ("s", OE), "port": ("ios", RQ), "host": ("s", OE), "scheme": ("s", OE), "httpHeaders": ("[]raw", OE),
    },
    "TCPSocketAction": {"port": ("ios", RQ), "host": ("s", OE)},
    # apps.openyurt.io/v1beta1 YurtAppSet pieces that enter the revision data
    "Workload": {"workloadTemplate": ("WorkloadTemplate", OE), "workloadTweaks": ("[]WorkloadTweak", OE)},
    "WorkloadTemplate": {
        "statefulSetTemplate": ("*StatefulSetTemplateSpec", OE),
        "deploymentTemplate": ("*DeploymentTemplateSpec", OE),
    },
    "DeploymentTemplateSpec": {"metadata": ("ObjectMeta", OE), "spec": ("DeploymentSpec", RQ)},
    "StatefulSetTemplateSpec": {"metadata": ("ObjectMeta", OE), "spec": ("StatefulSetSpec", RQ)},
    "WorkloadTweak": {"nodepoolSelector": ("*LabelSelector", OE), "pools": ("[]s", OE), "tweaks": ("Tweaks", RQ)},
    "Tweaks": {"replicas": ("*i", OE), "containerImages": ("[]ContainerImage", OE), "patches": ("[]Patch", OE)},
    "ContainerImage": {"name": ("s", RQ), "targetImage": ("s", RQ)},
    "Patch": {"path": ("s", RQ), "operation": ("s", RQ), "value": ("json", OE)},
}
# fmt: on

_SCALAR_ZERO: dict[str, Any] = {"s": "", "i": 0, "b": False, "time": None, "ios": 0, "json": None}


def _zero(tp: str) -> Any:
    if tp.startswith(("*", "[]")) or tp in ("m", "raw"):
        return None
    if tp == "raw_struct":
        return {}
    if tp in _SCALAR_ZERO:
        return _SCALAR_ZERO[tp]
    return go_normalize({}, tp)


def _is_empty(tp: str, value: Any) -> bool:
    """Go's omitempty test; structs (and Time, IntOrString, JSON) are never empty."""
    if tp.startswith("*"):
        return value is None
    if tp.startswith("[]") or tp in ("m", "raw"):
        return value is None or value == [] or value == {}
    if tp in ("s", "i", "b"):
        return value in ("", 0, False) and not (tp == "i" and value is True)
    return False


def go_normalize(value: Any, tp: str) -> Any:
    """What Go's ``json.Marshal`` writes after ``json.Unmarshal`` of ``value`` into type ``tp``."""
    if value is None and (tp.startswith(("*", "[]")) or tp in ("m", "raw", "time", "json")):
        return None
    if tp.startswith("*"):
        return go_normalize(value, tp[1:])
    if tp.startswith("[]"):
        if not isinstance(value, list):
            return value
        return [go_normalize(v, tp[2:]) for v in value]
    if tp in ("m", "raw", "raw_struct", "time", "json"):
        if tp == "raw_struct" and value is None:
            return {}
        return _go_numbers(value)
    if tp in _SCALAR_ZERO:
        return _zero(tp) if value is None else value
    shape = GO_TYPES[tp]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, (ftp, omitempty) in shape.items():
        v = go_normalize(value[key], ftp) if value.get(key) is not None else _zero(ftp)
        if omitempty and _is_empty(ftp, v):
            continue
        out[key] = v
    for key, v in value.items():
        if key not in shape and v is not None:
            out[key] = _go_numbers(v)  # not in our table: keep (see module docstring)
    return out


def _go_numbers(value: Any) -> Any:
    """Go decodes untyped JSON numbers as float64 and prints integral ones without a fraction."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def go_decode_over(original: Any, patched: Any) -> Any:
    """Emulate Go's ``json.Unmarshal(patched, &original)`` on an existing object.

    Objects merge (keys missing from ``patched`` keep their old value, so a JSON-patch ``remove``
    of a map key or struct field has no effect); arrays are truncated to the new length and each
    element is decoded on top of the old element at the same index; ``null`` clears the value.
    The result shares unchanged parts with both inputs (copy them first if they will be mutated).
    """
    if patched is None:
        return None
    if isinstance(patched, dict) and isinstance(original, dict):
        out = dict(original)
        for key, value in patched.items():
            out[key] = go_decode_over(original.get(key), value)
        return out
    if isinstance(patched, list) and isinstance(original, list):
        return [go_decode_over(original[i] if i < len(original) else None, v) for i, v in enumerate(patched)]
    return patched


def prune_materialized(value: Any, raw: Any) -> Any:
    """Drop the zero values ``go_normalize`` added (keys absent from ``raw`` whose value is null,
    ``{}`` or ``[]``), so an object we send carries what the user wrote plus real changes."""
    if not isinstance(value, dict):
        return value
    raw_d = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key not in raw_d and (v is None or v == {} or v == []):
            continue
        if isinstance(v, dict):
            out[key] = prune_materialized(v, raw_d.get(key))
        elif isinstance(v, list) and isinstance(raw_d.get(key), list):
            old = raw_d[key]
            out[key] = [prune_materialized(x, old[i] if i < len(old) else None) for i, x in enumerate(v)]
        else:
            out[key] = v
    return out


# ==================================================================================================
# Revision data and history


def yurtappset_revision_data(workload: Mapping[str, Any]) -> bytes:
    """``getYurtAppSetPatch``: ``{"spec":{"workload":<Go JSON of spec.workload + "$patch":"replace">}}``."""
    normalized = go_normalize(dict(workload), "Workload")
    normalized["$patch"] = "replace"
    return go_json({"spec": {"workload": normalized}}).encode()


def workload_template_revision_data(template: Mapping[str, Any] | None) -> bytes:
    """YurtAppDaemon's revision data: ``{"spec":{"workloadTemplate":<template + "$patch":"replace">}}``."""
    normalized = go_normalize(dict(template or {}), "WorkloadTemplate")
    normalized["$patch"] = "replace"
    return go_json({"spec": {"workloadTemplate": normalized}}).encode()


def revision_data_bytes(rev: ControllerRevision) -> bytes:
    """An existing revision's data as the bytes Go compares (stored JSON re-marshalled compactly)."""
    return go_json(rev.data if rev.data is not None else None).encode()


def _sort_key(rev: ControllerRevision) -> tuple[int, float, str]:
    ts = rev.metadata.creation_timestamp
    return (rev.revision, parse_time(ts).timestamp() if ts else 0.0, rev.name)


def sort_history(revisions: Sequence[ControllerRevision]) -> list[ControllerRevision]:
    """Oldest first: by ``.revision``, then creation time, then name (``history.SortControllerRevisions``)."""
    return sorted(revisions, key=_sort_key)


@attrs.frozen
class RevisionOutcome:
    """The revision the owner's objects should carry, and what to write to make it exist."""

    name: str
    hash: str
    collision_count: int
    #: Create (new revision) or MergePatch (an older equal revision bumped to the newest number).
    ops: tuple[Create | MergePatch, ...]
    #: The owned history after ``ops``, oldest first, as (name, revision number) pairs.
    history: tuple[tuple[str, int], ...]


def plan_revision(
    *,
    owner_name: str,
    namespace: str,
    data: bytes,
    history: Sequence[ControllerRevision],
    namespace_revisions: Sequence[ControllerRevision],
    collision_count: int,
    labels: Mapping[str, str],
    owner_reference: WireDict,
) -> RevisionOutcome:
    """Kubernetes' revision bookkeeping as yurt-manager runs it (``constructYurtAppSetRevisions``).

    ``history`` is what the owner claims; ``namespace_revisions`` every revision in the namespace
    (to see name collisions with revisions the owner does not own). Equal means equal data bytes.
    """
    owned = sort_history(history)
    last_number = owned[-1].revision if owned else 0
    equal = [r for r in owned if revision_data_bytes(r) == data]
    if equal and equal[-1] is owned[-1]:
        rev = owned[-1]
        h = (rev.metadata.labels or {}).get(LABEL_CONTROLLER_REVISION_HASH_K8S) or rev.name.rsplit("-", 1)[-1]
        return RevisionOutcome(rev.name, h, collision_count, (), tuple((r.name, r.revision) for r in owned))
    if equal:
        rev = equal[-1]
        h = (rev.metadata.labels or {}).get(LABEL_CONTROLLER_REVISION_HASH_K8S) or rev.name.rsplit("-", 1)[-1]
        bump = MergePatch(
            ObjectRef(rev.api_version, rev.kind, rev.name, rev.namespace),
            {"metadata": {"resourceVersion": rev.metadata.resource_version}, "revision": last_number + 1}
            if rev.metadata.resource_version
            else {"revision": last_number + 1},
        )
        hist = [(r.name, r.revision) for r in owned if r is not rev] + [(rev.name, last_number + 1)]
        return RevisionOutcome(rev.name, h, collision_count, (bump,), tuple(hist))
    by_name = {r.name: r for r in namespace_revisions}
    owned_names = {r.name for r in owned}
    count = collision_count
    while True:
        h = hash_controller_revision(data, count)
        name = revision_name(owner_name, h)
        clash = by_name.get(name)
        if clash is None:
            break
        if name in owned_names and revision_data_bytes(clash) == data:  # pragma: no cover - caught above
            break
        count += 1  # AlreadyExists with other data: a hash collision, probe again
    obj: WireDict = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**labels, LABEL_CONTROLLER_REVISION_HASH_K8S: h},
            "ownerReferences": [owner_reference],
        },
        "data": _json_loads(data),
        "revision": last_number + 1,
    }
    hist = [(r.name, r.revision) for r in owned] + [(name, last_number + 1)]
    return RevisionOutcome(name, h, count, (Create(obj),), tuple(hist))


def prune_history(history: Sequence[tuple[str, int]], *, limit: int, keep: str, namespace: str) -> tuple[Delete, ...]:
    """``cleanRevisions``: beyond ``limit`` revisions, delete the oldest ones except ``keep``."""
    extra = len(history) - limit
    if extra <= 0:
        return ()
    out = [name for name, _ in history[:extra] if name != keep]
    return tuple(Delete(ObjectRef("apps/v1", "ControllerRevision", name, namespace)) for name in out)


def _json_loads(data: bytes) -> Any:
    return json.loads(data)
