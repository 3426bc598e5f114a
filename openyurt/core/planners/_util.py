"""Plan values and small helpers every planner shares.

A planner returns *what to write* as the generic :class:`openyurt.core.plans.Plan` (creates, updates,
merge patches, status updates, deletes), plus what only it knows: events to record, the revision it
chose, errors. Everything is frozen data holding wire dicts, so plans compare with ``==`` and replay on
plain data in tests (:func:`apply_steps`).

Also here: Go-compatible JSON encoding, which several controllers need byte-exact (the NodePool
previous-attributes annotation, ControllerRevision data), and "now" formatting.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import attrs

from openyurt.core.api._resource import Resource
from openyurt.core.patch import apply_merge_patch
from openyurt.core.plans import Create, Delete, MergePatch, ObjectRef, Plan, StatusUpdate, Step, Update, wire

WireDict = dict[str, Any]
T = TypeVar("T")

# ==================================================================================================
# Plan values: the generic writes come from openyurt.core.plans; events are ours


def ref_of(obj: Resource) -> ObjectRef:
    """The ref of a model without serialising it (``ObjectRef.of`` dumps the whole object)."""
    return ObjectRef(obj.api_version, obj.kind, obj.metadata.name or "", obj.metadata.namespace or "")


def status_update(obj: Resource, status: Mapping[str, Any]) -> StatusUpdate:
    """Replace ``obj``'s status with ``status`` (the object keeps its resourceVersion: a precondition)."""
    data = obj.to_wire()
    data["status"] = dict(status)
    return StatusUpdate(data)


@attrs.frozen
class Event:
    """An Event to record on ``ref`` (``type`` Normal or Warning)."""

    ref: ObjectRef
    type: str
    reason: str
    message: str


class Chooser(Protocol):
    """What a planner needs from a random source (``random.Random`` satisfies it)."""

    def choice(self, seq: Sequence[T]) -> T: ...


# ==================================================================================================
# Applying plans to plain data (tests, benchmarks, and dry runs)


def apply_steps(store: Mapping[ObjectRef, WireDict], steps: Iterable[Step]) -> dict[ObjectRef, WireDict]:
    """What the cluster would look like after ``steps``, on a dict of wire objects keyed by ref.

    ``generateName`` is completed with a counter, so the result is deterministic. Preconditions
    (resourceVersion, uid) are not checked: this simulates an applier that saw no concurrent writer.
    """
    out = {k: copy.deepcopy(v) for k, v in store.items()}
    counter = 0
    for step in steps:
        if isinstance(step, Create):
            obj = wire(step.obj)
            meta = obj.setdefault("metadata", {})
            if not meta.get("name"):
                counter += 1
                meta["name"] = f"{meta.get('generateName', '')}gen{counter:05d}"
            out[ObjectRef.of(obj)] = obj
        elif isinstance(step, Update):
            out[step.ref] = wire(step.obj)
        elif isinstance(step, MergePatch):
            out[step.ref] = apply_merge_patch(out.get(step.ref, {}), dict(step.patch))
        elif isinstance(step, StatusUpdate):
            current = out.get(step.ref)
            if current is not None:
                current["status"] = copy.deepcopy(wire(step.obj).get("status"))
        else:
            out.pop(step.ref, None)
    return out


# ==================================================================================================
# Go-compatible JSON


def go_json(value: Any) -> str:
    """``json.Marshal`` of a generic Go value: sorted keys, no spaces, HTML-safe escapes, raw UTF-8."""
    text = json.dumps(_integral(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _integral(value: Any) -> Any:
    """Go prints an integral float64 without a fraction (``1``, not ``1.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


# ==================================================================================================
# Small helpers


def format_time(now: datetime) -> str:
    """metav1.Time on the wire: UTC, whole seconds, ``Z``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix_seconds(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return int(now.timestamp())


def labels_of(obj: Resource) -> dict[str, str]:
    return obj.metadata.labels or {}


def annotations_of(obj: Resource) -> dict[str, str]:
    return obj.metadata.annotations or {}


def owner_ref_wire(owner: Resource, *, controller: bool | None = True, block: bool | None = True) -> WireDict:
    """An ownerReference to ``owner`` as wire data (``controller``/``block`` None leaves them out)."""
    ref: WireDict = {
        "apiVersion": owner.api_version,
        "kind": owner.kind,
        "name": owner.name,
        "uid": owner.metadata.uid or "",
    }
    if controller is not None:
        ref["controller"] = controller
    if block is not None:
        ref["blockOwnerDeletion"] = block
    return ref


def controller_uid(obj: Resource) -> str | None:
    """uid of the controller ownerReference, or None."""
    for ref in obj.metadata.owner_references or []:
        if ref.controller:
            return ref.uid
    return None


__all__ = [
    "Chooser",
    "Create",
    "Delete",
    "Event",
    "MergePatch",
    "ObjectRef",
    "Plan",
    "StatusUpdate",
    "Step",
    "Update",
    "WireDict",
    "apply_steps",
    "go_json",
    "ref_of",
    "status_update",
]
