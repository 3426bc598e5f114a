"""The hub's cache as the pure offline decisions read it, and the write rules applied to responses.

``openyurt.core.hub.offline`` decides on wire dicts. Parsing thousands of cached objects only to
serialise them again would make an offline list slower than the cloud's, so lists are handed to the
decision as *stubs*: tiny dicts with the metadata the decision looks at and the cached bytes under a
private key; :func:`encode_body` splices those bytes straight into the response.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from openyurt.adapters.cache.disk import DiskCache, valid_key
from openyurt.core.hub.cachepolicy import (
    cache_key,
    check_list_selector,
    list_key,
    list_selector_of,
    needs_list_selector_check,
    storable_object,
)
from openyurt.core.hub.listjson import ListJSONError, split_list
from openyurt.core.hub.requestinfo import HubRequest

log = logging.getLogger(__name__)

WireDict = dict[str, Any]
#: Key of a stub's cached bytes (not a valid JSON member name any client would send).
RAW: Final = "\x00raw"
_MAPPER_DOC: Final = "%restmapper"


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def loads_dict(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def encode_body(body: Mapping[str, Any]) -> bytes:
    """JSON of a decision body, splicing cached bytes of list stubs in place."""
    items = body.get("items")
    if not isinstance(items, list) or not any(isinstance(i, dict) and RAW in i for i in items):
        return dumps(body)
    head = {k: v for k, v in body.items() if k != "items"}
    parts = [i[RAW] if isinstance(i, dict) and RAW in i else dumps(i) for i in items]
    return b"".join((dumps(head)[:-1], b',"items":[', b",".join(parts), b"]}"))


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


class HubCache:
    """Read view (core's ``CacheView``) and write rules over a :class:`DiskCache`."""

    def __init__(self, disk: DiskCache) -> None:
        self.disk = disk
        self.kinds: dict[str, str] = {}
        raw = disk.get_doc(_MAPPER_DOC)
        if raw:
            try:
                loaded = json.loads(raw)
                if isinstance(loaded, dict):
                    self.kinds = {str(k): str(v) for k, v in loaded.items()}
            except ValueError:
                pass

    # ------------------------------------------------------------------ CacheView

    def get(self, key: str) -> WireDict | None:
        raw = self.disk.get(key) if "/" in key else self.disk.get_doc(key)
        if raw is None:
            return None
        try:
            obj = json.loads(raw)
        except ValueError:
            return None
        return obj if isinstance(obj, dict) else None

    def list(self, key: str) -> Sequence[WireDict] | None:
        items = self.disk.list_entries(key)
        if items is None:
            return None
        out: list[WireDict] = []
        for d, name, rv, data in items:
            ns = "" if d == key else d.rpartition("/")[2]
            out.append({"metadata": {"namespace": ns, "name": name, "resourceVersion": rv}, RAW: data})
        return out

    def kind_for(self, group: str, version: str, resource: str) -> str | None:
        return self.kinds.get(f"{group}/{version}/{resource}")

    # ------------------------------------------------------------------ writes

    def _record_kind(self, req: HubRequest, kind: str) -> None:
        info = req.info
        if not kind or req.is_partial_object_metadata or kind in ("Status", "Table"):
            return
        k = f"{info.api_group}/{info.api_version}/{info.resource}"
        if self.kinds.get(k) != kind:
            self.kinds[k] = kind
            self.disk.put_doc(_MAPPER_DOC, dumps(self.kinds))

    def _obj_key(self, req: HubRequest, obj: Mapping[str, Any]) -> str | None:
        meta = _meta(obj)
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            return None
        ns = meta.get("namespace")
        ns_ = ns if isinstance(ns, str) else ""
        key = cache_key(req.info, req.component, ns_, name, partial_version=_partial_version(req))
        return key if valid_key(key) else None

    def store_object(self, req: HubRequest, obj: WireDict, raw: bytes | None = None) -> bool:
        """A get/create/update/patch response (or a watch ADDED/MODIFIED object).

        ``raw``: the object's JSON exactly as received, when the caller has it (saves re-encoding).
        """
        if not storable_object(obj, req.info.resource):
            return False
        key = self._obj_key(req, obj)
        if key is None:
            return False
        kind = obj.get("kind")
        if isinstance(kind, str):
            self._record_kind(req, kind)
        rv = str(_meta(obj).get("resourceVersion") or "")
        if rv and self.disk.resource_version(key) == rv:
            return True  # this very version is cached already (a repeated GET)
        return self.disk.put(key, rv, raw if raw is not None else dumps(obj))

    def delete_object(self, req: HubRequest, obj: Mapping[str, Any]) -> bool:
        key = self._obj_key(req, obj)
        if key is None:
            return False
        rv = _meta(obj).get("resourceVersion")
        return self.disk.delete(key, str(rv) if rv else None)

    def store_watch_event(self, req: HubRequest, event: Mapping[str, Any], line: bytes | None = None) -> None:
        """One watch event; ``line`` is the event's raw JSON line when it was not re-encoded."""
        etype = event.get("type")
        obj = event.get("object")
        if not isinstance(obj, dict):
            return
        if etype in ("ADDED", "MODIFIED"):
            self.store_object(req, obj, _object_bytes(line, etype) if line is not None else None)
        elif etype == "DELETED":
            self.delete_object(req, obj)

    def watch_sink(self, req: HubRequest, *, gzipped: bool = False) -> WatchSink:
        """Where an unfiltered watch's raw bytes go to be cached off the event loop (see WatchSink)."""
        return WatchSink(self, req, gzipped=gzipped)

    def store_list(self, req: HubRequest, body: Mapping[str, Any]) -> bool:
        """A list response: replaces the cached set under the list key (vanished objects go).

        Lists get their items' ``kind``/``apiVersion`` filled in (servers omit them for built-ins).
        """
        items = body.get("items")
        if not isinstance(items, list):
            return False
        return self._store_items(req, body, iter(items))

    def store_list_json(self, req: HubRequest, raw: bytes) -> bool:
        """:meth:`store_list` from the list's JSON, decoding one item at a time (a big list parsed whole
        is a memory peak the hub would keep); parsed whole when its kind does not come before items."""
        try:
            head, items = split_list(raw.decode())
        except (UnicodeDecodeError, ListJSONError):
            head, items = {}, iter(())
        if "kind" not in head:
            body = loads_dict(raw)
            return body is not None and self.store_list(req, body)
        try:
            return self._store_items(req, head, items)
        except ListJSONError as exc:
            log.info("hub: list %s not cached: %s", req.path, exc)
            return False

    def _store_items(self, req: HubRequest, head: Mapping[str, Any], items: Iterator[Any]) -> bool:
        """Store a list's items; ``head`` (kind, apiVersion, metadata) is read after the items run out."""
        list_kind = head.get("kind")
        api_version = head.get("apiVersion")
        kind = list_kind[:-4] if isinstance(list_kind, str) and list_kind.endswith("List") else ""
        self._record_kind(req, kind)
        info = req.info
        if info.name:
            # a list narrowed to one name by field selector: the single object is the cache entry
            empty = True
            for item in items:
                empty = False
                if isinstance(item, dict):
                    self._fill(item, kind, api_version)
                    self.store_object(req, item)
            if empty:
                key = cache_key(info, req.component, info.namespace, info.name)
                if valid_key(key):
                    self.disk.delete(key)
            return True
        key = list_key(req)
        if not valid_key(key):
            return False
        selector = list_selector_of(req)
        if needs_list_selector_check(req) and check_list_selector(self.disk.selectors(), key, selector) == "reject":
            log.debug("hub: list %s with selector %r not cached (key holds another selector)", key, selector)
            return False
        out: dict[str, tuple[str, bytes]] = {}
        for item in items:
            if not isinstance(item, dict) or not storable_object(item, info.resource):
                continue
            self._fill(item, kind, api_version)
            okey = self._obj_key(req, item)
            if okey is None:
                continue
            out[okey] = (str(_meta(item).get("resourceVersion") or ""), dumps(item))
        list_rv = str(_meta(head).get("resourceVersion") or "")
        self.disk.replace_list(key, out, list_rv, selector)
        return True

    @staticmethod
    def _fill(item: WireDict, kind: str, api_version: Any) -> None:
        if kind and not item.get("kind"):
            item["kind"] = kind
        if isinstance(api_version, str) and not item.get("apiVersion"):
            item["apiVersion"] = api_version


#: Raw bytes a sink parses per deferred job (then it queues itself again behind other work).
SINK_BATCH_BYTES: Final = 256 << 10
#: A watch event the proxy parsed: its JSON line as sent (no newline) and the parsed event (None: no object).
ParsedEvent = tuple[bytes, "WireDict | None"]
_EVENT_PREFIXES: Final = ((b'{"type":"ADDED","object":', "ADDED"), (b'{"type":"MODIFIED","object":', "MODIFIED"))


class WatchSink:
    """Caches a watch stream from its raw bytes, after the client has them.

    The proxy forwards each chunk as it arrives and hands it to :meth:`feed`; the parsing and storing
    run as deferred jobs of the disk cache (its writer thread, or the next cache read, whichever comes
    first), so the event loop never parses an event nobody needs to change. Chunks are joined and split
    into lines here (a gzip stream is inflated here too). An ADDED/MODIFIED event whose object bytes are
    exactly what is cached under this request's key prefix is skipped unparsed: storing it is a no-op.
    """

    def __init__(self, cache: HubCache, req: HubRequest, *, gzipped: bool = False) -> None:
        self._cache = cache
        self._req = req
        self._chunks: deque[bytes | list[ParsedEvent]] = deque()
        self._scheduled = False
        self._ended = False
        self._complete = False
        self._broken = False
        self._partial = b""
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        key = cache_key(req.info, req.component, "", "x", partial_version=_partial_version(req))
        self._prefix = key[:-1]

    def feed(self, chunk: bytes) -> None:
        """Queue ``chunk`` (event-loop side: an append, and a wake-up when no job is queued)."""
        self._chunks.append(chunk)
        self._schedule()

    def feed_events(self, events: list[ParsedEvent]) -> None:
        """Queue events the proxy parsed already: ``(line, event)`` per event the client got, in order.

        ``line`` is the event's JSON line as sent (no newline), ``event`` its parsed form (None: not a
        JSON object, nothing to store). They are stored exactly as :meth:`feed`'s lines, unparsed again.
        The list is the sink's from now on.
        """
        if events:
            self._chunks.append(events)
            self._schedule()

    def close(self, *, complete: bool = True) -> None:
        """End of stream; ``complete``: a last line without a newline is an event too (not when cut)."""
        self._complete = complete
        self._ended = True
        self._chunks.append(b"")
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self._cache.disk.defer(self._drain)

    def _drain(self) -> None:
        # cleared before taking chunks: a chunk fed meanwhile either is taken now or schedules again
        self._scheduled = False
        chunks = self._chunks
        taken: list[bytes] = []
        size = 0
        while chunks and size < SINK_BATCH_BYTES:
            c = chunks.popleft()
            if isinstance(c, list):
                # parsed events: the bytes fed before them first, in stream order
                if not self._broken:
                    self._lines(taken, chunks)
                    for line, event in c:
                        self._stored(line, event)
                taken = []
                size += sum(len(line) for line, _ in c)
                continue
            taken.append(c)
            size += len(c)
        if chunks:
            self._schedule()
        if not self._broken:
            self._lines(taken, chunks)

    def _lines(self, taken: list[bytes], chunks: deque[bytes | list[ParsedEvent]]) -> None:
        """Split the raw ``taken`` chunks into lines and store each event (``chunks``: what is left)."""
        data = b"".join(taken)
        if self._inflate is not None and data:
            try:
                data = self._inflate.decompress(data)
            except zlib.error:
                log.warning("hub: undecodable gzip watch stream of %s, no longer cached", self._req.path)
                self._broken = True
                return
        if self._partial:
            data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        if self._ended and not chunks:
            # everything fed before close() is taken (feeds happen before it): the rest is the tail
            if self._complete:
                lines.append(self._partial)
            self._partial = b""
        for line in lines:
            if line.strip():
                self._event(line)

    def _cached_already(self, line: bytes) -> bool:
        """Whether ``line`` adds/modifies an object whose exact bytes are cached under this request's keys."""
        for prefix, etype in _EVENT_PREFIXES:
            if line.startswith(prefix):
                raw = _object_bytes(line, etype)
                if raw is not None:
                    key = self._cache.disk.key_of(raw)
                    return key is not None and key.startswith(self._prefix)
                break
        return False

    def _event(self, line: bytes) -> None:
        if self._cached_already(line):
            return  # storing it is a no-op
        try:
            event = json.loads(line)
        except ValueError:
            return
        if isinstance(event, dict):
            self._store(line, event)

    def _stored(self, line: bytes, event: WireDict | None) -> None:
        """A parsed event: the same rules as :meth:`_event`, without parsing ``line`` again."""
        if event is not None and not self._cached_already(line):
            self._store(line, event)

    def _store(self, line: bytes, event: WireDict) -> None:
        try:
            self._cache.store_watch_event(self._req, event, line)
        except Exception:
            log.exception("hub: caching a watch event of %s failed", self._req.path)


def _partial_version(req: HubRequest) -> str:
    return req.accept_as_version if req.is_partial_object_metadata else ""


def _object_bytes(line: bytes, etype: str) -> bytes | None:
    """The ``object`` member of a watch event line in the apiserver's layout, else None.

    ``{"type":"X","object":{...}}`` → ``{...}``. Anything laid out differently is re-encoded instead.
    """
    prefix = b'{"type":"' + etype.encode() + b'","object":'
    body = line.rstrip()
    if body.startswith(prefix) and body.endswith(b"}}"):
        return body[len(prefix) : -1]
    return None
