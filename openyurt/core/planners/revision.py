"""ControllerRevisions as yurt-manager names and hashes them, byte for byte.

A YurtAppSet stamps its revision *name* (``<yas>-<hash>``) on every workload and pod template, so a
name that differs from the Go controller's would roll every pool's pods once when one controller
replaces the other. The hash is Kubernetes' ``HashControllerRevision`` (32-bit FNV-1 over the data
bytes plus the decimal collision count, encoded through the "safe" alphabet); the data bytes are what
Go's ``encoding/json`` makes of the *typed* object: zero-valued fields without ``omitempty`` appear
(``"creationTimestamp":null``, ``"resources":{}``, ``"containers":null``), unknown ones vanish, and
the result is re-marshalled from a generic map (sorted keys, HTML-safe escapes).

So this module carries a table of the Go struct shapes of the apps/v1 template types and the
core/v1 types of a pod template (:data:`GO_TYPES`: field order and ``omitempty`` as in the Go
structs) and :func:`go_normalize`, which turns wire JSON into what Go would marshal: a key that is
not a field of the Go struct is dropped, as Go's decoder drops it. Values the table leaves
untyped (maps, a workload's ``status``, ``managedFields``) are kept as they are. Resource
quantities are written in Go's canonical form (:func:`canonical_quantity`). The same table drives
:func:`go_decode_over`, the emulation of Go decoding patched JSON on top of an existing object, and
:func:`canonical`, the Go form with the zero values Go adds pruned again, which YurtAppSet tweak
patches rely on.
"""

from __future__ import annotations

import decimal
import json
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from pydantic import BaseModel

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
    """32-bit FNV-1 (multiply, then xor), Go's ``hash/fnv.New32``.

    Bytes go eight at a time, masked to 32 bits once per group: the low 32 bits of a product and
    of a xor with a byte depend only on the low 32 bits of the operands."""
    h = 0x811C9DC5
    p = 0x01000193
    whole = len(data) - len(data) % 8
    it = iter(data[:whole])
    for a, b, c, d, e, f, g, k in zip(it, it, it, it, it, it, it, it, strict=True):
        h = ((((((((h * p ^ a) * p ^ b) * p ^ c) * p ^ d) * p ^ e) * p ^ f) * p ^ g) * p ^ k) & 0xFFFFFFFF
    for byte in data[whole:]:
        h = (h * p & 0xFFFFFFFF) ^ byte
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
# resource.Quantity
#
# Go decodes a quantity (``ParseQuantity`` after trimming spaces) and marshals it back in canonical
# form, except that the parser keeps the original text when it already looks canonical (the fast
# int64 path: ``1500m``, ``100Mi``, ``2e3`` and also ``+1``, ``01`` or ``1E3`` come back as written).
# Canonical form keeps the suffix family (binary ``Ki``..``Ei``, decimal ``n``..``E``, or an ``e<n>``
# exponent) and picks the largest exact unit: ``1000m`` → ``1``, ``0.5`` → ``500m``, ``1024Mi`` →
# ``1Gi``, ``1.5Gi`` → ``1536Mi``, ``1000`` → ``1k``. Values are rounded up to ``1n``; binary ones are
# capped at 2^63-1, written in decimal below 1024 or when not whole.

_DEC_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXPONENT = {e: s for s, e in _DEC_SUFFIXES.items()}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_BY_EXPONENT = {e // 10: s for s, e in _BIN_SUFFIXES.items()}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_INT64_MAX = (1 << 63) - 1
_DEC, _BIN, _EXP = "DecimalSI", "BinarySI", "DecimalExponent"
# Go's unicode.IsSpace for Latin-1 (strings.TrimSpace); other code points follow Python's isspace.
_LATIN1_SPACE = frozenset("\t\n\v\f\r \x85\xa0")


def _scan_quantity(s: str) -> tuple[bool, str, str, str, str] | None:
    """``parseQuantityString``: (positive, value, num, denom, suffix), or None on a format error."""
    end = len(s)
    pos = 0
    positive = True
    if end and s[0] in "+-":
        positive = s[0] == "+"
        pos = 1
    while pos < end and s[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    if pos >= end:
        return positive, s, num, "", ""
    denom = ""
    if s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[start:pos]
        if pos >= end:
            return positive, s, num, denom, ""
    value = s[:pos]
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end:
        return None
    return positive, value, num, denom, s[suffix_start:]


def _go_parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or any(c not in _DIGITS for c in body):
        return None
    value = int(text)
    return value if -(1 << 63) <= value <= _INT64_MAX else None


def _interpret_suffix(suffix: str) -> tuple[int, int, str] | None:
    """(base, exponent, format) of a suffix, or None (``ErrSuffix``)."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], _DEC
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], _BIN
    if len(suffix) > 1 and suffix[0] in "eE":
        parsed = _go_parse_int64(suffix[1:])
        if parsed is None:
            return None
        return 10, (parsed + (1 << 31)) % (1 << 32) - (1 << 31), _EXP  # int32(parsed)
    return None


def _decimal_parts(value: str) -> tuple[int, int] | None:
    """The number text before the suffix as (mantissa, exponent): value = mantissa * 10**exponent."""
    try:
        dec = decimal.Decimal(value)
    except decimal.InvalidOperation:
        return None
    if not dec.is_finite():
        return None
    sign, digits, exponent = dec.as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    return (-mantissa if sign else mantissa), int(exponent)


def _ceil_scaled(mantissa: int, exponent: int) -> tuple[int, int]:
    """Round the non-negative ``mantissa * 10**exponent`` up to nano precision (``inf.RoundUp``)."""
    if exponent >= -9 or mantissa == 0:
        return mantissa, exponent
    drop = -9 - exponent
    if drop > len(str(mantissa)):
        return 1, -9
    q, r = divmod(mantissa, 10**drop)
    return q + (1 if r else 0), -9


def _format_quantity(mantissa: int, exponent: int, fmt: str) -> str:
    """``CanonicalizeBytes`` of ``mantissa * 10**exponent`` in ``fmt``."""
    if mantissa == 0:
        return "0"
    if fmt == _BIN:
        whole: int | None = None
        if exponent >= 0:
            whole = mantissa * 10**exponent
        elif mantissa % 10**-exponent == 0:
            whole = mantissa // 10**-exponent
        if whole is None or -1024 < whole < 1024:
            fmt = _DEC
        else:
            times = 0
            while whole % 1024 == 0:
                whole //= 1024
                times += 1
            return f"{whole}{_BIN_BY_EXPONENT.get(times, '')}"
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    if fmt == _EXP:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DEC_BY_EXPONENT.get(exponent, '')}"  # Go writes no suffix beyond E too


def parse_quantity(s: str) -> str | None:
    """What Go's ``json.Marshal`` writes for ``resource.ParseQuantity(s)``, or None if it fails."""
    if not s:
        return None
    if s == "0":
        return s
    scanned = _scan_quantity(s)
    if scanned is None:
        return None
    positive, value, num, denom, suffix = scanned
    interpreted = _interpret_suffix(suffix)
    if interpreted is None:
        return None
    base, exponent, fmt = interpreted
    # The int64 fast path (and its "already canonical" shortcut keeping the text as written).
    mantissa, scale, precision = 1, 0, -1
    if fmt == _BIN:
        if exponent >= 0 and not denom:
            mantissa = 1 << exponent
            precision = 15 - len(num) - (exponent * 3 // 10) - 1
    else:
        scale = exponent
        precision = 18 - (len(num) + len(denom))
    if precision >= 0 and scale - len(denom) >= -9:
        scale -= len(denom)
        shifted = num + denom
        number = int(shifted)
        result = number * mantissa
        if result <= _INT64_MAX:
            if fmt == _BIN:
                if exponent % 10 == 0 and number & 0x07:
                    return s
                return _format_quantity(result if positive else -result, 0, fmt)
            if scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0":
                return s
            return _format_quantity(result if positive else -result, scale, fmt)
    # The arbitrary-precision path.
    parts = _decimal_parts(value)
    if parts is None:
        return None
    m, e = parts
    negative = m < 0
    m = abs(m)
    if base == 2:
        m <<= exponent
    else:
        e += exponent
    m, e = _ceil_scaled(m, e)
    if fmt == _BIN:
        if m and (m * 10**e if e >= 0 else m / 10**-e) > _INT64_MAX:
            m, e = _INT64_MAX, 0
        if m and (m * 10**e if e >= 0 else m / 10**-e) < 1:
            fmt = _DEC
    return _format_quantity(-m if negative else m, e, fmt)


def canonical_quantity(s: str) -> str:
    """Go's marshalled form of the quantity ``s``; ``s`` unchanged when Go cannot parse it."""
    parsed = parse_quantity(s)
    return s if parsed is None else parsed


def _go_trim_space(s: str) -> str:
    start, end = 0, len(s)
    while start < end and (s[start] in _LATIN1_SPACE or (s[start] > "\xff" and s[start].isspace())):
        start += 1
    while end > start and (s[end - 1] in _LATIN1_SPACE or (s[end - 1] > "\xff" and s[end - 1].isspace())):
        end -= 1
    return s[start:end]


def go_float(value: float) -> str:
    """Go's ``encoding/json`` text of a float64 (shortest digits; exponent form outside [1e-6, 1e21))."""
    if value == 0 or 1e-6 <= abs(value) < 1e21:
        return format(decimal.Decimal(repr(value)), "f")
    text = repr(value).replace("e-0", "e-")
    return text


def quantity_json(value: Any) -> Any:
    """A quantity as Go re-marshals the JSON value ``value`` (null → ``"0"``); unparseable → unchanged."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return value
        text = str(int(value)) if value.is_integer() and abs(value) < 1e21 else go_float(value)
    elif isinstance(value, str):
        text = _go_trim_space(value)
    else:
        return value
    parsed = parse_quantity(text)
    return value if parsed is None else parsed


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

_CONTAINER: dict[str, Field] = {
    "name": ("s", RQ), "image": ("s", OE), "command": ("[]s", OE), "args": ("[]s", OE), "workingDir": ("s", OE),
    "ports": ("[]ContainerPort", OE), "envFrom": ("[]EnvFromSource", OE), "env": ("[]EnvVar", OE),
    "resources": ("ResourceRequirements", OE), "resizePolicy": ("[]ContainerResizePolicy", OE),
    "restartPolicy": ("*s", OE), "restartPolicyRules": ("[]ContainerRestartRule", OE),
    "volumeMounts": ("[]VolumeMount", OE),
    "volumeDevices": ("[]VolumeDevice", OE), "livenessProbe": ("*Probe", OE), "readinessProbe": ("*Probe", OE),
    "startupProbe": ("*Probe", OE), "lifecycle": ("*Lifecycle", OE), "terminationMessagePath": ("s", OE),
    "terminationMessagePolicy": ("s", OE), "imagePullPolicy": ("s", OE), "securityContext": ("*SecurityContext", OE),
    "stdin": ("b", OE), "stdinOnce": ("b", OE), "tty": ("b", OE),
}
_SELECTOR_REF: dict[str, Field] = {"name": ("s", OE), "key": ("s", RQ), "optional": ("*b", OE)}
_SOURCE_REF: dict[str, Field] = {"name": ("s", OE), "optional": ("*b", OE)}
_KEYS_REF: dict[str, Field] = {"name": ("s", OE), "items": ("[]KeyToPath", OE), "optional": ("*b", OE)}
_SECURITY_COMMON: dict[str, Field] = {
    "seLinuxOptions": ("*SELinuxOptions", OE), "windowsOptions": ("*WindowsSecurityContextOptions", OE),
    "runAsUser": ("*i", OE), "runAsGroup": ("*i", OE), "runAsNonRoot": ("*b", OE),
}

GO_TYPES: dict[str, dict[str, Field]] = {
    # meta/v1
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
    # apps/v1
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
        "persistentVolumeClaimRetentionPolicy": ("*StatefulSetPersistentVolumeClaimRetentionPolicy", OE),
        "ordinals": ("*StatefulSetOrdinals", OE),
    },
    "StatefulSetUpdateStrategy": {"type": ("s", OE), "rollingUpdate": ("*RollingUpdateStatefulSetStrategy", OE)},
    "RollingUpdateStatefulSetStrategy": {"partition": ("*i", OE), "maxUnavailable": ("*ios", OE)},
    "StatefulSetPersistentVolumeClaimRetentionPolicy": {"whenDeleted": ("s", OE), "whenScaled": ("s", OE)},
    "StatefulSetOrdinals": {"start": ("i", OE)},
    # core/v1: volume claims
    "PersistentVolumeClaim": {
        "kind": ("s", OE), "apiVersion": ("s", OE), "metadata": ("ObjectMeta", OE),
        "spec": ("PersistentVolumeClaimSpec", OE), "status": ("PersistentVolumeClaimStatus", OE),
    },
    "PersistentVolumeClaimTemplate": {"metadata": ("ObjectMeta", OE), "spec": ("PersistentVolumeClaimSpec", RQ)},
    "PersistentVolumeClaimSpec": {
        "accessModes": ("[]s", OE), "selector": ("*LabelSelector", OE),
        "resources": ("VolumeResourceRequirements", OE), "volumeName": ("s", OE), "storageClassName": ("*s", OE),
        "volumeMode": ("*s", OE), "dataSource": ("*TypedLocalObjectReference", OE),
        "dataSourceRef": ("*TypedObjectReference", OE), "volumeAttributesClassName": ("*s", OE),
    },
    "PersistentVolumeClaimStatus": {
        "phase": ("s", OE), "accessModes": ("[]s", OE), "capacity": ("rl", OE), "conditions": ("[]raw", OE),
        "allocatedResources": ("rl", OE), "allocatedResourceStatuses": ("m", OE),
        "currentVolumeAttributesClassName": ("*s", OE), "modifyVolumeStatus": ("*raw", OE),
    },
    "VolumeResourceRequirements": {"limits": ("rl", OE), "requests": ("rl", OE)},
    "TypedLocalObjectReference": {"apiGroup": ("*s", RQ), "kind": ("s", RQ), "name": ("s", RQ)},
    "TypedObjectReference": {"apiGroup": ("*s", RQ), "kind": ("s", RQ), "name": ("s", RQ), "namespace": ("*s", OE)},
    # core/v1: pods
    "PodTemplateSpec": {"metadata": ("ObjectMeta", OE), "spec": ("PodSpec", OE)},
    "PodSpec": {
        "volumes": ("[]Volume", OE), "initContainers": ("[]Container", OE), "containers": ("[]Container", RQ),
        "ephemeralContainers": ("[]EphemeralContainer", OE), "restartPolicy": ("s", OE),
        "terminationGracePeriodSeconds": ("*i", OE), "activeDeadlineSeconds": ("*i", OE), "dnsPolicy": ("s", OE),
        "nodeSelector": ("m", OE), "serviceAccountName": ("s", OE), "serviceAccount": ("s", OE),
        "automountServiceAccountToken": ("*b", OE), "nodeName": ("s", OE), "hostNetwork": ("b", OE),
        "hostPID": ("b", OE), "hostIPC": ("b", OE), "shareProcessNamespace": ("*b", OE),
        "securityContext": ("*PodSecurityContext", OE), "imagePullSecrets": ("[]LocalObjectReference", OE),
        "hostname": ("s", OE), "subdomain": ("s", OE), "affinity": ("*Affinity", OE), "schedulerName": ("s", OE),
        "tolerations": ("[]Toleration", OE), "hostAliases": ("[]HostAlias", OE), "priorityClassName": ("s", OE),
        "priority": ("*i", OE), "dnsConfig": ("*PodDNSConfig", OE), "readinessGates": ("[]PodReadinessGate", OE),
        "runtimeClassName": ("*s", OE), "enableServiceLinks": ("*b", OE), "preemptionPolicy": ("*s", OE),
        "overhead": ("rl", OE), "topologySpreadConstraints": ("[]TopologySpreadConstraint", OE),
        "setHostnameAsFQDN": ("*b", OE), "os": ("*PodOS", OE), "hostUsers": ("*b", OE),
        "schedulingGates": ("[]PodSchedulingGate", OE), "resourceClaims": ("[]PodResourceClaim", OE),
        "resources": ("*ResourceRequirements", OE), "hostnameOverride": ("*s", OE),
    },
    "Toleration": {
        "key": ("s", OE), "operator": ("s", OE), "value": ("s", OE), "effect": ("s", OE),
        "tolerationSeconds": ("*i", OE),
    },
    "LocalObjectReference": {"name": ("s", OE)},
    "HostAlias": {"ip": ("s", RQ), "hostnames": ("[]s", OE)},
    "PodDNSConfig": {"nameservers": ("[]s", OE), "searches": ("[]s", OE), "options": ("[]PodDNSConfigOption", OE)},
    "PodDNSConfigOption": {"name": ("s", OE), "value": ("*s", OE)},
    "PodReadinessGate": {"conditionType": ("s", RQ)},
    "PodOS": {"name": ("s", RQ)},
    "PodSchedulingGate": {"name": ("s", RQ)},
    "PodResourceClaim": {"name": ("s", RQ), "resourceClaimName": ("*s", OE), "resourceClaimTemplateName": ("*s", OE)},
    "TopologySpreadConstraint": {
        "maxSkew": ("i", RQ), "topologyKey": ("s", RQ), "whenUnsatisfiable": ("s", RQ),
        "labelSelector": ("*LabelSelector", OE), "minDomains": ("*i", OE), "nodeAffinityPolicy": ("*s", OE),
        "nodeTaintsPolicy": ("*s", OE), "matchLabelKeys": ("[]s", OE),
    },
    "Affinity": {
        "nodeAffinity": ("*NodeAffinity", OE), "podAffinity": ("*PodAffinity", OE),
        "podAntiAffinity": ("*PodAffinity", OE),
    },
    "NodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": ("*NodeSelector", OE),
        "preferredDuringSchedulingIgnoredDuringExecution": ("[]PreferredSchedulingTerm", OE),
    },
    "NodeSelector": {"nodeSelectorTerms": ("[]NodeSelectorTerm", RQ)},
    "NodeSelectorTerm": {
        "matchExpressions": ("[]NodeSelectorRequirement", OE), "matchFields": ("[]NodeSelectorRequirement", OE),
    },
    "NodeSelectorRequirement": {"key": ("s", RQ), "operator": ("s", RQ), "values": ("[]s", OE)},
    "PreferredSchedulingTerm": {"weight": ("i", RQ), "preference": ("NodeSelectorTerm", RQ)},
    "PodAffinity": {  # PodAntiAffinity has the same shape
        "requiredDuringSchedulingIgnoredDuringExecution": ("[]PodAffinityTerm", OE),
        "preferredDuringSchedulingIgnoredDuringExecution": ("[]WeightedPodAffinityTerm", OE),
    },
    "PodAffinityTerm": {
        "labelSelector": ("*LabelSelector", OE), "namespaces": ("[]s", OE), "topologyKey": ("s", RQ),
        "namespaceSelector": ("*LabelSelector", OE), "matchLabelKeys": ("[]s", OE),
        "mismatchLabelKeys": ("[]s", OE),
    },
    "WeightedPodAffinityTerm": {"weight": ("i", RQ), "podAffinityTerm": ("PodAffinityTerm", RQ)},
    "PodSecurityContext": {
        **_SECURITY_COMMON, "supplementalGroups": ("[]i", OE), "supplementalGroupsPolicy": ("*s", OE),
        "fsGroup": ("*i", OE), "sysctls": ("[]Sysctl", OE), "fsGroupChangePolicy": ("*s", OE),
        "seccompProfile": ("*SeccompProfile", OE), "appArmorProfile": ("*AppArmorProfile", OE),
        "seLinuxChangePolicy": ("*s", OE),
    },
    "SecurityContext": {
        "capabilities": ("*Capabilities", OE), "privileged": ("*b", OE), **_SECURITY_COMMON,
        "readOnlyRootFilesystem": ("*b", OE), "allowPrivilegeEscalation": ("*b", OE), "procMount": ("*s", OE),
        "seccompProfile": ("*SeccompProfile", OE), "appArmorProfile": ("*AppArmorProfile", OE),
    },
    "Capabilities": {"add": ("[]s", OE), "drop": ("[]s", OE)},
    "SELinuxOptions": {"user": ("s", OE), "role": ("s", OE), "type": ("s", OE), "level": ("s", OE)},
    "WindowsSecurityContextOptions": {
        "gmsaCredentialSpecName": ("*s", OE), "gmsaCredentialSpec": ("*s", OE), "runAsUserName": ("*s", OE),
        "hostProcess": ("*b", OE),
    },
    "SeccompProfile": {"type": ("s", RQ), "localhostProfile": ("*s", OE)},
    "AppArmorProfile": {"type": ("s", RQ), "localhostProfile": ("*s", OE)},
    "Sysctl": {"name": ("s", RQ), "value": ("s", RQ)},
    # core/v1: volumes. Field order and omitempty as in k8s.io/api core/v1 types.go (Kubernetes
    # 1.31..1.34: VolumeSource up to image; PodCertificateProjection, FileKeySelector,
    # ContainerRestartRule and PodSpec.hostnameOverride from 1.34). VolumeSource is inlined into
    # Volume; every member is an omitempty pointer.
    "Volume": {
        "name": ("s", RQ), "hostPath": ("*HostPathVolumeSource", OE), "emptyDir": ("*EmptyDirVolumeSource", OE),
        "gcePersistentDisk": ("*GCEPersistentDiskVolumeSource", OE),
        "awsElasticBlockStore": ("*AWSElasticBlockStoreVolumeSource", OE), "gitRepo": ("*GitRepoVolumeSource", OE),
        "secret": ("*SecretVolumeSource", OE), "nfs": ("*NFSVolumeSource", OE), "iscsi": ("*ISCSIVolumeSource", OE),
        "glusterfs": ("*GlusterfsVolumeSource", OE),
        "persistentVolumeClaim": ("*PersistentVolumeClaimVolumeSource", OE), "rbd": ("*RBDVolumeSource", OE),
        "flexVolume": ("*FlexVolumeSource", OE), "cinder": ("*CinderVolumeSource", OE),
        "cephfs": ("*CephFSVolumeSource", OE), "flocker": ("*FlockerVolumeSource", OE),
        "downwardAPI": ("*DownwardAPIVolumeSource", OE), "fc": ("*FCVolumeSource", OE),
        "azureFile": ("*AzureFileVolumeSource", OE), "configMap": ("*ConfigMapVolumeSource", OE),
        "vsphereVolume": ("*VsphereVirtualDiskVolumeSource", OE), "quobyte": ("*QuobyteVolumeSource", OE),
        "azureDisk": ("*AzureDiskVolumeSource", OE),
        "photonPersistentDisk": ("*PhotonPersistentDiskVolumeSource", OE),
        "projected": ("*ProjectedVolumeSource", OE), "portworxVolume": ("*PortworxVolumeSource", OE),
        "scaleIO": ("*ScaleIOVolumeSource", OE), "storageos": ("*StorageOSVolumeSource", OE),
        "csi": ("*CSIVolumeSource", OE), "ephemeral": ("*EphemeralVolumeSource", OE),
        "image": ("*ImageVolumeSource", OE),
    },
    "GCEPersistentDiskVolumeSource": {
        "pdName": ("s", RQ), "fsType": ("s", OE), "partition": ("i", OE), "readOnly": ("b", OE),
    },
    "AWSElasticBlockStoreVolumeSource": {
        "volumeID": ("s", RQ), "fsType": ("s", OE), "partition": ("i", OE), "readOnly": ("b", OE),
    },
    "GitRepoVolumeSource": {"repository": ("s", RQ), "revision": ("s", OE), "directory": ("s", OE)},
    "ISCSIVolumeSource": {
        "targetPortal": ("s", RQ), "iqn": ("s", RQ), "lun": ("i", RQ), "iscsiInterface": ("s", OE),
        "fsType": ("s", OE), "readOnly": ("b", OE), "portals": ("[]s", OE), "chapAuthDiscovery": ("b", OE),
        "chapAuthSession": ("b", OE), "secretRef": ("*LocalObjectReference", OE), "initiatorName": ("*s", OE),
    },
    "GlusterfsVolumeSource": {"endpoints": ("s", RQ), "path": ("s", RQ), "readOnly": ("b", OE)},
    "RBDVolumeSource": {
        "monitors": ("[]s", RQ), "image": ("s", RQ), "fsType": ("s", OE), "pool": ("s", OE), "user": ("s", OE),
        "keyring": ("s", OE), "secretRef": ("*LocalObjectReference", OE), "readOnly": ("b", OE),
    },
    "FlexVolumeSource": {
        "driver": ("s", RQ), "fsType": ("s", OE), "secretRef": ("*LocalObjectReference", OE), "readOnly": ("b", OE),
        "options": ("m", OE),
    },
    "CinderVolumeSource": {
        "volumeID": ("s", RQ), "fsType": ("s", OE), "readOnly": ("b", OE), "secretRef": ("*LocalObjectReference", OE),
    },
    "CephFSVolumeSource": {
        "monitors": ("[]s", RQ), "path": ("s", OE), "user": ("s", OE), "secretFile": ("s", OE),
        "secretRef": ("*LocalObjectReference", OE), "readOnly": ("b", OE),
    },
    "FlockerVolumeSource": {"datasetName": ("s", OE), "datasetUUID": ("s", OE)},
    "FCVolumeSource": {
        "targetWWNs": ("[]s", OE), "lun": ("*i", OE), "fsType": ("s", OE), "readOnly": ("b", OE), "wwids": ("[]s", OE),
    },
    "AzureFileVolumeSource": {"secretName": ("s", RQ), "shareName": ("s", RQ), "readOnly": ("b", OE)},
    "VsphereVirtualDiskVolumeSource": {
        "volumePath": ("s", RQ), "fsType": ("s", OE), "storagePolicyName": ("s", OE), "storagePolicyID": ("s", OE),
    },
    "QuobyteVolumeSource": {
        "registry": ("s", RQ), "volume": ("s", RQ), "readOnly": ("b", OE), "user": ("s", OE), "group": ("s", OE),
        "tenant": ("s", OE),
    },
    "AzureDiskVolumeSource": {
        "diskName": ("s", RQ), "diskURI": ("s", RQ), "cachingMode": ("*s", OE), "fsType": ("*s", OE),
        "readOnly": ("*b", OE), "kind": ("*s", OE),
    },
    "PhotonPersistentDiskVolumeSource": {"pdID": ("s", RQ), "fsType": ("s", OE)},
    "PortworxVolumeSource": {"volumeID": ("s", RQ), "fsType": ("s", OE), "readOnly": ("b", OE)},
    "ScaleIOVolumeSource": {  # secretRef has no omitempty: null when unset
        "gateway": ("s", RQ), "system": ("s", RQ), "secretRef": ("*LocalObjectReference", RQ),
        "sslEnabled": ("b", OE), "protectionDomain": ("s", OE), "storagePool": ("s", OE), "storageMode": ("s", OE),
        "volumeName": ("s", OE), "fsType": ("s", OE), "readOnly": ("b", OE),
    },
    "StorageOSVolumeSource": {
        "volumeName": ("s", OE), "volumeNamespace": ("s", OE), "fsType": ("s", OE), "readOnly": ("b", OE),
        "secretRef": ("*LocalObjectReference", OE),
    },
    "CSIVolumeSource": {
        "driver": ("s", RQ), "readOnly": ("*b", OE), "fsType": ("*s", OE), "volumeAttributes": ("m", OE),
        "nodePublishSecretRef": ("*LocalObjectReference", OE),
    },
    "ImageVolumeSource": {"reference": ("s", OE), "pullPolicy": ("s", OE)},
    "HostPathVolumeSource": {"path": ("s", RQ), "type": ("*s", OE)},
    "EmptyDirVolumeSource": {"medium": ("s", OE), "sizeLimit": ("*q", OE)},
    "SecretVolumeSource": {
        "secretName": ("s", OE), "items": ("[]KeyToPath", OE), "defaultMode": ("*i", OE), "optional": ("*b", OE),
    },
    "NFSVolumeSource": {"server": ("s", RQ), "path": ("s", RQ), "readOnly": ("b", OE)},
    "PersistentVolumeClaimVolumeSource": {"claimName": ("s", RQ), "readOnly": ("b", OE)},
    "DownwardAPIVolumeSource": {"items": ("[]DownwardAPIVolumeFile", OE), "defaultMode": ("*i", OE)},
    "DownwardAPIVolumeFile": {
        "path": ("s", RQ), "fieldRef": ("*ObjectFieldSelector", OE),
        "resourceFieldRef": ("*ResourceFieldSelector", OE), "mode": ("*i", OE),
    },
    "ConfigMapVolumeSource": {**_KEYS_REF, "defaultMode": ("*i", OE)},
    "KeyToPath": {"key": ("s", RQ), "path": ("s", RQ), "mode": ("*i", OE)},
    "ProjectedVolumeSource": {"sources": ("[]VolumeProjection", RQ), "defaultMode": ("*i", OE)},
    "VolumeProjection": {
        "secret": ("*KeysProjection", OE), "downwardAPI": ("*DownwardAPIProjection", OE),
        "configMap": ("*KeysProjection", OE), "serviceAccountToken": ("*ServiceAccountTokenProjection", OE),
        "clusterTrustBundle": ("*ClusterTrustBundleProjection", OE),
        "podCertificate": ("*PodCertificateProjection", OE),
    },
    "KeysProjection": _KEYS_REF,  # SecretProjection and ConfigMapProjection
    "ClusterTrustBundleProjection": {
        "name": ("*s", OE), "signerName": ("*s", OE), "labelSelector": ("*LabelSelector", OE),
        "optional": ("*b", OE), "path": ("s", RQ),
    },
    "PodCertificateProjection": {
        "signerName": ("s", OE), "keyType": ("s", OE), "maxExpirationSeconds": ("*i", OE),
        "credentialBundlePath": ("s", OE), "keyPath": ("s", OE), "certificateChainPath": ("s", OE),
        "userAnnotations": ("m", OE),
    },
    "DownwardAPIProjection": {"items": ("[]DownwardAPIVolumeFile", OE)},
    "ServiceAccountTokenProjection": {"audience": ("s", OE), "expirationSeconds": ("*i", OE), "path": ("s", RQ)},
    "EphemeralVolumeSource": {"volumeClaimTemplate": ("*PersistentVolumeClaimTemplate", OE)},
    # core/v1: containers
    "Container": _CONTAINER,
    "EphemeralContainer": {**_CONTAINER, "targetContainerName": ("s", OE)},
    "ContainerPort": {
        "name": ("s", OE), "hostPort": ("i", OE), "containerPort": ("i", RQ), "protocol": ("s", OE),
        "hostIP": ("s", OE),
    },
    "EnvVar": {"name": ("s", RQ), "value": ("s", OE), "valueFrom": ("*EnvVarSource", OE)},
    "EnvVarSource": {
        "fieldRef": ("*ObjectFieldSelector", OE), "resourceFieldRef": ("*ResourceFieldSelector", OE),
        "configMapKeyRef": ("*KeySelector", OE), "secretKeyRef": ("*KeySelector", OE),
        "fileKeyRef": ("*FileKeySelector", OE),
    },
    "ObjectFieldSelector": {"apiVersion": ("s", OE), "fieldPath": ("s", RQ)},
    # divisor is a struct (Quantity) under omitempty: always written, "0" when unset
    "ResourceFieldSelector": {"containerName": ("s", OE), "resource": ("s", RQ), "divisor": ("q", OE)},
    "KeySelector": _SELECTOR_REF,  # ConfigMapKeySelector and SecretKeySelector
    "FileKeySelector": {"volumeName": ("s", RQ), "path": ("s", RQ), "key": ("s", RQ), "optional": ("*b", OE)},
    "EnvFromSource": {
        "prefix": ("s", OE), "configMapRef": ("*SourceRef", OE), "secretRef": ("*SourceRef", OE),
    },
    "SourceRef": _SOURCE_REF,  # ConfigMapEnvSource and SecretEnvSource
    "ResourceRequirements": {"limits": ("rl", OE), "requests": ("rl", OE), "claims": ("[]ResourceClaim", OE)},
    "ResourceClaim": {"name": ("s", RQ), "request": ("s", OE)},
    "ContainerRestartRule": {"action": ("s", OE), "exitCodes": ("*ContainerRestartRuleOnExitCodes", OE)},
    "ContainerRestartRuleOnExitCodes": {"operator": ("s", OE), "values": ("[]i", OE)},
    "ContainerResizePolicy": {"resourceName": ("s", RQ), "restartPolicy": ("s", RQ)},
    "VolumeMount": {
        "name": ("s", RQ), "readOnly": ("b", OE), "recursiveReadOnly": ("*s", OE), "mountPath": ("s", RQ),
        "subPath": ("s", OE), "mountPropagation": ("*s", OE), "subPathExpr": ("s", OE),
    },
    "VolumeDevice": {"name": ("s", RQ), "devicePath": ("s", RQ)},
    "Probe": {
        "exec": ("*ExecAction", OE), "httpGet": ("*HTTPGetAction", OE), "tcpSocket": ("*TCPSocketAction", OE),
        "grpc": ("*GRPCAction", OE), "initialDelaySeconds": ("i", OE), "timeoutSeconds": ("i", OE),
        "periodSeconds": ("i", OE), "successThreshold": ("i", OE), "failureThreshold": ("i", OE),
        "terminationGracePeriodSeconds": ("*i", OE),
    },
    "ExecAction": {"command": ("[]s", OE)},
    "HTTPGetAction": {
        "path": ("s", OE), "port": ("ios", RQ), "host": ("s", OE), "scheme": ("s", OE),
        "httpHeaders": ("[]HTTPHeader", OE),
    },
    "HTTPHeader": {"name": ("s", RQ), "value": ("s", RQ)},
    "TCPSocketAction": {"port": ("ios", RQ), "host": ("s", OE)},
    "GRPCAction": {"port": ("i", RQ), "service": ("*s", RQ)},  # service has no omitempty: null when unset
    "Lifecycle": {
        "postStart": ("*LifecycleHandler", OE), "preStop": ("*LifecycleHandler", OE), "stopSignal": ("*s", OE),
    },
    "LifecycleHandler": {
        "exec": ("*ExecAction", OE), "httpGet": ("*HTTPGetAction", OE), "tcpSocket": ("*TCPSocketAction", OE),
        "sleep": ("*SleepAction", OE),
    },
    "SleepAction": {"seconds": ("i", RQ)},
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

_SCALAR_ZERO: dict[str, Any] = {"s": "", "i": 0, "b": False, "time": None, "ios": 0, "json": None, "q": "0"}
_NULLABLE = frozenset({"m", "raw", "time", "json", "rl"})
_KEPT = frozenset({"m", "raw", "raw_struct", "time", "json"})


_STRUCT_ZEROS: dict[str, Any] = {}


def go_zero(tp: str) -> Any:
    if tp.startswith(("*", "[]")) or tp in ("m", "raw", "rl"):
        return None
    if tp == "raw_struct":
        return {}
    if tp in _SCALAR_ZERO:
        return _SCALAR_ZERO[tp]
    zero = _STRUCT_ZEROS.get(tp)
    if zero is None:
        zero = _STRUCT_ZEROS[tp] = go_normalize({}, tp)
    return _copy_json(zero)


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def go_is_empty(tp: str, value: Any) -> bool:
    """Go's omitempty test; structs (and Time, IntOrString, JSON, Quantity) are never empty."""
    if tp.startswith("*"):
        return value is None
    if tp.startswith("[]") or tp in ("m", "raw", "rl"):
        return value is None or value == [] or value == {}
    if tp in ("s", "i", "b"):
        return value in ("", 0, False) and not (tp == "i" and value is True)
    return False


#: Identity memo of :func:`go_normalize`: (id(value), type) -> (value, result); holding ``value``
#: keeps its id from being reused while the memo lives.
NormalizeMemo = dict[tuple[int, str], tuple[Any, Any]]


def go_normalize(value: Any, tp: str, memo: NormalizeMemo | None = None) -> Any:
    """What Go's ``json.Marshal`` writes after ``json.Unmarshal`` of ``value`` into type ``tp``.

    With ``memo``, a dict or list met again (the same object, not an equal one) is normalised once
    and its result shared: for callers that build many objects around one template. Results may
    then share parts with each other, so treat them as read-only. Inputs must not change while the
    memo is in use.
    """
    if memo is not None and type(value) in (dict, list):
        key = (id(value), tp)
        hit = memo.get(key)
        if hit is not None:
            return hit[1]
        out = _normalize(value, tp, memo)
        memo[key] = (value, out)
        return out
    return _normalize(value, tp, memo)


def _normalize(value: Any, tp: str, memo: NormalizeMemo | None) -> Any:
    if value is None and (tp[0] in "*[" or tp in _NULLABLE):
        return None
    if tp[0] == "*":
        return go_normalize(value, tp[1:], memo)
    if tp[0] == "[":
        if not isinstance(value, list):
            return value
        item = tp[2:]
        return [go_normalize(v, item, memo) for v in value]
    if tp in _KEPT:
        if tp == "raw_struct" and value is None:
            return {}
        return go_numbers(value)
    if tp == "q":
        return quantity_json(value)
    if tp == "rl":
        if not isinstance(value, dict):
            return value
        return {k: quantity_json(v) for k, v in value.items()}
    if tp in _SCALAR_ZERO:
        return _SCALAR_ZERO[tp] if value is None else value
    if not isinstance(value, dict):
        return value
    # A struct: its fields in declaration order, as Go writes them; other keys are not fields of
    # the Go type, and its decoder drops them.
    fields, always = _shape(tp)
    items: list[tuple[int, str, str, bool, Any]] = []
    for key, raw in value.items():
        f = fields.get(key)
        if f is not None and raw is not None:
            items.append((f[0], key, f[1], f[2], raw))
    for idx, key, ftp in always:
        if value.get(key) is None:
            items.append((idx, key, ftp, False, _ABSENT))
    if len(items) > 1:
        items.sort(key=_first)
    out: dict[str, Any] = {}
    for _, key, ftp, omitempty, raw in items:
        if raw is _ABSENT:
            out[key] = go_zero(ftp)
            continue
        v = raw if ftp in _AS_IS else go_normalize(raw, ftp, memo)
        if omitempty and go_is_empty(ftp, v):
            continue
        out[key] = v
    return out


_ABSENT = object()
#: Types whose non-null JSON value Go writes back unchanged.
_AS_IS = frozenset({"s", "i", "b", "ios", "*s", "*i", "*b", "*ios"})
_SHAPES: dict[str, tuple[dict[str, tuple[int, str, bool]], tuple[tuple[int, str, str], ...]]] = {}


def _first(item: tuple[int, str, str, bool, Any]) -> int:
    return item[0]


def _shape(tp: str) -> tuple[dict[str, tuple[int, str, bool]], tuple[tuple[int, str, str], ...]]:
    """A struct's fields by key as (position, type, omitempty), and the fields Go writes even when
    absent (no omitempty, or a struct zero value, which omitempty never drops)."""
    shape = _SHAPES.get(tp)
    if shape is None:
        declared = GO_TYPES[tp]
        fields = {key: (i, ftp, oe) for i, (key, (ftp, oe)) in enumerate(declared.items())}
        always = tuple(
            (i, key, ftp)
            for i, (key, (ftp, oe)) in enumerate(declared.items())
            if not (oe and go_is_empty(ftp, go_zero(ftp)))
        )
        shape = (fields, always)
        _SHAPES[tp] = shape
    return shape


_NUMBERS_OR_CONTAINERS = (float, dict, list)
#: Types go_numbers leaves alone (a type test over all values is quicker than isinstance on each).
_FLAT = frozenset({str, int, bool, type(None)})


def go_numbers(value: Any) -> Any:
    """Go decodes untyped JSON numbers as float64 and prints integral ones without a fraction.

    A dict or list with nothing to change is returned as is (shared, not copied)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        if _FLAT.issuperset(map(type, value.values())):
            return value
        for v in value.values():
            if isinstance(v, _NUMBERS_OR_CONTAINERS):
                return {k: go_numbers(v) for k, v in value.items()}
        return value
    if isinstance(value, list):
        if _FLAT.issuperset(map(type, value)):
            return value
        for v in value:
            if isinstance(v, _NUMBERS_OR_CONTAINERS):
                return [go_numbers(v) for v in value]
        return value
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
    if patched is original:  # decoding a value over itself changes nothing
        return original
    if isinstance(patched, dict) and isinstance(original, dict):
        out = dict(original)
        for key, value in patched.items():
            out[key] = go_decode_over(original.get(key), value)
        return out
    if isinstance(patched, list) and isinstance(original, list):
        return [go_decode_over(original[i] if i < len(original) else None, v) for i, v in enumerate(patched)]
    return patched


#: Identity memo of :func:`prune_materialized`: (id(value), id(raw)) -> (value, raw, result).
PruneMemo = dict[tuple[int, int], tuple[Any, Any, Any]]


def prune_materialized(value: Any, raw: Any, memo: PruneMemo | None = None) -> Any:
    """Drop the zero values ``go_normalize`` added (keys absent from ``raw`` whose value is null,
    ``{}`` or ``[]``), so an object we send carries what the user wrote plus real changes.

    ``memo`` shares the result for a (value, raw) pair of objects met again, as in go_normalize."""
    if not isinstance(value, dict):
        return value
    if memo is not None:
        key = (id(value), id(raw))
        hit = memo.get(key)
        if hit is not None:
            return hit[2]
    raw_d = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k not in raw_d and (v is None or v == {} or v == []):
            continue
        if isinstance(v, dict):
            out[k] = prune_materialized(v, raw_d.get(k), memo)
        elif isinstance(v, list) and isinstance(raw_d.get(k), list):
            old = raw_d[k]
            out[k] = [prune_materialized(x, old[i] if i < len(old) else None, memo) for i, x in enumerate(v)]
        else:
            out[k] = v
    if memo is not None:
        memo[(id(value), id(raw))] = (value, raw, out)
    return out


# --------------------------------------------------------------------------------------------------
# The canonical form: prune_materialized(go_normalize(v)) in one pass
#
# A rendered workload that went through a tweak patch is Go's form of it with the added zero values
# pruned again. Computing that in two passes builds the whole Go form first, zero values included;
# canonical() builds only the result, per field kind, and returns subtrees it does not change as
# they are (shared, not copied). canonical_model() does the same for a wire model without dumping it.

#: What canonical_field() returns for a field Go's omitempty drops.
DROPPED = object()

_AS_IS_KIND, _STRUCT_KIND, _SLICE_KIND, _SCALAR_SLICE_KIND, _KEPT_KIND, _OTHER_KIND = range(6)
#: Types whose non-null value Go's JSON writes as the input's numbers re-marshalled.
_KEPT_TYPES = frozenset({"m", "raw", "raw_struct", "time", "json", "*raw", "*time"})
_EMPTY_SCALARS = ("", 0, False)

#: A struct field: (position, type, omitempty, kind, element or pointee struct name, emptiness test
#: of a value that is not null (0 never empty, 1 empty scalar, 2 empty list or map), whether Go
#: writes it when absent (0 no, 1 yes, 2 yes but prune drops it again), its canonical zero value).
FieldInfo = tuple[int, str, bool, int, str, int, int, Any]
#: A compiled canonicalizer: (source dict or model, raw values, fixed results, memo) -> result.
Canonicalizer = Callable[[Any, Mapping[str, Any], Mapping[str, Any], "NormalizeMemo | None"], dict[str, Any]]
_FIELDS: dict[str, dict[str, FieldInfo]] = {}
_COMPILED: dict[tuple[Any, ...], Canonicalizer] = {}
_MAX_COMPILED = 2048
_NONE: Mapping[str, Any] = {}


def _field_info(idx: int, ftp: str, oe: bool) -> FieldInfo:
    base = ftp[1:] if ftp.startswith("*") else ftp
    if ftp in _AS_IS:
        kind, base = _AS_IS_KIND, ""
    elif base in GO_TYPES:
        kind = _STRUCT_KIND
    elif ftp.startswith("[]") and ftp[2:] in GO_TYPES:
        kind, base = _SLICE_KIND, ftp[2:]
    elif ftp in ("[]s", "[]i", "[]b"):
        kind, base = _SCALAR_SLICE_KIND, ftp[2:]
    else:
        kind, base = (_KEPT_KIND if ftp in _KEPT_TYPES else _OTHER_KIND), ""
    empty = 0  # go_is_empty of a value that is not null
    if oe and not ftp.startswith("*"):
        empty = 2 if ftp.startswith("[]") or ftp in ("m", "raw", "rl") else 1 if ftp in ("s", "i", "b") else 0
    zero = go_zero(ftp)
    always = 0 if oe and go_is_empty(ftp, zero) else 2 if zero is None or zero == {} or zero == [] else 1
    return idx, ftp, oe, kind, base, empty, always, prune_materialized(zero, None)


def struct_fields(tp: str) -> dict[str, FieldInfo]:
    """The struct ``tp``'s fields by key (see FieldInfo)."""
    fields = _FIELDS.get(tp)
    if fields is None:
        declared = GO_TYPES[tp]
        fields = _FIELDS[tp] = {key: _field_info(i, ftp, oe) for i, (key, (ftp, oe)) in enumerate(declared.items())}
    return fields


def canonical(value: Any, tp: str, memo: NormalizeMemo | None = None) -> Any:
    """``prune_materialized(go_normalize(value, tp), value)``, without building the Go form.

    The result shares unchanged subtrees with ``value`` (treat it as read-only). ``memo`` is an
    identity memo as in go_normalize, for structs met again (a template's, in every pool).
    """
    if isinstance(value, dict) and tp in GO_TYPES:
        return canonical_struct(value, tp, memo)
    return prune_materialized(go_normalize(value, tp), value)


def canonical_struct(
    raw: dict[str, Any], tp: str, memo: NormalizeMemo | None = None, fixed: Mapping[str, Any] = _NONE
) -> dict[str, Any]:
    """:func:`canonical` of a dict decoded into the struct ``tp``; ``fixed``: keys of ``raw`` whose
    canonical value the caller already has (their raw value is not looked at)."""
    if memo is not None and not fixed:
        hit = memo.get((id(raw), tp))
        if hit is not None:
            return hit[1]  # type: ignore[no-any-return]
    layout = (tp, tuple(raw), tuple(fixed))
    fn = _COMPILED.get(layout)
    if fn is None:
        fields = struct_fields(tp)
        fn = _remember(layout, _compile(tp, {key: "fixed" if key in fixed else "raw" for key in raw if key in fields}))
    out = fn(raw, raw, fixed, memo)
    if memo is not None and not fixed:
        memo[(id(raw), tp)] = (raw, out)
    return out


def canonical_model(
    model: BaseModel,
    tp: str,
    raw: Mapping[str, Any] = _NONE,
    fixed: Mapping[str, Any] = _NONE,
    memo: NormalizeMemo | None = None,
) -> dict[str, Any]:
    """canonical_struct of ``model.to_wire()`` updated with ``raw`` (fields of ``tp``), and with
    ``fixed`` canonical values, without dumping the model: its attributes are read directly (its
    unknown keys, like its fields ``tp`` does not have, are dropped as Go's decoder drops them)."""
    # The set fields as a tuple: models parsed alike fill their sets alike and iterate them alike;
    # another order only costs another compiled layout.
    layout = (type(model), tp, tuple(model.__pydantic_fields_set__), tuple(raw), tuple(fixed))
    fn = _COMPILED.get(layout)
    if fn is None:
        fn = _remember(layout, _compile_model(*layout))
    return fn(model, raw, fixed, memo)


def _remember(layout: tuple[Any, ...], fn: Canonicalizer) -> Canonicalizer:
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.clear()  # a bound, not a policy: the layouts in use come back at once
    _COMPILED[layout] = fn
    return fn


def _compile_model(
    cls: type[BaseModel], tp: str, fields_set: tuple[str, ...], raw_keys: tuple[str, ...], fixed_keys: tuple[str, ...]
) -> Canonicalizer:
    fields = struct_fields(tp)
    declared = {info.alias or name: name for name, info in cls.model_fields.items() if name in fields_set}
    sources: dict[str, str] = {}
    for key in fields:
        if key in fixed_keys:
            sources[key] = "fixed"
        elif key in raw_keys:
            sources[key] = "raw"
        elif key in declared:
            name = declared[key]
            sources[key] = ("model:" if _holds_models(cls.model_fields[name].annotation) else "attr:") + name
    return _compile(tp, sources)


def _holds_models(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_models(arg) for arg in typing.get_args(annotation))


def model_wire(value: Any) -> Any:
    """A model (or a value holding models) as its dump has it (JSON mode, aliases, set fields),
    read from the attributes: quicker than the dump for the flat models of a workload."""
    cls = type(value)
    if cls is list:
        return [model_wire(v) for v in value]
    if cls is dict:
        return {k: model_wire(v) for k, v in value.items()}
    if not isinstance(value, BaseModel):
        return value
    if value.__pydantic_extra__:
        return value.__pydantic_serializer__.to_python(value, mode="json", by_alias=True, exclude_unset=True)
    layout = (cls, tuple(value.__pydantic_fields_set__))
    fn = _COMPILED.get(layout)
    if fn is None:
        fn = _remember(layout, _compile_dump(*layout))
    return fn(value, _NONE, _NONE, None)


def _compile_dump(cls: type[BaseModel], fields_set: tuple[str, ...]) -> Canonicalizer:
    """The dump of a model with no unknown keys, as straight-line Python: its set fields in
    declared order, by alias; values as they are, but for models in them (no field of a wire model
    has a custom serializer, and JSON values dump as themselves)."""
    lines = ["def dump(src, raw, fixed, memo):", "    out = {}"]
    for name, info in cls.model_fields.items():
        if name not in fields_set:
            continue
        if not name.isidentifier():
            raise ValueError(f"not an attribute name: {name!r}")
        key = repr(info.alias or name)
        if _holds_models(info.annotation):
            lines += [f"    v = src.{name}", f"    out[{key}] = None if v is None else model_wire(v)"]
        else:
            lines.append(f"    out[{key}] = src.{name}")
    lines.append("    return out")
    env: dict[str, Any] = {"model_wire": model_wire}
    exec("\n".join(lines), env)  # only aliases (repr() literals) and attribute names in the source
    return env["dump"]  # type: ignore[no-any-return]


def _compile(tp: str, sources: Mapping[str, str]) -> Canonicalizer:
    """A canonicalizer for one layout, as straight-line Python.

    ``sources`` says where each field's value comes from: ``raw`` (the dict), ``fixed`` (given
    canonical), ``attr:<name>`` / ``model:<name>`` (a model attribute, holding models or not);
    fields not listed are absent, and keys that are not fields are dropped. The result's keys,
    their order and the rule for each follow from the layout alone; the values decide the rest
    (null, empty, type). That is a few lines per key instead of a pass of a general loop, which was
    most of a rendered workload's cost. Only field names of GO_TYPES (as repr() literals) and
    model attribute names (identifiers) enter the source; values are passed in by name.
    """
    env: dict[str, Any] = {
        "_T": (str, int, bool, float),
        "_E": _EMPTY_SCALARS,
        "_gn": go_numbers,
        "_cs": canonical_struct,
        "_cf": canonical_field,
        "model_wire": model_wire,
        "_DROPPED": DROPPED,
    }
    lines = ["def canonicalize(src, raw, fixed, memo):", "    out = {}"]

    def load(key: str, source: str) -> None:
        if source == "raw":
            lines.append(f"    v = raw[{key!r}]")
            return
        name = source.split(":", 1)[1]
        if not name.isidentifier():
            raise ValueError(f"not an attribute name: {name!r}")
        lines.append(f"    v = src.{name}")
        if source.startswith("model:"):
            lines.append("    if v is not None: v = model_wire(v)")

    for key, f in struct_fields(tp).items():
        idx, _, _, kind, base, empty, always, _ = f
        source = sources.get(key)
        k = repr(key)
        env[f"F{idx}"] = f
        env[f"Z{idx}"] = f[7]
        if source is None:
            if always == 1:
                lines.append(f"    out[{k}] = Z{idx}")
            continue
        if source == "fixed":
            lines.append(f"    out[{k}] = fixed[{k}]")
            continue
        load(key, source)
        if always:
            lines += ["    if v is None:", f"        out[{k}] = Z{idx}", "    else:"]
        else:
            lines.append("    if v is not None:")
        if kind == _AS_IS_KIND:  # a scalar of these types is empty exactly when it is falsy
            keep = "v or (type(v) not in _T and v not in _E)"
            lines.append(f"        if {keep}: out[{k}] = v" if empty else f"        out[{k}] = v")
        elif kind == _KEPT_KIND:
            lines.append("        c = _gn(v)")
            lines.append(f"        if c != {{}} and c != []: out[{k}] = c" if empty else f"        out[{k}] = c")
        elif kind == _STRUCT_KIND:
            lines.append(f"        out[{k}] = _cs(v, {base!r}, memo) if type(v) is dict else _cf(v, F{idx}, memo)")
        else:
            lines.append(f"        c = _cf(v, F{idx}, memo)")
            lines.append(f"        if c is not _DROPPED: out[{k}] = c")
    lines.append("    return out")
    exec("\n".join(lines), env)  # see the docstring for what enters the source
    return env["canonicalize"]  # type: ignore[no-any-return]


def canonical_field(v: Any, field: FieldInfo, memo: NormalizeMemo | None = None) -> Any:
    """The canonical form of ``v`` (not None) as the value of a struct field, or DROPPED."""
    ftp, kind, base, empty = field[1], field[3], field[4], field[5]
    if kind == _AS_IS_KIND:
        return DROPPED if empty and v in _EMPTY_SCALARS else v
    if kind == _STRUCT_KIND:
        return canonical_struct(v, base, memo) if isinstance(v, dict) else v
    if kind == _KEPT_KIND:
        n = go_numbers(v)
        return DROPPED if empty and (n == {} or n == []) else n
    if type(v) is list:
        if kind == _SLICE_KIND:
            if not v and empty:
                return DROPPED
            return [canonical_struct(x, base, memo) if type(x) is dict else _element(x, base) for x in v]
        if kind == _SCALAR_SLICE_KIND:
            if not v and empty:
                return DROPPED
            zero = _SCALAR_ZERO[base]
            return [zero if x is None else x for x in v]
    n = _normalize(v, ftp, None)
    if empty and go_is_empty(ftp, n):
        return DROPPED
    if isinstance(n, dict):
        return prune_materialized(n, v)
    if isinstance(n, list) and isinstance(v, list):
        return [prune_materialized(x, v[i]) for i, x in enumerate(n)]
    return n


def _element(x: Any, tp: str) -> Any:
    """A list element that is not a plain dict, as prune(go_normalize) leaves it."""
    return prune_materialized(go_normalize(x, tp), x)


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
