"""A watch whose filter chain declares no raw markers parses each event once: on the event loop, to
filter it. The sink stores those parsed events, and caches exactly what the byte path would."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from openyurt.adapters.cache.disk import DiskCache
from openyurt.core.hub.filters import FilterContext
from openyurt.core.hub.requestinfo import make_request
from openyurt.runtime.hub.cacheview import HubCache, WatchSink
from openyurt.runtime.hub.metrics import LabelCounts
from openyurt.runtime.hub.proxy import HubState, Proxy

CTX = FilterContext(node_name="n1", hub_host="127.0.0.1", hub_port=10261)


class _DropAndMark:
    """No ``raw_markers``: every event is parsed. Drops ``drop-*`` objects, labels the others."""

    name = "dropandmark"
    resources = frozenset({("", "services")})

    def filter(self, obj: dict[str, Any], ctx: FilterContext) -> dict[str, Any] | None:
        meta = obj["metadata"]
        if meta["name"].startswith("drop-"):
            return None
        if meta["name"].startswith("keep-"):
            return obj  # unchanged: relayed as received
        return {**obj, "metadata": {**meta, "labels": {"hub": ctx.node_name}}}


def _line(etype: str, name: str, rv: int) -> bytes:
    o = {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv)},
    }
    return json.dumps({"type": etype, "object": o}, separators=(",", ":")).encode() + b"\n"


STREAM = [
    _line("ADDED", "a", 5),
    _line("ADDED", "keep-b", 6),
    _line("ADDED", "drop-c", 7),  # dropped: the client and the cache see DELETED
    _line("MODIFIED", "a", 4),  # older than the cached version: never overwrites it
    _line("ADDED", "keep-b", 6),  # the same bytes again: a no-op
    b'{"type":"BOOKMARK","object":{"kind":"Service","apiVersion":"v1","metadata":{"resourceVersion":"9"}}}\n',
    _line("DELETED", "keep-b", 10),
    _line("MODIFIED", "a", 11).rstrip(b"\n"),  # the tail without a newline
]


def _snapshot(disk: DiskCache, names: list[str]) -> dict[str, Any]:
    keys = [f"kube-proxy/services.v1.core/ns/{n}" for n in names]
    return {k: (disk.get(k), disk.resource_version(k), disk.tombstone(k)) for k in keys}


async def test_unmarked_chain_parses_each_event_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def upstream_watch(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        for line in STREAM:
            await resp.write(line)
        return resp

    upstream_app = web.Application()
    upstream_app.router.add_get("/api/v1/namespaces/ns/services", upstream_watch)
    up_runner = web.AppRunner(upstream_app)
    await up_runner.setup()
    up_site = web.TCPSite(up_runner, "127.0.0.1", 0)
    await up_site.start()
    up_port = up_runner.addresses[0][1]

    disk = DiskCache(tmp_path / "c")
    disk.load()
    disk.start()
    cache = HubCache(disk)
    proxy = Proxy(
        node_name="n1",
        cloud=None,  # type: ignore[arg-type]
        health=None,  # type: ignore[arg-type]
        cache=cache,
        state=HubState(frozenset(), None, CTX),  # type: ignore[arg-type]
        metrics=None,  # type: ignore[arg-type]
    )
    filters = (_DropAndMark(),)
    query = {"watch": "true"}
    req = make_request("GET", "/api/v1/namespaces/ns/services", query.items(), {"User-Agent": "kube-proxy/v1.30"})
    assert req.info.verb == "watch"

    fed: list[Any] = []
    feed, feed_events = WatchSink.feed, WatchSink.feed_events
    monkeypatch.setattr(WatchSink, "feed", lambda self, chunk: (fed.append(chunk), feed(self, chunk))[1])
    monkeypatch.setattr(WatchSink, "feed_events", lambda self, ev: (fed.extend(ev), feed_events(self, ev))[1])

    parsed: list[bytes] = []
    loads = json.loads

    def counting_loads(s: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(s, bytes | str) and (s.encode() if isinstance(s, str) else s).startswith(b'{"type"'):
            parsed.append(s if isinstance(s, bytes) else s.encode())
        return loads(s, *args, **kwargs)

    async def hub_watch(request: web.Request) -> web.StreamResponse:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{up_port}/api/v1/namespaces/ns/services", params=query) as upstream,
        ):
            return await proxy._stream_watch(request, req, upstream, filters, True, LabelCounts(), [])

    hub_app = web.Application()
    hub_app.router.add_get("/api/v1/namespaces/ns/services", hub_watch)
    hub_runner = web.AppRunner(hub_app)
    await hub_runner.setup()
    hub_site = web.TCPSite(hub_runner, "127.0.0.1", 0)
    await hub_site.start()
    hub_port = hub_runner.addresses[0][1]
    try:
        monkeypatch.setattr(json, "loads", counting_loads)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{hub_port}/api/v1/namespaces/ns/services", params=query) as r,
        ):
            got = await r.read()
        names = ["a", "keep-b", "drop-c"]
        # read without flushing: a cache read drains the sink's deferred jobs first
        after = await asyncio.to_thread(_snapshot, disk, names)
        monkeypatch.setattr(json, "loads", loads)
    finally:
        await hub_runner.cleanup()
        await up_runner.cleanup()
        disk.close()

    sent = [line for line in got.split(b"\n") if line]
    assert len(sent) == len(STREAM)
    assert sorted(parsed) == sorted(line.rstrip(b"\n") for line in STREAM), "each event parsed exactly once"
    assert fed and all(isinstance(item, tuple) and isinstance(item[1], dict) for item in fed), "sink got objects"
    assert [item[0] for item in fed] == sent, "the sink got exactly the lines the client got"
    assert json.loads(sent[2]) == {"type": "DELETED", "object": json.loads(STREAM[2])["object"]}

    # the same client-visible bytes through the byte path give the very same cache
    disk2 = DiskCache(tmp_path / "c2")
    disk2.load()
    sink = HubCache(disk2).watch_sink(req)
    monkeypatch.undo()
    sink.feed(got)
    sink.close()
    assert _snapshot(disk2, names) == after
    a, b, c = (after[f"kube-proxy/services.v1.core/ns/{n}"] for n in names)
    assert a[1] == "11" and json.loads(a[0] or b"")["metadata"]["labels"] == {"hub": "n1"}
    assert b[0] is None and b[2] == "10", "DELETED leaves a tombstone"
    assert c[0] is None and c[2] == "7", "a dropped object is deleted from the cache"
