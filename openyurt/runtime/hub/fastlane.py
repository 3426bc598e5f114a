"""The hub's fast lane: agents' GETs, LISTs and watches moved on bare asyncio protocols.

A kubelet GET through a general-purpose HTTP server and client costs the hub more than the API
server's own answer. The fast lane takes the proxy port's connections first: each request head is
framed by :mod:`openyurt.core.hub.http1`, and what :meth:`Proxy.fast_start` accepts (body-less
GET/LIST/watch of a resource, online) goes to the cloud over a kept-alive connection of
:class:`UpstreamPool` and back, with the proxy's own decisions (filters, cache, memo, metrics; a
watch through the same :class:`WatchRelay` as the aiohttp path). Anything else — writes, the kubelet's
Lease and Node, offline answers, upgrades, malformed bytes — hands the connection to the aiohttp
server at that request's first byte, for the rest of the connection's life.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any, Final, cast

from yarl import URL

from openyurt.core.hub.http1 import MAX_HEAD, HttpError, ResponseHead, ResponseReader, chunk
from openyurt.runtime.hub.cloud import Backend
from openyurt.runtime.hub.proxy import HOP_BY_HOP, FastRequest, Proxy, WatchRelay

log = logging.getLogger(__name__)

#: Idle kept-alive connections kept per cloud server.
MAX_IDLE: Final = 32
#: A relayed answer larger than this (or without a length) streams instead of being read whole.
BUFFER_LIMIT: Final = 1 << 20
#: Response heads remembered (a few distinct ones per second of Date).
MAX_HEADS: Final = 256
#: Client bytes buffered while a request is in flight before reading pauses (pipelining).
CLIENT_BUFFER_LIMIT: Final = 1 << 20
_REASONS: Final = {200: "OK", 201: "Created", 404: "Not Found", 502: "Bad Gateway"}


def _prefix(status: int, reason: str, headers: list[tuple[str, str]], extra: str) -> bytes:
    """Status line and header lines, without the blank line that ends a head."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Unknown')}\r\n{lines}{extra}".encode("latin-1")


def _verbatim_head(head: ResponseHead) -> bool:
    """Whether ``head`` may reach the client as the cloud wrote it (decided once per head)."""
    ok: bool | None = head.derived.get("verbatim")
    if ok is None:
        ok = head.derived["verbatim"] = (
            head.framing == "length"
            and head.get("content-encoding") is None
            and not any(k.lower() in HOP_BY_HOP and k.lower() != "content-length" for k, _ in head.headers)
        )
    return ok


def _with_length(prefix: bytes, status: int, body: bytes) -> bytes:
    if status in (204, 304):
        return prefix + b"\r\n" + body
    return b"%sContent-Length: %d\r\n\r\n%s" % (prefix, len(body), body)


class _Upstream(asyncio.Protocol):
    """One connection to a cloud server, carrying one exchange at a time."""

    __slots__ = ("closed", "exchange", "got", "pool", "reader", "reused", "transport", "url")

    def __init__(self, pool: UpstreamPool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.transport: asyncio.Transport | None = None
        self.exchange: _Exchange | None = None
        self.reader = ResponseReader(heads=pool.heads)
        self.reused = False
        self.got = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def send(self, data: bytes, exchange: _Exchange | None) -> None:
        assert self.transport is not None
        self.transport.write(data)  # first: the bookkeeping runs while the cloud works on it
        self.exchange = exchange
        self.reader.reset()
        self.got = False

    def close(self) -> None:
        self.exchange = None
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        ex = self.exchange
        if ex is None:
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        self.got = True
        reader = self.reader
        try:
            reader.feed(data)
        except HttpError as exc:
            self.close()
            ex.upstream_failed(exc, retry=False)
            return
        if reader.done:
            self.exchange = None
            # an answer passed on verbatim leaves first; then the connection goes back to the pool
            after = ex.verbatim(reader, data) if ex.head is None else None
            if reader.reusable and not self.closed:
                self.pool.release(self)
            else:
                self.close()
            if after is not None:
                ex.verbatim_done(after)
                return
        ex.upstream_data(reader)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.discard(self)
        ex = self.exchange
        if ex is None:
            return
        self.exchange = None
        try:
            self.reader.eof()
        except HttpError as err:
            # a kept-alive connection the server closed before answering: the request was not seen
            ex.upstream_failed(exc or err, retry=self.reused and not self.got)
            return
        ex.upstream_data(self.reader)


class UpstreamPool:
    """Kept-alive connections to the cloud servers (HTTP/1.1, one request at a time each)."""

    def __init__(self, tls: ssl.SSLContext | bool) -> None:
        self.tls = tls
        self._idle: dict[str, list[_Upstream]] = {}
        self._open: set[_Upstream] = set()
        self._hosts: dict[str, tuple[str, int, str, ssl.SSLContext | None]] = {}
        #: response heads by their bytes: the cloud repeats them (but for the Date, once a second)
        self.heads: dict[bytes, ResponseHead] = {}

    def endpoint(self, url: str) -> tuple[str, int, str, ssl.SSLContext | None]:
        """Host, port, Host header and TLS context of a backend URL."""
        ep = self._hosts.get(url)
        if ep is None:
            u = URL(url)
            tls = u.scheme == "https"
            ctx = (self.tls if isinstance(self.tls, ssl.SSLContext) else ssl.create_default_context()) if tls else None
            host = u.raw_host or "localhost"
            port = u.port or (443 if tls else 80)
            ep = self._hosts[url] = (host, port, u.raw_authority, ctx)
        return ep

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def take(self, url: str) -> _Upstream | None:
        idle = self._idle.get(url)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                conn.reused = True
                return conn
        return None

    async def connect(self, url: str) -> _Upstream:
        host, port, _, ctx = self.endpoint(url)
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: _Upstream(self, url), host, port, ssl=ctx, server_hostname=host if ctx else None
        )
        self._open.add(conn)
        return conn

    def release(self, conn: _Upstream) -> None:
        idle = self._idle.setdefault(conn.url, [])
        if len(idle) >= MAX_IDLE:
            conn.close()
            return
        idle.append(conn)

    def discard(self, conn: _Upstream) -> None:
        self._open.discard(conn)
        idle = self._idle.get(conn.url)
        if idle and conn in idle:
            idle.remove(conn)

    def close(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._idle.clear()


class _Exchange:
    """One request on the fast lane, from the cloud's answer back to the client."""

    __slots__ = (
        "backend",
        "buffered",
        "chunked",
        "conn",
        "finished",
        "fr",
        "head",
        "lane",
        "parts",
        "readable",
        "relay",
        "retried",
        "size",
        "started",
        "timer",
    )

    def __init__(self, lane: FastLane, fr: FastRequest, backend: Backend) -> None:
        self.lane = lane
        self.fr = fr
        self.backend = backend
        self.conn: _Upstream | None = None
        self.head: ResponseHead | None = None
        self.buffered = True
        self.readable = False
        self.chunked = False
        self.parts: list[bytes] = []
        self.size = 0
        self.started = False
        self.finished = False
        self.timer: asyncio.TimerHandle | None = None
        self.retried = False
        #: a watch's stream state, once the cloud accepted the watch
        self.relay: WatchRelay | None = None

    # -------------------------------------------------------------- sending

    def start(self) -> None:
        conn = self.lane.pool.take(self.backend.url)
        if conn is not None:
            self._send(conn)
        else:
            task = asyncio.get_running_loop().create_task(self._connect())
            self.lane.tasks.add(task)
            task.add_done_callback(self.lane.tasks.discard)
        self.arm()

    def arm(self) -> None:
        """The request is on its way: its deadline runs (and the head memo stays bounded)."""
        fr = self.fr
        if fr.deadline is not None and self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(fr.deadline, self._timed_out)
        heads = self.lane.pool.heads
        if len(heads) > MAX_HEADS:
            heads.clear()

    async def _connect(self) -> None:
        try:
            conn = await self.lane.pool.connect(self.backend.url)
        except (OSError, ssl.SSLError) as exc:
            self.upstream_failed(exc, retry=False)
            return
        if self.finished:
            self.lane.pool.release(conn)
            return
        self._send(conn)

    def _send(self, conn: _Upstream) -> None:
        self.conn = conn
        url = self.backend.url
        conn.send(self.fr.encoded(url, self.lane.pool.endpoint(url)[2]), self)

    # -------------------------------------------------------------- receiving

    def verbatim(self, reader: ResponseReader, data: bytes) -> Callable[[], None] | None:
        """Pass a whole answer that came in one read on as the very bytes the cloud sent, before any
        bookkeeping; returns what to do next (:meth:`verbatim_done`), None when the hub must change
        something (the general path then takes it).

        Most answers agents get are like that: framed by length, not compressed, with no header that
        concerns only the hop, and nothing a filter could change (see :meth:`Proxy.fast_verbatim`);
        the client then waits hardly longer than for a bare relay.
        """
        fr = self.fr
        head = reader.head
        if head is None or not reader.whole or fr.watch or not fr.keep_alive or not _verbatim_head(head):
            return None  # (``whole``: ``data`` is this answer and nothing else)
        view = reader.body_view()
        at = view[1] if view is not None else len(data)
        after = self.lane.proxy.fast_verbatim(fr, head, data, at)
        if after is None:
            return None
        transport = self.lane.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)
        self.finished = True
        self.head = head
        fr.counters.traffic += len(data) - at
        return after

    def verbatim_done(self, after: Callable[[], None]) -> None:
        """The bookkeeping of an answer passed on verbatim, after it left."""
        self._stop_timer()
        self.lane.proxy.fast_done()
        self.lane.exchange_done(True)
        after()

    def upstream_data(self, reader: ResponseReader) -> None:
        if self.finished:
            return
        head = reader.head
        if head is None:
            return
        if self.head is None:
            self.head = head
            self._begin(head)
        if reader.has_body():
            data = reader.take_body()
            self.fr.counters.traffic += len(data)
            if self.relay is not None:
                out = self.relay.feed(data)
                if out:
                    self.lane.write(chunk(out))
            elif self.buffered:
                self.parts.append(data)
                self.size += len(data)
                if not self.readable and self.size > BUFFER_LIMIT:
                    self._start_relay()
            else:
                self.lane.write(chunk(data) if self.chunked else data)
        if reader.done:
            self._complete()

    def _begin(self, head: ResponseHead) -> None:
        if self.fr.watch and 200 <= head.status <= 206 and head.status != 204:
            self._start_watch(head)
            return
        self.readable = self.lane.proxy.fast_readable(self.fr, head)
        if head.status in (204, 304):
            return  # no body, whatever its framing headers say: answered whole
        if not self.readable and (head.framing != "length" or head.length > BUFFER_LIMIT):
            self._start_relay()

    def _prefix(self, head: ResponseHead, mode: str) -> bytes:
        """The client's head for ``head`` (no blank line yet), computed once per head and mode."""
        keep_alive = self.fr.keep_alive
        out: bytes | None = head.derived.get((mode, keep_alive))
        if out is None:
            headers = self.lane.proxy.fast_headers(head, readable=mode == "readable")
            extra = "" if keep_alive else "Connection: close\r\n"
            if mode == "plain":
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            elif mode == "relay" and not any(k.lower() == "content-length" for k, _ in headers):
                extra += "Transfer-Encoding: chunked\r\n"
            out = head.derived[(mode, keep_alive)] = _prefix(head.status, head.reason, headers, extra)
        return out

    def _start_watch(self, head: ResponseHead) -> None:
        """The cloud accepted the watch: the head now, events as they come (see ``WatchRelay``)."""
        headers, self.relay = self.lane.proxy.fast_watch(self.fr, head)
        extra = "Transfer-Encoding: chunked\r\n"
        if not self.fr.keep_alive:
            extra += "Connection: close\r\n"
        self.buffered, self.chunked, self.started = False, True, True
        self.lane.write(_prefix(head.status, head.reason, headers, extra) + b"\r\n")

    def _start_relay(self) -> None:
        """Relay the rest as it comes: the head now, with the cloud's length or chunked."""
        assert self.head is not None
        head = self.head
        self.chunked = head.framing != "length"
        self.buffered = False
        self.started = True
        body = b"".join(self.parts)
        self.parts = []
        out = self._prefix(head, "relay") + b"\r\n"
        if body:
            out += chunk(body) if self.chunked else body
        self.lane.write(out)

    def _complete(self) -> None:
        self._stop_timer()
        self.finished = True
        head = self.head
        assert head is not None
        lane = self.lane
        after: Callable[[], None] | None = None
        if self.relay is not None:
            tail = self.relay.finish()
            lane.write(chunk(tail) + chunk(b"") if tail else chunk(b""))
            self.relay.close(complete=True)
        elif self.buffered:
            raw = self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)
            self.parts = []
            if self.readable:
                payload, after = lane.proxy.fast_answer(self.fr, head, raw)
                lane.write(_with_length(self._prefix(head, "readable"), head.status, payload))
            else:
                lane.write(_with_length(self._prefix(head, "plain"), head.status, raw))
        elif self.chunked:
            lane.write(chunk(b""))
        lane.proxy.fast_done()
        lane.exchange_done(self.fr.keep_alive)
        if after is not None:
            after()

    # -------------------------------------------------------------- failures

    def upstream_failed(self, exc: BaseException, *, retry: bool) -> None:
        if self.finished:
            return
        self.conn = None
        if retry and not self.retried:
            # the server had closed the idle connection: the same request on a fresh one
            self.retried = True
            self.start()
            return
        self._fail(exc, timed_out=False)

    def _timed_out(self) -> None:
        self.timer = None
        if self.finished:
            return
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self._fail(TimeoutError("cloud request deadline"), timed_out=True)

    def _fail(self, exc: BaseException, *, timed_out: bool) -> None:
        fr = self.fr
        log.info("hub: GET %s via %s failed: %s", fr.target, self.backend.url, exc)
        lane = self.lane
        if self.relay is not None:
            # a watch may end at any time: end it cleanly, the client watches again from where it was
            self._stop_timer()
            self.finished = True
            self.relay.close(complete=False)
            lane.write(chunk(b""))
            lane.proxy.fast_done()
            lane.exchange_done(self.fr.keep_alive)
            return
        if self.started:
            # the client has part of the answer: cut the connection, the client retries
            self._stop_timer()
            self.finished = True
            lane.proxy.fast_done()
            lane.abort()
            return
        self.head, self.parts, self.size, self.buffered = None, [], 0, True
        outcome = lane.proxy.fast_failed(fr, self.backend, timed_out)
        if isinstance(outcome, Backend):
            self.backend = outcome
            self.retried = False
            self.start()
            return
        self._stop_timer()
        self.finished = True
        lane.proxy.fast_done()
        if outcome is None:
            lane.hand_over_current()
            return
        status, body = outcome
        headers = [("Content-Type", "application/json")] if body is not None else []
        extra = "" if self.fr.keep_alive else "Connection: close\r\n"
        lane.write(_with_length(_prefix(status, "", headers, extra), status, body or b""))
        lane.exchange_done(self.fr.keep_alive)

    def client_gone(self) -> None:
        if self.finished:
            return
        self._stop_timer()
        self.finished = True
        if self.relay is not None:
            self.relay.close(complete=False)
        if self.conn is not None:
            self.conn.close()  # mid-answer: the connection cannot carry another request
            self.conn = None
        self.lane.proxy.fast_done()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    # flow control: a slow client slows the cloud connection down, not the hub's memory
    def pause(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.pause_reading()

    def resume(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.resume_reading()


class FastLane(asyncio.Protocol):
    """The proxy port's protocol: fast requests here, the connection handed to aiohttp otherwise."""

    __slots__ = (
        "buf",
        "exchange",
        "fallback",
        "gone",
        "lanes",
        "paused",
        "pending",
        "pool",
        "proxy",
        "tasks",
        "transport",
    )

    def __init__(self, proxy: Proxy, pool: UpstreamPool, fallback: Callable[[], Any], lanes: set[FastLane]) -> None:
        self.proxy = proxy
        self.pool = pool
        self.fallback = fallback
        self.lanes = lanes
        self.tasks: set[asyncio.Task[None]] = set()
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.exchange: _Exchange | None = None
        #: the current request's head, kept to hand it over whole
        self.pending = b""
        self.paused = False
        self.gone = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.lanes.add(self)

    def data_received(self, data: bytes) -> None:
        if self.exchange is None and not self.buf and data.find(b"\r\n\r\n") == len(data) - 4:
            # the common case: exactly one body-less request in this read, taken without copying
            self._take(data)
            if self.exchange is not None or self.gone:
                return
        self.buf += data
        if self.exchange is None:
            self._next()
        elif len(self.buf) > CLIENT_BUFFER_LIMIT and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True

    def _take(self, raw: bytes) -> None:
        """Start the request whose head is ``raw`` (its CRLFCRLF included), or hand it over."""
        try:
            started = self.proxy.fast_start(raw)
        except HttpError:
            started = None
        if started is None:
            self._hand_over(raw + bytes(self.buf))
            return
        fr, backend = started
        # on a kept-alive connection the request leaves before the exchange's bookkeeping
        conn = self.pool.take(backend.url)
        if conn is not None:
            conn.send(fr.encoded(backend.url, self.pool.endpoint(backend.url)[2]), None)
        self.pending = raw
        ex = self.exchange = _Exchange(self, fr, backend)
        if conn is not None:
            conn.exchange = ex
            ex.conn = conn
            ex.arm()
        else:
            ex.start()

    def _next(self) -> None:
        while self.exchange is None and self.buf and not self.gone:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEAD:
                    self._hand_over(bytes(self.buf))  # aiohttp refuses it as it would have
                return
            raw = bytes(self.buf[: end + 4])
            del self.buf[: end + 4]
            self._take(raw)
        if self.paused and self.transport is not None and len(self.buf) <= CLIENT_BUFFER_LIMIT:
            self.transport.resume_reading()
            self.paused = False

    def exchange_done(self, keep_alive: bool) -> None:
        self.exchange = None
        self.pending = b""
        if not keep_alive:
            if self.transport is not None:
                self.transport.close()
            return
        self._next()

    def hand_over_current(self) -> None:
        """The current request, already counted, goes to aiohttp with what follows it."""
        self.exchange = None
        self.proxy.fast_handover(self.transport)
        self._hand_over(self.pending + bytes(self.buf))

    def _hand_over(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or self.gone:
            return
        self.lanes.discard(self)
        self.gone = True
        self.buf = bytearray()
        handler = self.fallback()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self.paused:
            transport.resume_reading()
        if data:
            handler.data_received(data)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def abort(self) -> None:
        self.exchange = None
        if self.transport is not None:
            self.transport.close()

    def pause_writing(self) -> None:
        if self.exchange is not None:
            self.exchange.pause()

    def resume_writing(self) -> None:
        if self.exchange is not None:
            self.exchange.resume()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.gone:
            return
        self.gone = True
        self.lanes.discard(self)
        if self.exchange is not None:
            self.exchange.client_gone()
            self.exchange = None
        for task in list(self.tasks):
            task.cancel()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class FastLaneServer:
    """The proxy port: a listening socket whose connections start on the fast lane."""

    def __init__(self, proxy: Proxy, tls: ssl.SSLContext | bool, fallback: Callable[[], Any]) -> None:
        self.proxy = proxy
        self.pool = UpstreamPool(tls)
        self.fallback = fallback
        self.lanes: set[FastLane] = set()
        self.server: asyncio.AbstractServer | None = None

    async def start(self, host: str, port: int, *, backlog: int = 1024) -> int:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: FastLane(self.proxy, self.pool, self.fallback, self.lanes),
            host,
            port,
            backlog=backlog,
            reuse_address=True,
        )
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for lane in list(self.lanes):
            lane.close()
        self.pool.close()
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)
            self.server = None
