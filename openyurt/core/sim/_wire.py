"""Small readers of wire dicts shared by the simulation modules (objects arrive as API JSON)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

WireDict = dict[str, Any]


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, Mapping) else {}


def spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    s = obj.get("spec")
    return s if isinstance(s, Mapping) else {}


def status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    s = obj.get("status")
    return s if isinstance(s, Mapping) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid") or "")


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    raw = meta(obj).get("labels")
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    raw = meta(obj).get("annotations")
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def dict_list(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a wire list (anything else, like ``null``, counts as empty)."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def condition(obj: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for c in dict_list(status(obj).get("conditions")):
        if c.get("type") == type_:
            return c
    return None


def condition_true(obj: Mapping[str, Any], type_: str) -> bool:
    c = condition(obj, type_)
    return c is not None and c.get("status") == "True"


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in dict_list(meta(obj).get("ownerReferences")):
        if ref.get("controller"):
            return str(ref.get("uid") or "") or None
    return None


def owner_ref(owner: Mapping[str, Any]) -> WireDict:
    """A controller ownerReference to ``owner`` (blocking its foreground deletion, like upstream)."""
    return {
        "apiVersion": str(owner.get("apiVersion") or ""),
        "kind": str(owner.get("kind") or ""),
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_is_active(pod: Mapping[str, Any]) -> bool:
    """Not terminating and not finished: counts toward a controller's replicas."""
    return not is_terminating(pod) and status(pod).get("phase") not in ("Succeeded", "Failed")


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    return condition_true(pod, "Ready")


def pod_node(pod: Mapping[str, Any]) -> str:
    return str(spec(pod).get("nodeName") or "")


def creation_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key: creation time (RFC 3339 sorts as text), then name."""
    return (str(meta(obj).get("creationTimestamp") or ""), name_of(obj))
