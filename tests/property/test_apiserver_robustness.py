"""Invariant: no request, however malformed, makes the embedded API server answer 5xx, stop, or lose data.

One subprocess server per module; Hypothesis generates methods, paths (known shapes with hostile
segments), query strings and bodies (JSON shaped like Kubernetes objects, or arbitrary bytes).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.apiserver.conftest import ServerProc

pytestmark = pytest.mark.timeout(300)

SENTINEL = "/api/v1/namespaces/default/configmaps/sentinel"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProc]:
    srv = ServerProc(tmp_path_factory.mktemp("robust"), [])
    srv.start()
    try:
        status, _ = request(
            srv,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            {},
            json.dumps({"metadata": {"name": "sentinel"}, "data": {"k": "v"}}).encode(),
        )
        assert status == 201
        yield srv
        status, body = request(srv, "GET", SENTINEL, {}, None)
        assert status == 200 and json.loads(body)["data"] == {"k": "v"}, "stored data was lost"
    finally:
        srv.stop()


def request(
    srv: ServerProc, method: str, path: str, headers: dict[str, str], body: bytes | None, token: bool = True
) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(srv.url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=20)
    try:
        h = dict(headers)
        if token:
            h["Authorization"] = f"Bearer {srv.token}"
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        if resp.getheader("Content-Type", "").startswith("application/json") and "watch" in path.lower():
            return resp.status, b""  # a stream: the status line is the answer we check
        return resp.status, resp.read()
    finally:
        conn.close()


SEGMENT = st.one_of(
    st.sampled_from(
        [
            "api",
            "apis",
            "v1",
            "namespaces",
            "default",
            "pods",
            "configmaps",
            "nodes",
            "status",
            "scale",
            "binding",
            "finalize",
            "apps",
            "deployments",
            "example.com",
            "widgets",
            "customresourcedefinitions",
            "apiextensions.k8s.io",
            "leases",
            "coordination.k8s.io",
            "sentinel",
            "..",
            ".",
            "%2F",
            "%00",
            "openapi",
            "v3",
            "watch",
            "kube-system",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12).map(
        lambda s: urllib.parse.quote(s, safe="")
    ),
)
PATHS = st.one_of(
    st.lists(SEGMENT, min_size=0, max_size=7).map(lambda segs: "/" + "/".join(segs)),
    st.sampled_from(
        [
            "/api/v1/namespaces/default/configmaps",
            "/api/v1/namespaces/default/pods",
            "/api/v1/nodes",
            "/apis/apps/v1/namespaces/default/deployments",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            "/api/v1/namespaces",
            "/api/v1/namespaces/default/pods/p",
            "/apis/apps/v1/namespaces/default/deployments/d/scale",
            "/api/v1/namespaces/default/pods/p/binding",
            "/api/v1/namespaces/x/finalize",
        ]
    ),
)
QUERY_KEYS = [
    "watch",
    "labelSelector",
    "fieldSelector",
    "resourceVersion",
    "resourceVersionMatch",
    "limit",
    "continue",
    "timeoutSeconds",
    "allowWatchBookmarks",
    "sendInitialEvents",
    "dryRun",
    "fieldValidation",
    "fieldManager",
    "gracePeriodSeconds",
    "propagationPolicy",
    "includeObject",
    "orphanDependents",
    "force",
    "x",
]
QUERY_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "true",
            "True",
            "All",
            "Strict",
            "-1",
            "99999999999999999999",
            "a=b",
            "a in (x",
            "metadata.name=p",
            "spec.nodeName!=",
            "Exact",
            "NotOlderThan",
            "eyJydiI6MX0",
            "Orphan",
            "Foreground",
        ]
    ),
    st.text(max_size=20),
)
QUERY = st.dictionaries(st.sampled_from(QUERY_KEYS), QUERY_VALUES, max_size=4).map(
    lambda d: {**d, "timeoutSeconds": "1"} if "watch" in d else d
)

JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=10)
)
JSON = st.recursive(
    JSON_LEAF, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=20
)
META_KEYS = st.sampled_from(
    [
        "name",
        "generateName",
        "namespace",
        "labels",
        "annotations",
        "finalizers",
        "ownerReferences",
        "resourceVersion",
        "uid",
        "deletionTimestamp",
        "generation",
    ]
)
OBJECTS = st.fixed_dictionaries(
    {},
    optional={
        "apiVersion": st.sampled_from(["v1", "apps/v1", "example.com/v1", "x"]) | JSON,
        "kind": st.sampled_from(["ConfigMap", "Pod", "Node", "CustomResourceDefinition", "Scale"]) | JSON,
        "metadata": st.dictionaries(META_KEYS, st.sampled_from(["p", "sentinel", "a-b", ""]) | JSON, max_size=5) | JSON,
        "spec": JSON,
        "status": JSON,
        "data": JSON,
        "target": JSON,
    },
)
BODIES = st.one_of(
    st.none(),
    OBJECTS.map(lambda o: json.dumps(o).encode()),
    JSON.map(lambda o: json.dumps(o).encode()),
    st.lists(
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"]),
                "path": st.sampled_from(["/metadata/name", "/data/k", "/", "", "/spec/x/0", "/metadata/labels/a~1b"]),
                "value": JSON,
            }
        ),
        max_size=3,
    ).map(lambda o: json.dumps(o).encode()),
    st.binary(max_size=64),
)
CTYPES = st.sampled_from(
    [
        "application/json",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
        "text/plain",
        "",
        "a/b;c=d",
    ]
)
ACCEPTS = st.sampled_from(
    [
        "",
        "application/json",
        "*/*",
        "application/json;as=Table;v=v1;g=meta.k8s.io",
        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        "application/vnd.kubernetes.protobuf",
        "text/html",
    ]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    path=PATHS,
    query=QUERY,
    body=BODIES,
    ctype=CTYPES,
    accept=ACCEPTS,
)
def test_no_request_yields_5xx(
    server: ServerProc, method: str, path: str, query: dict[str, str], body: bytes | None, ctype: str, accept: str
) -> None:
    if path.rstrip("/").endswith("/sentinel") and method in ("DELETE", "PUT", "PATCH"):
        path += "-not"  # keep the sentinel: it proves no data is lost
    if method == "DELETE" and path.rstrip("/") in ("/api/v1/namespaces/default/configmaps",):
        query = {**query, "labelSelector": "never=here"}
    qs = urllib.parse.urlencode(query)
    headers = {"Content-Type": ctype} if ctype else {}
    if accept:
        headers["Accept"] = accept
    status, resp = request(server, method, path + ("?" + qs if qs else ""), headers, body)
    assert status < 500, (status, resp[:500])
    if status >= 400 and resp and method != "HEAD":
        if not resp.startswith(b"{"):
            assert status == 400  # rejected by the HTTP parser itself (e.g. a raw newline in the path)
            return
        doc: Any = json.loads(resp)
        assert doc["kind"] == "Status" and doc["code"] == status


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    obj=OBJECTS,
    kind=st.sampled_from(
        [
            "configmaps",
            "pods",
            "nodes",
            "namespaces",
            "deployments",
            "leases",
            "customresourcedefinitions",
            "widgets-none",
        ]
    ),
)
def test_object_shaped_bodies_on_every_resource(server: ServerProc, obj: dict[str, Any], kind: str) -> None:
    base = {
        "configmaps": "/api/v1/namespaces/default/configmaps",
        "pods": "/api/v1/namespaces/default/pods",
        "nodes": "/api/v1/nodes",
        "namespaces": "/api/v1/namespaces",
        "deployments": "/apis/apps/v1/namespaces/default/deployments",
        "leases": "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        "customresourcedefinitions": "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        "widgets-none": "/apis/example.com/v1/namespaces/default/widgets",
    }[kind]
    data = json.dumps(obj).encode()
    status, resp = request(server, "POST", base, {"Content-Type": "application/json"}, data)
    assert status < 500, resp[:500]
    if status == 201:
        name = json.loads(resp)["metadata"]["name"]
        for method, ctype in (
            ("PUT", "application/json"),
            ("PATCH", "application/merge-patch+json"),
            ("PATCH", "application/strategic-merge-patch+json"),
            ("GET", ""),
            ("DELETE", ""),
        ):
            s, r = request(
                server,
                method,
                f"{base}/{urllib.parse.quote(name, safe='')}",
                {"Content-Type": ctype, "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
                data if method in ("PUT", "PATCH") else None,
            )
            assert s < 500, r[:500]
    s, r = request(server, "GET", base, {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}, None)
    assert s < 500, r[:500]
    s, _ = request(server, "GET", "/healthz", {}, None, token=False)
    assert s == 200
