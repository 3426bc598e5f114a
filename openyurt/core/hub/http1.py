"""HTTP/1.1 framing for the hub's fast lane: request heads, and responses read incrementally.

The hub's hot path (kubelet's GETs and LISTs) is a proxy hop, and a general-purpose HTTP stack on
both sides of it costs more than the API server's own answer. The fast lane moves those requests with
just this framing (RFC 9112): where a request's head ends, and where a response's body ends
(Content-Length, chunked, or the connection's close). It is pure and incremental, so a property test
can feed it any split of the bytes. Anything it does not accept is left to the full HTTP server.
"""

from __future__ import annotations

import re
from typing import Any, Final

import attrs

#: A head larger than this is refused (Go's net/http default is 1 MiB; kube clients send a few KiB).
MAX_HEAD: Final = 64 << 10
#: A chunk-size line longer than this is malformed (a hex size plus extensions).
MAX_CHUNK_LINE: Final = 4096
#: ``field-name: value`` with a token name (RFC 9110 §5.6.2) and optional whitespace around the value.
_FIELD: Final = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n\x00]*?)[ \t]*")
#: A method is a token (RFC 9110 §9.1); ours are upper-case letters.
_METHOD: Final = re.compile(r"[A-Z]+")
#: A chunk size is hex digits and nothing else (``int(x, 16)`` would take ``_``, ``0x``, signs, spaces).
_HEX: Final = re.compile(rb"[0-9A-Fa-f]+")


class HttpError(ValueError):
    """Bytes that are not a well-formed HTTP/1.1 message (the connection cannot be trusted after it)."""


def _header_lines(block: bytes, what: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    match = _FIELD.fullmatch
    for line in block.split(b"\r\n"):
        m = match(line)
        if m is None:
            raise HttpError(f"{what}: malformed header line {line[:80]!r}")
        out.append((m[1].decode("latin-1"), m[2].decode("latin-1")))
    return tuple(out)


def _get(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _joined(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """Every line of field ``name`` as one comma-separated list (RFC 9110 §5.3), None when absent."""
    values = [v for k, v in headers if k.lower() == name]
    return ", ".join(values) if values else None


def _tokens(value: str | None) -> set[str]:
    return {t.strip().lower() for t in value.split(",")} if value else set()


def _content_length(headers: tuple[tuple[str, str], ...], what: str) -> int | None:
    values = {v.strip() for k, v in headers if k.lower() == "content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise HttpError(f"{what}: conflicting Content-Length headers")
    (text,) = values
    if not text.isdigit() or not text.isascii():
        raise HttpError(f"{what}: bad Content-Length {text!r}")
    return int(text)


@attrs.frozen
class RequestHead:
    """One request's start line and headers; ``size`` is the number of bytes they took."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    size: int

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), None when absent."""
        return _get(self.headers, name.lower())

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection carry another request after this one."""
        conn = _tokens(_joined(self.headers, "connection"))
        if self.version == "HTTP/1.1":
            return "close" not in conn
        return "keep-alive" in conn

    @property
    def has_body(self) -> bool:
        """A body follows the head (the fast lane only takes requests without one)."""
        if self.get("transfer-encoding") is not None:
            return True
        length = _content_length(self.headers, "request")
        return bool(length)


def parse_request_head(buf: bytes | bytearray) -> RequestHead | None:
    """The request head at the start of ``buf``; None while it is incomplete.

    Raises :class:`HttpError` for malformed heads and heads over :data:`MAX_HEAD`.
    """
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        # the head (CRLFCRLF included) may be MAX_HEAD bytes; more without its end is too large
        if len(buf) >= MAX_HEAD:
            raise HttpError("request head too large")
        return None
    if end + 4 > MAX_HEAD:
        raise HttpError("request head too large")
    block = bytes(buf[:end])
    line, _, rest = block.partition(b"\r\n")
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise HttpError(f"malformed request line {line[:80]!r}")
    method, target, version = (p.decode("latin-1") for p in parts)
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(f"unsupported protocol version {version!r}")
    if _METHOD.fullmatch(method) is None:
        raise HttpError(f"malformed method {method!r}")
    headers = _header_lines(rest, "request") if rest else ()
    return RequestHead(method, target, version, headers, end + 4)


class ResponseHead:
    """A response's status line and headers, with the body framing they imply.

    Immutable by convention, so a reader can hand the same object out for every response whose head
    bytes are identical (an API server repeats its heads but for the Date, once a second);
    ``derived`` is for what callers compute from a head once (their own outgoing headers).
    """

    __slots__ = ("derived", "framing", "headers", "keep_alive", "length", "reason", "reusable", "status", "version")

    def __init__(self, version: str, status: int, reason: str, headers: tuple[tuple[str, str], ...]) -> None:
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.derived: dict[Any, Any] = {}
        conn = _tokens(_joined(headers, "connection"))
        #: what the server says of the connection; ``reusable`` adds what the framing allows
        self.keep_alive = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
        self.reusable = self.keep_alive
        #: how the body ends: "length" (``length`` bytes), "chunked", or "close"
        self.framing = "close"
        self.length = 0
        codings = [t for t in (_joined(headers, "transfer-encoding") or "").split(",") if t.strip()]
        if codings:
            self.framing = "chunked" if codings[-1].strip().lower() == "chunked" else "close"
        else:
            length = _content_length(headers, "response")
            if length is not None:
                self.framing, self.length = "length", length
        if self.framing == "close":
            self.reusable = False

    def get(self, name: str) -> str | None:
        return _get(self.headers, name.lower())

    def __repr__(self) -> str:
        return f"ResponseHead({self.version} {self.status} {self.reason!r}, {self.headers!r})"


def parse_response_head(block: bytes) -> ResponseHead | None:
    """The head in ``block`` (status line and header lines, without the final CRLFCRLF); None for an
    interim (1xx) response. Raises :class:`HttpError` when malformed."""
    line, _, rest = block.partition(b"\r\n")
    version, _, tail = line.partition(b" ")
    code, _, reason = tail.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise HttpError(f"malformed status line {line[:80]!r}")
    status = int(code)
    if status < 100 or status == 101:
        # a switch of protocols is never an answer to the requests this reader is given
        raise HttpError(f"unexpected status {status}")
    if status < 200:
        return None
    headers = _header_lines(rest, "response") if rest else ()
    return ResponseHead(version.decode(), status, reason.decode("latin-1"), headers)


# ResponseReader states
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class ResponseReader:
    """One response, fed as it arrives: its head, its body bytes, and whether it is complete.

    ``feed`` never copies a body twice; ``take_body`` hands over what arrived since the last call.
    ``reusable`` tells whether the connection may carry the next request once ``done``; bytes that
    arrived after the end of the response make it not reusable (the server is out of step).
    """

    __slots__ = (
        "_buf",
        "_heads",
        "_left",
        "_raw",
        "_raw_at",
        "_state",
        "body",
        "done",
        "head",
        "head_request",
        "reusable",
        "whole",
    )

    def __init__(self, *, head_request: bool = False, heads: dict[bytes, ResponseHead] | None = None) -> None:
        #: heads seen before, by their exact bytes (the caller bounds its size)
        self._heads = heads
        self.reset(head_request=head_request)

    def reset(self, *, head_request: bool = False) -> None:
        """Ready for the next response on the same connection (one reader per connection)."""
        self.head_request = head_request
        self.head: ResponseHead | None = None
        self.body: list[bytes] = []
        self.done = False
        self.reusable = False
        #: the response came as exactly one ``feed`` holding it and nothing else
        self.whole = False
        #: a whole response's bytes and where its body starts: the body is copied out only on demand
        self._raw: bytes | None = None
        self._raw_at = 0
        self._buf = b""
        self._left = 0
        self._state = _HEAD

    def take_body(self) -> bytes:
        if self._raw is not None:
            self.body.append(self._raw[self._raw_at :])
            self._raw = None
        out = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        self.body = []
        return out

    def has_body(self) -> bool:
        """Body bytes are waiting for :meth:`take_body`."""
        return bool(self.body) or self._raw is not None

    def body_view(self) -> tuple[bytes, int] | None:
        """A ``whole`` response's body without copying it: the bytes fed and where the body starts
        (None when there is no such view; :meth:`take_body` still gives the body)."""
        return (self._raw, self._raw_at) if self._raw is not None else None

    def eof(self) -> None:
        """The connection closed: completes a body that runs to the close, else it is truncated."""
        if self._state == _UNTIL_CLOSE:
            self._finish(reusable=False)
        elif not self.done:
            raise HttpError("connection closed before the response was complete")

    def feed(self, data: bytes) -> None:
        if self.done:
            if data:
                self.reusable = False
            return
        if self._state == _HEAD and not self._buf and self._heads is not None and self._whole(data):
            return
        if self._buf:
            data = self._buf + data
            self._buf = b""
        # ``i`` walks through ``data``: slicing off what was read would copy the rest each time, and
        # a watch read holds dozens of small chunks
        i, n = 0, len(data)
        while i < n and not self.done:
            state = self._state
            if state == _CHUNK_DATA:
                j = min(n, i + self._left)
                self.body.append(data[i:j])
                self._left -= j - i
                i = j
                if self._left == 0:
                    self._state = _CHUNK_CRLF
            elif state == _CHUNK_SIZE:
                i = self._whole_chunks(data, i)
                if i < n:
                    i = self._feed_chunk_size(data, i)
            elif state == _CHUNK_CRLF:
                if n - i < 2:
                    self._buf = data[i:]
                    return
                if data[i : i + 2] != b"\r\n":
                    raise HttpError("response: chunk not followed by CRLF")
                i += 2
                self._state = _CHUNK_SIZE
            elif state == _HEAD:
                i = self._feed_head(data, i)
            elif state == _LENGTH:
                j = min(n, i + self._left)
                self.body.append(data[i:j] if i or j < n else data)
                self._left -= j - i
                i = j
                if self._left == 0:
                    self._finish(reusable=self.reusable)
            elif state == _UNTIL_CLOSE:
                self.body.append(data[i:] if i else data)
                i = n
            elif state == _TRAILER:
                i = self._feed_trailer(data, i)
        if self.done and i < n:
            self.reusable = False

    def _whole(self, data: bytes) -> bool:
        """``data`` is exactly one length-framed response with a head seen before: taken in one step
        (the usual answer to an agent's GET); False leaves everything to the general path."""
        end = data.find(b"\r\n\r\n")
        if end < 0 or self._heads is None:
            return False
        head = self._heads.get(data[:end])
        if (
            head is None
            or head.framing != "length"
            or self.head_request
            or head.status in (204, 304)
            or len(data) - end - 4 != head.length
        ):
            return False
        self.head = head
        if head.length:
            self._raw, self._raw_at = data, end + 4
        self._finish(reusable=head.reusable)
        self.whole = True
        return True

    def _feed_head(self, data: bytes, i: int) -> int:
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            if len(data) - i >= MAX_HEAD:
                raise HttpError("response head too large")
            self._buf = data[i:]
            return len(data)
        if end + 4 - i > MAX_HEAD:
            raise HttpError("response head too large")
        block = data[i:end]
        heads = self._heads
        head = heads.get(block) if heads is not None else None
        if head is None:
            head = parse_response_head(block)
            if head is None:
                return end + 4  # an interim response: the real one follows
            if heads is not None:
                heads[block] = head
        self.head = head
        self.reusable = head.reusable
        if self.head_request or head.status in (204, 304):
            # no body whatever the framing headers say: the message ends here (RFC 9112 §6.3)
            self._finish(reusable=head.keep_alive)
        elif head.framing == "length":
            if head.length == 0:
                self._finish(reusable=self.reusable)
            else:
                self._state, self._left = _LENGTH, head.length
        elif head.framing == "chunked":
            self._state = _CHUNK_SIZE
        else:
            self._state = _UNTIL_CLOSE
        return end + 4

    def _whole_chunks(self, data: bytes, i: int) -> int:
        """Complete chunks back to back from ``i`` (a watch: one event a chunk), in one tight loop;
        stops before anything else (extensions, the last chunk, a partial chunk, an error) and
        leaves that to the state machine."""
        body = self.body
        find, match, n = data.find, _HEX.fullmatch, len(data)
        while True:
            end = find(b"\r\n", i, i + 18)
            if end < 0:
                return i
            text = data[i:end]
            if match(text) is None:
                return i
            size = int(text, 16)
            start = end + 2
            stop = start + size
            if size == 0 or stop + 2 > n or data[stop : stop + 2] != b"\r\n":
                return i
            body.append(data[start:stop])
            i = stop + 2

    def _feed_chunk_size(self, data: bytes, i: int) -> int:
        end = data.find(b"\r\n", i)
        if end < 0:
            if len(data) - i >= MAX_CHUNK_LINE:
                raise HttpError("response: chunk size line too long")
            self._buf = data[i:]
            return len(data)
        if end + 2 - i > MAX_CHUNK_LINE:
            raise HttpError("response: chunk size line too long")
        line = data[i:end]
        size_text = line.split(b";", 1)[0].strip(b" \t")
        if _HEX.fullmatch(size_text) is None:
            raise HttpError(f"response: bad chunk size {line[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            self._state, self._left = _TRAILER, 0
        else:
            self._state, self._left = _CHUNK_DATA, size
        return end + 2

    def _feed_trailer(self, data: bytes, i: int) -> int:
        # trailer fields are dropped (the hub never forwards them); the empty line ends the message
        # (``_left`` counts the trailer bytes taken so far: the section as a whole is bounded)
        while True:
            end = data.find(b"\r\n", i)
            if end < 0:
                if self._left + len(data) - i >= MAX_HEAD:
                    raise HttpError("response: trailer too large")
                self._buf = data[i:]
                return len(data)
            self._left += end + 2 - i
            if self._left > MAX_HEAD:
                raise HttpError("response: trailer too large")
            empty = end == i
            i = end + 2
            if empty:
                self._finish(reusable=self.reusable)
                return i

    def _finish(self, *, reusable: bool) -> None:
        self.done = True
        self.reusable = reusable
        self._state = _DONE


def chunk(data: bytes) -> bytes:
    """``data`` framed as one chunk of a chunked body (empty data is the last chunk)."""
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b"0\r\n\r\n"
