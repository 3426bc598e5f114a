"""What yurthub answers when the cloud is unreachable (yurthub.md §1.5-§1.7), as pure decisions.

Offline autonomy means kubelet & co. keep running on what was cached and must not conclude that
their objects vanished: reads come from the cache (a list that was never cached is a 404, never an
empty list; kubelet's empty pod list is a 404 too), writes are acknowledged without effect (update and
patch return the cached object, creates are echoed), deletes are refused, watches stay open silently
until the cloud is back. kubelet's own Lease is always answered locally and its Node GET maintains the
``Autonomy`` condition. The runtime executes the :class:`OfflineDecision`; nothing here does I/O.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final, Literal, Protocol

import attrs

from openyurt.core.hub.cachepolicy import (
    CACHED_NONRESOURCE_PATHS,
    DEFAULT_CACHE_AGENTS,
    can_cache,
    list_key,
    nonresource_key,
    parse_rv,
    request_key,
)
from openyurt.core.hub.requestinfo import HubRequest, RequestInfo
from openyurt.core.wellknown import (
    ANNOTATION_AUTONOMY_LEGACY,
    CONDITION_AUTONOMY,
    LABEL_EDGE_WORKER,
    REASON_AUTONOMY_CACHE_FAILED,
    REASON_AUTONOMY_DISABLED,
    REASON_AUTONOMY_ENABLED,
)

WireDict = dict[str, Any]

Action = Literal[
    "serve_object",
    "serve_list",
    "watch_until_healthy",
    "not_found",
    "respond",
    "reject",
    "echo",
    "fake_token",
]


@attrs.frozen
class OfflineDecision:
    """What to send back for a request served without the cloud.

    ``action``:

    * ``serve_object`` / ``serve_list``: ``status`` (200) with ``body`` (the cached object, or a List
      built from the cache), encoded in ``req.content_type``.
    * ``watch_until_healthy``: 200, ``Content-Type: req.content_type``, chunked; flush and send
      nothing; end the stream when the client leaves, after ``timeout_seconds`` (None: pick a random
      value in [min-request-timeout, 2 * min-request-timeout)), or when the cloud is healthy again
      (check every 2 s). The client then re-lists.
    * ``not_found``: 404 with a NotFound ``Status`` body.
    * ``reject``: ``status`` (400 BadRequest or 403 Forbidden) with a ``Status`` body.
    * ``respond``: ``status`` with ``body`` as JSON (non-resource documents such as ``/version``).
    * ``echo``: 201 with the request body verbatim and the request's Content-Type/Content-Length;
      ``store`` says whether the echoed object must also be written to the cache (events).
    * ``fake_token``: decode the TokenRequest body and answer 201 with :func:`fake_token_response`;
      if the body does not decode as a TokenRequest, ``echo`` it instead.

    ``reason`` is a short human-readable explanation for logs.
    """

    action: Action
    status: int
    body: WireDict | None = None
    reason: str = ""
    timeout_seconds: int | None = None
    store: bool = False


class CacheView(Protocol):
    """Read access to the disk/memory cache, keyed like :mod:`openyurt.core.hub.cachepolicy`."""

    def get(self, key: str) -> WireDict | None:
        """The object stored under ``key`` (in-memory first for kubelet nodes/leases), or None."""
        ...

    def list(self, key: str) -> Sequence[WireDict] | None:
        """Every object below the directory ``key`` (recursively); None if it was never written."""
        ...

    def kind_for(self, group: str, version: str, resource: str) -> str | None:
        """The Kind of (group, version, resource) from the persisted REST mapper, or None if unknown."""
        ...


# --------------------------------------------------------------------------------------------------
# Status bodies


def status_body(code: int, reason: str, message: str, info: RequestInfo | None = None) -> WireDict:
    """A ``metav1.Status`` failure body as the apiserver writes it."""
    body: WireDict = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if info is not None and info.resource:
        details: WireDict = {"kind": info.resource}
        if info.name:
            details["name"] = info.name
        if info.api_group:
            details["group"] = info.api_group
        body["details"] = details
    return body


def _not_found(info: RequestInfo) -> OfflineDecision:
    what = f"{info.resource}.{info.api_group}" if info.api_group else info.resource
    message = f'{what} "{info.name}" not found' if info.name else f"{what} not found in the local cache"
    return OfflineDecision("not_found", 404, status_body(404, "NotFound", message, info), "not cached")


def _bad_request(message: str, info: RequestInfo | None) -> OfflineDecision:
    return OfflineDecision("reject", 400, status_body(400, "BadRequest", message, info), message)


def request_string(req: HubRequest) -> str:
    """How upstream names a request in messages: ``<component> <verb> <path>``."""
    return f"{req.component or req.user_agent} {req.info.verb} {req.path}"


# --------------------------------------------------------------------------------------------------
# Kinds for list bodies


#: Built-ins the hub commonly lists that our wire models do not register.
_EXTRA_KINDS: Final[Mapping[tuple[str, str, str], str]] = {
    ("events.k8s.io", "v1", "events"): "Event",
    ("discovery.k8s.io", "v1beta1", "endpointslices"): "EndpointSlice",
    ("", "v1", "persistentvolumes"): "PersistentVolume",
    ("", "v1", "persistentvolumeclaims"): "PersistentVolumeClaim",
    ("", "v1", "replicationcontrollers"): "ReplicationController",
    ("", "v1", "limitranges"): "LimitRange",
    ("", "v1", "resourcequotas"): "ResourceQuota",
    ("", "v1", "podtemplates"): "PodTemplate",
    ("node.k8s.io", "v1", "runtimeclasses"): "RuntimeClass",
    ("storage.k8s.io", "v1", "csidrivers"): "CSIDriver",
    ("storage.k8s.io", "v1", "csinodes"): "CSINode",
    ("storage.k8s.io", "v1", "storageclasses"): "StorageClass",
    ("storage.k8s.io", "v1", "volumeattachments"): "VolumeAttachment",
    ("networking.k8s.io", "v1", "ingresses"): "Ingress",
    ("networking.k8s.io", "v1", "ingressclasses"): "IngressClass",
    ("networking.k8s.io", "v1", "networkpolicies"): "NetworkPolicy",
    ("rbac.authorization.k8s.io", "v1", "roles"): "Role",
    ("rbac.authorization.k8s.io", "v1", "rolebindings"): "RoleBinding",
    ("rbac.authorization.k8s.io", "v1", "clusterroles"): "ClusterRole",
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings"): "ClusterRoleBinding",
    ("batch", "v1", "jobs"): "Job",
    ("batch", "v1", "cronjobs"): "CronJob",
}


@cache
def _registered_kinds() -> Mapping[tuple[str, str, str], str]:
    import openyurt.core.api  # noqa: F401  (registers every kind)
    from openyurt.core.api._resource import registered_kinds

    out = dict(_EXTRA_KINDS)
    for cls in registered_kinds().values():
        info = cls.info
        out[(info.group, info.version, info.plural)] = info.kind
    return out


def builtin_kind(group: str, version: str, resource: str) -> str | None:
    """The Kind of a resource we know without a REST mapper (our models plus common built-ins)."""
    return _registered_kinds().get((group, version, resource))


def _list_kind(info: RequestInfo, items: Sequence[WireDict], cache_view: CacheView) -> str | None:
    kind = cache_view.kind_for(info.api_group, info.api_version, info.resource) or builtin_kind(
        info.api_group, info.api_version, info.resource
    )
    if kind is None:
        for item in items:
            k = item.get("kind")
            if isinstance(k, str) and k:
                kind = k
                break
    return kind


def _sort_key(obj: WireDict) -> tuple[str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return ("", "")
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def build_list(info: RequestInfo, kind: str, items: Sequence[WireDict], *, partial_version: str = "") -> WireDict:
    """A ``<Kind>List`` of ``items`` whose ``metadata.resourceVersion`` is the largest item RV.

    Items are sorted by namespace/name (the disk walk order upstream). With ``partial_version`` the
    list is a ``PartialObjectMetadataList`` of ``meta.k8s.io/<v>``.
    """
    max_rv: int | None = None
    for item in items:
        meta = item.get("metadata")
        rv = parse_rv(meta.get("resourceVersion")) if isinstance(meta, dict) else None
        if rv is not None and (max_rv is None or rv > max_rv):
            max_rv = rv
    if partial_version:
        api_version, list_kind = f"meta.k8s.io/{partial_version}", "PartialObjectMetadataList"
    else:
        api_version, list_kind = info.group_version, f"{kind}List"
    return {
        "kind": list_kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": str(max_rv) if max_rv is not None else ""},
        "items": sorted(items, key=_sort_key),
    }


# --------------------------------------------------------------------------------------------------
# The decision


def is_kubelet_lease(req: HubRequest) -> bool:
    """kubelet's own Lease calls, always answered locally in edge mode (§1.6)."""
    return req.component == "kubelet" and req.info.is_resource_request and req.info.resource == "leases"


def is_token_request(info: RequestInfo) -> bool:
    """A ServiceAccount ``token`` subresource request (answered with a fake token offline)."""
    return info.resource == "serviceaccounts" and info.subresource == "token"


def _read_cached(req: HubRequest, cache_view: CacheView) -> OfflineDecision:
    """get/update/patch/list from the cache (the request is known to be cacheable)."""
    info = req.info
    partial = req.accept_as_version if req.is_partial_object_metadata else ""
    if info.verb == "list":
        if info.name:
            # list with metadata.name field selector: like the apiserver, nothing → empty list
            obj = cache_view.get(request_key(req))
            items: Sequence[WireDict] = [obj] if obj is not None else []
        else:
            found = cache_view.list(list_key(req))
            if found is None:
                return _not_found(info)
            items = found
            if not items and req.component == "kubelet" and info.resource == "pods":
                # an empty pod list would make kubelet kill every pod on the node
                return OfflineDecision(
                    "not_found",
                    404,
                    status_body(404, "NotFound", "no pods in the local cache for kubelet", info),
                    "kubelet pod list empty",
                )
        kind = _list_kind(info, items, cache_view)
        if kind is None:
            return _not_found(info)
        return OfflineDecision("serve_list", 200, build_list(info, kind, items, partial_version=partial), "from cache")
    obj = cache_view.get(request_key(req))
    if obj is None:
        return _not_found(info)
    return OfflineDecision("serve_object", 200, obj, "from cache")


def lease_response_when_offline(req: HubRequest, cached_lease: WireDict | None) -> OfflineDecision:
    """kubelet's lease calls (online or offline in edge mode): a fake success for every renewal.

    GET and PUT return the cached lease unchanged (200; 404 if none is cached yet), POST is echoed
    (201), PATCH behaves like PUT, DELETE is refused like any offline delete. The runtime normally
    calls :func:`decide_offline`, which dispatches kubelet's lease get/update/patch here and handles
    the other verbs like any request.
    """
    verb = req.info.verb
    if verb == "create":
        return OfflineDecision("echo", 201, None, "kubelet lease create echoed")
    if verb in ("delete", "deletecollection"):
        return _forbidden_delete(req.info)
    if verb == "watch":
        return _watch(req)
    if verb == "list":
        return _bad_request(f"can not cache for {request_string(req)}", req.info)
    if cached_lease is None:
        return _not_found(req.info)
    return OfflineDecision("serve_object", 200, cached_lease, "kubelet lease answered locally")


def _forbidden_delete(info: RequestInfo) -> OfflineDecision:
    message = "delete request is not supported in local cache"
    return OfflineDecision("reject", 403, status_body(403, "Forbidden", message, info), message)


def _watch(req: HubRequest) -> OfflineDecision:
    return OfflineDecision(
        "watch_until_healthy", 200, None, "offline watch: no events until the cloud is back", req.timeout_seconds
    )


def decide_offline(
    req: HubRequest,
    cache_view: CacheView,
    *,
    cacheable: bool | None = None,
    agents: frozenset[str] = DEFAULT_CACHE_AGENTS,
) -> OfflineDecision:
    """The local proxy's answer to ``req`` while no cloud backend is healthy (§1.5, §1.7).

    ``cacheable`` is the runtime's :func:`~openyurt.core.hub.cachepolicy.can_cache` verdict including
    the list-selector rule; when omitted it is computed from ``agents`` without that rule.

    * non-resource: saved ``/version`` and discovery documents (404 if never saved); anything else 400.
    * ServiceAccount token create: fake token (201).
    * kubelet leases: :func:`lease_response_when_offline`.
    * watch: ``watch_until_healthy``.
    * create: echo 201 (events are also stored).
    * delete/deletecollection: 403 Forbidden.
    * get/list/update/patch: not cacheable → 400; else the cached object/list (update and patch are
      silently dropped and answered with the cached object); missing → 404.
    """
    info = req.info
    if not info.is_resource_request:
        if info.verb in ("get", "head") and req.path in CACHED_NONRESOURCE_PATHS:
            saved = cache_view.get(nonresource_key(req.path))
            if saved is None:
                return OfflineDecision(
                    "not_found", 404, status_body(404, "NotFound", f"{req.path} not found in the local cache"), ""
                )
            return OfflineDecision("respond", 200, saved, "saved non-resource document")
        return _bad_request(f"local proxy does not support request({req.info.verb} {req.path})", None)
    verb = info.verb
    if verb == "create" and is_token_request(info):
        return OfflineDecision("fake_token", 201, None, "fake service account token")
    if is_kubelet_lease(req) and verb in ("get", "update", "patch"):
        if cacheable is None:
            cacheable = can_cache(req, agents)
        return lease_response_when_offline(req, cache_view.get(request_key(req)) if cacheable else None)
    if verb == "watch":
        return _watch(req)
    if verb == "create":
        store = info.resource == "events" and (can_cache(req, agents) if cacheable is None else cacheable)
        return OfflineDecision("echo", 201, None, "create echoed, not persisted", store=store)
    if verb in ("delete", "deletecollection"):
        return _forbidden_delete(info)
    if verb not in ("get", "list", "update", "patch"):
        return _bad_request(f"request({request_string(req)}) is not supported when cluster is unhealthy", info)
    if cacheable is None:
        cacheable = can_cache(req, agents)
    if not cacheable:
        return _bad_request(f"can not cache for {request_string(req)}", info)
    return _read_cached(req, cache_view)


def decide_on_transport_error(
    req: HubRequest,
    cache_view: CacheView,
    *,
    cacheable: bool | None = None,
    agents: frozenset[str] = DEFAULT_CACHE_AGENTS,
) -> OfflineDecision:
    """The LB error handler (§1.4): a cacheable get/list falls back to the cache, anything else 502.

    A 502 is ``respond`` with no body.
    """
    if cacheable is None:
        cacheable = can_cache(req, agents)
    if cacheable and req.info.verb in ("get", "list"):
        return _read_cached(req, cache_view)
    return OfflineDecision("respond", 502, None, "backend transport error")


# --------------------------------------------------------------------------------------------------
# Fake ServiceAccount token (§1.5)

FAKE_TOKEN_KEY: Final = b"openyurt"
FAKE_TOKEN_ISSUER: Final = "openyurt"
FAKE_TOKEN_TTL_SECONDS: Final = 60


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def fake_token(namespace: str, name: str, now_unix: int) -> str:
    """An HS256 JWT signed with key ``openyurt``: issuer ``openyurt``, subject the SA username, 1 min TTL."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {
        "exp": now_unix + FAKE_TOKEN_TTL_SECONDS,
        "iat": now_unix,
        "iss": FAKE_TOKEN_ISSUER,
        "sub": f"system:serviceaccount:{namespace}:{name}",
    }
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = _b64url(hmac.new(FAKE_TOKEN_KEY, signing_input, hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def rfc3339(unix: int) -> str:
    """``2006-01-02T15:04:05Z`` of a Unix time (UTC)."""
    return datetime.datetime.fromtimestamp(unix, tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_token_response(token_request: Mapping[str, Any], info: RequestInfo, now_unix: int) -> WireDict | None:
    """The TokenRequest echoed with ``status.token`` and ``status.expirationTimestamp`` (now + 1 min).

    None when ``token_request`` is not a TokenRequest (the runtime then echoes the body).
    """
    if token_request.get("kind") not in (None, "TokenRequest"):
        return None
    out = dict(token_request)
    out.setdefault("kind", "TokenRequest")
    out.setdefault("apiVersion", "authentication.k8s.io/v1")
    out["status"] = {
        "token": fake_token(info.namespace, info.name, now_unix),
        "expirationTimestamp": rfc3339(now_unix + FAKE_TOKEN_TTL_SECONDS),
    }
    return out


# --------------------------------------------------------------------------------------------------
# kubelet's Node GET: the Autonomy condition (§1.6)

#: After more than this many consecutive cache checks with errors the condition turns Unknown.
MAX_CACHE_FAILURES: Final = 3
MESSAGE_AUTONOMY_DISABLED: Final = "autonomy is disabled or this node is not an edge node"
MESSAGE_AUTONOMY_ENABLED: Final = "autonomy is enabled and the local cache works"


def autonomy_enabled(node: Mapping[str, Any]) -> bool:
    """Annotation ``node.beta.openyurt.io/autonomy`` is "true" and the node is not labelled non-edge."""
    meta = node.get("metadata")
    if not isinstance(meta, dict):
        return False
    annotations = meta.get("annotations")
    labels = meta.get("labels")
    if not isinstance(annotations, dict) or annotations.get(ANNOTATION_AUTONOMY_LEGACY) != "true":
        return False
    return not (isinstance(labels, dict) and labels.get(LABEL_EDGE_WORKER) == "false")


@attrs.frozen
class AutonomyUpdate:
    """Result of checking the Autonomy condition on a Node.

    ``node``: the Node with the desired condition (``node`` itself when unchanged); ``changed``: whether
    ``nodes/status`` must be updated in the cloud; ``failures``: the new consecutive-failure counter.
    """

    node: WireDict
    changed: bool
    failures: int


def _autonomy_condition(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    status = node.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if isinstance(conditions, list):
        for cond in conditions:
            if isinstance(cond, dict) and cond.get("type") == CONDITION_AUTONOMY:
                return cond
    return None


def _same_condition(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    keys = ("type", "status", "reason", "message", "lastTransitionTime")
    return all(a.get(k) == b.get(k) for k in keys)


def autonomy_condition_update(
    node: WireDict,
    *,
    cache_error_count: int,
    cache_error_message: str,
    failures: int,
    now: str,
) -> AutonomyUpdate:
    """Compute the Node's ``Autonomy`` condition as yurthub does on every kubelet Node GET.

    * autonomy off (annotation not "true" or edge-worker "false") → False "autonomy disabled";
    * else no storage error keys → True "autonomy enabled successfully" and the counter resets;
    * else the counter increments and, once above :data:`MAX_CACHE_FAILURES`, → Unknown "cache failed"
      with the storage errors as message (below that the condition is left as it is).

    The condition's ``lastHeartbeatTime`` becomes ``now``; ``lastTransitionTime`` changes only with
    the status. ``changed`` ignores the heartbeat time, so an unchanged condition means "serve the
    cached Node as is".
    """
    if not autonomy_enabled(node):
        desired: tuple[str, str, str] | None = ("False", REASON_AUTONOMY_DISABLED, MESSAGE_AUTONOMY_DISABLED)
    elif cache_error_count == 0:
        failures = 0
        desired = ("True", REASON_AUTONOMY_ENABLED, MESSAGE_AUTONOMY_ENABLED)
    else:
        failures += 1
        desired = (
            ("Unknown", REASON_AUTONOMY_CACHE_FAILED, cache_error_message) if failures > MAX_CACHE_FAILURES else None
        )
    old = _autonomy_condition(node)
    if desired is None:
        return AutonomyUpdate(node, False, failures)
    status_value, reason, message = desired
    new_cond: WireDict = {
        "type": CONDITION_AUTONOMY,
        "status": status_value,
        "lastHeartbeatTime": now,
        "lastTransitionTime": old.get("lastTransitionTime")
        if old is not None and old.get("status") == status_value
        else now,
        "reason": reason,
        "message": message,
    }
    if _same_condition(old, new_cond):
        return AutonomyUpdate(node, False, failures)
    status = node.get("status")
    status = dict(status) if isinstance(status, dict) else {}
    conditions = status.get("conditions")
    conds = list(conditions) if isinstance(conditions, list) else []
    for i, cond in enumerate(conds):
        if isinstance(cond, dict) and cond.get("type") == CONDITION_AUTONOMY:
            conds[i] = new_cond
            break
    else:
        conds.append(new_cond)
    status["conditions"] = conds
    return AutonomyUpdate({**node, "status": status}, True, failures)
