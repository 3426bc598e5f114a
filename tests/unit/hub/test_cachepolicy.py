"""Which requests are cached, their keys, the resourceVersion rule and the list-selector rule."""

from __future__ import annotations

import pytest

from openyurt.core.hub.cachepolicy import (
    DEFAULT_CACHE_AGENTS,
    cache_agents,
    cache_key,
    can_cache,
    check_list_selector,
    list_key,
    list_selector_of,
    needs_list_selector_check,
    nonresource_key,
    parse_agents,
    request_key,
    should_replace,
    storable_object,
    stores_response,
)
from openyurt.core.hub.requestinfo import HubRequest, make_request, resolve


def _req(method: str, path: str, ua: str = "kubelet/v1.30", accept: str = "", **query: str) -> HubRequest:
    headers = {"User-Agent": ua}
    if accept:
        headers["Accept"] = accept
    return make_request(method, path, query, headers)


def test_default_agents_name_upstream_and_ours() -> None:
    for agent in ("kubelet", "kube-proxy", "flanneld", "coredns", "raven-agent-ds", "yurttunnel-agent", "yurthub"):
        assert agent in DEFAULT_CACHE_AGENTS
    for agent in ("openyurt-raven", "openyurt-node-agent", "openyurt-hub"):
        assert agent in DEFAULT_CACHE_AGENTS


def test_cache_agents_union() -> None:
    agents = cache_agents(["Foo", " "], " bar , ,baz ", node_name="n1")
    assert {"foo", "bar", "baz", "multiplexer-proxy-n1"} <= agents
    assert agents >= DEFAULT_CACHE_AGENTS
    assert cache_agents([], None) == DEFAULT_CACHE_AGENTS
    assert parse_agents("a, b,,c ") == frozenset({"a", "b", "c"})
    assert parse_agents("") == frozenset()


AGENTS = cache_agents([], None)


@pytest.mark.parametrize(
    ("req", "want"),
    [
        (_req("GET", "/api/v1/namespaces/a/pods/p"), True),
        (_req("GET", "/api/v1/pods"), True),
        (_req("GET", "/api/v1/pods", watch="true"), True),
        (_req("POST", "/api/v1/namespaces/a/events"), True),
        (_req("PUT", "/api/v1/nodes/n1/status"), True),
        (_req("PATCH", "/api/v1/namespaces/a/pods/p/status"), True),
        (_req("GET", "/api/v1/pods", ua="kube-proxy/v1.30 (linux/amd64)"), True),
        # not cached
        (_req("GET", "/api/v1/pods", ua=""), False),
        (_req("GET", "/api/v1/pods", ua="kubectl/v1.30"), False),
        (_req("GET", "/version"), False),
        (_req("DELETE", "/api/v1/namespaces/a/pods/p"), False),
        (_req("DELETE", "/api/v1/namespaces/a/pods"), False),
        (_req("GET", "/api/v1/proxy/namespaces/a/pods/p"), False),
        (_req("GET", "/api/v1/namespaces/a/pods/p/log"), False),
        (_req("POST", "/api/v1/namespaces/a/serviceaccounts/sa/token"), False),
        (_req("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests"), False),
        (_req("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"), False),
        (_req("OPTIONS", "/api/v1/pods"), False),
    ],
)
def test_can_cache(req: HubRequest, want: bool) -> None:
    assert can_cache(req, AGENTS) is want


def test_wildcard_agent_caches_any_ua_but_not_empty() -> None:
    agents = cache_agents([], "*")
    assert can_cache(_req("GET", "/api/v1/pods", ua="kubectl/v1"), agents)
    assert not can_cache(_req("GET", "/api/v1/pods", ua=""), agents)


def test_table_responses_are_not_stored_but_cacheable() -> None:
    req = _req("GET", "/api/v1/pods", accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert can_cache(req, AGENTS)
    assert not stores_response(req, AGENTS)
    assert stores_response(_req("GET", "/api/v1/pods"), AGENTS)


@pytest.mark.parametrize(
    ("obj", "resource", "want"),
    [
        ({"kind": "Status", "status": "Failure"}, "pods", False),
        ({"kind": "Table"}, "pods", False),
        ({"kind": "Pod", "spec": {"nodeName": ""}}, "pods", False),
        ({"kind": "Pod", "spec": {}}, "pods", False),
        ({"kind": "Pod", "spec": {"nodeName": "n1"}}, "pods", True),
        ({"metadata": {"name": "x"}}, "pods", False),
        ({"kind": "Node"}, "nodes", True),
    ],
)
def test_storable_object(obj: dict[str, object], resource: str, want: bool) -> None:
    assert storable_object(obj, resource) is want


def test_cache_keys_follow_disk_layout() -> None:
    pods = resolve("GET", "/api/v1/namespaces/kube-system/pods/kube-proxy-x")
    assert cache_key(pods, "kubelet", "kube-system", "kube-proxy-x") == "kubelet/pods.v1.core/kube-system/kube-proxy-x"
    lease = resolve("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1")
    assert (
        cache_key(lease, "kubelet", "kube-node-lease", "n1")
        == "kubelet/leases.v1.coordination.k8s.io/kube-node-lease/n1"
    )
    node = resolve("GET", "/api/v1/nodes/n1")
    assert cache_key(node, "kubelet", "", "n1") == "kubelet/nodes.v1.core/n1"
    ns = resolve("GET", "/api/v1/namespaces/a")
    assert cache_key(ns, "kubelet", "a", "a") == "kubelet/namespaces.v1.core/a"
    assert (
        cache_key(pods, "kubelet", "a", "p", partial_version="v1")
        == "kubelet/partialobjectmetadatas.v1.meta.k8s.io/pods.v1.core/a/p"
    )


def test_request_and_list_keys() -> None:
    assert request_key(_req("GET", "/api/v1/namespaces/a/pods/p")) == "kubelet/pods.v1.core/a/p"
    assert list_key(_req("GET", "/api/v1/pods")) == "kubelet/pods.v1.core"
    assert list_key(_req("GET", "/api/v1/namespaces/a/pods")) == "kubelet/pods.v1.core/a"
    assert list_key(_req("GET", "/api/v1/namespaces")) == "kubelet/namespaces.v1.core"
    assert (
        list_key(_req("GET", "/apis/discovery.k8s.io/v1/endpointslices", ua="kube-proxy"))
        == "kube-proxy/endpointslices.v1.discovery.k8s.io"
    )
    partial = _req(
        "GET", "/api/v1/namespaces/a/pods", accept="application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
    )
    assert list_key(partial) == "kubelet/partialobjectmetadatas.v1.meta.k8s.io/pods.v1.core/a"


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("/version", "version"),
        ("/apis/discovery.k8s.io/v1", "_apis_discovery.k8s.io_v1"),
        ("/apis/raven.openyurt.io/v1beta1", "_apis_raven.openyurt.io_v1beta1"),
    ],
)
def test_nonresource_key(path: str, want: str) -> None:
    assert nonresource_key(path) == want


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (None, "5", True),
        ("5", "6", True),
        ("5", "5", True),
        ("6", "5", False),
        ("10", "9", False),  # numeric, not lexical
        ("9", "10", True),
        ("abc", "1", True),
        ("1", "abc", True),
        ("", "1", True),
        ("18446744073709551615", "1", False),
        ("18446744073709551616", "1", True),  # beyond uint64: not a resourceVersion
        ("-1", "0", True),
    ],
)
def test_should_replace(old: str | None, new: str, want: bool) -> None:
    assert should_replace(old, new) is want


def test_list_selector_rule() -> None:
    registered: dict[str, str] = {}
    key = list_key(_req("GET", "/api/v1/namespaces/a/pods"))
    assert check_list_selector(registered, key, "app=x&") == "register"
    registered[key] = "app=x&"
    assert check_list_selector(registered, key, "app=x&") == "ok"
    assert check_list_selector(registered, key, "app=y&") == "reject"
    # cluster-wide list of the same resource: a prefix of a registered key
    assert check_list_selector(registered, "kubelet/pods.v1.core", "&") == "reject"
    # another resource is independent
    assert check_list_selector(registered, "kubelet/nodes.v1.core", "&") == "register"


def test_list_selector_string_and_scope() -> None:
    req = _req("GET", "/api/v1/pods", labelSelector="a=b", fieldSelector="spec.nodeName=n1")
    assert list_selector_of(req) == "a=b&spec.nodeName=n1"
    assert list_selector_of(_req("GET", "/api/v1/pods")) == "&"
    assert needs_list_selector_check(req)
    assert not needs_list_selector_check(_req("GET", "/api/v1/nodes", fieldSelector="metadata.name=n1"))
    assert not needs_list_selector_check(_req("GET", "/api/v1/pods", watch="true"))
