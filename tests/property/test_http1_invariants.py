"""Properties of the fast lane's HTTP/1.1 framing (:mod:`openyurt.core.hub.http1`).

- any_split_reads_the_same_response: a valid response (Content-Length, chunked with random chunk
  sizes, extensions and trailers, or until close) fed to a ResponseReader in pieces cut at any points
  gives the same head, exactly the original body, ``done`` exactly when the last byte arrives (or on
  ``eof()`` for close framing) and ``reusable`` only for kept-alive length/chunked framing.
- bytes_after_the_end_are_not_reusable: anything following a complete response, in the same feed or
  a later one, makes the connection not reusable and never reaches the body.
- chunk_reframing_round_trips: a body framed with ``chunk()`` pieces and ``chunk(b"")`` decodes back.
- shared_heads_memo_is_transparent: a shared ``heads`` dict changes no result, and a second response
  with the same head bytes gets the very same ResponseHead object.
- request_head_round_trips: a request head built from method, target, version and headers parses
  back to them (size = bytes up to and including CRLFCRLF), and any prefix without it gives None.
- truncated_responses_raise_on_eof: a response cut short (length or chunked framing, or in the head)
  raises HttpError on ``eof()``.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.hub.http1 import HttpError, ResponseHead, ResponseReader, chunk, parse_request_head

TCHAR = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
VCHAR = "".join(chr(c) for c in range(0x21, 0x7F))
FRAMING_NAMES = {"content-length", "transfer-encoding", "connection"}

TOKEN = st.text(TCHAR, min_size=1, max_size=12)
#: header names that do not touch the framing (those are added on purpose)
NAME = TOKEN.filter(lambda n: n.lower() not in FRAMING_NAMES)
#: visible ASCII, with inner spaces/tabs but none at the ends (they are optional whitespace)
VALUE = st.one_of(
    st.just(""),
    st.builds(
        lambda a, mid, b: a + mid + b if mid else a,
        st.text(VCHAR, min_size=1, max_size=1),
        st.text(VCHAR + " \t", max_size=20),
        st.text(VCHAR, min_size=1, max_size=1),
    ),
)
HEADERS = st.lists(st.tuples(NAME, VALUE), max_size=6)
REASON = st.text(string.ascii_letters + string.digits + " -", max_size=20)
#: statuses that carry a body (no 1xx, 204 or 304)
STATUS = st.integers(200, 599).filter(lambda s: s not in (204, 304))
#: (Connection value or None, whether it asks to close, whether it asks to keep alive)
CONNECTION = st.sampled_from(
    [
        (None, False, False),
        ("close", True, False),
        ("Close", True, False),
        ("keep-alive", False, True),
        ("Keep-Alive", False, True),
        ("upgrade, close", True, False),
        ("TE, keep-alive", False, True),
        ("te", False, False),
    ]
)
BODY = st.binary(max_size=120)


@dataclass(frozen=True)
class Response:
    """A generated response: its wire bytes and what a reader must make of them."""

    wire: bytes
    head_size: int
    version: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    framing: str
    body: bytes

    @property
    def reusable(self) -> bool:
        if self.framing == "close":
            return False
        conn = {t.strip().lower() for t in (dict_get(self.headers, "connection") or "").split(",")}
        return "close" not in conn if self.version == "HTTP/1.1" else "keep-alive" in conn


def dict_get(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def cased(draw: st.DrawFn, name: str) -> str:
    """``name`` in a random mix of upper and lower case (field names are case-insensitive)."""
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)


def cuts(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at points hypothesis chooses (sometimes one byte at a time)."""
    if draw(st.booleans()) and len(data) < 200:
        return [data[i : i + 1] for i in range(len(data))]
    points = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=12))))
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def chunked_body(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` framed as chunks of random sizes, with optional extensions and trailers."""
    pieces = [p for p in cuts(draw, body) if p] if body else []
    ext = st.sampled_from(["", ";ext", ";a=b", ';q="x y"', ";a=1;b", " ;x=y"])
    out = []
    for p in pieces:
        size = f"{len(p):x}"
        size = "0" * draw(st.integers(0, 2)) + (size.upper() if draw(st.booleans()) else size)
        out.append(f"{size}{draw(ext)}\r\n".encode() + p + b"\r\n")
    out.append(f"{'0' * draw(st.integers(1, 3))}{draw(ext)}\r\n".encode())
    for name, value in draw(st.lists(st.tuples(NAME, VALUE), max_size=3)):
        out.append(f"{name}: {value}\r\n".encode())
    out.append(b"\r\n")
    return b"".join(out)


@st.composite
def responses(draw: st.DrawFn, framings: tuple[str, ...] = ("length", "chunked", "close")) -> Response:
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0"]))
    status = draw(STATUS)
    reason = draw(REASON).strip()
    headers = draw(HEADERS)
    framing = draw(st.sampled_from(framings))
    body = draw(BODY)
    conn, _, _ = draw(CONNECTION)
    if conn is not None:
        headers.insert(draw(st.integers(0, len(headers))), (cased(draw, "connection"), conn))
    if framing == "length":
        headers.insert(draw(st.integers(0, len(headers))), (cased(draw, "content-length"), str(len(body))))
        payload = body
    elif framing == "chunked":
        te = draw(st.sampled_from(["chunked", "Chunked", "gzip, chunked", "gzip,chunked"]))
        headers.insert(draw(st.integers(0, len(headers))), (cased(draw, "transfer-encoding"), te))
        payload = draw(chunked_body(body))
    else:
        # until close: no length at all, or a transfer coding that does not end in chunked
        if draw(st.booleans()):
            te = draw(st.sampled_from(["gzip", "chunked, gzip", "identity"]))
            headers.insert(draw(st.integers(0, len(headers))), (cased(draw, "transfer-encoding"), te))
        payload = body
    sep = draw(st.sampled_from([": ", ":", ":\t", ":  "]))
    trail = draw(st.sampled_from(["", " ", "\t"]))
    lines = "".join(f"{k}{sep}{v}{trail}\r\n" for k, v in headers)
    head = f"{version} {status} {reason}\r\n{lines}\r\n".encode("latin-1")
    return Response(head + payload, len(head), version, status, reason, tuple(headers), framing, body)


def read_all(pieces: list[bytes], heads: dict[bytes, ResponseHead] | None = None) -> tuple[ResponseReader, bytes]:
    reader = ResponseReader(heads=heads)
    got = []
    for p in pieces:
        reader.feed(p)
        got.append(reader.take_body())
    return reader, b"".join(got)


def check_head(reader: ResponseReader, resp: Response) -> None:
    assert reader.head is not None
    assert (reader.head.version, reader.head.status) == (resp.version, resp.status)
    assert reader.head.reason == resp.reason
    assert reader.head.headers == resp.headers
    assert reader.head.framing == resp.framing
    assert reader.head.reusable == resp.reusable
    if resp.framing == "length":
        assert reader.head.length == len(resp.body)


@settings(max_examples=300, deadline=None)
@given(st.data(), responses())
def test_any_split_reads_the_same_response(data: st.DataObject, resp: Response) -> None:
    pieces = cuts(data.draw, resp.wire)
    reader = ResponseReader()
    fed, got = 0, []
    for p in pieces:
        reader.feed(p)
        fed += len(p)
        got.append(reader.take_body())
        assert (reader.head is not None) == (fed >= resp.head_size), "head appears once its last byte arrived"
        if resp.framing == "close":
            assert not reader.done, "a body to the close is not done before eof()"
        else:
            assert reader.done == (fed == len(resp.wire)), f"done after {fed} of {len(resp.wire)} bytes"
    if resp.framing == "close":
        reader.eof()
        assert reader.done
        got.append(reader.take_body())
    assert b"".join(got) == resp.body
    check_head(reader, resp)
    assert reader.reusable == resp.reusable
    if resp.framing != "close":
        reader.eof()  # a complete response survives the close
        assert reader.done and reader.reusable == resp.reusable


@settings(max_examples=200, deadline=None)
@given(st.data(), responses(("length", "chunked")), st.binary(min_size=1, max_size=30), st.booleans())
def test_bytes_after_the_end_are_not_reusable(
    data: st.DataObject, resp: Response, extra: bytes, separately: bool
) -> None:
    if separately:
        reader, body = read_all(cuts(data.draw, resp.wire))
        assert reader.done and reader.reusable == resp.reusable
        reader.feed(extra)
    else:
        reader, body = read_all(cuts(data.draw, resp.wire + extra))
    assert reader.done
    assert not reader.reusable
    assert body + reader.take_body() == resp.body, "bytes after the end never reach the body"


@settings(max_examples=200, deadline=None)
@given(st.data(), st.lists(st.binary(min_size=1, max_size=40), max_size=6))
def test_chunk_reframing_round_trips(data: st.DataObject, parts: list[bytes]) -> None:
    for p in parts:
        size, _, rest = chunk(p).partition(b"\r\n")
        assert int(size, 16) == len(p) and rest == p + b"\r\n"
    assert chunk(b"") == b"0\r\n\r\n"
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(map(chunk, parts)) + chunk(b"")
    reader = ResponseReader()
    fed, got = 0, []
    for p in cuts(data.draw, wire):
        reader.feed(p)
        fed += len(p)
        got.append(reader.take_body())
        assert reader.done == (fed == len(wire))
    assert reader.done and reader.reusable
    assert b"".join(got) == b"".join(parts)


@settings(max_examples=150, deadline=None)
@given(st.data(), responses(), st.binary(max_size=60))
def test_shared_heads_memo_is_transparent(data: st.DataObject, resp: Response, other_body: bytes) -> None:
    # a second response with the very same head bytes (same length when framed by Content-Length)
    head = resp.wire[: resp.head_size]
    if resp.framing == "chunked":
        second = head + b"".join(chunk(p) for p in (other_body[:7], other_body[7:]) if p) + chunk(b"")
        second_body = other_body
    else:
        second, second_body = resp.wire, resp.body
    heads: dict[bytes, ResponseHead] = {}
    seen = []
    for wire, body in ((resp.wire, resp.body), (second, second_body)):
        pieces = cuts(data.draw, wire)
        plain, plain_body = read_all(pieces)
        memo, memo_body = read_all(pieces, heads=heads)
        if resp.framing == "close":
            plain.eof()
            memo.eof()
            plain_body += plain.take_body()
            memo_body += memo.take_body()
        assert plain_body == memo_body == body
        assert (plain.done, plain.reusable) == (memo.done, memo.reusable) == (True, resp.reusable)
        check_head(plain, resp)
        check_head(memo, resp)
        assert plain.head is not memo.head
        seen.append(memo.head)
    assert list(heads) == [head[:-4]], "the memo holds the head block, without its CRLFCRLF"
    assert seen[0] is seen[1] is heads[head[:-4]], "identical head bytes give the very same ResponseHead"


METHOD = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    st.text(string.ascii_uppercase, min_size=1, max_size=10),
)
TARGET = st.one_of(
    st.just("*"),
    st.text(VCHAR, max_size=40).map(lambda t: "/" + t),
    st.text(VCHAR, min_size=1, max_size=40).map(lambda t: "http://host:6443/" + t),
)


@settings(max_examples=300, deadline=None)
@given(
    METHOD,
    TARGET,
    st.sampled_from(["HTTP/1.1", "HTTP/1.0"]),
    st.lists(st.tuples(TOKEN, VALUE), max_size=8),
    st.sampled_from([": ", ":", ":\t ", ":   "]),
    st.binary(max_size=20),
    st.data(),
)
def test_request_head_round_trips(
    method: str,
    target: str,
    version: str,
    headers: list[tuple[str, str]],
    sep: str,
    after: bytes,
    data: st.DataObject,
) -> None:
    head = (f"{method} {target} {version}\r\n" + "".join(f"{k}{sep}{v}\r\n" for k, v in headers) + "\r\n").encode()
    for buf in (head, head + after, bytearray(head + after)):
        req = parse_request_head(buf)
        assert req is not None
        assert (req.method, req.target, req.version) == (method, target, version)
        assert req.headers == tuple(headers)
        assert req.size == len(head)
        for name, _ in headers:
            assert req.get(name.swapcase()) == dict_get(req.headers, name.lower()), "the first value, any case"
    prefix = data.draw(st.integers(0, len(head) - 1))
    assert parse_request_head(head[:prefix]) is None


@settings(max_examples=200, deadline=None)
@given(st.data(), responses())
def test_truncated_responses_raise_on_eof(data: st.DataObject, resp: Response) -> None:
    if resp.framing == "close":
        cut = data.draw(st.integers(0, resp.head_size - 1))  # only a cut in the head is truncation
    else:
        cut = data.draw(st.integers(0, len(resp.wire) - 1))
    reader, body = read_all(cuts(data.draw, resp.wire[:cut]))
    assert not reader.done
    assert resp.body.startswith(body), "what arrived of the body is passed on as it is"
    with pytest.raises(HttpError, match="closed before the response was complete"):
        reader.eof()
    assert not reader.done
