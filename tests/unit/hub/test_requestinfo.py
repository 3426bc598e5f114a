"""RequestInfo resolution (kube-apiserver's rules), components, Accept negotiation, routing, timeouts."""

from __future__ import annotations

import pytest

from openyurt.core.hub.requestinfo import (
    HubRequest,
    component_of,
    is_hub_itself,
    make_request,
    negotiate_accept,
    parse_go_duration,
    parse_query_bool,
    request_deadline_seconds,
    resolve,
    resource_path,
    route_of,
)

# (method, path, query) -> (is_resource, verb, group, version, namespace, resource, subresource, name)
CASES = [
    # collections and objects
    ("GET", "/api/v1/pods", {}, (True, "list", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/namespaces/ns/pods", {}, (True, "list", "", "v1", "ns", "pods", "", "")),
    ("GET", "/api/v1/namespaces/ns/pods/p", {}, (True, "get", "", "v1", "ns", "pods", "", "p")),
    ("GET", "/api/v1/namespaces/ns/pods/p/status", {}, (True, "get", "", "v1", "ns", "pods", "status", "p")),
    ("GET", "/api/v1/namespaces/ns/pods/p/log/extra", {}, (True, "get", "", "v1", "ns", "pods", "log", "p")),
    ("HEAD", "/api/v1/namespaces/ns/pods/p", {}, (True, "get", "", "v1", "ns", "pods", "", "p")),
    ("POST", "/api/v1/namespaces/ns/pods", {}, (True, "create", "", "v1", "ns", "pods", "", "")),
    ("PUT", "/api/v1/namespaces/ns/pods/p", {}, (True, "update", "", "v1", "ns", "pods", "", "p")),
    ("PATCH", "/api/v1/namespaces/ns/pods/p/status", {}, (True, "patch", "", "v1", "ns", "pods", "status", "p")),
    ("DELETE", "/api/v1/namespaces/ns/pods/p", {}, (True, "delete", "", "v1", "ns", "pods", "", "p")),
    ("DELETE", "/api/v1/namespaces/ns/pods", {}, (True, "deletecollection", "", "v1", "ns", "pods", "", "")),
    ("OPTIONS", "/api/v1/pods", {}, (True, "", "", "v1", "", "pods", "", "")),
    # groups
    (
        "GET",
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1",
        {},
        (True, "get", "coordination.k8s.io", "v1", "kube-node-lease", "leases", "", "n1"),
    ),
    (
        "GET",
        "/apis/discovery.k8s.io/v1/endpointslices",
        {"watch": "true"},
        (True, "watch", "discovery.k8s.io", "v1", "", "endpointslices", "", ""),
    ),
    (
        "GET",
        "/apis/apps.openyurt.io/v1beta2/nodepools/hz",
        {},
        (True, "get", "apps.openyurt.io", "v1beta2", "", "nodepools", "", "hz"),
    ),
    # watch query parsing: only 0/false (any case) are false, like the apiserver's parameter codec
    ("GET", "/api/v1/pods", {"watch": "1"}, (True, "watch", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/pods", {"watch": "True"}, (True, "watch", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/pods", {"watch": "TRUE"}, (True, "watch", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/pods", {"watch": ""}, (True, "watch", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/pods", {"watch": "false"}, (True, "list", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/pods", {"watch": "FALSE"}, (True, "list", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/pods", {"watch": "0"}, (True, "list", "", "v1", "", "pods", "", "")),
    # watch on a named object is still a get (watch only applies to collections)
    ("GET", "/api/v1/namespaces/ns/pods/p", {"watch": "true"}, (True, "get", "", "v1", "ns", "pods", "", "p")),
    # legacy /watch/ prefix
    ("GET", "/api/v1/watch/pods", {}, (True, "watch", "", "v1", "", "pods", "", "")),
    ("GET", "/api/v1/watch/namespaces/ns/pods", {}, (True, "watch", "", "v1", "ns", "pods", "", "")),
    ("GET", "/api/v1/watch/namespaces/ns/pods/p", {}, (True, "watch", "", "v1", "ns", "pods", "", "p")),
    ("GET", "/apis/apps/v1/watch/deployments", {}, (True, "watch", "apps", "v1", "", "deployments", "", "")),
    # proxy special verb: no subresource
    ("GET", "/api/v1/proxy/namespaces/ns/pods/p/a/b", {}, (True, "proxy", "", "v1", "ns", "pods", "", "p")),
    # namespaces special case
    ("GET", "/api/v1/namespaces", {}, (True, "list", "", "v1", "", "namespaces", "", "")),
    ("GET", "/api/v1/namespaces/ns", {}, (True, "get", "", "v1", "ns", "namespaces", "", "ns")),
    ("PUT", "/api/v1/namespaces/ns/status", {}, (True, "update", "", "v1", "ns", "namespaces", "status", "ns")),
    ("PUT", "/api/v1/namespaces/ns/finalize", {}, (True, "update", "", "v1", "ns", "namespaces", "finalize", "ns")),
    # fieldSelector metadata.name fills the name of list/watch
    (
        "GET",
        "/api/v1/nodes",
        {"fieldSelector": "metadata.name=n1"},
        (True, "list", "", "v1", "", "nodes", "", "n1"),
    ),
    (
        "GET",
        "/api/v1/nodes",
        {"fieldSelector": "metadata.name==n1", "watch": "true"},
        (True, "watch", "", "v1", "", "nodes", "", "n1"),
    ),
    (
        "GET",
        "/api/v1/pods",
        {"fieldSelector": "spec.nodeName=n1,metadata.name=p"},
        (True, "list", "", "v1", "", "pods", "", "p"),
    ),
    ("GET", "/api/v1/nodes", {"fieldSelector": "metadata.name!=n1"}, (True, "list", "", "v1", "", "nodes", "", "")),
    ("GET", "/api/v1/nodes", {"fieldSelector": "metadata.name=a%b"}, (True, "list", "", "v1", "", "nodes", "", "")),
    ("GET", "/api/v1/nodes", {"fieldSelector": "metadata.name=.."}, (True, "list", "", "v1", "", "nodes", "", "")),
    # a parameter that does not decode: name is not taken, watch still honoured
    (
        "GET",
        "/api/v1/nodes",
        {"fieldSelector": "metadata.name=n1", "timeoutSeconds": "abc", "watch": "yes"},
        (True, "watch", "", "v1", "", "nodes", "", ""),
    ),
    (
        "GET",
        "/api/v1/nodes",
        {"fieldSelector": "metadata.name=n1", "labelSelector": "a in (", "watch": "false"},
        (True, "list", "", "v1", "", "nodes", "", ""),
    ),
    (
        "GET",
        "/api/v1/nodes",
        {"fieldSelector": "metadata.name=n1", "limit": " 5"},
        (True, "list", "", "v1", "", "nodes", "", ""),
    ),
    # DELETE with a name selector is a delete of that name
    (
        "DELETE",
        "/api/v1/nodes",
        {"fieldSelector": "metadata.name=n1"},
        (True, "deletecollection", "", "v1", "", "nodes", "", ""),
    ),
    # non-resource
    ("GET", "/version", {}, (False, "get", "", "", "", "", "", "")),
    ("GET", "/healthz", {}, (False, "get", "", "", "", "", "", "")),
    ("GET", "/api", {}, (False, "get", "", "", "", "", "", "")),
    ("GET", "/api/v1", {}, (False, "get", "", "", "", "", "", "")),
    ("GET", "/apis/apps/v1", {}, (False, "get", "", "", "", "", "", "")),
    ("POST", "/apis/apps", {}, (False, "post", "", "", "", "", "", "")),
    ("GET", "/openapi/v2/x", {}, (False, "get", "", "", "", "", "", "")),
    ("GET", "/", {}, (False, "get", "", "", "", "", "", "")),
    # /watch with nothing after it: upstream errors; we report what was parsed and do not raise
    ("GET", "/api/v1/watch", {}, (True, "watch", "", "v1", "", "", "", "")),
]


@pytest.mark.parametrize(("method", "path", "query", "want"), CASES)
def test_resolve_table(method: str, path: str, query: dict[str, str], want: tuple[object, ...]) -> None:
    info = resolve(method, path, query)
    got = (
        info.is_resource_request,
        info.verb,
        info.api_group,
        info.api_version,
        info.namespace,
        info.resource,
        info.subresource,
        info.name,
    )
    assert got == want
    assert info.path == path


def test_resolve_parts_and_prefix() -> None:
    info = resolve("GET", "/api/v1/namespaces/ns/pods/p/status", {})
    assert info.parts == ("pods", "p", "status")
    assert info.api_prefix == "api"
    assert resolve("GET", "/apis/apps/v1/deployments", {}).api_prefix == "apis"
    assert resolve("GET", "/apis/apps/v1/deployments", {}).group_version == "apps/v1"
    assert resolve("GET", "/api/v1/pods", {}).group_version == "v1"


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("", True),
        ("yes", True),
        ("false", False),
        ("False", False),
        ("0", False),
    ],
)
def test_parse_query_bool(value: str, want: bool) -> None:
    assert parse_query_bool(value) is want


@pytest.mark.parametrize(
    ("ua", "want"),
    [
        ("kube-proxy/v1.30.1 (linux/amd64) kubernetes/abc", "kube-proxy"),
        ("Kubelet/v1.30.1", "kubelet"),
        ("coredns", "coredns"),
        ("", ""),
        ("/leading", ""),
        ("multiplexer-proxy-node1", "multiplexer-proxy-node1"),
    ],
)
def test_component_of(ua: str, want: str) -> None:
    assert component_of(ua) == want


def test_resource_path_inverts_resolve() -> None:
    assert resource_path("", "v1", "pods", "ns", "p", "status") == "/api/v1/namespaces/ns/pods/p/status"
    assert resource_path("apps", "v1", "deployments") == "/apis/apps/v1/deployments"
    assert resource_path("", "v1", "namespaces", "ns", "ns") == "/api/v1/namespaces/ns"


@pytest.mark.parametrize(
    ("accept", "want"),
    [
        ("", ("", "", "")),
        ("application/json", ("application/json", "", "")),
        ("application/vnd.kubernetes.protobuf, application/json", ("application/vnd.kubernetes.protobuf", "", "")),
        (
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
            ("application/json", "PartialObjectMetadataList", "v1"),
        ),
        (
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1",
            ("application/json", "PartialObjectMetadata", "v1beta1"),
        ),
        ("application/json;as=Table;v=v1;g=meta.k8s.io", ("application/json", "Table", "v1")),
        # as= with a foreign group: bare media type, no transform
        ("application/json;as=Foo;g=example.com;v=v1", ("application/json", "", "")),
        ("application/json;stream=watch", ("application/json;stream=watch", "", "")),
    ],
)
def test_negotiate_accept(accept: str, want: tuple[str, str, str]) -> None:
    assert negotiate_accept(accept) == want


def test_make_request_headers_case_insensitive_and_query_pairs() -> None:
    req = make_request(
        "get",
        "/api/v1/namespaces/ns/pods",
        [("watch", "true"), ("watch", "false"), ("timeoutSeconds", "30")],
        {"user-agent": "Kubelet/v1.30 (linux)", "ACCEPT": "application/json", "Content-Type": "application/yaml"},
    )
    assert isinstance(req, HubRequest)
    assert req.method == "GET"
    assert req.info.verb == "watch"  # first value wins
    assert req.component == "kubelet"
    assert req.content_type == "application/json"
    assert req.request_content_type == "application/yaml"
    assert req.timeout_seconds == 30
    assert dict(req.query) == {"watch": "true", "timeoutSeconds": "30"}


def test_make_request_nonresource_has_no_component() -> None:
    req = make_request("GET", "/version", {}, {"User-Agent": "kubelet/v1"})
    assert req.component == ""
    assert not req.info.is_resource_request


def _req(method: str, path: str, ua: str = "kubelet/v1", **query: str) -> HubRequest:
    return make_request(method, path, query, {"User-Agent": ua})


POOL_SCOPE = frozenset({("", "v1", "services"), ("discovery.k8s.io", "v1", "endpointslices")})


@pytest.mark.parametrize(
    ("req", "edge", "want"),
    [
        (_req("GET", "/api/v1/services", ua="multiplexer-proxy-n1"), True, "pool_forward"),
        (_req("GET", "/api/v1/services", ua="kube-proxy/v1", watch="true"), True, "multiplexer"),
        (_req("GET", "/apis/discovery.k8s.io/v1/endpointslices", ua="coredns"), True, "multiplexer"),
        (_req("GET", "/api/v1/namespaces/default/services/kubernetes", ua="kube-proxy"), True, "default"),
        (_req("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"), True, "kubelet_lease"),
        (_req("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"), False, "default"),
        (_req("GET", "/api/v1/nodes/n1"), True, "kubelet_node"),
        (_req("GET", "/api/v1/nodes", fieldSelector="metadata.name=n1"), True, "default"),
        (_req("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"), True, "cloud_only"),
        (_req("GET", "/api/v1/pods"), True, "default"),
        (_req("GET", "/version"), True, "default"),
    ],
)
def test_route_of(req: HubRequest, edge: bool, want: str) -> None:
    assert route_of(req, node_name="n1", pool_scope=POOL_SCOPE, edge_mode=edge) == want


def test_is_hub_itself() -> None:
    assert is_hub_itself("yurthub/v1.7.0-abc", "n1")
    assert is_hub_itself("multiplexer-proxy-n1", "n1")
    assert not is_hub_itself("multiplexer-proxy-n2", "n1")
    assert not is_hub_itself("kubelet/v1", "n1")


@pytest.mark.parametrize(
    ("req", "want"),
    [
        (_req("GET", "/api/v1/pods", watch="true", timeoutSeconds="300"), 315.0),
        (_req("GET", "/api/v1/pods", timeoutSeconds="30"), 28.0),
        (_req("GET", "/api/v1/pods", timeoutSeconds="2"), None),
        (_req("GET", "/api/v1/pods"), None),
        (_req("GET", "/api/v1/namespaces/a/pods/p", timeout="10s"), 8.0),
        (_req("GET", "/api/v1/namespaces/a/pods/p", timeout="1s"), None),
        (_req("GET", "/api/v1/namespaces/a/pods/p", timeout="1m30s"), 88.0),
        (_req("PUT", "/api/v1/namespaces/a/pods/p", timeout="10s"), None),
    ],
)
def test_request_deadline(req: HubRequest, want: float | None) -> None:
    assert request_deadline_seconds(req) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("10s", 10.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("-2h", -7200.0),
        ("0", 0.0),
        ("1.5h", 5400.0),
        ("", None),
        ("5", None),
        ("1x", None),
    ],
)
def test_parse_go_duration(text: str, want: float | None) -> None:
    assert parse_go_duration(text) == want
