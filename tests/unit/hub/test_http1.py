"""HTTP/1.1 framing of the fast lane (RFC 9112): keep-alive, bodies, malformed input, interim
responses, bodiless responses and close-delimited bodies."""

from __future__ import annotations

import pytest

from openyurt.core.hub.http1 import (
    MAX_CHUNK_LINE,
    MAX_HEAD,
    HttpError,
    ResponseHead,
    ResponseReader,
    chunk,
    parse_request_head,
    parse_response_head,
)


def request(version: str = "HTTP/1.1", *headers: str) -> bytes:
    return f"GET /api/v1/pods {version}\r\n".encode() + b"".join(h.encode() + b"\r\n" for h in headers) + b"\r\n"


def response(first: str, *headers: str, body: bytes = b"") -> bytes:
    return first.encode() + b"\r\n" + b"".join(h.encode("latin-1") + b"\r\n" for h in headers) + b"\r\n" + body


def read(
    wire: bytes,
    *,
    bytewise: bool = False,
    head_request: bool = False,
    heads: dict[bytes, ResponseHead] | None = None,
) -> tuple[ResponseReader, bytes]:
    reader = ResponseReader(head_request=head_request, heads=heads)
    for piece in [wire[i : i + 1] for i in range(len(wire))] if bytewise else [wire]:
        reader.feed(piece)
    return reader, reader.take_body()


def head_of(wire: bytes) -> ResponseHead:
    head = parse_response_head(wire.split(b"\r\n\r\n", 1)[0])
    assert head is not None
    return head


# --- keep-alive ----------------------------------------------------------------------------------

KEEP_ALIVE = [
    ("HTTP/1.1", [], True),
    ("HTTP/1.1", ["Connection: close"], False),
    ("HTTP/1.1", ["Connection: CLOSE"], False),
    ("HTTP/1.1", ["connection: Close"], False),
    ("HTTP/1.1", ["Connection: keep-alive"], True),
    ("HTTP/1.1", ["Connection: upgrade, close"], False),
    ("HTTP/1.1", ["Connection: close,upgrade"], False),
    ("HTTP/1.1", ["Connection:  TE ,  Close "], False),
    ("HTTP/1.1", ["Connection: closed"], True),
    ("HTTP/1.1", ["Connection: upgrade"], True),
    ("HTTP/1.1", ["Connection:"], True),
    ("HTTP/1.0", [], False),
    ("HTTP/1.0", ["Connection: keep-alive"], True),
    ("HTTP/1.0", ["Connection: Keep-Alive"], True),
    ("HTTP/1.0", ["CONNECTION: KEEP-ALIVE"], True),
    ("HTTP/1.0", ["Connection: te, keep-alive"], True),
    ("HTTP/1.0", ["Connection: keep-alive-please"], False),
    ("HTTP/1.0", ["Connection: close"], False),
    ("HTTP/1.0", ["Keep-Alive: timeout=5"], False),
]


@pytest.mark.parametrize(("version", "headers", "expected"), KEEP_ALIVE)
def test_request_keep_alive(version: str, headers: list[str], expected: bool) -> None:
    req = parse_request_head(request(version, *headers))
    assert req is not None
    assert req.keep_alive is expected


@pytest.mark.parametrize(("version", "headers", "expected"), KEEP_ALIVE)
def test_response_reusable_follows_the_same_rules(version: str, headers: list[str], expected: bool) -> None:
    wire = response(f"{version} 200 OK", *headers, "Content-Length: 2", body=b"ok")
    assert head_of(wire).reusable is expected
    reader, body = read(wire)
    assert (reader.done, reader.reusable, body) == (True, expected, b"ok")


def test_reusable_needs_a_delimited_body() -> None:
    for framing in (["Content-Length: 0"], ["Transfer-Encoding: chunked"]):
        assert head_of(response("HTTP/1.1 200 OK", *framing)).reusable
    reader, _ = read(response("HTTP/1.1 200 OK", "Connection: keep-alive", body=b"abc"))
    assert not reader.done
    reader.eof()
    assert reader.done and not reader.reusable


@pytest.mark.parametrize("kind", ["request", "response"])
def test_connection_close_in_a_second_field_line_counts(kind: str) -> None:
    # RFC 9110 §5.3: field lines with the same name are one comma-separated list
    lines = ("Connection: keep-alive", "Connection: close")
    if kind == "request":
        req = parse_request_head(request("HTTP/1.1", *lines))
        assert req is not None and not req.keep_alive
    else:
        reader, _ = read(response("HTTP/1.1 200 OK", *lines, "Content-Length: 0"))
        assert reader.done and not reader.reusable


# --- request bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], False),
        (["Content-Length: 0"], False),
        (["Content-Length: 000"], False),
        (["content-length:  0 "], False),
        (["Content-Length: 1"], True),
        (["Content-Length: 1048576"], True),
        (["Content-Length: 5", "content-length: 5"], True),  # repeated but identical: one length
        (["Transfer-Encoding: chunked"], True),
        (["transfer-encoding: gzip"], True),
        (["Transfer-Encoding: chunked", "Content-Length: 0"], True),
        (["Host: x", "Accept: */*"], False),
    ],
)
def test_request_has_body(headers: list[str], expected: bool) -> None:
    req = parse_request_head(request("HTTP/1.1", *headers))
    assert req is not None
    assert req.has_body is expected


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (["Content-Length: abc"], "bad Content-Length 'abc'"),
        (["Content-Length: -1"], "bad Content-Length '-1'"),
        (["Content-Length: +1"], "bad Content-Length"),
        (["Content-Length: 1 2"], "bad Content-Length"),
        (["Content-Length: 1,1"], "bad Content-Length"),
        (["Content-Length: 0x10"], "bad Content-Length"),
        (["Content-Length:"], "bad Content-Length ''"),
        (["Content-Length: 1", "Content-Length: 2"], "conflicting Content-Length"),
    ],
)
def test_request_bad_content_length(headers: list[str], message: str) -> None:
    req = parse_request_head(request("HTTP/1.1", *headers))
    assert req is not None  # framing is judged when asked for
    with pytest.raises(HttpError, match=f"^request: {message}"):
        _ = req.has_body


def test_request_head_fields() -> None:
    req = parse_request_head(request("HTTP/1.1", "Host: h", "Accept: a", "accept: b") + b"rest")
    assert req is not None
    assert (req.method, req.target, req.version) == ("GET", "/api/v1/pods", "HTTP/1.1")
    assert req.headers == (("Host", "h"), ("Accept", "a"), ("accept", "b"))
    assert req.get("ACCEPT") == "a" and req.get("missing") is None
    assert req.size == len(request("HTTP/1.1", "Host: h", "Accept: a", "accept: b"))
    assert parse_request_head(b"GET / HTTP/1.1\r\n\r") is None
    assert parse_request_head(b"") is None


# --- malformed input -------------------------------------------------------------------------------

BAD_REQUESTS = [
    (b"GET /\r\n\r\n", "malformed request line"),
    (b"GET  / HTTP/1.1\r\n\r\n", "malformed request line"),
    (b" GET / HTTP/1.1\r\n\r\n", "malformed request line"),
    (b"GET / HTTP/1.1 x\r\n\r\n", "malformed request line"),
    (b"GET /a b HTTP/1.1\r\n\r\n", "malformed request line"),
    (b"\r\n\r\n", "malformed request line"),
    (b"GET / HTTP/2.0\r\n\r\n", "unsupported protocol version 'HTTP/2.0'"),
    (b"GET / http/1.1\r\n\r\n", "unsupported protocol version"),
    (b"get / HTTP/1.1\r\n\r\n", "malformed method 'get'"),
    (b"G3T / HTTP/1.1\r\n\r\n", "malformed method"),
    (b"GET / HTTP/1.1\r\nHost\r\n\r\n", "request: malformed header line b'Host'"),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", "request: malformed header line b'Host : x'"),
    (b"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", "request: malformed header line"),
    (b"GET / HTTP/1.1\r\n: x\r\n\r\n", "request: malformed header line"),
    (b"GET / HTTP/1.1\r\nA(b): x\r\n\r\n", "request: malformed header line"),
    (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "request: malformed header line b' folded'"),
    (b"GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", "request: malformed header line"),
]


@pytest.mark.parametrize(("wire", "message"), BAD_REQUESTS)
def test_malformed_request_heads(wire: bytes, message: str) -> None:
    with pytest.raises(HttpError) as err:
        parse_request_head(wire)
    assert message in str(err.value)


def test_request_head_too_large() -> None:
    start = b"GET / HTTP/1.1\r\nX: "
    with pytest.raises(HttpError, match="request head too large"):
        parse_request_head(start + b"a" * MAX_HEAD)  # no end in sight
    with pytest.raises(HttpError, match="request head too large"):
        parse_request_head(start + b"a" * MAX_HEAD + b"\r\n\r\n")
    fits = start + b"a" * (MAX_HEAD // 2) + b"\r\n\r\n"
    head = parse_request_head(fits)
    assert head is not None and head.size == len(fits)


def test_request_head_limit_does_not_depend_on_the_split() -> None:
    # MAX_HEAD bounds the whole head, its final CRLFCRLF included
    start = b"GET / HTTP/1.1\r\nX: "
    wire = start + b"a" * (MAX_HEAD - len(start) - 4) + b"\r\n\r\n"
    assert len(wire) == MAX_HEAD
    head = parse_request_head(wire)
    assert head is not None and head.size == MAX_HEAD, "a head of exactly MAX_HEAD bytes fits"
    assert all(parse_request_head(wire[:cut]) is None for cut in (len(wire) - 1, len(wire) - 3, len(start))), (
        "its prefixes are only incomplete"
    )
    over = start + b"a" * (MAX_HEAD - len(start) - 3) + b"\r\n\r\n"
    for data in (over, over[:-1]):
        with pytest.raises(HttpError, match="request head too large"):
            parse_request_head(data)


BAD_STATUS_LINES = [b"HTTP/1.1 20 OK", b"HTTP/1.1 2000 OK", b"HTTP/1.1 2x0 OK", b"HTTP/2 200 OK", b"ICY 200 OK", b""]


@pytest.mark.parametrize("line", BAD_STATUS_LINES)
def test_malformed_status_lines(line: bytes) -> None:
    with pytest.raises(HttpError, match="malformed status line"):
        parse_response_head(line + b"\r\nContent-Length: 0")
    with pytest.raises(HttpError, match="malformed status line"):
        read(line + b"\r\nContent-Length: 0\r\n\r\n", bytewise=True)


BAD_RESPONSES = [
    (response("HTTP/1.1 200 OK", "Content-Length"), "response: malformed header line b'Content-Length'"),
    (response("HTTP/1.1 200 OK", "Content-Length : 0"), "response: malformed header line b'Content-Length : 0'"),
    (response("HTTP/1.1 200 OK", "Content-Length: 1O"), "response: bad Content-Length '1O'"),
    (response("HTTP/1.1 200 OK", "Content-Length: -1"), "response: bad Content-Length '-1'"),
    (response("HTTP/1.1 200 OK", "Content-Length: \xb2"), "response: bad Content-Length"),  # '²'.isdigit()
    (
        response("HTTP/1.1 200 OK", "Content-Length: 3", "Content-Length: 4", body=b"abcd"),
        "response: conflicting Content-Length headers",
    ),
]


@pytest.mark.parametrize(("wire", "message"), BAD_RESPONSES)
def test_malformed_response_heads(wire: bytes, message: str) -> None:
    for bytewise in (False, True):
        with pytest.raises(HttpError) as err:
            read(wire, bytewise=bytewise)
        assert message in str(err.value)


CHUNKED = "Transfer-Encoding: chunked"


@pytest.mark.parametrize(
    "size_line",
    [b"0x5", b"0X5", b"-1", b"+5", b"zz", b"5z", b"", b" ", b";ext", b"5 5", b"\xff"],
)
def test_bad_chunk_sizes(size_line: bytes) -> None:
    wire = response("HTTP/1.1 200 OK", CHUNKED, body=size_line + b"\r\nhello\r\n0\r\n\r\n")
    for bytewise in (False, True):
        with pytest.raises(HttpError, match="response: bad chunk size"):
            read(wire, bytewise=bytewise)


@pytest.mark.parametrize("size_line", [b"5", b"05", b"5;ext", b"5 ;a=b", b"5\t", b'5;q="x;y"'])
def test_good_chunk_sizes(size_line: bytes) -> None:
    reader, body = read(response("HTTP/1.1 200 OK", CHUNKED, body=size_line + b"\r\nhello\r\n0\r\n\r\n"))
    assert (reader.done, reader.reusable, body) == (True, True, b"hello")


@pytest.mark.parametrize("size_line", [b"1_0", b"\x0b10", b"10\x0c"])
def test_chunk_size_is_only_hex_digits(size_line: bytes) -> None:
    wire = response("HTTP/1.1 200 OK", CHUNKED, body=size_line + b"\r\n0123456789abcdef\r\n0\r\n\r\n")
    with pytest.raises(HttpError, match="bad chunk size"):
        read(wire)


@pytest.mark.parametrize("after", [b"X\r\n0\r\n\r\n", b"\n0\r\n\r\n", b"\r0\r\n\r\n", b"abc\r\n0\r\n\r\n"])
def test_chunk_not_followed_by_crlf(after: bytes) -> None:
    wire = response("HTTP/1.1 200 OK", CHUNKED, body=b"3\r\nabc" + after)
    for bytewise in (False, True):
        with pytest.raises(HttpError, match="response: chunk not followed by CRLF"):
            read(wire, bytewise=bytewise)


def test_response_size_limits() -> None:
    with pytest.raises(HttpError, match="response head too large"):
        read(b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_HEAD)
    with pytest.raises(HttpError, match="chunk size line too long"):
        read(response("HTTP/1.1 200 OK", CHUNKED, body=b"5;" + b"e" * MAX_CHUNK_LINE))
    with pytest.raises(HttpError, match="trailer too large"):
        read(response("HTTP/1.1 200 OK", CHUNKED, body=b"0\r\nX-Trailer: " + b"t" * MAX_HEAD))


@pytest.mark.parametrize("what", ["head", "chunk line"])
def test_response_size_limits_do_not_depend_on_the_split(what: str) -> None:
    if what == "head":
        wire = response("HTTP/1.1 200 OK", "X: " + "a" * (2 * MAX_HEAD), "Content-Length: 0")
    else:
        wire = response("HTTP/1.1 200 OK", CHUNKED, body=b"1;" + b"e" * (3 * MAX_CHUNK_LINE) + b"\r\nx\r\n0\r\n\r\n")
    with pytest.raises(HttpError):
        read(wire[: len(wire) // 2])  # refused when it arrives in two halves...
    with pytest.raises(HttpError):
        read(wire)  # ...so it must be refused when it arrives whole


@pytest.mark.parametrize("value", [b"a\rb", b"a\x00b"])
def test_cr_and_nul_in_field_values_are_refused(value: bytes) -> None:
    with pytest.raises(HttpError):
        parse_request_head(b"GET / HTTP/1.1\r\nX: " + value + b"\r\n\r\n")


# --- interim responses -----------------------------------------------------------------------------


@pytest.mark.parametrize("bytewise", [False, True])
@pytest.mark.parametrize(
    "interim",
    [
        response("HTTP/1.1 100 Continue"),
        response("HTTP/1.1 103 Early Hints", "Link: </style.css>; rel=preload"),
        response("HTTP/1.1 100 Continue") + response("HTTP/1.1 102 Processing"),
    ],
)
def test_interim_responses_are_skipped(interim: bytes, bytewise: bool) -> None:
    final = response("HTTP/1.1 201 Created", "Content-Length: 2", "X: y", body=b"{}")
    heads: dict[bytes, ResponseHead] = {}
    reader, body = read(interim + final, bytewise=bytewise, heads=heads)
    assert reader.head is not None
    assert (reader.head.status, reader.head.reason, reader.head.headers) == (
        201,
        "Created",
        (("Content-Length", "2"), ("X", "y")),
    )
    assert (reader.done, reader.reusable, body) == (True, True, b"{}")
    assert list(heads) == [final.split(b"\r\n\r\n")[0]], "interim heads are not remembered"


def test_interim_response_alone_is_not_a_response() -> None:
    reader, _ = read(response("HTTP/1.1 100 Continue"))
    assert reader.head is None and not reader.done
    assert parse_response_head(b"HTTP/1.1 100 Continue") is None
    with pytest.raises(HttpError, match="closed before the response was complete"):
        reader.eof()


# --- bodiless responses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "framing", [["Content-Length: 1234"], [CHUNKED], ["Content-Length: 0"], ["Transfer-Encoding: gzip, chunked"]]
)
@pytest.mark.parametrize("bytewise", [False, True])
def test_head_request_response_has_no_body(framing: list[str], bytewise: bool) -> None:
    wire = response("HTTP/1.1 200 OK", *framing)
    reader, body = read(wire, bytewise=bytewise, head_request=True)
    assert reader.head is not None and reader.head.status == 200
    assert (reader.done, reader.reusable, body) == (True, True, b"")
    reader.feed(b"x")
    assert not reader.reusable and reader.take_body() == b"", "bytes after a HEAD answer are not its body"


@pytest.mark.parametrize(
    ("first", "framing"),
    [
        ("HTTP/1.1 204 No Content", ["Content-Length: 0"]),
        ("HTTP/1.1 204 No Content", ["Content-Length: 10"]),
        ("HTTP/1.1 304 Not Modified", ["Content-Length: 1234", "ETag: x"]),
        ("HTTP/1.1 304 Not Modified", [CHUNKED]),
        ("HTTP/1.0 304 Not Modified", ["Connection: keep-alive", "Content-Length: 5"]),
    ],
)
@pytest.mark.parametrize("bytewise", [False, True])
def test_204_and_304_have_no_body(first: str, framing: list[str], bytewise: bool) -> None:
    reader, body = read(response(first, *framing), bytewise=bytewise)
    assert reader.head is not None
    assert (reader.done, reader.reusable, body) == (True, True, b"")
    reader.feed(b"0\r\n\r\n")
    assert not reader.reusable and reader.take_body() == b""


@pytest.mark.parametrize(
    ("first", "head_request"),
    [("HTTP/1.1 204 No Content", False), ("HTTP/1.1 304 Not Modified", False), ("HTTP/1.1 200 OK", True)],
)
def test_bodiless_response_without_length_is_reusable(first: str, head_request: bool) -> None:
    # RFC 9112 §6.3: such a response ends at its empty line whatever its headers say
    reader, _ = read(response(first, "ETag: x"), head_request=head_request)
    assert reader.done and reader.reusable


# --- transfer codings and close-delimited bodies -----------------------------------------------------


@pytest.mark.parametrize(
    "framing",
    [
        ["Transfer-Encoding: gzip"],
        ["Transfer-Encoding: chunked, gzip"],
        ["Transfer-Encoding: identity"],
        ["Transfer-Encoding: gzip", "Content-Length: 3"],  # TE overrides Content-Length
        ["Connection: keep-alive"],  # no length at all
    ],
)
@pytest.mark.parametrize("bytewise", [False, True])
def test_non_chunked_final_coding_reads_until_close(framing: list[str], bytewise: bool) -> None:
    payload = b"3\r\nabc\r\n0\r\n\r\nmore"
    reader, body = read(response("HTTP/1.1 200 OK", *framing, body=payload), bytewise=bytewise)
    assert reader.head is not None and reader.head.framing == "close"
    assert not reader.done and not reader.reusable
    reader.feed(b" and more")
    assert not reader.done
    reader.eof()
    assert reader.done and not reader.reusable
    assert body + reader.take_body() == payload + b" and more"


@pytest.mark.parametrize("te", ["chunked", "CHUNKED", "gzip, chunked", "gzip ,chunked ", "gzip,,chunked"])
def test_chunked_final_coding(te: str) -> None:
    wire = response("HTTP/1.1 200 OK", f"Transfer-Encoding: {te}", "Content-Length: 100", body=chunk(b"abc"))
    reader, body = read(wire + chunk(b""))
    assert reader.head is not None and reader.head.framing == "chunked"
    assert (reader.done, reader.reusable, body) == (True, True, b"abc")


def test_transfer_codings_over_several_field_lines() -> None:
    # "gzip" then "chunked" is the list "gzip, chunked": the body is chunked
    wire = response("HTTP/1.1 200 OK", "Transfer-Encoding: gzip", CHUNKED, body=chunk(b"abc") + chunk(b""))
    reader, body = read(wire)
    assert (reader.done, body) == (True, b"abc")


# --- chunked bodies, trailers, truncation ------------------------------------------------------------


@pytest.mark.parametrize("bytewise", [False, True])
def test_chunked_body_with_extensions_and_trailers(bytewise: bool) -> None:
    payload = b"4;name=val\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0;last\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n"
    reader, body = read(response("HTTP/1.1 200 OK", CHUNKED, body=payload), bytewise=bytewise)
    assert (reader.done, reader.reusable, body) == (True, True, b"Wikipedia in \r\n\r\nchunks.")


def test_take_body_hands_over_what_arrived_since_the_last_call() -> None:
    reader = ResponseReader()
    reader.feed(response("HTTP/1.1 200 OK", "Content-Length: 6", body=b"ab"))
    assert reader.take_body() == b"ab"
    assert reader.take_body() == b""
    reader.feed(b"c")
    reader.feed(b"d")
    assert reader.take_body() == b"cd"
    reader.feed(b"efXYZ")
    assert reader.take_body() == b"ef"
    assert reader.done and not reader.reusable


@pytest.mark.parametrize(
    "wire",
    [
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
        response("HTTP/1.1 200 OK", "Content-Length: 3", body=b"ab"),
        response("HTTP/1.1 200 OK", CHUNKED),
        response("HTTP/1.1 200 OK", CHUNKED, body=b"3\r\nab"),
        response("HTTP/1.1 200 OK", CHUNKED, body=b"3\r\nabc\r"),
        response("HTTP/1.1 200 OK", CHUNKED, body=b"3\r\nabc\r\n0\r\n"),
        response("HTTP/1.1 200 OK", CHUNKED, body=b"3\r\nabc\r\n0\r\nX-T: 1\r\n"),
        response("HTTP/1.1 200 OK", "Transfer-Encoding: gzip")[:-2],
    ],
)
def test_truncated_response_raises_on_eof(wire: bytes) -> None:
    reader, _ = read(wire)
    assert not reader.done
    with pytest.raises(HttpError, match="connection closed before the response was complete"):
        reader.eof()


def test_complete_response_survives_eof() -> None:
    reader, body = read(response("HTTP/1.1 200 OK", "Content-Length: 2", body=b"ok"))
    reader.eof()
    assert (reader.done, reader.reusable, body) == (True, True, b"ok")


# --- heads -------------------------------------------------------------------------------------------


def test_response_head_fields() -> None:
    head = parse_response_head(b"HTTP/1.0 404 Not  Found \r\nA: 1\r\nb:2\r\nA: 3")
    assert head is not None
    assert (head.version, head.status, head.reason) == ("HTTP/1.0", 404, "Not  Found ")
    assert head.headers == (("A", "1"), ("b", "2"), ("A", "3"))
    assert head.get("a") == "1" and head.get("B") == "2" and head.get("c") is None
    assert (head.framing, head.length, head.reusable) == ("close", 0, False)
    assert "404" in repr(head) and "Not  Found" in repr(head)
    bare = parse_response_head(b"HTTP/1.1 200")
    assert bare is not None and bare.reason == "" and bare.headers == ()


def test_heads_memo_returns_the_same_object() -> None:
    heads: dict[bytes, ResponseHead] = {}
    first, _ = read(response("HTTP/1.1 200 OK", "Content-Length: 1", body=b"a"), heads=heads)
    second, body = read(response("HTTP/1.1 200 OK", "Content-Length: 1", body=b"b"), heads=heads)
    other, _ = read(response("HTTP/1.1 200 OK", "Content-Length: 2", body=b"bb"), heads=heads)
    assert second.head is first.head and body == b"b"
    assert other.head is not first.head and other.head is not None and other.head.length == 2
    assert len(heads) == 2


def test_chunk() -> None:
    assert chunk(b"") == b"0\r\n\r\n"
    assert chunk(b"abc") == b"3\r\nabc\r\n"
    assert chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"


def test_whole_marks_exactly_one_response_with_a_known_head() -> None:
    heads: dict[bytes, ResponseHead] = {}
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    first = ResponseReader(heads=heads)
    first.feed(wire)
    assert first.done and not first.whole, "a head seen for the first time takes the general path"
    again = ResponseReader(heads=heads)
    again.feed(wire)
    assert again.done and again.whole and again.take_body() == b"abc" and again.reusable
    extra = ResponseReader(heads=heads)
    extra.feed(wire + b"junk")
    assert extra.done and not extra.whole and not extra.reusable, "bytes after the answer: not whole"
    split = ResponseReader(heads=heads)
    split.feed(wire[:10])
    split.feed(wire[10:])
    assert split.done and not split.whole
    split.reset()
    assert not split.whole and not split.done
