"""Offline answers of the local proxy, kubelet's lease, the fake token and the Autonomy condition."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

import pytest

from openyurt.core.hub.offline import (
    MAX_CACHE_FAILURES,
    autonomy_condition_update,
    autonomy_enabled,
    build_list,
    builtin_kind,
    decide_offline,
    decide_on_transport_error,
    fake_token,
    fake_token_response,
    lease_response_when_offline,
    rfc3339,
)
from openyurt.core.hub.requestinfo import HubRequest, make_request, resolve


class DictCache:
    """A CacheView over a dict of key → object; directories are key prefixes that were written."""

    def __init__(
        self, objects: dict[str, dict[str, Any]], dirs: Sequence[str] = (), kinds: dict[str, str] | None = None
    ):
        self.objects = objects
        self.dirs = set(dirs)
        self.kinds = kinds or {}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.objects.get(key)

    def list(self, key: str) -> Sequence[dict[str, Any]] | None:
        items = [v for k, v in self.objects.items() if k.startswith(key + "/")]
        if not items and key not in self.dirs:
            return None
        return items

    def kind_for(self, group: str, version: str, resource: str) -> str | None:
        return self.kinds.get(f"{group}/{version}/{resource}")


def _req(method: str, path: str, ua: str = "kubelet/v1.30", **query: str) -> HubRequest:
    return make_request(method, path, query, {"User-Agent": ua, "Accept": "application/json"})


def _pod(ns: str, name: str, rv: str) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"namespace": ns, "name": name, "resourceVersion": rv},
        "spec": {"nodeName": "n1"},
    }


CACHE = DictCache(
    {
        "kubelet/pods.v1.core/a/p1": _pod("a", "p1", "7"),
        "kubelet/pods.v1.core/b/p2": _pod("b", "p2", "12"),
        "kubelet/nodes.v1.core/n1": {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}},
        "kubelet/leases.v1.coordination.k8s.io/kube-node-lease/n1": {
            "kind": "Lease",
            "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"namespace": "kube-node-lease", "name": "n1", "resourceVersion": "3"},
        },
        "version": {"major": "1", "minor": "30"},
        "kube-proxy/widgets.v1.example.com/w": {"kind": "Widget", "metadata": {"name": "w"}},
    },
    dirs=["kubelet/configmaps.v1.core", "kubelet/pods.v1.core/empty", "kube-proxy/services.v1.core"],
)


def test_get_served_from_cache() -> None:
    d = decide_offline(_req("GET", "/api/v1/namespaces/a/pods/p1"), CACHE)
    assert (d.action, d.status) == ("serve_object", 200)
    assert d.body == _pod("a", "p1", "7")


def test_get_missing_is_404_status() -> None:
    d = decide_offline(_req("GET", "/api/v1/namespaces/a/pods/nope"), CACHE)
    assert (d.action, d.status) == ("not_found", 404)
    assert d.body is not None
    assert d.body["kind"] == "Status" and d.body["reason"] == "NotFound" and d.body["code"] == 404


def test_list_builds_list_with_max_rv_sorted() -> None:
    d = decide_offline(_req("GET", "/api/v1/pods"), CACHE)
    assert (d.action, d.status) == ("serve_list", 200)
    assert d.body is not None
    assert d.body["kind"] == "PodList" and d.body["apiVersion"] == "v1"
    assert d.body["metadata"] == {"resourceVersion": "12"}
    assert [i["metadata"]["name"] for i in d.body["items"]] == ["p1", "p2"]


def test_list_never_cached_is_404_not_empty() -> None:
    d = decide_offline(_req("GET", "/api/v1/namespaces/a/secrets"), CACHE)
    assert d.action == "not_found" and d.status == 404


def test_cached_empty_list_is_empty() -> None:
    d = decide_offline(_req("GET", "/api/v1/configmaps"), CACHE)
    assert d.action == "serve_list"
    assert d.body is not None
    assert d.body["items"] == [] and d.body["kind"] == "ConfigMapList"
    assert d.body["metadata"] == {"resourceVersion": ""}


def test_kubelet_empty_pod_list_is_404() -> None:
    d = decide_offline(_req("GET", "/api/v1/namespaces/empty/pods"), CACHE)
    assert d.action == "not_found" and d.status == 404


def test_list_with_name_selector_and_nothing_cached_is_empty_list() -> None:
    d = decide_offline(_req("GET", "/api/v1/nodes", fieldSelector="metadata.name=n9"), CACHE)
    assert d.action == "serve_list"
    assert d.body is not None and d.body["items"] == [] and d.body["kind"] == "NodeList"
    d = decide_offline(_req("GET", "/api/v1/nodes", fieldSelector="metadata.name=n1"), CACHE)
    assert d.body is not None and [i["metadata"]["name"] for i in d.body["items"]] == ["n1"]


def test_unknown_gvr_without_items_is_404_and_kind_from_items_otherwise() -> None:
    cache = DictCache({}, dirs=["kube-proxy/gizmos.v1.example.com"])
    d = decide_offline(_req("GET", "/apis/example.com/v1/gizmos", ua="kube-proxy"), cache)
    assert d.action == "not_found"
    d = decide_offline(_req("GET", "/apis/example.com/v1/widgets", ua="kube-proxy"), CACHE)
    assert d.action == "serve_list" and d.body is not None and d.body["kind"] == "WidgetList"
    cache = DictCache({}, dirs=["kube-proxy/gizmos.v1.example.com"], kinds={"example.com/v1/gizmos": "Gizmo"})
    d = decide_offline(_req("GET", "/apis/example.com/v1/gizmos", ua="kube-proxy"), cache)
    assert d.body is not None and d.body["kind"] == "GizmoList" and d.body["apiVersion"] == "example.com/v1"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update_and_patch_return_cached_object_unchanged(method: str) -> None:
    d = decide_offline(_req(method, "/api/v1/namespaces/a/pods/p1/status"), CACHE)
    assert (d.action, d.status) == ("serve_object", 200)
    assert d.body == _pod("a", "p1", "7")


def test_create_is_echoed_and_events_stored() -> None:
    d = decide_offline(_req("POST", "/api/v1/namespaces/a/pods"), CACHE)
    assert (d.action, d.status, d.store) == ("echo", 201, False)
    d = decide_offline(_req("POST", "/api/v1/namespaces/a/events"), CACHE)
    assert (d.action, d.status, d.store) == ("echo", 201, True)
    d = decide_offline(_req("POST", "/api/v1/namespaces/a/events", ua="kubectl"), CACHE)
    assert (d.action, d.store) == ("echo", False)


@pytest.mark.parametrize("path", ["/api/v1/namespaces/a/pods/p1", "/api/v1/namespaces/a/pods"])
def test_delete_is_forbidden(path: str) -> None:
    d = decide_offline(_req("DELETE", path), CACHE)
    assert (d.action, d.status) == ("reject", 403)
    assert d.body is not None and d.body["reason"] == "Forbidden"
    assert d.body["message"] == "delete request is not supported in local cache"


def test_watch_waits_until_healthy_with_timeout() -> None:
    d = decide_offline(_req("GET", "/api/v1/pods", watch="true", timeoutSeconds="120"), CACHE)
    assert (d.action, d.status, d.timeout_seconds) == ("watch_until_healthy", 200, 120)
    d = decide_offline(_req("GET", "/api/v1/watch/pods"), CACHE)
    assert d.action == "watch_until_healthy" and d.timeout_seconds is None


def test_not_cacheable_read_is_400() -> None:
    d = decide_offline(_req("GET", "/api/v1/namespaces/a/pods/p1", ua="kubectl/v1"), CACHE)
    assert (d.action, d.status) == ("reject", 400)
    assert d.body is not None and d.body["reason"] == "BadRequest"
    assert "can not cache for" in d.body["message"]
    d = decide_offline(_req("GET", "/api/v1/namespaces/a/pods/p1"), CACHE, cacheable=False)
    assert d.status == 400


def test_nonresource_requests() -> None:
    d = decide_offline(_req("GET", "/version"), CACHE)
    assert (d.action, d.status, d.body) == ("respond", 200, {"major": "1", "minor": "30"})
    d = decide_offline(_req("GET", "/apis/discovery.k8s.io/v1"), CACHE)
    assert (d.action, d.status) == ("not_found", 404)
    for path in ("/healthz", "/api", "/apis", "/openapi/v2"):
        d = decide_offline(_req("GET", path), CACHE)
        assert (d.action, d.status) == ("reject", 400), path


def test_token_request_gets_fake_token() -> None:
    d = decide_offline(_req("POST", "/api/v1/namespaces/a/serviceaccounts/sa/token"), CACHE)
    assert (d.action, d.status) == ("fake_token", 201)


def test_kubelet_lease_calls() -> None:
    lease_path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"
    cached = CACHE.get("kubelet/leases.v1.coordination.k8s.io/kube-node-lease/n1")
    for method in ("GET", "PUT"):
        d = decide_offline(_req(method, lease_path), CACHE)
        assert (d.action, d.status, d.body) == ("serve_object", 200, cached)
    d = decide_offline(_req("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"), CACHE)
    assert (d.action, d.status) == ("echo", 201)
    d = lease_response_when_offline(_req("PUT", lease_path), None)
    assert d.action == "not_found"
    d = lease_response_when_offline(_req("DELETE", lease_path), cached)
    assert d.status == 403


def test_transport_error_fallback() -> None:
    d = decide_on_transport_error(_req("GET", "/api/v1/namespaces/a/pods/p1"), CACHE)
    assert d.action == "serve_object"
    d = decide_on_transport_error(_req("GET", "/api/v1/pods"), CACHE)
    assert d.action == "serve_list"
    for req in (
        _req("PUT", "/api/v1/namespaces/a/pods/p1"),
        _req("GET", "/api/v1/pods", watch="1"),
        _req("GET", "/api/v1/pods", ua="kubectl"),
    ):
        d = decide_on_transport_error(req, CACHE)
        assert (d.action, d.status, d.body) == ("respond", 502, None)


def test_build_list_partial_object_metadata() -> None:
    info = resolve("GET", "/api/v1/pods")
    body = build_list(info, "Pod", [], partial_version="v1")
    assert body["kind"] == "PartialObjectMetadataList" and body["apiVersion"] == "meta.k8s.io/v1"


def test_builtin_kinds() -> None:
    assert builtin_kind("", "v1", "pods") == "Pod"
    assert builtin_kind("coordination.k8s.io", "v1", "leases") == "Lease"
    assert builtin_kind("apps.openyurt.io", "v1beta2", "nodepools") == "NodePool"
    assert builtin_kind("events.k8s.io", "v1", "events") == "Event"
    assert builtin_kind("example.com", "v1", "widgets") is None


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_fake_token_is_hs256_signed_with_openyurt() -> None:
    token = fake_token("ns", "sa", 1_700_000_000)
    header, payload, sig = token.split(".")
    assert json.loads(_b64decode(header)) == {"alg": "HS256", "typ": "JWT"}
    claims = json.loads(_b64decode(payload))
    assert claims == {
        "exp": 1_700_000_060,
        "iat": 1_700_000_000,
        "iss": "openyurt",
        "sub": "system:serviceaccount:ns:sa",
    }
    want = hmac.new(b"openyurt", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _b64decode(sig) == want


def test_fake_token_response() -> None:
    info = resolve("POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token")
    body = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "spec": {"audiences": ["x"]}}
    out = fake_token_response(body, info, 0)
    assert out is not None
    assert out["spec"] == {"audiences": ["x"]}
    assert out["status"]["expirationTimestamp"] == "1970-01-01T00:01:00Z"
    assert out["status"]["token"].count(".") == 2
    assert "status" not in body
    assert fake_token_response({"kind": "Pod"}, info, 0) is None
    assert rfc3339(1_700_000_000) == "2023-11-14T22:13:20Z"


def _node(
    annotation: str | None = "true", edge: str | None = "true", cond: dict[str, Any] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "n1", "annotations": {}, "labels": {}}
    if annotation is not None:
        meta["annotations"]["node.beta.openyurt.io/autonomy"] = annotation
    if edge is not None:
        meta["labels"]["openyurt.io/is-edge-worker"] = edge
    status: dict[str, Any] = {"conditions": [{"type": "Ready", "status": "True"}]}
    if cond is not None:
        status["conditions"].append(cond)
    return {"kind": "Node", "apiVersion": "v1", "metadata": meta, "status": status}


def _autonomy(node: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in node["status"]["conditions"] if c["type"] == "Autonomy")


@pytest.mark.parametrize(
    ("annotation", "edge", "want"),
    [
        ("true", "true", True),
        ("true", None, True),
        ("true", "false", False),
        ("false", "true", False),
        (None, "true", False),
    ],
)
def test_autonomy_enabled(annotation: str | None, edge: str | None, want: bool) -> None:
    assert autonomy_enabled(_node(annotation, edge)) is want


def test_autonomy_condition_lifecycle() -> None:
    now = "2026-01-01T00:00:00Z"
    # disabled → False
    up = autonomy_condition_update(_node("false"), cache_error_count=0, cache_error_message="", failures=0, now=now)
    assert up.changed and _autonomy(up.node)["status"] == "False"
    assert _autonomy(up.node)["reason"] == "autonomy disabled"
    # enabled, cache fine → True; failure counter reset
    node = _node()
    up = autonomy_condition_update(node, cache_error_count=0, cache_error_message="", failures=2, now=now)
    assert up.changed and up.failures == 0
    cond = _autonomy(up.node)
    assert cond["status"] == "True" and cond["reason"] == "autonomy enabled successfully"
    assert cond["lastTransitionTime"] == now and cond["lastHeartbeatTime"] == now
    assert "Autonomy" not in [c["type"] for c in node["status"]["conditions"]]  # input untouched
    # again later: only the heartbeat differs → unchanged, cached node served as is
    later = "2026-01-01T00:05:00Z"
    again = autonomy_condition_update(up.node, cache_error_count=0, cache_error_message="", failures=0, now=later)
    assert not again.changed and again.node is up.node
    # cache errors: nothing changes until more than MAX_CACHE_FAILURES in a row
    cur, failures = up.node, 0
    for _ in range(MAX_CACHE_FAILURES):
        step = autonomy_condition_update(
            cur, cache_error_count=2, cache_error_message="disk full", failures=failures, now=later
        )
        assert not step.changed
        failures = step.failures
    step = autonomy_condition_update(
        cur, cache_error_count=2, cache_error_message="disk full", failures=failures, now=later
    )
    assert step.changed and step.failures == MAX_CACHE_FAILURES + 1
    cond = _autonomy(step.node)
    assert (cond["status"], cond["reason"], cond["message"]) == ("Unknown", "cache failed", "disk full")
    assert cond["lastTransitionTime"] == later
    # the condition keeps its place among the node's conditions
    assert [c["type"] for c in step.node["status"]["conditions"]] == ["Ready", "Autonomy"]
