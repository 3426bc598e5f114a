"""yurthub's OTA (pod upgrade) API as pure decisions (yurthub.md §4; yurt-manager.md §1.5, §1.8).

A DaemonSet with the OTA update strategy is not rolled out by the cloud: yurt-manager only marks each
outdated pod with ``PodNeedUpgrade=True`` (message ``controllerrevision: <hash>``) and the node's
owner decides when to take the restart, through the hub's admin port. ``upgrade`` deletes a DaemonSet
pod (its controller recreates it at the new revision) or swaps a static pod's manifest file; the
optional ``imagepull`` first asks yurt-manager to pre-pull the new images (``PodImageReady=False``,
flipped to True by the image-preheat controller), and then an upgrade must wait for that pull.

Everything here reads plain wire dicts (no models: the hub stays lean) and returns what the runtime
(``openyurt.runtime.hub.ota``) should do; the clock is passed in as an RFC 3339 string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal
from urllib.parse import quote

import attrs

from openyurt.core import wellknown
from openyurt.core.hub.cachepolicy import gvr_dir
from openyurt.core.podconditions import update_pod_condition

#: Field manager of the hub's PodImageReady status patch.
FIELD_MANAGER: Final = "yurthub-ota"
#: Answer (503) of both POST endpoints while no cloud API server is healthy.
OFFLINE_MESSAGE: Final = "OTA upgrade is not allowed when node is disconnected to cloud"
#: Where kubelet reads static pod manifests, and where the hub stages and backs them up (upstream's).
DEFAULT_MANIFEST_DIR: Final = "/etc/kubernetes/manifests"
DEFAULT_UPGRADE_DIR: Final = "/tmp/manifests"
UPGRADE_SUFFIX: Final = ".upgrade"
BACKUP_SUFFIX: Final = ".bak"
YAML_SUFFIX: Final = ".yaml"
#: Cache keys of every pod kubelet read through the hub (``GET /pods`` lists them).
KUBELET_PODS_PREFIX: Final = f"kubelet/{gvr_dir('pods', 'v1', '')}/"
OWNER_DAEMONSET: Final = "DaemonSet"
OWNER_NODE: Final = "Node"

_REVISION_PREFIX: Final = wellknown.CONDITION_MESSAGE_REVISION_PREFIX.strip()  # "controllerrevision:"
_PATH_UNSAFE: Final = frozenset({"", ".", ".."})

WireDict = dict[str, Any]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def revision_hash(message: str) -> str:
    """The hash of a ``controllerrevision: <hash>`` condition message.

    Like upstream's prefix trim: a message without the prefix is its own "hash" (trimmed), so two
    conditions compare equal exactly when their messages name the same revision.
    """
    text = message.strip()
    if text.startswith(_REVISION_PREFIX):
        text = text[len(_REVISION_PREFIX) :].strip()
    return text


def revision_message(hash_: str) -> str:
    """``controllerrevision: <hash>``, the message yurt-manager and the hub write."""
    return wellknown.CONDITION_MESSAGE_REVISION_PREFIX + hash_


def pod_condition(pod: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    """The pod's condition of that type (the first one), or None."""
    conditions = _map(pod.get("status")).get("conditions")
    for cond in conditions if isinstance(conditions, list) else []:
        if isinstance(cond, Mapping) and cond.get("type") == type_:
            return cond
    return None


def _message(cond: Mapping[str, Any] | None) -> str:
    msg = cond.get("message") if cond is not None else None
    return msg if isinstance(msg, str) else ""


def pod_ref(pod: Mapping[str, Any]) -> str:
    meta = _map(pod.get("metadata"))
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def base_precheck(pod: Mapping[str, Any], node_name: str) -> str | None:
    """Why neither an upgrade nor an image pull may touch ``pod`` (None: both may proceed this far).

    The pod must not be terminating, must be bound to this node and must carry ``PodNeedUpgrade=True``.
    """
    ref = pod_ref(pod)
    if _map(pod.get("metadata")).get("deletionTimestamp"):
        return f"pod {ref} is being deleted"
    on = _map(pod.get("spec")).get("nodeName") or ""
    if on != node_name:
        return f"pod {ref} is not on node {node_name} (it is on {on or 'no node'})"
    need = pod_condition(pod, wellknown.CONDITION_POD_NEED_UPGRADE)
    if need is None or need.get("status") != "True":
        return f"pod {ref} does not need an upgrade (condition {wellknown.CONDITION_POD_NEED_UPGRADE} is not True)"
    return None


def upgrade_precheck(pod: Mapping[str, Any], node_name: str) -> str | None:
    """Why ``pod`` may not be upgraded now (None: allowed).

    :func:`base_precheck`, and when a ``PodImageReady`` condition exists (an image pull was asked for)
    it must be True for the very revision ``PodNeedUpgrade`` names: the images are on the node.
    """
    reason = base_precheck(pod, node_name)
    if reason is not None:
        return reason
    ready = pod_condition(pod, wellknown.CONDITION_POD_IMAGE_READY)
    if ready is None:
        return None
    want = revision_hash(_message(pod_condition(pod, wellknown.CONDITION_POD_NEED_UPGRADE)))
    if ready.get("status") != "True":
        return f"the images of pod {pod_ref(pod)} are not ready yet (condition {wellknown.CONDITION_POD_IMAGE_READY})"
    have = revision_hash(_message(ready))
    if have != want:
        return f"the images of pod {pod_ref(pod)} were pulled for revision {have!r}, not {want!r}"
    return None


def owner_kind(pod: Mapping[str, Any]) -> str | None:
    """Kind of the pod's controlling owner (the first owner when none is marked controller)."""
    refs = [r for r in _map(pod.get("metadata")).get("ownerReferences") or [] if isinstance(r, Mapping)]
    if not refs:
        return None
    chosen = next((r for r in refs if r.get("controller") is True), refs[0])
    kind = chosen.get("kind")
    return kind if isinstance(kind, str) else None


def static_name(pod_name: str, node_name: str) -> str | None:
    """The YurtStaticSet name of a static (mirror) pod ``<staticName>-<nodeName>``, or None."""
    suffix = f"-{node_name}"
    if not node_name or not pod_name.endswith(suffix) or len(pod_name) == len(suffix):
        return None
    return pod_name[: -len(suffix)]


def static_configmap(static: str) -> str:
    """The ConfigMap yurt-manager renders a YurtStaticSet's manifest into."""
    return wellknown.CONFIGMAP_YURT_STATIC_SET_PREFIX + static


@attrs.frozen
class UpgradePlan:
    """What an upgrade request does.

    ``action``: ``refuse`` (``status`` and ``reason`` are the answer), ``delete_pod`` (a DaemonSet
    pod) or ``static_manifest`` (read ConfigMap ``configmap`` and swap the manifest file).
    """

    action: Literal["refuse", "delete_pod", "static_manifest"]
    status: int = 200
    reason: str = ""
    configmap: str = ""


def decide_upgrade(pod: Mapping[str, Any], node_name: str) -> UpgradePlan:
    """The pre-check (403), then the owner decides: DaemonSet, Node (static pod) or 400."""
    reason = upgrade_precheck(pod, node_name)
    if reason is not None:
        return UpgradePlan("refuse", 403, reason)
    kind = owner_kind(pod)
    if kind == OWNER_DAEMONSET:
        return UpgradePlan("delete_pod")
    if kind == OWNER_NODE:
        name = str(_map(pod.get("metadata")).get("name") or "")
        static = static_name(name, node_name)
        if static is None:
            return UpgradePlan("refuse", 403, f"static pod {pod_ref(pod)} is not named <name>-{node_name}")
        return UpgradePlan("static_manifest", configmap=static_configmap(static))
    what = f"owner kind {kind}" if kind else "no owner"
    return UpgradePlan("refuse", 400, f"pod {pod_ref(pod)} has {what}: only DaemonSet and static pods can be upgraded")


def upgrade_started(namespace: str, name: str) -> str:
    return f"Start updating pod {namespace}/{name}"


def image_pull_requested(namespace: str, name: str) -> str:
    return f"Image pre-pull requested for pod {namespace}/{name}"


def set_condition(conditions: Sequence[Mapping[str, Any]], new: Mapping[str, Any], now: str) -> list[WireDict]:
    """``conditions`` with ``new`` set (Kubernetes' UpdatePodCondition rule, shared with yurt-manager)."""
    return update_pod_condition(conditions, new, now)[0]


@attrs.frozen
class ImagePullPlan:
    """What an image pull request does: refuse (``status``/``reason``) or merge-patch ``patch``."""

    action: Literal["refuse", "patch_status"]
    status: int = 200
    reason: str = ""
    patch: Mapping[str, Any] = attrs.field(factory=dict)


def image_ready_condition(pod: Mapping[str, Any]) -> WireDict:
    """``PodImageReady=False`` for the revision ``PodNeedUpgrade`` names (no reason: upstream sets none)."""
    need = revision_hash(_message(pod_condition(pod, wellknown.CONDITION_POD_NEED_UPGRADE)))
    return {"type": wellknown.CONDITION_POD_IMAGE_READY, "status": "False", "message": revision_message(need)}


def decide_image_pull(pod: Mapping[str, Any], node_name: str, now: str) -> ImagePullPlan:
    """The pre-check (403), then the status merge patch asking yurt-manager to pre-pull the images.

    A JSON merge patch replaces the whole ``conditions`` list, so the patch carries every condition
    and the ``resourceVersion`` read: a condition written in between makes it fail (409) rather than
    be lost.
    """
    reason = base_precheck(pod, node_name)
    if reason is not None:
        return ImagePullPlan("refuse", 403, reason)
    existing = _map(pod.get("status")).get("conditions")
    conditions = [c for c in existing if isinstance(c, Mapping)] if isinstance(existing, list) else []
    new = set_condition(conditions, image_ready_condition(pod), now)
    patch: WireDict = {"status": {"conditions": new}}
    rv = _map(pod.get("metadata")).get("resourceVersion")
    if isinstance(rv, str) and rv:
        patch["metadata"] = {"resourceVersion": rv}
    return ImagePullPlan("patch_status", patch=patch)


# ------------------------------------------------------------------ static pod manifests


@attrs.frozen
class StaticManifest:
    """A YurtStaticSet manifest and the files the upgrade touches, relative to their directories."""

    name: str
    content: str

    @property
    def upgrade_file(self) -> str:
        """Staging copy in the upgrade directory."""
        return self.name + UPGRADE_SUFFIX

    @property
    def backup_file(self) -> str:
        """Backup of the running manifest, in the upgrade directory."""
        return self.name + BACKUP_SUFFIX

    @property
    def manifest_file(self) -> str:
        """The file kubelet runs, in the manifest directory."""
        return self.name + YAML_SUFFIX


def static_manifest(configmap: Mapping[str, Any]) -> StaticManifest | str:
    """The manifest a ``yurt-static-set-*`` ConfigMap holds, or why it cannot be used.

    Its single data entry is keyed by the manifest name; that name becomes a file name, so anything
    that could leave the manifest directory is refused.
    """
    data = _map(configmap.get("data"))
    if len(data) != 1:
        return f"configmap must hold exactly one manifest, it holds {len(data)} entries"
    ((name, content),) = data.items()
    if not isinstance(content, str) or not content.strip():
        return f"manifest {name!r} is empty"
    if name in _PATH_UNSAFE or "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
        return f"manifest name {name!r} is not a plain file name"
    return StaticManifest(name, content)


# ------------------------------------------------------------------ the cloud requests and the pod list


def pod_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}"


def pod_status_patch_path(namespace: str, name: str) -> str:
    return f"{pod_path(namespace, name)}/status?fieldManager={FIELD_MANAGER}"


def configmap_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/configmaps/{quote(name, safe='')}"


def delete_options(pod: Mapping[str, Any]) -> WireDict:
    """Delete exactly the pod that was checked (a same-named successor is left alone)."""
    uid = _map(pod.get("metadata")).get("uid")
    body: WireDict = {"apiVersion": "v1", "kind": "DeleteOptions"}
    if isinstance(uid, str) and uid:
        body["preconditions"] = {"uid": uid}
    return body


def is_kubelet_pod_key(key: str) -> bool:
    return key.startswith(KUBELET_PODS_PREFIX)


def pod_list(pods: Sequence[Mapping[str, Any]]) -> WireDict:
    """A ``v1`` ``PodList`` of cached pods (list items cached without their kind get it back)."""
    items = [{**p, "apiVersion": p.get("apiVersion") or "v1", "kind": p.get("kind") or "Pod"} for p in pods]
    return {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items}


__all__ = [
    "DEFAULT_MANIFEST_DIR",
    "DEFAULT_UPGRADE_DIR",
    "FIELD_MANAGER",
    "KUBELET_PODS_PREFIX",
    "OFFLINE_MESSAGE",
    "ImagePullPlan",
    "StaticManifest",
    "UpgradePlan",
    "base_precheck",
    "configmap_path",
    "decide_image_pull",
    "decide_upgrade",
    "delete_options",
    "image_pull_requested",
    "image_ready_condition",
    "is_kubelet_pod_key",
    "owner_kind",
    "pod_condition",
    "pod_list",
    "pod_path",
    "pod_status_patch_path",
    "revision_hash",
    "revision_message",
    "set_condition",
    "static_configmap",
    "static_manifest",
    "static_name",
    "upgrade_precheck",
    "upgrade_started",
]
