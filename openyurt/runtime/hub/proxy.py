"""The hub's reverse proxy: every node agent's request to the cloud passes here.

Online, a request goes to a healthy cloud server and its answer streams back; for cacheable
components the answer is also filtered (per component) and written to the local cache — lists replace
the cached set, each watch event updates it. Offline (no healthy server), the pure decision of
``openyurt.core.hub.offline`` says what to answer from the cache. The protocol rules all live in
``openyurt.core.hub``; this module only moves bytes, in the cheapest way that keeps them correct: a
response nobody needs to read streams through untouched, a cacheable one is parsed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

import aiohttp
import attrs
from aiohttp import web
from yarl import URL

from openyurt.core.hub import offline
from openyurt.core.hub.cachepolicy import (
    CACHED_NONRESOURCE_PATHS,
    can_cache,
    check_list_selector,
    list_key,
    list_selector_of,
    needs_list_selector_check,
    nonresource_key,
    request_key,
    stores_response,
)
from openyurt.core.hub.filters import (
    FilterChain,
    FilterContext,
    ObjectFilter,
    apply_to_list,
    apply_to_object,
    apply_to_watch_event,
    raw_markers,
)
from openyurt.core.hub.http1 import ResponseHead, parse_request_head
from openyurt.core.hub.requestinfo import HubRequest, is_hub_itself, make_request, request_deadline_seconds, route_of
from openyurt.runtime.hub.cacheview import HubCache, ParsedEvent, WatchSink, dumps, encode_body
from openyurt.runtime.hub.cloud import Backend, Cloud
from openyurt.runtime.hub.health import HealthChecker
from openyurt.runtime.hub.metrics import HubMetrics, LabelCounts

log = logging.getLogger(__name__)

JSON: Final = "application/json"
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Local watches without ``timeoutSeconds`` end after a random time in [base, 2*base) (upstream 1800 s).
MIN_REQUEST_TIMEOUT: Final = 1800.0
#: Lists whose answer is remembered (by upstream body fingerprint) to skip re-filtering/re-caching.
LIST_MEMO_ENTRIES: Final = 64
LIST_MEMO_MAX_BYTES: Final = 256 << 10
#: Bytes all remembered answers may hold together (the hub's memory target is 60 MB).
LIST_MEMO_BUDGET: Final = 4 << 20
TRANSPORT_ERRORS: Final = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError, OSError)
#: Distinct requests whose classification (and metric children) are remembered.
REQUEST_MEMO_ENTRIES: Final = 4096
#: Distinct request heads whose fast-lane plan is remembered (heads are a few hundred bytes each).
FAST_MEMO_ENTRIES: Final = 1024
#: kubelet's Node GET: reads/writes of the Node before giving up (upstream: 5).
NODE_ATTEMPTS: Final = 5
DIRECT_TIMEOUT: Final = aiohttp.ClientTimeout(total=5, sock_connect=2)


def json_accept(accept: str) -> str | None:
    """``accept`` without protobuf/CBOR clauses, so the cloud answers in JSON the hub can read.

    None when no JSON-capable clause would remain (the response is then passed through uncached).
    """
    clauses = [c.strip() for c in accept.split(",") if c.strip()]
    if not clauses:
        return JSON
    keep = [c for c in clauses if not any(x in c.split(";", 1)[0] for x in ("protobuf", "cbor", "yaml"))]
    medias = {c.split(";", 1)[0].strip() for c in keep}
    if not medias & {JSON, "*/*", "application/*"}:
        return None
    return accept if len(keep) == len(clauses) else ",".join(keep)


def _status(code: int, reason: str, message: str) -> bytes:
    return dumps(offline.status_body(code, reason, message))


def json_response(status: int, body: bytes, content_type: str = JSON) -> web.Response:
    return web.Response(status=status, body=body, headers={"Content-Type": content_type})


@attrs.frozen
class FastRequest:
    """What the fast lane does with one kind of request; the same for every repeat of its head.

    Built from the request head and the hub's state at the time (``chain``, ``agents``, ``token``
    say which), so a repeat is a dictionary hit while they stay the same objects.
    """

    req: HubRequest
    store: bool
    filters: tuple[ObjectFilter, ...]
    #: end-to-end headers for the cloud (credentials and Accept as :meth:`Proxy._forward` sends them)
    headers: tuple[tuple[str, str], ...]
    #: the client's path and query exactly as received
    target: str
    deadline: float | None
    keep_alive: bool
    #: a watch: the answer streams through a :class:`WatchRelay`
    watch: bool
    counters: LabelCounts
    #: the answer memo's key, and the cache file of a get (both as :meth:`Proxy._readable_answer`)
    memo_key: str
    object_key: str | None
    #: a list without a name: (list key, selector) whose cacheability the cache decides, and its verdict
    #: when planned (the plan holds while the verdict does)
    selector_check: tuple[str, str] | None
    cacheable: bool
    chain: FilterChain
    agents: frozenset[str]
    token: str | None
    #: the request as sent to each cloud server, encoded once
    wire: dict[str, bytes] = attrs.field(factory=dict, eq=False)

    def encoded(self, url: str, authority: str) -> bytes:
        out = self.wire.get(url)
        if out is None:
            lines = "".join(f"{k}: {v}\r\n" for k, v in self.headers)
            out = self.wire[url] = f"GET {self.target} HTTP/1.1\r\nHost: {authority}\r\n{lines}\r\n".encode("latin-1")
        return out


class WatchRelay:
    """One watch stream's way through the hub: bytes out as they come, parsing only events a filter
    could change.

    Each read is every byte the socket had, so one write carries several events. Events without any
    of the chain's :func:`raw_markers` pass unparsed; the rest are parsed once, filtered and
    re-encoded only when changed (an object the chain drops goes out as DELETED). What the client
    gets is handed to the cache's :class:`WatchSink` before it is sent (so a cache read after the
    client saw an event sees it), which parses and stores it on the cache's writer thread. A chain
    without markers parses every event here, so the sink gets the parsed events and does not parse
    them again. Used by both the aiohttp path and the fast lane.
    """

    def __init__(
        self,
        proxy: Proxy,
        req: HubRequest,
        filters: tuple[ObjectFilter, ...],
        sink: WatchSink | None,
        *,
        inflate: bool,
    ) -> None:
        self.proxy = proxy
        self.req = req
        self.filters = filters
        self.sink = sink
        self.markers = raw_markers(filters)
        #: a gzipped stream the filters must read is inflated here (and sent plain)
        self.inflating = inflate
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if inflate else None
        self._parsed = sink is not None and bool(filters) and self.markers is None
        self._ctx = proxy.state.ctx
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """What to send for the next bytes of the cloud's body (maybe nothing yet)."""
        if self._inflate is not None:
            chunk = self._inflate.decompress(chunk)
        events: list[ParsedEvent] | None = None
        if self.filters:
            # whole lines only: a marker or an event may straddle two reads
            if self._pending:
                chunk = self._pending + chunk
            cut = chunk.rfind(b"\n") + 1
            self._pending = chunk[cut:]
            chunk = chunk[:cut]
            events = [] if self._parsed else None
            markers = self.markers
            if markers is None or any(m in chunk for m in markers):
                chunk = self.proxy._filter_lines(self.req, chunk, self.filters, markers, self._ctx, events)
        if chunk:
            self._to_sink(chunk, events)
        return chunk

    def finish(self) -> bytes:
        """The last, unterminated line of a stream that ended (through the filters)."""
        pending, self._pending = self._pending, b""
        if not pending.strip():
            return b""
        events: list[ParsedEvent] | None = [] if self._parsed else None
        tail = self.proxy._filter_lines(self.req, pending, self.filters, self.markers, self._ctx, events)
        if tail:
            self._to_sink(tail, events)
        return tail

    def _to_sink(self, data: bytes, events: list[ParsedEvent] | None) -> None:
        if self.sink is not None:
            if events is not None:
                self.sink.feed_events(events)
            else:
                self.sink.feed(data)

    def close(self, *, complete: bool) -> None:
        """The stream ended; ``complete``: the cloud ended it (else the relay broke off)."""
        if self.sink is not None:
            self.sink.close(complete=complete)
            self.sink = None


class HubState:
    """What changes at run time: cache agents, the filter chain and what the filters know, readiness."""

    def __init__(self, agents: frozenset[str], chain: FilterChain, ctx: FilterContext) -> None:
        self.agents = agents
        self.chain = chain
        self.ctx = ctx
        self.ready_checks: dict[str, Callable[[], bool]] = {}

    def not_ready(self) -> list[str]:
        return [name for name, ok in self.ready_checks.items() if not ok()]


class Proxy:
    """The aiohttp handler of the proxy port."""

    def __init__(
        self,
        *,
        node_name: str,
        cloud: Cloud,
        health: HealthChecker,
        cache: HubCache,
        state: HubState,
        metrics: HubMetrics,
        min_request_timeout: float = MIN_REQUEST_TIMEOUT,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.node_name = node_name
        self.cloud = cloud
        self.health = health
        self.cache = cache
        self.state = state
        self.metrics = metrics
        self.min_request_timeout = min_request_timeout
        self.now = now
        #: last readable answer per request: (cloud body, chain, ctx, what the client got)
        self._list_memo: dict[str, tuple[bytes, FilterChain, FilterContext, bytes]] = {}
        self._list_memo_bytes = 0
        self._requests: dict[tuple[str, str, str | None, str | None, str | None], HubRequest] = {}
        self._ctx_base: FilterContext | None = None
        self._ctx_versions: dict[str, FilterContext] = {}
        #: consecutive kubelet Node GETs that found cache write errors (the Autonomy condition's counter)
        self._autonomy_failures = 0
        #: connections the fast lane handed over mid-request, their request already counted
        self._counted: dict[Any, bool] = {}
        #: raw markers of each filter tuple seen (None: the tuple makes no promise)
        self._markers: dict[tuple[ObjectFilter, ...], tuple[bytes, ...] | None] = {}
        #: object keys found cached, with the cache's removal count then (see ``_still_cached``)
        self._seen_cached: dict[str, int] = {}
        #: every readiness check passed once (they never fail again after that)
        self._ready = False
        #: fast-lane plans by raw request head
        self._fast: dict[bytes, FastRequest] = {}

    # ------------------------------------------------------------------ entry

    def _classify(self, request: web.BaseRequest) -> HubRequest:
        """The request's :class:`HubRequest`, memoised: agents repeat the same few requests all day.

        Everything ``make_request`` reads is in the key (method, raw path with query, and the three
        headers it looks at), and a HubRequest is immutable, so a hit is exactly a recomputation.
        """
        headers = request.headers
        key = (
            request.method,
            request.raw_path,
            headers.get("User-Agent"),
            headers.get("Accept"),
            headers.get("Content-Type"),
        )
        req = self._requests.get(key)
        if req is None:
            req = self._remember(key, make_request(request.method, request.path, request.query.items(), headers))
        return req

    def _remember(self, key: tuple[str, str, str | None, str | None, str | None], req: HubRequest) -> HubRequest:
        if len(self._requests) >= REQUEST_MEMO_ENTRIES:
            self._requests.pop(next(iter(self._requests)))
        self._requests[key] = req
        return req

    def _counters(self, req: HubRequest) -> LabelCounts:
        """The counters of a request's labels."""
        info = req.info
        return self.metrics.counts_for((req.component, info.verb, info.resource, info.subresource))

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        req = self._classify(request)
        if not (self._counted and self._counted.pop(request.transport, False)):
            self._counters(req).requests += 1
        self.metrics.in_flight += 1
        try:
            if not is_hub_itself(req.user_agent, self.node_name):
                missing = self.state.not_ready()
                if missing:
                    msg = f"yurthub is not ready: waiting for {', '.join(missing)}"
                    return json_response(503, _status(503, "ServiceUnavailable", msg))
            route = route_of(req, node_name=self.node_name)
            if route == "kubelet_lease":
                self.health.kubelet_renewed()
                return await self._local(request, req)
            if route == "kubelet_node" and self._cacheable(req):
                answered = await self._kubelet_node(req)
                if answered is not None:
                    return answered
            backend = self.cloud.pick()
            if backend is None:
                if route == "cloud_only":
                    return web.Response(status=502, text="no healthy backends available.")
                return await self._local(request, req)
            return await self._forward(request, req, backend)
        finally:
            self.metrics.in_flight -= 1

    def _cacheable(self, req: HubRequest) -> bool:
        if not can_cache(req, self.state.agents):
            return False
        if needs_list_selector_check(req):
            verdict = check_list_selector(self.cache.disk.selectors(), list_key(req), list_selector_of(req))
            return verdict != "reject"
        return True

    def _hit(self, req: HubRequest) -> None:
        self._counters(req).hits += 1

    # ------------------------------------------------------------------ the fast lane (fastlane.py)

    def fast_start(self, raw_head: bytes) -> tuple[FastRequest, Backend] | None:
        """What the fast lane does with a request (``raw_head``: its head, final CRLFCRLF included) and
        the cloud server it goes to; None to hand the request to aiohttp.

        The fast lane takes what agents do all day: body-less GETs, LISTs and watches of resources,
        online, to a healthy cloud server, outside the kubelet Lease/Node special routes; they get
        exactly what :meth:`_forward` would do. Raises :class:`HttpError` for a malformed head.
        """
        fr = self._fast.get(raw_head)
        state = self.state
        if (
            fr is None
            or fr.chain is not state.chain
            or fr.agents is not state.agents
            or fr.token != self.cloud.token
            or (fr.selector_check is not None and self._selector_allows(fr.selector_check) != fr.cacheable)
        ):
            fr = self._fast_plan(raw_head)
            if fr is None:
                return None
        if not self._ready and not is_hub_itself(fr.req.user_agent, self.node_name):
            if state.not_ready():
                return None
            # readiness is the informers' first sync: once every registered check passed, it stays
            self._ready = bool(state.ready_checks)
        backend = self.cloud.pick()
        if backend is None:
            return None
        fr.counters.requests += 1
        self.metrics.in_flight += 1
        return fr, backend

    def _fast_plan(self, raw_head: bytes) -> FastRequest | None:
        head = parse_request_head(raw_head)
        if head is None or head.method != "GET" or head.has_body or head.get("upgrade") is not None:
            return None  # (an Upgrade, e.g. a websocket exec, is no plain request/answer)
        ua, client_accept, ctype = head.get("user-agent"), head.get("accept"), head.get("content-type")
        key = ("GET", head.target, ua, client_accept, ctype)
        req = self._requests.get(key)
        if req is None:
            url = URL(head.target, encoded=True)
            headers = {k: v for k, v in (("User-Agent", ua), ("Accept", client_accept), ("Content-Type", ctype)) if v}
            req = self._remember(key, make_request("GET", url.path, url.query.items(), headers))
        info = req.info
        if info.verb not in ("get", "list", "watch") or not info.is_resource_request:
            return None
        route = route_of(req, node_name=self.node_name)
        if route == "kubelet_lease" or (route == "kubelet_node" and self._cacheable(req)):
            return None
        state = self.state
        store = stores_response(req, state.agents) and self._cacheable(req)
        # a list's cacheability also depends on the selectors the cache holds: checked per request
        check = None
        if needs_list_selector_check(req) and can_cache(req, state.agents):
            check = (list_key(req), list_selector_of(req))
        filters: tuple[ObjectFilter, ...] = ()
        if req.accept_as not in ("Table", "PartialObjectMetadata", "PartialObjectMetadataList"):
            filters = state.chain.for_request(req)
        accept: str | None = None
        if store or filters:
            accept = json_accept(req.accept)
            if accept is None:
                store, filters = False, ()
        fr = FastRequest(
            req=req,
            store=store,
            filters=filters,
            headers=tuple(self._upstream_headers(head.headers, accept)),
            target=head.target,
            deadline=request_deadline_seconds(req),
            keep_alive=head.keep_alive,
            watch=info.verb == "watch",
            counters=self._counters(req),
            memo_key=_memo_key(req),
            object_key=request_key(req) if info.verb == "get" else None,
            selector_check=check,
            cacheable=self._selector_allows(check) if check is not None else True,
            chain=state.chain,
            agents=state.agents,
            token=self.cloud.token,
        )
        if len(self._fast) >= FAST_MEMO_ENTRIES:
            self._fast.pop(next(iter(self._fast)))
        self._fast[raw_head] = fr
        return fr

    def _selector_allows(self, check: tuple[str, str]) -> bool:
        """Whether the cache takes a list of this key and selector now (see ``check_list_selector``)."""
        return check_list_selector(self.cache.disk.selectors(), *check) != "reject"

    def fast_readable(self, fr: FastRequest, head: ResponseHead) -> bool:
        """Whether the answer is read whole (filtered/cached) rather than relayed as it comes."""
        if not (fr.store or fr.filters) or not 200 <= head.status <= 206:
            return False
        is_json: bool | None = head.derived.get("json")
        if is_json is None:
            ctype = (head.get("content-type") or "").split(";", 1)[0].strip()
            is_json = head.derived["json"] = ctype == JSON
        return is_json

    def fast_answer(self, fr: FastRequest, head: ResponseHead, raw: bytes) -> tuple[bytes, Callable[[], None] | None]:
        """A readable answer's body and its after-write store, as :meth:`_buffered`."""
        encoding = head.get("content-encoding")
        keys = (fr.memo_key, fr.object_key)
        return self._readable_answer(fr.req, encoding or "", raw, fr.filters, fr.store, keys=keys)

    def fast_verbatim(self, fr: FastRequest, head: ResponseHead, data: bytes, at: int) -> Callable[[], None] | None:
        """Whether the fast lane may pass an answer (``data``, its body from ``at``) on as the cloud
        sent it — None when the filters could change it (it then takes the general path) — and what to
        do once the client has it.

        The client gets what :meth:`_readable_answer` would give: the same body, as no filter changes
        a body without one of the chain's raw markers, nor the very body it passed unchanged last time.
        The body is compared and scanned in place: a list's is large, and copying it costs as much.
        """
        if not self.fast_readable(fr, head):
            return _nothing
        memo = self._list_memo.get(fr.memo_key)
        unchanged = (
            memo is not None
            and memo[3] is memo[0]
            and memo[1] is self.state.chain
            and memo[2] is self.state.ctx
            and len(memo[0]) == len(data) - at
            and data.startswith(memo[0], at)
        )
        # (markers in the head too only send an answer the general way: safe)
        if not unchanged and fr.filters and self._may_filter(fr.filters, data):
            return None
        if not fr.store:
            return _nothing
        keys = (fr.memo_key, fr.object_key)
        req, store = fr.req, fr.store

        def after() -> None:
            # an unchanged list is cached as it is; an unchanged object unless it left the cache since
            if unchanged and (keys[1] is None or self._still_cached(keys[1])):
                return
            _, then = self._readable_answer(req, "", data[at:], (), store, keys=keys)
            if then is not None:
                then()

        return after

    def _still_cached(self, key: str) -> bool:
        """Whether the object under ``key`` is cached: a look-up only when something left the cache
        since the last time it was found there."""
        disk = self.cache.disk
        removals = disk.removals
        if self._seen_cached.get(key) == removals:
            return True
        if disk.resource_version(key) is None:
            return False
        if len(self._seen_cached) >= FAST_MEMO_ENTRIES:
            self._seen_cached.clear()
        self._seen_cached[key] = removals
        return True

    def fast_watch(self, fr: FastRequest, head: ResponseHead) -> tuple[list[tuple[str, str]], WatchRelay]:
        """Headers and stream state of a watch the cloud accepted (as :meth:`_stream_watch`)."""
        ctype = (head.get("content-type") or "").split(";", 1)[0].strip()
        readable = bool(fr.store or fr.filters) and ctype == JSON
        encoding = head.get("content-encoding") or ""
        relay = self.watch_relay(fr.req, encoding, fr.filters if readable else (), fr.store and readable)
        headers = self._copy_headers(head.headers, keep_length=False, keep_encoding=not relay.inflating)
        return headers, relay

    def fast_headers(self, head: ResponseHead, *, readable: bool) -> list[tuple[str, str]]:
        """The cloud's end-to-end headers for the client: a readable answer is sent decompressed and
        re-framed, a relayed one keeps its encoding and length (as :meth:`_buffered`/:meth:`_passthrough`)."""
        return self._copy_headers(head.headers, keep_length=not readable, keep_encoding=not readable)

    def fast_failed(
        self, fr: FastRequest, backend: Backend, timed_out: bool
    ) -> Backend | tuple[int, bytes | None] | None:
        """The cloud failed before the client got a byte (as :meth:`_transport_fallback`): another
        healthy server for the same request, else the cache's answer; None: hand it to aiohttp."""
        if not timed_out:
            self.health.report_failure(backend)
        other = self.cloud.pick()
        if other is not None and other is not backend:
            return other
        d = offline.decide_on_transport_error(
            fr.req, self.cache, cacheable=self._cacheable(fr.req), agents=self.state.agents
        )
        return self._simple_answer(fr.req, d)

    def fast_handover(self, counted: Any) -> None:
        """The fast lane hands a request it counted to aiohttp: do not count it again."""
        if len(self._counted) >= REQUEST_MEMO_ENTRIES:
            self._counted.clear()  # (connections that went away before aiohttp read their request)
        self._counted[counted] = True

    def fast_done(self) -> None:
        self.metrics.in_flight -= 1

    # ------------------------------------------------------------------ kubelet's Node GET (§1.6)

    async def _kubelet_node(self, req: HubRequest) -> web.StreamResponse | None:
        """kubelet's GET of a Node: the cached Node, with its ``Autonomy`` condition kept current.

        As upstream's autonomy proxy: the Node comes from the cache (from the cloud on a miss), the
        desired condition is computed and, when it changed, written through ``nodes/status``; a
        conflict or failure re-reads the Node from the cloud, up to :data:`NODE_ATTEMPTS` times.
        Unlike upstream, when the condition cannot be written (cloud down) the cached Node is served
        as it is rather than an error. None: nothing to serve (the caller falls back to the default
        route: the cloud, else the cache decision).
        """
        info = req.info
        key = request_key(req)
        cached = self.cache.disk.get(key)
        if info.name != self.node_name:
            if cached is None:
                return None
            self._hit(req)
            return json_response(200, cached)
        node: dict[str, Any] | None = _dict(_loads(cached)) if cached is not None else None
        raw = cached
        failures = self._autonomy_failures
        first = True
        for attempt in range(NODE_ATTEMPTS):
            if node is None:
                backend = self.cloud.pick()
                if backend is None:
                    break
                raw = await self._cloud_node(backend, info.name, "0" if attempt <= 1 else None)
                node = _dict(_loads(raw)) if raw is not None else None
                if node is None:
                    continue
            errors = self.cache.disk.error_keys()
            update = offline.autonomy_condition_update(
                node,
                cache_error_count=len(errors),
                cache_error_message="; ".join(f"{k}: {v}" for k, v in sorted(errors.items())),
                failures=failures,
                now=offline.rfc3339(int(self.now())),
            )
            if first:
                # one cache check per kubelet GET, however many attempts the write takes
                self._autonomy_failures = update.failures
                first = False
            if not update.changed:
                if raw is cached:
                    self._hit(req)
                else:
                    self._store(req, node, False)
                return json_response(200, raw if raw is not None else dumps(node))
            backend = self.cloud.pick()
            written = await self._update_node_status(backend, update.node) if backend is not None else None
            if written is not None:
                self._store(req, written, False)
                return json_response(200, dumps(written))
            node = None
        if cached is None:
            return None
        self._hit(req)
        return json_response(200, cached)

    def _direct_headers(self) -> dict[str, str]:
        """The hub's own identity towards the cloud (upstream's direct client)."""
        return {"User-Agent": self.cloud.user_agent, "Accept": JSON, **self.cloud.auth_headers()}

    async def _cloud_node(self, backend: Backend, name: str, resource_version: str | None) -> bytes | None:
        url = f"{backend.url}/api/v1/nodes/{name}"
        if resource_version is not None:
            url += f"?resourceVersion={resource_version}"
        try:
            async with self.cloud.session.get(url, headers=self._direct_headers(), timeout=DIRECT_TIMEOUT) as r:
                body = await r.read()
                return body if r.status == 200 else None
        except TRANSPORT_ERRORS as exc:
            log.info("hub: reading node %s from %s failed: %s", name, backend.url, exc)
            return None

    async def _update_node_status(self, backend: Backend, node: dict[str, Any]) -> dict[str, Any] | None:
        name = str((node.get("metadata") or {}).get("name") or self.node_name)
        url = f"{backend.url}/api/v1/nodes/{name}/status"
        headers = {**self._direct_headers(), "Content-Type": JSON}
        try:
            async with self.cloud.session.put(url, data=dumps(node), headers=headers, timeout=DIRECT_TIMEOUT) as r:
                body = await r.read()
                if r.status != 200:
                    log.info("hub: updating the Autonomy condition of %s: HTTP %d", name, r.status)
                    return None
                return _dict(_loads(body))
        except TRANSPORT_ERRORS as exc:
            log.info("hub: updating the Autonomy condition of %s failed: %s", name, exc)
            return None

    # ------------------------------------------------------------------ offline

    async def _local(self, request: web.BaseRequest, req: HubRequest) -> web.StreamResponse:
        if not req.info.is_resource_request and request.method == "GET":
            saved = self.cache.disk.get_doc(_doc_key(req))
            if saved is not None:
                ctype, _, body = saved.partition(b"\n")
                self._hit(req)
                return web.Response(status=200, body=body, headers={"Content-Type": ctype.decode()})
        d = offline.decide_offline(req, self.cache, cacheable=self._cacheable(req), agents=self.state.agents)
        return await self._execute(request, req, d)

    async def _execute(
        self, request: web.BaseRequest, req: HubRequest, d: offline.OfflineDecision
    ) -> web.StreamResponse:
        simple = self._simple_answer(req, d)
        if simple is not None:
            status, body = simple
            return web.Response(status=status) if body is None else json_response(status, body)
        if d.action == "watch_until_healthy":
            return await self._hold_watch(request, req, d.timeout_seconds)
        body = await request.read()
        ctype = request.headers.get("Content-Type", JSON)
        if d.action == "fake_token":
            try:
                tr = json.loads(body) if body else {}
            except ValueError:
                tr = None
            out = offline.fake_token_response(tr, req.info, int(self.now())) if isinstance(tr, dict) else None
            if out is not None:
                return json_response(201, dumps(out))
        if d.store:
            with contextlib.suppress(ValueError):
                obj = json.loads(body)
                if isinstance(obj, dict):
                    self.cache.store_object(req, obj)
        return web.Response(status=201, body=body, headers={"Content-Type": ctype})

    def _simple_answer(self, req: HubRequest, d: offline.OfflineDecision) -> tuple[int, bytes | None] | None:
        """Status and JSON body of a decision that needs nothing from the request; None otherwise."""
        if d.action in ("serve_object", "serve_list"):
            self._hit(req)
            return d.status, encode_body(d.body or {})
        if d.action in ("not_found", "reject", "respond"):
            if d.action == "respond" and d.status == 200:
                self._hit(req)
            return d.status, None if d.body is None else encode_body(d.body)
        return None

    async def _hold_watch(self, request: web.BaseRequest, req: HubRequest, timeout: int | None) -> web.StreamResponse:
        """An offline watch: headers now, no events, end when the cloud is back (clients re-list)."""
        ctype = req.content_type if req.content_type and "*" not in req.content_type else JSON
        resp = web.StreamResponse(status=200, headers={"Content-Type": ctype})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        self._hit(req)
        limit = float(timeout) if timeout is not None else random.uniform(1.0, 2.0) * self.min_request_timeout
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.health.wait_healthy(), limit)
        with contextlib.suppress(ConnectionError):
            await resp.write_eof()
        return resp

    # ------------------------------------------------------------------ online

    def _upstream_headers(self, headers: Iterable[tuple[str, str]], accept: str | None) -> list[tuple[str, str]]:
        """The client's end-to-end headers, ``Accept`` rewritten when given, the hub's credentials
        when the client brings none (a pod's own service-account token is kept, as upstream)."""
        out: list[tuple[str, str]] = []
        has_auth = False
        for k, v in headers:
            lk = k.lower()
            if lk in HOP_BY_HOP or (accept is not None and lk == "accept"):
                continue
            has_auth = has_auth or lk == "authorization"
            out.append((k, v))
        if accept is not None:
            out.append(("Accept", accept))
        if not has_auth:
            out.extend(self.cloud.auth_headers().items())
        return out

    async def _forward(self, request: web.BaseRequest, req: HubRequest, backend: Backend) -> web.StreamResponse:
        info = req.info
        store = stores_response(req, self.state.agents) and self._cacheable(req)
        filters: tuple[ObjectFilter, ...] = ()
        if req.accept_as not in ("Table", "PartialObjectMetadata", "PartialObjectMetadataList"):
            filters = self.state.chain.for_request(req)
        accept: str | None = None
        if store or filters:
            accept = json_accept(req.accept)
            if accept is None:
                store, filters = False, ()
        save_doc = not info.is_resource_request and request.method == "GET" and _saved_nonresource(req.path)
        body = await request.read() if request.body_exists else None
        headers = self._upstream_headers(request.headers.items(), accept)
        deadline = request_deadline_seconds(req)
        timeout = aiohttp.ClientTimeout(total=deadline, sock_connect=5)
        # the client's path and query exactly as received: no decode/re-quote round trip
        url = URL(backend.url + request.raw_path, encoded=True)
        traffic = self._counters(req)
        started: list[web.StreamResponse] = []
        try:
            async with self.cloud.session.request(
                request.method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False
            ) as upstream:
                ok = 200 <= upstream.status <= 206
                ctype = upstream.headers.get("Content-Type", "")
                is_json = ctype.split(";", 1)[0].strip() == JSON
                readable = ok and bool(store or filters) and is_json
                if info.verb == "watch" and ok:
                    return await self._stream_watch(
                        request, req, upstream, filters if readable else (), store and readable, traffic, started
                    )
                if readable:
                    return await self._buffered(request, req, upstream, filters, store, traffic, started)
                if save_doc and ok and is_json:
                    return await self._save_doc(req, upstream, traffic)
                return await self._passthrough(request, upstream, traffic, started)
        except TRANSPORT_ERRORS as exc:
            log.info("hub: %s %s via %s failed: %s", request.method, request.path, backend.url, exc)
            if started:
                # the client already has part of the answer: end it, the client retries
                with contextlib.suppress(Exception):
                    await started[0].write_eof()
                return started[0]
            if not isinstance(exc, TimeoutError):
                self.health.report_failure(backend)
            return await self._transport_fallback(request, req, backend)

    async def _save_doc(
        self, req: HubRequest, upstream: aiohttp.ClientResponse, traffic: LabelCounts
    ) -> web.StreamResponse:
        raw = await upstream.read()
        traffic.traffic += len(raw)
        headers = self._copy_headers(upstream.headers.items(), keep_length=False, keep_encoding=True)
        if "content-encoding" not in {k.lower() for k, _ in headers}:
            ctype = upstream.headers.get("Content-Type", JSON)
            self.cache.disk.put_doc(_doc_key(req), ctype.encode() + b"\n" + raw)
            if req.path in CACHED_NONRESOURCE_PATHS:
                self.cache.disk.put_doc(nonresource_key(req.path), raw)
        return web.Response(status=upstream.status, body=raw, headers=headers)

    async def _transport_fallback(
        self, request: web.BaseRequest, req: HubRequest, backend: Backend
    ) -> web.StreamResponse:
        other = self.cloud.pick()
        if other is not None and other is not backend and req.info.verb in ("get", "list", "watch"):
            return await self._forward(request, req, other)
        if req.info.verb == "watch" and self._cacheable(req):
            return await self._local(request, req)
        d = offline.decide_on_transport_error(req, self.cache, cacheable=self._cacheable(req), agents=self.state.agents)
        return await self._execute(request, req, d)

    @staticmethod
    def _copy_headers(
        headers: Iterable[tuple[str, str]], *, keep_length: bool, keep_encoding: bool
    ) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for k, v in headers:
            lk = k.lower()
            if lk in HOP_BY_HOP and not (keep_length and lk == "content-length"):
                continue
            if lk == "content-encoding" and not keep_encoding:
                continue
            out.append((k, v))
        return out

    async def _passthrough(
        self,
        request: web.BaseRequest,
        upstream: aiohttp.ClientResponse,
        traffic: LabelCounts,
        started: list[web.StreamResponse],
    ) -> web.StreamResponse:
        headers = self._copy_headers(upstream.headers.items(), keep_length=True, keep_encoding=True)
        length = upstream.headers.get("Content-Length")
        if length is not None and int(length) <= 1 << 20:
            data = await upstream.read()
            traffic.traffic += len(data)
            return web.Response(status=upstream.status, body=data, headers=headers)
        resp = web.StreamResponse(status=upstream.status, headers=headers)
        if length is None:
            resp.enable_chunked_encoding()
        await resp.prepare(request)
        started.append(resp)
        async for chunk in upstream.content.iter_any():
            traffic.traffic += len(chunk)
            await resp.write(chunk)
        await resp.write_eof()
        return resp

    async def _buffered(
        self,
        request: web.BaseRequest,
        req: HubRequest,
        upstream: aiohttp.ClientResponse,
        filters: tuple[ObjectFilter, ...],
        store: bool,
        traffic: LabelCounts,
        started: list[web.StreamResponse],
    ) -> web.StreamResponse:
        raw = await upstream.read()
        traffic.traffic += len(raw)
        encoding = upstream.headers.get("Content-Encoding", "")
        payload, after = self._readable_answer(req, encoding, raw, filters, store)
        headers = self._copy_headers(upstream.headers.items(), keep_length=False, keep_encoding=False)
        # one Response: headers and body leave in a single write
        resp = web.Response(status=upstream.status, body=payload, headers=headers)
        await resp.prepare(request)
        started.append(resp)
        await resp.write_eof()
        if after is not None:
            after()
        return resp

    def _readable_answer(
        self,
        req: HubRequest,
        encoding: str,
        raw: bytes,
        filters: tuple[ObjectFilter, ...],
        store: bool,
        keys: tuple[str, str | None] | None = None,
    ) -> tuple[bytes, Callable[[], None] | None]:
        """The filtered (and decompressed) body of a readable (JSON, 2xx) answer, and what to do once
        the client has it: caching never slows a read down, so the store runs after the write."""
        plain = zlib.decompress(raw, 16 + zlib.MAX_WBITS) if encoding and encoding.lower() == "gzip" else raw
        is_list = req.info.verb == "list"
        # reads repeat: the same body as last time (same resourceVersion) has the same filtered answer
        # and is cached already, so it is neither parsed, filtered nor stored again
        memoised = is_list or req.info.verb == "get"
        obj: Any = None
        payload = plain
        memo_key, object_key = keys if keys is not None else (_memo_key(req), None)
        chain, ctx = self.state.chain, self.state.ctx
        memo = self._list_memo.get(memo_key) if memoised else None
        if (
            memo is not None
            and not is_list
            and self.cache.disk.resource_version(object_key or request_key(req)) is None
        ):
            memo = None  # the object left the cache since (a list replaced its directory): store it again
        # bytes equality (a memcmp) is cheaper than hashing the body, and exact
        if memo is not None and memo[1] is chain and memo[2] is ctx and memo[0] == plain:
            payload, store = memo[3], False
        elif filters and self._may_filter(filters, plain):
            obj = _loads(plain)
            if isinstance(obj, dict):
                out = self._filter_safely(req, obj, filters, is_list and isinstance(obj.get("items"), list))
                if out is not obj:
                    payload = dumps(out)
                    obj = out
        if not store:
            return payload, None

        def after() -> None:
            if obj is None and is_list:
                # what the client got is the cloud's body: its items are decoded one at a time
                stored = self._store_list_json(req, plain)
            else:
                parsed = _loads(plain) if obj is None else obj
                stored = isinstance(parsed, dict)
                if stored:
                    self._store(req, parsed, is_list and isinstance(parsed.get("items"), list))
            if stored and memoised and len(plain) <= LIST_MEMO_MAX_BYTES and len(payload) <= LIST_MEMO_MAX_BYTES:
                self._remember_answer(memo_key, (plain, chain, ctx, payload))

        return payload, after

    def _may_filter(self, filters: tuple[ObjectFilter, ...], body: bytes) -> bool:
        """Whether ``filters`` could change anything in ``body``: none of their raw markers in the
        bytes proves they cannot, and a substring scan is far cheaper than decoding a big list."""
        if filters not in self._markers:
            if len(self._markers) >= REQUEST_MEMO_ENTRIES:
                self._markers.clear()  # chains are rebuilt when the hub's ConfigMap changes
            self._markers[filters] = raw_markers(filters) or None
        markers = self._markers[filters]
        return markers is None or any(m in body for m in markers)

    def _store_list_json(self, req: HubRequest, raw: bytes) -> bool:
        try:
            return self.cache.store_list_json(req, raw)
        except Exception:
            log.exception("hub: caching %s %s failed", req.info.verb, req.path)
            return False

    def _remember_answer(self, key: str, entry: tuple[bytes, FilterChain, FilterContext, bytes]) -> None:
        """Keep ``entry``, oldest first out, within :data:`LIST_MEMO_ENTRIES` and :data:`LIST_MEMO_BUDGET`."""
        memo = self._list_memo

        def size(e: tuple[bytes, FilterChain, FilterContext, bytes]) -> int:
            return len(e[0]) + (len(e[3]) if e[3] is not e[0] else 0)

        old = memo.pop(key, None)
        if old is not None:
            self._list_memo_bytes -= size(old)
        memo[key] = entry
        self._list_memo_bytes += size(entry)
        while memo and (len(memo) > LIST_MEMO_ENTRIES or self._list_memo_bytes > LIST_MEMO_BUDGET):
            self._list_memo_bytes -= size(memo.pop(next(iter(memo))))

    def _filter_safely(
        self, req: HubRequest, obj: dict[str, Any], filters: tuple[ObjectFilter, ...], is_list: bool
    ) -> dict[str, Any]:
        """The filtered response; a failing (user) filter is logged and the response passes unfiltered."""
        try:
            return self._filter(req, obj, filters, is_list)
        except Exception:
            log.exception("hub: filters %s failed on %s %s", [f.name for f in filters], req.info.verb, req.path)
            return obj

    def _filter(
        self, req: HubRequest, obj: dict[str, Any], filters: tuple[ObjectFilter, ...], is_list: bool
    ) -> dict[str, Any]:
        ctx = self.state.ctx
        if is_list:
            return apply_to_list(filters, obj, ctx)
        av = obj.get("apiVersion")
        filtered = apply_to_object(filters, obj, self._ctx_for(ctx, av) if isinstance(av, str) else ctx)
        # a single object the chain drops is still returned: upstream only drops list items and events
        return filtered if filtered is not None else obj

    def _ctx_for(self, ctx: FilterContext, api_version: str) -> FilterContext:
        """``ctx.for_api_version``, remembered while the context stays the same object."""
        if self._ctx_base is not ctx:
            self._ctx_base, self._ctx_versions = ctx, {}
        out = self._ctx_versions.get(api_version)
        if out is None:
            out = self._ctx_versions[api_version] = ctx.for_api_version(api_version)
        return out

    def _store(self, req: HubRequest, obj: dict[str, Any], is_list: bool) -> None:
        try:
            if is_list:
                self.cache.store_list(req, obj)
            else:
                self.cache.store_object(req, obj)
        except Exception:
            log.exception("hub: caching %s %s failed", req.info.verb, req.path)

    async def _stream_watch(
        self,
        request: web.BaseRequest,
        req: HubRequest,
        upstream: aiohttp.ClientResponse,
        filters: tuple[ObjectFilter, ...],
        store: bool,
        traffic: LabelCounts,
        started: list[web.StreamResponse],
    ) -> web.StreamResponse:
        """Relay a watch: bytes out as they come, parsing only events a filter could change.

        Each read is every byte the socket had, so one transport write carries several events. Events
        without any of the chain's :func:`raw_markers` pass unparsed; the rest are parsed once,
        filtered and re-encoded only when changed. What the client got is handed to a
        :class:`WatchSink` (before the write, so a cache read after the client saw an event sees it),
        which parses and stores it on the cache's writer thread. A chain without markers parses every
        event here, so the sink gets the parsed events with their lines and does not parse them again.
        """
        encoding = upstream.headers.get("Content-Encoding", "")
        relay = self.watch_relay(req, encoding, filters, store)
        headers = self._copy_headers(upstream.headers.items(), keep_length=False, keep_encoding=not relay.inflating)
        resp = web.StreamResponse(status=upstream.status, headers=headers)
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        started.append(resp)
        complete = False
        try:
            async for chunk in upstream.content.iter_any():
                traffic.traffic += len(chunk)
                out = relay.feed(chunk)
                if out:
                    await resp.write(out)
            tail = relay.finish()
            if tail:
                await resp.write(tail)
            complete = True
        finally:
            relay.close(complete=complete)
        with contextlib.suppress(ConnectionError):
            await resp.write_eof()
        return resp

    def watch_relay(self, req: HubRequest, encoding: str, filters: tuple[ObjectFilter, ...], store: bool) -> WatchRelay:
        """The per-stream state of a watch relay (filters, the cache's sink); see :class:`WatchRelay`."""
        gzipped = encoding.lower() == "gzip"
        sink = self.cache.watch_sink(req, gzipped=gzipped and not filters) if store else None
        return WatchRelay(self, req, filters, sink, inflate=bool(filters) and gzipped)

    def _filter_lines(
        self,
        req: HubRequest,
        data: bytes,
        filters: tuple[ObjectFilter, ...],
        markers: tuple[bytes, ...] | None,
        ctx: FilterContext,
        events: list[ParsedEvent] | None = None,
    ) -> bytes:
        """Newline-terminated events of ``data``, each through ``filters`` unless it holds no marker.

        ``events``, when given, gets ``(line, parsed event)`` for each event sent (the line without
        its newline; the event None when the line is no JSON object). Only with ``markers`` None:
        every line is parsed then.
        """
        out: list[bytes] = []
        for line in data.split(b"\n"):
            if not line.strip():
                continue
            if markers is not None and not any(m in line for m in markers):
                out.append(line + b"\n")
                continue
            sent, event = self._watch_event(req, line, filters, ctx)
            if sent:
                out.append(sent + b"\n")
                if events is not None:
                    events.append((sent, event))
        return b"".join(out)

    def _watch_event(
        self, req: HubRequest, line: bytes, filters: tuple[ObjectFilter, ...], ctx: FilterContext
    ) -> tuple[bytes, dict[str, Any] | None]:
        """One event through the chain: parsed once, re-encoded only when a filter changed it.

        Returns the line to send (no newline; empty: none) and the event it holds (None when the line
        is no JSON object). An object the chain drops goes out as DELETED (``apply_to_watch_event``),
        so the client's cache evicts it, and the sink deletes it from ours.
        """
        try:
            event = json.loads(line)
        except ValueError:
            return line, None
        if not isinstance(event, dict):
            return line, None
        out_event: dict[str, Any] | None = event
        obj = event.get("object")
        av = obj.get("apiVersion") if isinstance(obj, dict) else None
        try:
            out_event = apply_to_watch_event(filters, event, self._ctx_for(ctx, av) if isinstance(av, str) else ctx)
        except Exception:
            log.exception("hub: filters %s failed on a watch event of %s", [f.name for f in filters], req.path)
        if out_event is None:
            return b"", None
        return (line if out_event is event else dumps(out_event)), out_event


Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _saved_nonresource(path: str) -> bool:
    """Non-resource documents kept for offline use: upstream's list plus discovery (kubectl needs it)."""
    return path in CACHED_NONRESOURCE_PATHS or path in ("/api", "/apis") or path.startswith(("/api/", "/apis/"))


def _nothing() -> None:
    return None


def _memo_key(req: HubRequest) -> str:
    return f"{req.component} {req.path}?{req.query.get('labelSelector', '')}&{req.query.get('fieldSelector', '')}"


def _doc_key(req: HubRequest) -> str:
    return f"{req.path}|{req.accept}"
