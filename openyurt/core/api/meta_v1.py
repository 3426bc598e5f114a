"""meta/v1: ObjectMeta, owner references, label selectors and metav1.Condition.

Also the name, label and annotation syntax rules the API server applies to every object, so that
``openyurt validate`` and our embedded API server refuse what a real cluster refuses (same limits:
253-character DNS subdomains, 63-character labels, 256 KiB of annotations).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field

from openyurt.core.api._base import FieldError, Int64, Time, WireModel


class OwnerReference(WireModel):
    api_version: str = Field(alias="apiVersion")
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ManagedFieldsEntry(WireModel):
    """Server-side apply bookkeeping; kept as sent, never interpreted."""

    open_schema = True
    manager: str | None = None
    operation: str | None = None
    api_version: str | None = Field(default=None, alias="apiVersion")
    time: Time | None = None


class ObjectMeta(WireModel):
    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    self_link: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: Int64 | None = None
    creation_timestamp: Time | None = None
    deletion_timestamp: Time | None = None
    deletion_grace_period_seconds: Int64 | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = None
    finalizers: list[str] | None = None
    managed_fields: list[ManagedFieldsEntry] | None = None


class LabelSelectorRequirement(WireModel):
    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(WireModel):
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class Condition(WireModel):
    """metav1.Condition (used by PoolService); OpenYurt's own kinds have a looser struct."""

    type: str = Field(
        max_length=316,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    )
    status: Literal["True", "False", "Unknown"]
    observed_generation: Int64 | None = Field(default=None, ge=0)
    last_transition_time: Time
    reason: str = Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    message: str = Field(max_length=32768)


# --------------------------------------------------------------------------------------------------
# Syntax rules (k8s.io/apimachinery/pkg/util/validation)

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def dns1123_subdomain_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def dns1123_label_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.match(value):
        errs.append(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def qualified_name_errors(value: str) -> list[str]:
    """Label and annotation keys: an optional DNS-subdomain prefix and a 63-character name."""
    prefix, _, name = value.rpartition("/")
    errs: list[str] = []
    if "/" in value and not prefix:
        errs.append("prefix part must be non-empty")
    elif prefix:
        errs.extend(f"prefix part {e}" for e in dns1123_subdomain_errors(prefix))
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.match(name):
            errs.append(
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character"
            )
    return errs


def label_value_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errs.append(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def label_errors(labels: dict[str, str] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for key, value in (labels or {}).items():
        out.extend(FieldError(path, f"Invalid value: {key!r}: {m}") for m in qualified_name_errors(key))
        out.extend(FieldError(f"{path}[{key}]", f"Invalid value: {value!r}: {m}") for m in label_value_errors(value))
    return out


def annotation_errors(annotations: dict[str, str] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    total = 0
    for key, value in (annotations or {}).items():
        out.extend(FieldError(path, f"Invalid value: {key!r}: {m}") for m in qualified_name_errors(key.lower()))
        total += len(key) + len(value)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        out.append(
            FieldError(path, f"Too long: must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes", "FieldValueTooLong")
        )
    return out


def validate_object_meta(meta: ObjectMeta, *, namespaced: bool) -> list[FieldError]:
    out: list[FieldError] = []
    if not meta.name and not meta.generate_name:
        out.append(
            FieldError("metadata.name", "Required value: name or generateName is required", "FieldValueRequired")
        )
    if meta.name:
        out.extend(
            FieldError("metadata.name", f"Invalid value: {meta.name!r}: {m}")
            for m in dns1123_subdomain_errors(meta.name)
        )
    if meta.generate_name:
        base = meta.generate_name.rstrip("-") or meta.generate_name
        out.extend(
            FieldError("metadata.generateName", f"Invalid value: {meta.generate_name!r}: {m}")
            for m in dns1123_subdomain_errors(base)
        )
    if meta.namespace and not namespaced:
        out.append(FieldError("metadata.namespace", "Forbidden: not allowed on this type", "FieldValueForbidden"))
    if meta.namespace:
        out.extend(
            FieldError("metadata.namespace", f"Invalid value: {meta.namespace!r}: {m}")
            for m in dns1123_label_errors(meta.namespace)
        )
    out.extend(label_errors(meta.labels, "metadata.labels"))
    out.extend(annotation_errors(meta.annotations, "metadata.annotations"))
    for i, ref in enumerate(meta.owner_references or []):
        for fname, value in (("apiVersion", ref.api_version), ("kind", ref.kind), ("name", ref.name), ("uid", ref.uid)):
            if not value:
                out.append(FieldError(f"metadata.ownerReferences[{i}].{fname}", "Required value", "FieldValueRequired"))
    if sum(1 for r in meta.owner_references or [] if r.controller) > 1:
        out.append(
            FieldError("metadata.ownerReferences", "Invalid value: only one reference can have Controller set to true")
        )
    for i, fin in enumerate(meta.finalizers or []):
        out.extend(
            FieldError(f"metadata.finalizers[{i}]", f"Invalid value: {fin!r}: {m}") for m in qualified_name_errors(fin)
        )
    return out


# --------------------------------------------------------------------------------------------------
# Label selector semantics (pure; used by planners and the API server's list filtering)

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_errors(selector: LabelSelector | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if selector is None:
        return out
    out.extend(label_errors(selector.match_labels, f"{path}.matchLabels"))
    for i, req in enumerate(selector.match_expressions or []):
        p = f"{path}.matchExpressions[{i}]"
        if req.operator not in SELECTOR_OPERATORS:
            out.append(
                FieldError(
                    f"{p}.operator",
                    f'Unsupported value: "{req.operator}": supported values: '
                    + ", ".join(f'"{o}"' for o in SELECTOR_OPERATORS),
                    "FieldValueNotSupported",
                )
            )
        elif req.operator in ("In", "NotIn") and not req.values:
            out.append(
                FieldError(
                    f"{p}.values",
                    "Required value: must be specified when `operator` is 'In' or 'NotIn'",
                    "FieldValueRequired",
                )
            )
        elif req.operator in ("Exists", "DoesNotExist") and req.values:
            out.append(
                FieldError(
                    f"{p}.values",
                    "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    "FieldValueForbidden",
                )
            )
        out.extend(FieldError(f"{p}.key", f"Invalid value: {req.key!r}: {m}") for m in qualified_name_errors(req.key))
    return out


def selector_matches(selector: LabelSelector | None, labels: dict[str, str] | None) -> bool:
    """metav1.LabelSelectorAsSelector semantics: None matches nothing, ``{}`` matches everything."""
    if selector is None:
        return False
    labels = labels or {}
    for k, v in (selector.match_labels or {}).items():
        if labels.get(k) != v:
            return False
    for req in selector.match_expressions or []:
        present = req.key in labels
        if req.operator == "In" and not (present and labels[req.key] in (req.values or [])):
            return False
        if req.operator == "NotIn" and present and labels[req.key] in (req.values or []):
            return False
        if req.operator == "Exists" and not present:
            return False
        if req.operator == "DoesNotExist" and present:
            return False
        if req.operator not in SELECTOR_OPERATORS:
            return False
    return True


def canonical_json(value: Any) -> str:
    """Key-sorted compact JSON: the form used for hashing and equality of wire data."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
