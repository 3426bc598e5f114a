"""Small pieces of the hub shell: Accept rewriting, splicing cached bytes into lists, the health state
machine, kubeconfig loading and the cache view's write rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openyurt.adapters.cache.disk import DiskCache
from openyurt.core.hub.offline import decide_offline
from openyurt.core.hub.requestinfo import make_request
from openyurt.runtime.hub.cacheview import RAW, HubCache, encode_body
from openyurt.runtime.hub.cloud import load_kubeconfig
from openyurt.runtime.hub.health import ProbeState, micro_time
from openyurt.runtime.hub.proxy import json_accept


def test_json_accept() -> None:
    assert json_accept("application/vnd.kubernetes.protobuf,application/json") == "application/json"
    assert json_accept("application/json, */*") == "application/json, */*"
    assert json_accept("") == "application/json"
    assert json_accept("application/vnd.kubernetes.protobuf") is None
    table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    assert json_accept(table) == table


def test_encode_body_splices_raw_items() -> None:
    body = {"kind": "PodList", "metadata": {"resourceVersion": "3"}, "items": [{RAW: b'{"a":1}'}, {"b": 2}]}
    assert json.loads(encode_body(body)) == {
        "kind": "PodList",
        "metadata": {"resourceVersion": "3"},
        "items": [{"a": 1}, {"b": 2}],
    }
    assert json.loads(encode_body({"kind": "X", "items": []})) == {"kind": "X", "items": []}


def test_probe_state_machine() -> None:
    s = ProbeState()
    assert s.observe(True, 2) is True, "the first probe decides at once"
    assert s.observe(False, 2) is False, "one failure: unhealthy"
    assert s.observe(True, 2) is False
    assert s.observe(True, 2) is True, "two successes: healthy again"
    s2 = ProbeState()
    assert s2.observe(False, 2) is False
    assert s2.observe(True, 3) is False and s2.observe(True, 3) is False and s2.observe(True, 3) is True


def test_micro_time_has_six_digits() -> None:
    assert micro_time(0) == "1970-01-01T00:00:00.000000Z"


def test_load_kubeconfig(tmp_path: Path) -> None:
    doc = {
        "clusters": [{"name": "c", "cluster": {"server": "https://x:6443/", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t0k"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    p = tmp_path / "kc"
    p.write_text(json.dumps(doc))
    creds = load_kubeconfig(p)
    assert (creds.server, creds.token, creds.insecure) == ("https://x:6443", "t0k", True)
    p.write_text("clusters:\n- name: c\n  cluster: {server: 'http://y'}\nusers: []\ncontexts: []\n")
    assert load_kubeconfig(p).server == "http://y"


def req(path: str, ua: str = "kubelet/v1", method: str = "GET", query: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return make_request(method, path, query or {}, {"User-Agent": ua, "Accept": "application/json"})


def test_cache_view_list_roundtrip_and_offline_decision(tmp_path: Path) -> None:
    disk = DiskCache(tmp_path / "c")
    disk.load()
    view = HubCache(disk)
    lst_req = req("/api/v1/pods", query={"fieldSelector": "spec.nodeName=n1"})
    body = {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "9"},
        "items": [
            {"metadata": {"name": "b", "namespace": "ns2", "resourceVersion": "8"}, "spec": {"nodeName": "n1"}},
            {"metadata": {"name": "a", "namespace": "ns1", "resourceVersion": "7"}, "spec": {"nodeName": "n1"}},
            {"metadata": {"name": "unbound", "namespace": "ns1", "resourceVersion": "6"}, "spec": {}},
        ],
    }
    assert view.store_list(lst_req, body)
    d = decide_offline(lst_req, view, cacheable=True)
    assert d.action == "serve_list"
    out = json.loads(encode_body(d.body or {}))
    assert out["kind"] == "PodList" and out["metadata"]["resourceVersion"] == "8"
    assert [i["metadata"]["name"] for i in out["items"]] == ["a", "b"], "unbound pods are never cached"
    assert out["items"][0]["kind"] == "Pod" and out["items"][0]["apiVersion"] == "v1"
    # a list under another selector for the same key is refused (reads ignore selectors)
    other = req("/api/v1/pods", query={"labelSelector": "x=y"})
    assert not view.store_list(other, {**body, "items": []})
    # watch events update and delete
    view.store_watch_event(
        lst_req, {"type": "DELETED", "object": {"metadata": {"name": "a", "namespace": "ns1", "resourceVersion": "10"}}}
    )
    view.store_watch_event(
        lst_req,
        {
            "type": "MODIFIED",
            "object": {
                "metadata": {"name": "b", "namespace": "ns2", "resourceVersion": "5"},
                "spec": {"nodeName": "n1"},
            },
        },
    )
    out = json.loads(encode_body(decide_offline(lst_req, view, cacheable=True).body or {}))
    assert [(i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in out["items"]] == [("b", "8")]
    # never-cached list: 404, not an empty list
    d = decide_offline(req("/api/v1/namespaces/x/secrets"), view, cacheable=True)
    assert d.action == "not_found" and d.status == 404


def _event(etype: str, name: str, rv: int, node: str = "n1") -> bytes:
    o = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv)},
        "spec": {"nodeName": node},
    }
    return json.dumps({"type": etype, "object": o}, separators=(",", ":")).encode() + b"\n"


def test_watch_sink_caches_events_split_anywhere(tmp_path: Path) -> None:
    disk = DiskCache(tmp_path / "c")
    disk.load()
    view = HubCache(disk)
    w = req("/api/v1/namespaces/ns/pods", query={"watch": "true"})
    stream = _event("ADDED", "a", 5) + _event("ADDED", "b", 6) + _event("MODIFIED", "a", 4) + _event("DELETED", "b", 8)
    sink = view.watch_sink(w)
    for i in range(0, len(stream), 7):  # chunk borders inside events
        sink.feed(stream[i : i + 7])
    sink.close()
    assert disk.resource_version("kubelet/pods.v1.core/ns/a") == "5", "an older event never overwrites"
    assert disk.get("kubelet/pods.v1.core/ns/b") is None
    assert disk.tombstone("kubelet/pods.v1.core/ns/b") == "8"
    # a stale re-add of the deleted object stays buried; the same bytes again are a no-op
    sink = view.watch_sink(w)
    sink.feed(_event("ADDED", "b", 6) + _event("ADDED", "a", 5))
    sink.close()
    assert disk.get("kubelet/pods.v1.core/ns/b") is None
    assert json.loads(disk.get("kubelet/pods.v1.core/ns/a") or b"")["metadata"]["resourceVersion"] == "5"


def test_watch_sink_tail_gzip_and_cut_streams(tmp_path: Path) -> None:
    import gzip

    disk = DiskCache(tmp_path / "c")
    disk.load()
    disk.start()
    try:
        view = HubCache(disk)
        w = req("/api/v1/namespaces/ns/pods", query={"watch": "true"})
        sink = view.watch_sink(w, gzipped=True)
        z = gzip.compress(_event("ADDED", "a", 1) + _event("ADDED", "b", 2).rstrip(b"\n"))
        sink.feed(z[:10])
        sink.feed(z[10:])
        sink.close()  # the stream ended cleanly: the unterminated last line is an event too
        assert disk.resource_version("kubelet/pods.v1.core/ns/b") == "2"
        sink = view.watch_sink(w)
        sink.feed(_event("ADDED", "c", 3) + _event("ADDED", "d", 4)[:30])
        sink.close(complete=False)  # cut mid-event: the fragment is not an event
        assert disk.flush(10)
        assert disk.resource_version("kubelet/pods.v1.core/ns/c") == "3"
        assert disk.get("kubelet/pods.v1.core/ns/d") is None
    finally:
        disk.close()


def _pods_list(items_first: bool = False) -> dict[str, Any]:
    items = [
        {"metadata": {"name": f"p{i}", "namespace": "ns", "resourceVersion": str(i)}, "spec": {"nodeName": "n1"}}
        for i in range(5)
    ]
    head = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"}}
    return {"items": items, **head} if items_first else {**head, "items": items}


def _cached(disk: DiskCache, keys: list[str]) -> dict[str, bytes | None]:
    return {k: disk.get(k) for k in keys}


def test_list_stored_from_json_item_by_item_equals_the_whole_decode(tmp_path: Path) -> None:
    keys = [f"kubelet/pods.v1.core/ns/p{i}" for i in range(5)]
    for items_first in (False, True):
        body = _pods_list(items_first)
        whole, lazy = DiskCache(tmp_path / f"w{items_first}"), DiskCache(tmp_path / f"l{items_first}")
        whole.load()
        lazy.load()
        lst = req("/api/v1/namespaces/ns/pods")
        assert HubCache(whole).store_list(lst, json.loads(json.dumps(body)))
        assert HubCache(lazy).store_list_json(lst, json.dumps(body, indent=1).encode())
        assert _cached(lazy, keys) == _cached(whole, keys) and all(_cached(lazy, keys).values())
        assert json.loads(lazy.get(keys[0]) or b"{}")["kind"] == "Pod", "items get the list's kind"
    # a list narrowed to one name, then to none: stored, then deleted
    disk = DiskCache(tmp_path / "one")
    disk.load()
    one = req("/api/v1/namespaces/ns/pods", query={"fieldSelector": "metadata.name=p1"})
    view = HubCache(disk)
    assert view.store_list_json(one, json.dumps({**_pods_list(), "items": _pods_list()["items"][1:2]}).encode())
    assert disk.get("kubelet/pods.v1.core/ns/p1") is not None
    assert view.store_list_json(one, json.dumps({**_pods_list(), "items": []}).encode())
    assert disk.get("kubelet/pods.v1.core/ns/p1") is None
    # malformed JSON is not cached, and keeps what was
    disk = DiskCache(tmp_path / "broken")
    disk.load()
    view = HubCache(disk)
    whole_list = req("/api/v1/namespaces/ns/pods")
    assert view.store_list_json(whole_list, json.dumps(_pods_list()).encode())
    assert not view.store_list_json(whole_list, b'{"kind":"PodList","items":[{"metadata":{"name":"x"}},{"a":')
    assert all(disk.get(k) is not None for k in keys), "a list that breaks off replaces nothing"
