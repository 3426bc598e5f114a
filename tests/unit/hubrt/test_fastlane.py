"""The hub's fast lane against a scripted cloud server: framing, keep-alive, hand-over and failures.

The integration tests (tests/integration/hub) run every verb through the fast lane against the real
API server; these cover what that server never does: chunked and unframed answers, a kept-alive
connection the server drops, answers that die half-way, a server that never answers, pipelining.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from openyurt.adapters.cache.disk import DiskCache
from openyurt.core.hub.cachepolicy import cache_agents
from openyurt.core.hub.filters import FilterContext, default_chain
from openyurt.runtime.hub.cacheview import HubCache
from openyurt.runtime.hub.cloud import Cloud, CloudCredentials
from openyurt.runtime.hub.fastlane import FastLaneServer
from openyurt.runtime.hub.health import HealthChecker
from openyurt.runtime.hub.metrics import HubMetrics
from openyurt.runtime.hub.proxy import HubState, Proxy

NODE = "n1"
KUBELET = "kubelet/v1.31.0 (linux/amd64) kubernetes/test"
POD_PATH = "/api/v1/namespaces/default/pods"
Action = Callable[[asyncio.StreamWriter, str], Awaitable[bool]]


def pod(name: str, rv: str = "5") -> bytes:
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "resourceVersion": rv},
        "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "x"}]},
    }
    return json.dumps(obj, separators=(",", ":")).encode()


def head(status: str, *headers: str) -> bytes:
    return ("HTTP/1.1 " + status + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode()


class Cloud_:
    """A scripted HTTP/1.1 server: one action per path; records every request head it reads."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.connections = 0
        self.routes: dict[str, Action] = {}
        self.server: asyncio.AbstractServer | None = None
        self.url = ""
        self.tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(raw)
                target = raw.split(b" ", 2)[1].decode()
                action = self.routes.get(target.split("?", 1)[0])
                if action is None:
                    body = b'{"kind":"Status","code":404}'
                    writer.write(
                        head("404 Not Found", "Content-Type: application/json", f"Content-Length: {len(body)}")
                    )
                    writer.write(body)
                elif not await action(writer, target):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def fixed(body: bytes, *headers: str, close: bool = False) -> Action:
    async def act(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", *headers, f"Content-Length: {len(body)}") + body)
        await w.drain()
        return not close

    return act


class Lane:
    def __init__(self, cloud: Cloud_, server: FastLaneServer, proxy: Proxy, port: int, disk: DiskCache) -> None:
        self.cloud = cloud
        self.server = server
        self.proxy = proxy
        self.port = port
        self.disk = disk

    async def exchange(self, raw: bytes, responses: int = 1) -> list[tuple[bytes, bytes]]:
        """Send ``raw`` on one new connection; read ``responses`` answers (head, body) off it."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(raw)
            return [await read_response(reader) for _ in range(responses)]
        finally:
            writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = raw.decode("latin-1").split("\r\n")
    fields = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in fields:
        return raw, await asyncio.wait_for(reader.readexactly(int(fields["content-length"])), 10)
    assert fields.get("transfer-encoding") == "chunked", raw
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        data = await reader.readexactly(size + 2)
        if size == 0:
            return raw, body
        body += data[:-2]


def get(path: str, *headers: str, ua: str = KUBELET, close: bool = False) -> bytes:
    extra = "".join(h + "\r\n" for h in headers)
    conn = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: hub\r\nUser-Agent: {ua}\r\n{extra}{conn}\r\n".encode()


@pytest.fixture
async def lane(tmp_path: Path) -> AsyncIterator[Lane]:
    cloud_srv = Cloud_()
    await cloud_srv.start()
    cloud = Cloud([], CloudCredentials(server=cloud_srv.url, token="hub-token"), user_agent="yurthub/test")
    cloud.backends[0].healthy = True
    disk = DiskCache(tmp_path / "cache", sync=False)
    disk.load()
    disk.start()
    metrics = HubMetrics()
    ctx = FilterContext(node_name=NODE, node_pool=None, services={})
    state = HubState(cache_agents((), None, NODE), default_chain(None, ()), ctx)
    proxy = Proxy(
        node_name=NODE,
        cloud=cloud,
        health=HealthChecker(cloud, NODE),
        cache=HubCache(disk),
        state=state,
        metrics=metrics,
    )
    fallback = web.Server(proxy.handle, access_log=None)
    server = FastLaneServer(proxy, cloud.tls, fallback)
    port = await server.start("127.0.0.1", 0)
    try:
        yield Lane(cloud_srv, server, proxy, port, disk)
    finally:
        await server.stop()
        await fallback.shutdown(1)
        await cloud.close()
        await cloud_srv.stop()
        disk.close()


def requests_counted(proxy: Proxy, verb: str) -> float:
    """The node_yurthub_requests_total samples of ``verb``, as /metrics exposes them."""
    total = 0.0
    for line in proxy.metrics.render().decode().splitlines():
        if line.startswith("node_yurthub_requests_total{") and f'verb="{verb}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_get_is_forwarded_with_the_hubs_credentials_and_json_accept(lane: Lane) -> None:
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json")
    [(h, body)] = await lane.exchange(
        get(f"{POD_PATH}/a", "Accept: application/vnd.kubernetes.protobuf,application/json")
    )
    assert h.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(body)["metadata"]["name"] == "a"
    sent = lane.cloud.heads[-1].decode()
    assert "Authorization: Bearer hub-token\r\n" in sent
    assert "Accept: application/json\r\n" in sent and "protobuf" not in sent, "cacheable reads are asked for in JSON"
    assert f"Host: {lane.cloud.url.removeprefix('http://')}\r\n" in sent
    # cached after the answer: the object is on disk under kubelet's key
    assert lane.disk.get("kubelet/pods.v1.core/default/a") == pod("a")


async def test_clients_own_token_is_kept(lane: Lane) -> None:
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json")
    await lane.exchange(get(f"{POD_PATH}/a", "Authorization: Bearer pod-sa-token"))
    sent = lane.cloud.heads[-1].decode()
    assert "Authorization: Bearer pod-sa-token\r\n" in sent and "hub-token" not in sent


async def test_one_connection_carries_pipelined_gets_then_a_watch_then_gets(lane: Lane) -> None:
    for name in ("a", "b", "c"):
        lane.cloud.routes[f"{POD_PATH}/{name}"] = fixed(pod(name), "Content-Type: application/json")

    async def watch(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked"))
        for name in ("w1", "w2"):
            line = json.dumps({"type": "ADDED", "object": json.loads(pod(name))}).encode() + b"\n"
            w.write(b"%x\r\n%s\r\n" % (len(line), line))
        w.write(b"0\r\n\r\n")
        return True

    lane.cloud.routes[POD_PATH] = watch
    raw = get(f"{POD_PATH}/a") + get(f"{POD_PATH}/b")  # pipelined: one write
    raw += get(f"{POD_PATH}?watch=true&fieldSelector=spec.nodeName%3Dn1") + get(f"{POD_PATH}/c")
    answers = await lane.exchange(raw, responses=4)
    names = [json.loads(answers[i][1])["metadata"]["name"] for i in (0, 1, 3)]
    assert names == ["a", "b", "c"], "answers come back in request order"
    events = [json.loads(line) for line in answers[2][1].splitlines()]
    assert [e["object"]["metadata"]["name"] for e in events] == ["w1", "w2"]
    assert requests_counted(lane.proxy, "get") == 3 and requests_counted(lane.proxy, "watch") == 1


async def test_chunked_answer_is_read_whole_and_reframed(lane: Lane) -> None:
    body = pod("a")

    async def chunked(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked"))
        for part in (body[:10], body[10:30], body[30:]):
            w.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            await w.drain()
        w.write(b"0\r\nX-Trailer: t\r\n\r\n")
        return True

    lane.cloud.routes[f"{POD_PATH}/a"] = chunked
    [(h, got), (_, again)] = await lane.exchange(get(f"{POD_PATH}/a") * 2, responses=2)
    assert got == body == again
    assert f"Content-Length: {len(body)}".encode() in h and b"chunked" not in h
    assert lane.cloud.connections == 1, "the connection is reused after a chunked answer"


async def test_large_unreadable_answer_streams_with_its_length(lane: Lane) -> None:
    big = bytes(range(256)) * (3 * 4096)  # 3 MiB, not JSON: relayed, never buffered whole
    lane.cloud.routes["/api/v1/namespaces/default/configmaps/big"] = fixed(
        big, "Content-Type: application/octet-stream"
    )
    [(h, got)] = await lane.exchange(get("/api/v1/namespaces/default/configmaps/big", ua="curl/8"))
    assert got == big and f"Content-Length: {len(big)}".encode() in h


async def test_unframed_answer_is_relayed_chunked(lane: Lane) -> None:
    async def until_close(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", "Content-Type: text/plain") + b"all of it")
        return False

    lane.cloud.routes["/api/v1/namespaces/default/configmaps/raw"] = until_close
    [(h, got)] = await lane.exchange(get("/api/v1/namespaces/default/configmaps/raw", ua="curl/8"))
    assert got == b"all of it" and b"Transfer-Encoding: chunked" in h


async def test_kept_alive_connection_dropped_by_the_cloud_is_retried(lane: Lane) -> None:
    # the cloud closes after each answer without saying so: the next request on the pooled
    # connection finds it closed and must go out again on a fresh one, invisibly to the client
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json", close=True)
    for _ in range(3):
        [(h, body)] = await lane.exchange(get(f"{POD_PATH}/a"))
        assert h.startswith(b"HTTP/1.1 200") and json.loads(body)["metadata"]["name"] == "a"
    assert lane.cloud.connections == 3
    assert lane.proxy.cloud.backends[0].healthy, "a dropped idle connection is no cloud failure"


async def test_answer_dying_half_way_cuts_the_client_off(lane: Lane) -> None:
    big = b"x" * (2 << 20)

    async def die(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", "Content-Type: application/octet-stream", f"Content-Length: {len(big)}"))
        w.write(big[: len(big) // 2])
        await w.drain()
        return False

    lane.cloud.routes["/api/v1/namespaces/default/configmaps/big"] = die
    reader, writer = await asyncio.open_connection("127.0.0.1", lane.port)
    writer.write(get("/api/v1/namespaces/default/configmaps/big", ua="curl/8"))
    with pytest.raises(asyncio.IncompleteReadError):
        await read_response(reader)
    writer.close()


async def test_cloud_that_never_answers_falls_back_to_the_cache(lane: Lane) -> None:
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a", rv="7"), "Content-Type: application/json")
    await lane.exchange(get(f"{POD_PATH}/a"))

    async def hang(w: asyncio.StreamWriter, _: str) -> bool:
        await asyncio.sleep(30)
        return False

    lane.cloud.routes[f"{POD_PATH}/a"] = hang
    # timeout=3s: the hub gives the cloud 1 s (upstream's rule), then answers from its cache
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    [(h, body)] = await lane.exchange(get(f"{POD_PATH}/a?timeout=3s"))
    assert h.startswith(b"HTTP/1.1 200") and json.loads(body)["metadata"]["resourceVersion"] == "7"
    assert 0.9 <= loop.time() - t0 < 5
    assert lane.proxy.cloud.backends[0].healthy, "a slow answer is no transport failure"
    # never cached: a 404, never an empty answer
    [(h, _)] = await lane.exchange(get(f"{POD_PATH}/never?timeout=3s"))
    assert h.startswith(b"HTTP/1.1 404")


async def test_unreachable_cloud_marks_it_unhealthy_and_serves_the_cache(lane: Lane) -> None:
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json")
    await lane.exchange(get(f"{POD_PATH}/a"))
    await lane.cloud.stop()
    assert lane.cloud.server is not None
    await lane.cloud.server.wait_closed()
    lane.server.pool.close()  # the kept-alive connection goes too: the next request must connect
    [(h, body)] = await lane.exchange(get(f"{POD_PATH}/a"))
    assert h.startswith(b"HTTP/1.1 200") and json.loads(body)["metadata"]["name"] == "a"
    assert not lane.proxy.cloud.backends[0].healthy
    assert requests_counted(lane.proxy, "get") == 2, "a request is counted once, whoever answers it"


async def test_connection_close_and_http10_end_the_connection(lane: Lane) -> None:
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json")
    for raw in (get(f"{POD_PATH}/a", close=True), get(f"{POD_PATH}/a").replace(b"HTTP/1.1", b"HTTP/1.0", 1)):
        reader, writer = await asyncio.open_connection("127.0.0.1", lane.port)
        writer.write(raw)
        h, _ = await read_response(reader)
        assert b"Connection: close" in h
        assert await asyncio.wait_for(reader.read(), 5) == b"", "the hub closes after the answer"
        writer.close()


async def test_malformed_request_gets_aiohttps_400(lane: Lane) -> None:
    [(h, _)] = await lane.exchange(b"GET /api/v1/pods HTTP/1.1\r\nBad Header\r\n\r\n")
    assert h.split(b" ", 2)[1] == b"400", "answered as the full server answers it"


async def test_writes_go_through_the_full_server(lane: Lane) -> None:
    seen: list[str] = []

    async def created(w: asyncio.StreamWriter, target: str) -> bool:
        seen.append(target)
        body = pod("new")
        w.write(head("201 Created", "Content-Type: application/json", f"Content-Length: {len(body)}") + body)
        return True

    lane.cloud.routes[POD_PATH] = created
    body = pod("new")
    raw = (
        f"POST {POD_PATH} HTTP/1.1\r\nHost: hub\r\nUser-Agent: {KUBELET}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    [(h, got)] = await lane.exchange(raw)
    assert h.startswith(b"HTTP/1.1 201") and json.loads(got)["metadata"]["name"] == "new"
    assert seen == [POD_PATH]


async def test_upgrade_requests_are_left_to_the_full_server(lane: Lane) -> None:
    lane.cloud.routes[f"{POD_PATH}/a/exec"] = fixed(b"{}", "Content-Type: application/json")
    before = len(lane.cloud.heads)
    raw = get(f"{POD_PATH}/a/exec?command=ls", "Connection: Upgrade", "Upgrade: websocket")
    reader, writer = await asyncio.open_connection("127.0.0.1", lane.port)
    writer.write(raw)
    await asyncio.wait_for(read_response(reader), 10)
    writer.close()
    assert len(lane.cloud.heads) == before + 1, "the request reached the cloud"
    assert lane.server.pool.open_connections == 0, "through aiohttp's client, not the fast lane's"


async def test_not_modified_answer_keeps_the_connection_and_has_no_body(lane: Lane) -> None:
    async def not_modified(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("304 Not Modified", "ETag: x"))  # no length: none is needed, nor a body
        return True

    lane.cloud.routes["/api/v1/namespaces/default/configmaps/c"] = not_modified
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json")
    raw = get("/api/v1/namespaces/default/configmaps/c", ua="curl/8") + get(f"{POD_PATH}/a")
    reader, writer = await asyncio.open_connection("127.0.0.1", lane.port)
    writer.write(raw)
    first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert first.startswith(b"HTTP/1.1 304") and b"Content-Length" not in first and b"chunked" not in first
    h, body = await read_response(reader)  # the next answer follows at once: no body bytes between
    assert h.startswith(b"HTTP/1.1 200") and json.loads(body)["metadata"]["name"] == "a"
    writer.close()
    assert lane.cloud.connections == 1


def _event(etype: str, name: str, rv: str) -> bytes:
    return json.dumps({"type": etype, "object": json.loads(pod(name, rv))}, separators=(",", ":")).encode() + b"\n"


async def test_watch_cut_by_the_cloud_ends_cleanly_and_the_connection_lives_on(lane: Lane) -> None:
    release = asyncio.Event()

    async def watch_then_die(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked"))
        line = _event("ADDED", "w1", "11")
        w.write(b"%x\r\n%s\r\n" % (len(line), line))
        await w.drain()
        await release.wait()
        return False  # the cloud goes away mid-stream

    lane.cloud.routes[POD_PATH] = watch_then_die
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(pod("a"), "Content-Type: application/json")
    reader, writer = await asyncio.open_connection("127.0.0.1", lane.port)
    writer.write(get(f"{POD_PATH}?watch=true&resourceVersion=10"))
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    first = await asyncio.wait_for(reader.readuntil(b"}}\n\r\n"), 10)
    assert b'"name":"w1"' in first, "events are relayed as they come"
    # the event reached the cache before the client saw it
    assert json.loads(lane.disk.get("kubelet/pods.v1.core/default/w1") or b"{}")["metadata"]["resourceVersion"] == "11"
    release.set()
    assert await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 10), "the stream ends with its last chunk"
    writer.write(get(f"{POD_PATH}/a"))  # the client's connection carries on
    h, body = await read_response(reader)
    assert h.startswith(b"HTTP/1.1 200") and json.loads(body)["metadata"]["name"] == "a"
    writer.close()


async def test_gzipped_watch_is_inflated_for_the_filters(lane: Lane) -> None:
    import gzip

    plain = _event("ADDED", "g1", "21") + _event("MODIFIED", "g1", "22")
    packed = gzip.compress(plain)

    async def gz_watch(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(
            head("200 OK", "Content-Type: application/json", "Content-Encoding: gzip", "Transfer-Encoding: chunked")
        )
        for part in (packed[:7], packed[7:]):
            w.write(b"%x\r\n%s\r\n" % (len(part), part))
        w.write(b"0\r\n\r\n")
        return True

    lane.cloud.routes[POD_PATH] = gz_watch
    [(h, body)] = await lane.exchange(get(f"{POD_PATH}?watch=true", "Accept-Encoding: gzip"))
    assert b"Content-Encoding" not in h, "the hub sends what its filters read: plain JSON"
    assert [json.loads(x)["type"] for x in body.splitlines()] == ["ADDED", "MODIFIED"]
    assert json.loads(lane.disk.get("kubelet/pods.v1.core/default/g1") or b"{}")["metadata"]["resourceVersion"] == "22"


async def test_hop_only_headers_never_reach_the_client(lane: Lane) -> None:
    body = pod("a")
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(body, "Content-Type: application/json", "Keep-Alive: timeout=5")
    [(h, got)] = await lane.exchange(get(f"{POD_PATH}/a"))
    assert got == body and b"Keep-Alive" not in h, "an answer with a hop-only header is not passed on verbatim"


async def test_a_filtered_body_is_never_passed_on_verbatim(lane: Lane) -> None:
    obj = json.loads(pod("a"))
    obj["spec"]["containers"][0]["env"] = [{"name": "KUBERNETES_SERVICE_HOST", "value": "10.96.0.1"}]
    body = json.dumps(obj, separators=(",", ":")).encode()
    lane.cloud.routes[f"{POD_PATH}/a"] = fixed(body, "Content-Type: application/json")
    for _ in range(2):  # the second time the remembered answer is the filtered one
        [(_, got)] = await lane.exchange(get(f"{POD_PATH}/a"))
        env = json.loads(got)["spec"]["containers"][0]["env"]
        assert env[0]["value"] != "10.96.0.1", "serviceenvupdater rewrote kubelet's view"


async def test_bytes_after_an_answer_never_reach_the_client(lane: Lane) -> None:
    body = pod("a")

    async def answer_and_junk(w: asyncio.StreamWriter, _: str) -> bool:
        w.write(head("200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}") + body + b"JUNK")
        return True

    lane.cloud.routes[f"{POD_PATH}/a"] = answer_and_junk
    reader, writer = await asyncio.open_connection("127.0.0.1", lane.port)
    for _ in range(3):  # the second and third time the head is a known one
        writer.write(get(f"{POD_PATH}/a"))
        h, got = await read_response(reader)
        assert h.startswith(b"HTTP/1.1 200 ") and got == body
    writer.write(get(f"{POD_PATH}/a", close=True))
    h, got = await read_response(reader)
    assert h.startswith(b"HTTP/1.1 200 ") and got == body
    assert await asyncio.wait_for(reader.read(), 5) == b"", "no stray bytes, ever"
    writer.close()
    assert lane.cloud.connections == 4, "a connection out of step is never used again"
