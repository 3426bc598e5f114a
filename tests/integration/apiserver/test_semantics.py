"""Wire semantics over raw HTTP: errors as Status, watch start points and transitions, GC, restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from openyurt.runtime.apiserver.main import Running
from tests.integration.apiserver.conftest import ServerProc

pytestmark = pytest.mark.timeout(60)

TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


class Http:
    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.s, self.url, self.h = session, url, {"Authorization": f"Bearer {token}"}

    async def req(
        self,
        method: str,
        path: str,
        body: Any = None,
        ctype: str = "application/json",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {**self.h, "Content-Type": ctype, **(headers or {})}
        async with self.s.request(method, self.url + path, data=data, headers=h) as r:
            text = await r.read()
            try:
                return r.status, json.loads(text)
            except ValueError:
                return r.status, text.decode()

    async def watch(self, path: str, headers: dict[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
        async with self.s.get(self.url + path, headers={**self.h, **(headers or {})}) as r:
            assert r.status == 200
            async for line in r.content:
                if line.strip():
                    yield json.loads(line)


@pytest.fixture
async def http(inproc: Running) -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as s:
        yield Http(s, inproc.url, inproc.token)


def cm(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}}


async def test_errors_are_status_objects(http: Http, inproc: Running) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(inproc.url + "/api/v1/pods") as r:
            assert r.status == 401 and (await r.json())["reason"] == "Unauthorized"
        async with s.get(inproc.url + "/version") as r:
            assert r.status == 200 and (await r.json())["minor"] == "31"
    cases = [
        ("GET", "/api/v1/namespaces/default/pods/nope", None, "application/json", 404, "NotFound"),
        ("GET", "/apis/nothing.example/v1/things", None, "application/json", 404, "NotFound"),
        ("PUT", "/api/v1/namespaces/default/pods", {}, "application/json", 405, "MethodNotAllowed"),
        ("POST", "/api/v1/namespaces/default/configmaps", "x", "application/json", 400, "BadRequest"),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            None,
            "application/vnd.kubernetes.protobuf",
            415,
            "UnsupportedMediaType",
        ),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            {"metadata": {"name": "Bad_Name"}},
            "application/json",
            422,
            "Invalid",
        ),
        ("GET", "/api/v1/pods?labelSelector=a%20in%20(", None, "application/json", 400, "BadRequest"),
        ("GET", "/api/v1/pods?resourceVersion=999999", None, "application/json", 504, "Timeout"),
        ("GET", "/api/v1/pods?resourceVersionMatch=Exact", None, "application/json", 422, "Invalid"),
        ("GET", "/api/v1/pods?watch=1&sendInitialEvents=true", None, "application/json", 422, "Invalid"),
    ]
    for method, path, body, ctype, code, reason in cases:
        raw = b"k8s\x00\x01\x02" if "protobuf" in ctype else None
        status, got = await http.req(method, path, body, ctype, raw=raw)
        assert (status, got["reason"], got["code"]) == (code, reason, code), (method, path, got)
    status, got = await http.req(
        "POST", "/api/v1/namespaces/default/configmaps", raw=b"k8s\x00xx", ctype="application/vnd.kubernetes.protobuf"
    )
    assert "-f" in got["message"]
    status, got = await http.req("GET", "/api/v1/pods", headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert status == 406
    status, got = await http.req(
        "PATCH", "/apis/example.com/v1/namespaces/default/widgets/x", {}, "application/strategic-merge-patch+json"
    )
    assert status == 415
    status, got = await http.req(
        "POST", "/apis/example.com/v1/namespaces/default/widgets", {"metadata": {"name": "w"}, "spec": {"color": 3}}
    )
    assert status == 422 and got["details"]["causes"][0]["field"] == "spec.color"


async def test_discovery_negotiation(http: Http) -> None:
    _, legacy = await http.req("GET", "/apis")
    assert legacy["kind"] == "APIGroupList"
    names = {g["name"] for g in legacy["groups"]}
    assert {"apps", "example.com", "apiextensions.k8s.io"} <= names
    ex = next(g for g in legacy["groups"] if g["name"] == "example.com")
    assert ex["preferredVersion"]["version"] == "v1"
    v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    async with http.s.get(http.url + "/apis", headers={**http.h, "Accept": v2}) as r:
        assert r.headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
        doc = await r.json()
        assert doc["kind"] == "APIGroupDiscoveryList" and r.headers["Vary"] == "Accept"
    v2b1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    async with http.s.get(http.url + "/api", headers={**http.h, "Accept": v2b1}) as r:
        doc = await r.json()
        assert doc["apiVersion"] == "apidiscovery.k8s.io/v2beta1" and doc["items"][0]["metadata"]["name"] == ""
    _, rl = await http.req("GET", "/apis/example.com/v1")
    names = {r["name"] for r in rl["resources"]}
    assert names == {"widgets", "widgets/status", "widgets/scale"}
    _status, root = await http.req("GET", "/openapi/v3")
    url = root["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    _, doc = await http.req("GET", url)
    op = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert {"name": "fieldValidation", "in": "query"}.items() <= op["parameters"][2].items()


async def test_watch_start_points_transitions_and_initial_events(http: Http) -> None:
    _, lst = await http.req("GET", "/api/v1/namespaces/default/configmaps")
    rv = lst["metadata"]["resourceVersion"]
    await http.req("POST", "/api/v1/namespaces/default/configmaps", cm("a", app="x"))
    await http.req(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        {"metadata": {"labels": {"app": "y"}}},
        "application/merge-patch+json",
    )
    await http.req(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        {"metadata": {"labels": {"app": "x"}}},
        "application/merge-patch+json",
    )
    await http.req("DELETE", "/api/v1/namespaces/default/configmaps/a")
    got: list[tuple[str, str]] = []
    async for ev in http.watch(
        f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&labelSelector=app%3Dx&timeoutSeconds=1"
    ):
        got.append((ev["type"], ev["object"]["metadata"]["resourceVersion"]))
    assert [t for t, _ in got] == ["ADDED", "DELETED", "ADDED", "DELETED"]
    revs = [int(r) for _, r in got]
    assert revs == sorted(revs) and revs[0] > int(rv)
    # watch-list: initial ADDED events, then the initial-events-end bookmark
    await http.req("POST", "/api/v1/namespaces/default/configmaps", cm("b"))
    types = []
    async for ev in http.watch(
        "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
    ):
        types.append(ev["type"])
        if ev["type"] == "BOOKMARK":
            assert ev["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
            break
    assert types == ["ADDED", "BOOKMARK"]
    # Table watch: first event carries the column definitions, later ones do not
    tables = []
    async for ev in http.watch("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1", {"Accept": TABLE}):
        tables.append(ev["object"])
    assert tables and tables[0]["kind"] == "Table" and tables[0]["columnDefinitions"]
    assert tables[0]["rows"][0]["cells"][0] == "b"


async def test_garbage_collection_policies(http: Http, inproc: Running) -> None:
    base = "/api/v1/namespaces/default/configmaps"

    async def make(name: str, owner: dict[str, Any] | None = None, block: bool = False) -> dict[str, Any]:
        body = cm(name)
        if owner:
            body["metadata"]["ownerReferences"] = [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "blockOwnerDeletion": block,
                }
            ]
        status, obj = await http.req("POST", base, body)
        assert status == 201, obj
        return obj  # type: ignore[no-any-return]

    async def gone(name: str) -> None:
        for _ in range(500):
            status, _ = await http.req("GET", f"{base}/{name}")
            if status == 404:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{name} still exists")

    owner = await make("owner")
    await make("dep1", owner)
    await http.req("DELETE", f"{base}/owner", {"propagationPolicy": "Background"})
    await gone("dep1")
    owner = await make("owner2")
    await make("dep2", owner, block=True)
    status, obj = await http.req("DELETE", f"{base}/owner2", {"propagationPolicy": "Foreground"})
    assert status == 200 and "foregroundDeletion" in obj["metadata"]["finalizers"]
    await gone("dep2")
    await gone("owner2")
    owner = await make("owner3")
    await make("dep3", owner)
    await http.req("DELETE", f"{base}/owner3", {"propagationPolicy": "Orphan"})
    await gone("owner3")
    status, dep = await http.req("GET", f"{base}/dep3")
    assert status == 200 and "ownerReferences" not in dep["metadata"]
    # deletecollection with a selector
    for i in range(3):
        await http.req("POST", base, cm(f"dc{i}", grp="dc"))
    status, res = await http.req("DELETE", f"{base}?labelSelector=grp%3Ddc")
    assert status == 200 and len(res["items"]) == 3
    status, lst = await http.req("GET", f"{base}?labelSelector=grp%3Ddc")
    assert lst["items"] == []


async def test_graceful_pod_deletion_and_binding(http: Http) -> None:
    base = "/api/v1/namespaces/default/pods"
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    await http.req("POST", base, pod)
    status, _ = await http.req("POST", f"{base}/p/binding", {"target": {"name": "n1"}})
    assert status == 201
    await http.req("POST", "/api/v1/nodes", {"metadata": {"name": "n1"}})
    status, obj = await http.req("DELETE", f"{base}/p")
    assert status == 200 and obj["metadata"]["deletionGracePeriodSeconds"] == 30
    status, obj = await http.req("DELETE", f"{base}/p", {"gracePeriodSeconds": 0})
    assert status == 200
    status, _ = await http.req("GET", f"{base}/p")
    assert status == 404


async def test_pods_get_default_toleration_seconds(http: Http) -> None:
    """DefaultTolerationSeconds admission: 300 s for NotReady/unreachable unless the pod says otherwise."""
    base = "/api/v1/namespaces/default/pods"
    plain = {"metadata": {"name": "plain"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    status, obj = await http.req("POST", base, plain)
    assert status == 201
    assert sorted((t["key"], t["effect"], t["tolerationSeconds"]) for t in obj["spec"]["tolerations"]) == [
        ("node.kubernetes.io/not-ready", "NoExecute", 300),
        ("node.kubernetes.io/unreachable", "NoExecute", 300),
    ]
    own = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
    mine = {"metadata": {"name": "mine"}, "spec": {"containers": [{"name": "c", "image": "x"}], "tolerations": [own]}}
    status, obj = await http.req("POST", base, mine)
    assert status == 201
    by_key = {t["key"]: t for t in obj["spec"]["tolerations"]}
    assert by_key["node.kubernetes.io/unreachable"]["tolerationSeconds"] == 5
    assert by_key["node.kubernetes.io/not-ready"]["tolerationSeconds"] == 300
    everything = {"operator": "Exists"}
    tolerant = {
        "metadata": {"name": "all"},
        "spec": {"containers": [{"name": "c", "image": "x"}], "tolerations": [everything]},
    }
    status, obj = await http.req("POST", base, tolerant)
    assert status == 201 and obj["spec"]["tolerations"] == [everything]


def test_restart_keeps_objects_and_counter(tmp_path: Path) -> None:
    srv = ServerProc(tmp_path / "data", ["--compact-keep", "5"])
    try:
        srv.start()

        async def phase1() -> int:
            async with aiohttp.ClientSession() as s:
                h = Http(s, srv.url, srv.token)
                for i in range(20):
                    status, _ = await h.req("POST", "/api/v1/namespaces/default/configmaps", cm(f"c{i}"))
                    assert status == 201
                _, lst = await h.req("GET", "/api/v1/namespaces/default/configmaps")
                return int(lst["metadata"]["resourceVersion"])

        rv = asyncio.run(phase1())
        assert srv.stop() == 0
        assert not (srv.data_dir / "apiserver.json").exists()
        srv.start()

        async def phase2() -> None:
            async with aiohttp.ClientSession() as s:
                h = Http(s, srv.url, srv.token)
                _, lst = await h.req("GET", "/api/v1/namespaces/default/configmaps")
                assert {i["metadata"]["name"] for i in lst["items"]} == {f"c{i}" for i in range(20)}
                assert int(lst["metadata"]["resourceVersion"]) == rv
                _, obj = await h.req("POST", "/api/v1/namespaces/default/configmaps", cm("after"))
                assert int(obj["metadata"]["resourceVersion"]) == rv + 1
                _status, _ = await h.req("POST", "/api/v1/namespaces/default/configmaps", cm("after2"))
                # the restart compacted history to 5 revisions: an old start point gets an in-stream 410
                events = [
                    ev
                    async for ev in h.watch(
                        "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2&timeoutSeconds=2"
                    )
                ]
                assert [e["type"] for e in events] == ["ERROR"] and events[0]["object"]["code"] == 410
                assert events[0]["object"]["reason"] == "Expired"
                # and a re-list + watch from the list's RV recovers
                _, lst = await h.req("GET", "/api/v1/namespaces/default/configmaps")
                rv2 = lst["metadata"]["resourceVersion"]
                await h.req("POST", "/api/v1/namespaces/default/configmaps", cm("after3"))
                async for ev in h.watch(
                    f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv2}&timeoutSeconds=5"
                ):
                    assert (ev["type"], ev["object"]["metadata"]["name"]) == ("ADDED", "after3")
                    break
                _, lst = await h.req("GET", "/api/v1/namespaces/default/configmaps")
                assert len(lst["items"]) == 23

        asyncio.run(phase2())
    finally:
        srv.stop()
