"""HTTP layer of the embedded API server: path parsing, auth, negotiation, and the watch stream.

One catch-all aiohttp handler parses the Kubernetes path shapes itself (cheaper and more exact than a
route table: "unknown path" vs "unknown resource" vs "verb not allowed" are different answers), then
dispatches to :mod:`service`. Every failure, including malformed input, becomes a Status; an
unexpected exception is logged and answered 500 without touching stored data.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from openyurt.adapters.store.protocol import Compacted, Store
from openyurt.runtime.apiserver import openapi_docs, tables
from openyurt.runtime.apiserver import status as st
from openyurt.runtime.apiserver.crds import default_crd_dir, load_crd_files
from openyurt.runtime.apiserver.gc import Controllers
from openyurt.runtime.apiserver.registry import Registry, ResourceType
from openyurt.runtime.apiserver.service import DeleteOptions, ListOptions, Service, now_time
from openyurt.runtime.apiserver.watchhub import Cached, HubEvent, ObjectCache, WatchHub, dumps

log = logging.getLogger(__name__)

JSON = "application/json"
_TRUE = frozenset(("1", "t", "T", "TRUE", "true", "True"))
_FALSE = frozenset(("0", "f", "F", "FALSE", "false", "False"))
_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
_AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_AGG_V2B1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
MAX_BODY = 3 * 1024 * 1024 + 1024


@dataclass
class ServerConfig:
    version_minor: int = 31
    token: str | None = None
    #: CRDs installed at first start: ``None`` reads ``<repo>/specs/crds``
    crds: list[dict[str, Any]] | None = None
    crd_dir: Path | None = None
    graceful_pod_deletion: bool = True
    #: DefaultTolerationSeconds admission for pods (None turns it off)
    default_toleration_seconds: int | None = 300
    bookmark_interval: float = 60.0
    hub_capacity: int = 20000
    server_address: str = "127.0.0.1:6443"
    #: compact the store's history down to this many revisions at start (None: leave it to the store)
    compact_on_start: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_bool(v: str | None, name: str) -> bool:
    if v is None or v == "":
        return False
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise st.bad_request(f'invalid boolean value for {name}: "{v}"')


def parse_int(v: str | None, name: str) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise st.bad_request(f'invalid integer value for {name}: "{v}"') from None


def _media(ct: str) -> str:
    return ct.split(";", 1)[0].strip().lower()


@dataclass
class Negotiated:
    mode: str  # json | table | pom
    include: str = "Metadata"


def negotiate(accept: str) -> Negotiated:
    """Pick the response shape from ``Accept``; 406 when nothing acceptable remains."""
    if not accept:
        return Negotiated("json")
    for rng in accept.split(","):
        parts = [p.strip() for p in rng.split(";")]
        mt = parts[0].lower()
        params: dict[str, str] = {}
        for p in parts[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        if mt not in ("application/json", "*/*", "application/*"):
            continue
        as_ = params.get("as")
        if as_ is None:
            return Negotiated("json")
        if as_ == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return Negotiated("table")
        if (
            as_ in ("PartialObjectMetadata", "PartialObjectMetadataList")
            and params.get("g") == "meta.k8s.io"
            and params.get("v") in ("v1", "v1beta1")
        ):
            return Negotiated("pom")
    raise st.not_acceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    )


def _wants_aggregated(accept: str) -> str | None:
    """The aggregated discovery content type to answer with, exactly as the client asked, else None."""
    for rng in accept.split(","):
        parts = [p.strip() for p in rng.split(";")]
        if parts[0].lower() not in ("application/json",):
            if parts[0] in ("*/*",):
                return None
            continue
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") == "v2":
                return _AGG_V2
            if params.get("v") == "v2beta1":
                return _AGG_V2B1
            continue
        if "as" not in params:
            return None
    return None


def _resp(body: bytes, status: int = 200, ctype: str = JSON, headers: dict[str, str] | None = None) -> web.Response:
    h = {"Content-Type": ctype, "Cache-Control": "no-cache, private"}
    if headers:
        h.update(headers)
    return web.Response(body=body, status=status, headers=h)


def _error(e: st.ApiError) -> web.Response:
    return _resp(e.body(), e.code, headers=e.headers)


@dataclass
class Target:
    rt: ResourceType
    version: str
    ns: str | None
    name: str | None
    sub: str


class ApiServer:
    """Owns the store-backed service, the watch hub and the controllers; builds the aiohttp app."""

    def __init__(self, store: Store, config: ServerConfig | None = None) -> None:
        self.store = store
        self.config = config or ServerConfig()
        self.registry = Registry()
        self.cache = ObjectCache()
        self.hub: WatchHub | None = None
        self.service: Service | None = None
        self.controllers: Controllers | None = None
        self.ready = False
        self.closing = False
        self._watches: set[asyncio.Task[Any]] = set()
        minor = str(self.config.version_minor)
        self._version = dumps(
            {
                "major": "1",
                "minor": minor,
                "gitVersion": f"v1.{minor}.0",
                "gitCommit": "openyurt-embedded",
                "gitTreeState": "clean",
                "buildDate": "2025-01-01T00:00:00Z",
                "goVersion": "go1.23",
                "compiler": "gc",
                "platform": "linux/amd64",
            }
        )

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.config.compact_on_start is not None:
            await self.store.compact(self.config.compact_on_start)
        self.hub = WatchHub(self.store, self.cache, self.config.hub_capacity)
        self.service = Service(
            self.store,
            self.registry,
            self.cache,
            self.hub,
            self.config.graceful_pod_deletion,
            self.config.default_toleration_seconds,
        )
        self.controllers = Controllers(self.service)
        self.hub.listeners.append(self.controllers.on_event)
        await self.hub.start()
        crds = self.config.crds
        if crds is None:
            crds = load_crd_files(self.config.crd_dir or default_crd_dir())
        await self.service.bootstrap(crds)
        await self.controllers.start()
        self.ready = True

    async def close(self) -> None:
        self.closing = True
        self.ready = False
        for t in list(self._watches):
            t.cancel()
        if self.controllers is not None:
            await self.controllers.close()
        if self.hub is not None:
            await self.hub.close()

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, handler_args={"max_field_size": 65536, "max_line_size": 65536})
        app.router.add_route("*", "/{tail:[\\s\\S]*}", self.handle)
        return app

    @property
    def svc(self) -> Service:
        assert self.service is not None
        return self.service

    # -- entry -----------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except st.ApiError as e:
            return _error(e)
        except web.HTTPRequestEntityTooLarge:
            return _error(st.too_large("the request body is too large"))
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:  # an answer, never a crash
            log.exception("internal error serving %s %s", request.method, request.rel_url)
            return _error(st.internal(type(exc).__name__))

    def _authorized(self, request: web.Request) -> bool:
        token = self.config.token
        if not token:
            return True
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        return hmac.compare_digest(auth[7:].strip().encode(), token.encode())

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        method = request.method
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return self._health(request)
        if path == "/version" or path == "/version/":
            return _resp(self._version)
        if not self._authorized(request):
            return _error(st.unauthorized())
        parts = [p for p in path.split("/") if p]
        if not parts:
            return _resp(
                dumps(
                    {"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version"]}
                )
            )
        head = parts[0]
        if head == "openapi":
            return self._openapi(parts)
        if head == "api":
            if len(parts) == 1:
                return self._discovery_root(request, legacy=True)
            group, version, rest = "", parts[1], parts[2:]
        elif head == "apis":
            if len(parts) == 1:
                return self._discovery_root(request, legacy=False)
            if len(parts) == 2:
                doc = self.registry.api_group(parts[1])
                if doc is None:
                    raise st.path_not_found()
                return _resp(doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise st.path_not_found()
        if not rest:
            if method != "GET":
                raise st.method_not_allowed()
            doc = self.registry.resource_list(group, version)
            if doc is None:
                raise st.path_not_found()
            return _resp(doc)
        target = self._resolve(group, version, rest)
        return await self._dispatch(request, target)

    def _health(self, request: web.Request) -> web.Response:
        name = request.path.strip("/").split("/")[0]
        verbose = "verbose" in request.query
        ok = self.ready or name == "livez"
        if verbose:
            checks = ["ping", "log", "etcd", "poststarthook/crd-informer-synced"]
            lines = [f"[+]{c} ok" if ok or c in ("ping", "log") else f"[-]{c} failed: reason withheld" for c in checks]
            lines.append(f"{name} check passed" if ok else f"{name} check failed")
            text = "\n".join(lines) + "\n"
        else:
            text = "ok" if ok else f"[-]{name} failed: not ready\n{name} check failed"
        return web.Response(text=text, status=200 if ok else 503, content_type="text/plain")

    def _discovery_root(self, request: web.Request, legacy: bool) -> web.Response:
        agg = _wants_aggregated(request.headers.get("Accept", ""))
        headers = {"Vary": "Accept"}
        if agg is not None:
            av = "apidiscovery.k8s.io/v2" if agg == _AGG_V2 else "apidiscovery.k8s.io/v2beta1"
            return _resp(self.registry.aggregated(legacy, av), ctype=agg, headers=headers)
        if legacy:
            return _resp(self.registry.api_versions(self.config.server_address), headers=headers)
        return _resp(self.registry.api_group_list(), headers=headers)

    def _openapi(self, parts: list[str]) -> web.Response:
        if len(parts) < 2 or parts[1] != "v3":
            raise st.path_not_found()
        if len(parts) == 2:
            return _resp(openapi_docs.root_document(self.registry))
        doc = None
        if parts[2] == "api" and len(parts) == 4:
            doc = openapi_docs.gv_document(self.registry, "", parts[3])
        elif parts[2] == "apis" and len(parts) == 5:
            doc = openapi_docs.gv_document(self.registry, parts[3], parts[4])
        if doc is None:
            raise st.path_not_found()
        return _resp(doc, headers={"Cache-Control": "public, immutable"})

    def _resolve(self, group: str, version: str, rest: list[str]) -> Target:
        ns: str | None = None
        if (
            rest[0] == "namespaces"
            and len(rest) >= 3
            and not (len(rest) == 3 and group == "" and rest[2] in ("status", "finalize"))
        ):
            ns, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise st.path_not_found()
        rt = self.registry.lookup(group, version, rest[0])
        if rt is None:
            raise st.path_not_found()
        if ns is not None and not rt.namespaced:
            raise st.path_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if name is not None and rt.namespaced and ns is None:
            raise st.path_not_found()
        if sub:
            allowed = {"status"} if rt.status else set()
            if rt.scale is not None:
                allowed.add("scale")
            allowed.update(rt.extra_subresources)
            if rt.plural == "namespaces" and not group:
                allowed.add("finalize")
            if sub not in allowed:
                raise st.path_not_found()
        return Target(rt, version, ns, name, sub)

    # -- dispatch --------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request, t: Target) -> web.StreamResponse:
        method = request.method
        q = request.query
        if t.name is None:
            if method == "GET":
                if parse_bool(q.get("watch"), "watch"):
                    return await self._watch(request, t)
                return await self._list(request, t)
            if method == "POST":
                if t.rt.namespaced and t.ns is None:
                    raise st.method_not_allowed()
                return await self._create(request, t)
            if method == "DELETE":
                if t.rt.namespaced and t.ns is None:
                    raise st.method_not_allowed()
                return await self._delete_collection(request, t)
            raise st.method_not_allowed()
        if t.sub == "scale":
            return await self._scale(request, t)
        if t.sub == "binding":
            if method != "POST":
                raise st.method_not_allowed()
            return await self._binding(request, t)
        if t.sub == "finalize":
            if method != "PUT":
                raise st.method_not_allowed()
            return await self._finalize(request, t)
        if method == "GET":
            neg = negotiate(request.headers.get("Accept", ""))
            c = await self.svc.read(t.rt, t.ns or "", t.name)
            obj = self.svc.to_version(t.rt, c, t.version)
            if neg.mode == "table":
                return _resp(
                    dumps(tables.table(t.rt, t.version, [obj], str(c.rev), include=q.get("includeObject", "Metadata")))
                )
            if neg.mode == "pom":
                return _resp(dumps(tables.partial_metadata(obj)))
            return _resp(c.raw if obj is c.obj else dumps(obj))
        if method == "PUT":
            body = await self._body(request)
            obj = await self.svc.update(
                t.rt,
                t.ns or "",
                t.name,
                t.version,
                body,
                sub=t.sub,
                dry_run=self._dry_run(request),
                strict=self._strict(request),
            )
            return _resp(dumps(obj))
        if method == "PATCH":
            return await self._patch(request, t)
        if method == "DELETE":
            if t.sub:
                raise st.method_not_allowed()
            opts = await self._delete_options(request)
            obj, _ = await self.svc.delete(t.rt, t.ns or "", t.name, t.version, opts)
            return _resp(dumps(obj))
        if method == "POST":
            raise st.method_not_allowed()
        raise st.method_not_allowed()

    # -- bodies ----------------------------------------------------------------------------------
    async def _raw_body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise st.too_large("the request body is too large")
        return await request.read()

    async def _body(self, request: web.Request, allow_yaml: bool = True) -> Any:
        ctype = _media(request.headers.get("Content-Type", JSON))
        raw = await self._raw_body(request)
        if ctype in ("application/vnd.kubernetes.protobuf", "application/cbor") or raw[:4] == b"k8s\x00":
            raise st.unsupported_media(
                f"the body of the request was in an unknown format ({ctype}): this server accepts JSON only - "
                'protobuf bodies (kubectl >= 1.32 "kubectl create <kind>" generators) are not supported; use '
                '"kubectl create -f" / "kubectl apply -f" with a manifest instead'
            )
        if ctype in ("application/yaml", "application/x-yaml", "text/yaml") and allow_yaml:
            return _load_yaml(raw)
        if ctype not in ("application/json", "", "*/*", "text/plain", "application/octet-stream"):
            raise st.unsupported_media(
                f"the body of the request was in an unknown format - accepted media types "
                f"include: application/json, application/yaml (got {ctype})"
            )
        return _load_json(raw)

    @staticmethod
    def _dry_run(request: web.Request) -> bool:
        vals = request.query.getall("dryRun", [])
        for v in vals:
            if v not in ("All", ""):
                raise st.bad_request(f'unsupported dry run option "{v}": only "All" is supported')
        return "All" in vals

    @staticmethod
    def _strict(request: web.Request) -> bool:
        v = request.query.get("fieldValidation", "")
        if v not in ("", "Strict", "Warn", "Ignore"):
            raise st.bad_request(f'fieldValidation must be one of "Ignore", "Warn" or "Strict", got "{v}"')
        return v == "Strict"

    # -- verbs -----------------------------------------------------------------------------------
    async def _create(self, request: web.Request, t: Target) -> web.StreamResponse:
        body = await self._body(request)
        obj = await self.svc.create(
            t.rt, t.ns, t.version, body, dry_run=self._dry_run(request), strict=self._strict(request)
        )
        return _resp(dumps(obj), 201)

    async def _patch(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        ctype = _media(request.headers.get("Content-Type", ""))
        if ctype not in _PATCH_TYPES or (ctype == "application/strategic-merge-patch+json" and not t.rt.builtin):
            accepted = ", ".join(p for p in _PATCH_TYPES if t.rt.builtin or "strategic" not in p)
            raise st.unsupported_media(
                f"the body of the request was in an unknown format - accepted media types include: {accepted}"
            )
        raw = await self._raw_body(request)
        body = _load_yaml(raw) if ctype == "application/apply-patch+yaml" else _load_json(raw)
        obj, created = await self.svc.patch(
            t.rt,
            t.ns or "",
            t.name,
            t.version,
            ctype,
            body,
            sub=t.sub,
            dry_run=self._dry_run(request),
            strict=self._strict(request),
            field_manager=request.query.get("fieldManager", ""),
        )
        return _resp(dumps(obj), 201 if created else 200)

    async def _delete_options(self, request: web.Request) -> DeleteOptions:
        raw = await self._raw_body(request)
        body: Any = {}
        if raw.strip():
            body = _load_json(raw)
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise st.bad_request("DeleteOptions must be an object")
        q = request.query
        opts = DeleteOptions()
        grace = body.get("gracePeriodSeconds", parse_int(q.get("gracePeriodSeconds"), "gracePeriodSeconds"))
        if grace is not None:
            if not isinstance(grace, int) or isinstance(grace, bool):
                raise st.bad_request("gracePeriodSeconds must be an integer")
            opts.grace_period = 1 if grace < 0 else grace
        pol = body.get("propagationPolicy", q.get("propagationPolicy"))
        orphan = body.get("orphanDependents")
        if orphan is None and q.get("orphanDependents") is not None:
            orphan = parse_bool(q.get("orphanDependents"), "orphanDependents")
        if pol is not None:
            if pol not in ("Orphan", "Background", "Foreground"):
                raise st.invalid(
                    "DeleteOptions",
                    "meta.k8s.io",
                    "",
                    [
                        st.FieldError(
                            "propagationPolicy",
                            f'Unsupported value: "{pol}": supported values: "Foreground", "Background", "Orphan"',
                            "FieldValueNotSupported",
                        )
                    ],
                )
            if orphan is not None:
                raise st.invalid(
                    "DeleteOptions",
                    "meta.k8s.io",
                    "",
                    [
                        st.FieldError(
                            "propagationPolicy",
                            "Invalid value: orphanDependents and deletionPropagation cannot be both set",
                        )
                    ],
                )
            opts.propagation = pol
        elif orphan is not None:
            if not isinstance(orphan, bool):
                raise st.bad_request("orphanDependents must be a boolean")
            opts.propagation = "Orphan" if orphan else "Background"
        pre = body.get("preconditions")
        if pre is not None:
            if not isinstance(pre, dict):
                raise st.bad_request("preconditions must be an object")
            uid, rv = pre.get("uid"), pre.get("resourceVersion")
            if (uid is not None and not isinstance(uid, str)) or (rv is not None and not isinstance(rv, str)):
                raise st.bad_request("preconditions must hold strings")
            opts.precondition_uid, opts.precondition_rv = uid, rv
        dry = body.get("dryRun")
        if dry is not None and not (isinstance(dry, list) and all(x == "All" for x in dry)):
            raise st.bad_request('unsupported dry run option: only "All" is supported')
        opts.dry_run = bool(dry) or self._dry_run(request)
        return opts

    async def _delete_collection(self, request: web.Request, t: Target) -> web.StreamResponse:
        opts = await self._delete_options(request)
        lopts = self._list_options(request)
        lopts.limit = 0
        lopts.continue_token = ""
        items, _, _, _ = await self.svc.list_objects(t.rt, t.ns, t.version, lopts)
        out = []
        for c in items:
            meta = c.obj["metadata"]
            try:
                obj, _ = await self.svc.delete(
                    t.rt, str(meta.get("namespace") or ""), str(meta.get("name")), t.version, opts
                )
            except st.ApiError as e:
                if e.code == 404:
                    continue
                raise
            out.append(obj if obj.get("kind") != "Status" else self.svc.to_version(t.rt, c, t.version))
        return _resp(
            dumps(
                {
                    "kind": t.rt.list_kind,
                    "apiVersion": t.rt.api_version(t.version),
                    "metadata": {"resourceVersion": str(self.store.current_revision())},
                    "items": out,
                }
            )
        )

    def _list_options(self, request: web.Request) -> ListOptions:
        q = request.query
        ls, fs = self.svc.parse_selectors(q.get("labelSelector", ""), q.get("fieldSelector", ""))
        limit = parse_int(q.get("limit"), "limit") or 0
        return ListOptions(
            label_selector=ls,
            field_selector=fs,
            resource_version=q.get("resourceVersion", ""),
            resource_version_match=q.get("resourceVersionMatch", ""),
            limit=limit,
            continue_token=q.get("continue", ""),
        )

    async def _list(self, request: web.Request, t: Target) -> web.StreamResponse:
        neg = negotiate(request.headers.get("Accept", ""))
        q = request.query
        if q.get("sendInitialEvents") not in (None, ""):
            raise st.invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                [
                    st.FieldError(
                        "sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for list", "FieldValueForbidden"
                    )
                ],
            )
        opts = self._list_options(request)
        items, rev, cont, remaining = await self.svc.list_objects(t.rt, t.ns, t.version, opts)
        rt, version = t.rt, t.version
        if neg.mode == "table":
            objs = [self.svc.to_version(rt, c, version) for c in items]
            return _resp(
                dumps(
                    tables.table(
                        rt, version, objs, str(rev), cont, q.get("includeObject", "Metadata"), remaining=remaining
                    )
                )
            )
        meta: dict[str, Any] = {"resourceVersion": str(rev)}
        if cont:
            meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
        if neg.mode == "pom":
            objs = [tables.partial_metadata(self.svc.to_version(rt, c, version)) for c in items]
            return _resp(
                dumps(
                    {
                        "kind": "PartialObjectMetadataList",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": meta,
                        "items": objs,
                    }
                )
            )
        head = dumps({"kind": rt.list_kind, "apiVersion": rt.api_version(version), "metadata": meta})
        if rt.builtin or version == rt.storage_version:
            parts = [c.raw for c in items]
        else:
            parts = [dumps(self.svc.to_version(rt, c, version)) for c in items]
        body = b"".join((head[:-1], b',"items":[', b",".join(parts), b"]}"))
        return _resp(body)

    # -- subresources ----------------------------------------------------------------------------
    def _scale_of(self, t: Target, obj: dict[str, Any]) -> dict[str, Any]:
        assert t.rt.scale is not None
        sc = t.rt.scale
        meta = obj["metadata"]
        spec_r = tables.jsonpath(obj, sc.spec_replicas_path)
        stat_r = tables.jsonpath(obj, sc.status_replicas_path)
        out: dict[str, Any] = {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
            },
            "spec": {"replicas": spec_r[0] if spec_r and isinstance(spec_r[0], int) else (1 if t.rt.builtin else 0)},
            "status": {"replicas": stat_r[0] if stat_r and isinstance(stat_r[0], int) else 0},
        }
        if sc.label_selector_path:
            sel = tables.jsonpath(obj, sc.label_selector_path)
            if sel and isinstance(sel[0], str):
                out["status"]["selector"] = sel[0]
            elif t.rt.builtin:
                ml = (obj.get("spec") or {}).get("selector", {}).get("matchLabels")
                if isinstance(ml, dict):
                    out["status"]["selector"] = ",".join(f"{k}={v}" for k, v in sorted(ml.items()))
        return out

    async def _scale(self, request: web.Request, t: Target) -> web.StreamResponse:
        from openyurt.core.patch import PatchError, apply_json_patch, apply_merge_patch

        assert t.name is not None and t.rt.scale is not None
        ns = t.ns or ""
        method = request.method
        if method == "GET":
            obj = await self.svc.get(t.rt, ns, t.name, t.version)
            return _resp(dumps(self._scale_of(t, obj)))
        if method not in ("PUT", "PATCH"):
            raise st.method_not_allowed()
        for _ in range(16):
            c = await self.svc.read(t.rt, ns, t.name)
            obj = self.svc.to_version(t.rt, c, t.version)
            scale = self._scale_of(t, obj)
            if method == "PUT":
                body = await self._body(request)
            else:
                ctype = _media(request.headers.get("Content-Type", ""))
                patch = _load_json(await self._raw_body(request))
                try:
                    if ctype == "application/json-patch+json":
                        body = apply_json_patch(json.loads(dumps(scale)), patch)
                    elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                        body = apply_merge_patch(json.loads(dumps(scale)), patch)
                    else:
                        raise st.unsupported_media(
                            "the body of the request was in an unknown format - accepted "
                            "media types include: " + ", ".join(_PATCH_TYPES[:3])
                        )
                except PatchError as exc:
                    raise st.invalid("Scale", "autoscaling", t.name, [st.FieldError("", str(exc))]) from None
            if not isinstance(body, dict):
                raise st.bad_request("a Scale must be an object")
            replicas = (body.get("spec") or {}).get("replicas") if isinstance(body.get("spec"), dict) else None
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise st.invalid(
                    "Scale",
                    "autoscaling",
                    t.name,
                    [st.FieldError("spec.replicas", "Invalid value: must be greater than or equal to 0")],
                )
            want_rv = (
                (body.get("metadata") or {}).get("resourceVersion") if isinstance(body.get("metadata"), dict) else None
            )
            if want_rv and want_rv != str(c.rev):
                raise st.conflict(t.rt.plural, t.rt.group, t.name)
            new = json.loads(dumps(obj))
            cur: Any = new
            path = t.rt.scale.spec_replicas_path.strip(".").split(".")
            for p in path[:-1]:
                nxt = cur.get(p)
                if not isinstance(nxt, dict):
                    nxt = cur[p] = {}
                cur = nxt
            cur[path[-1]] = replicas
            new["metadata"]["resourceVersion"] = str(c.rev)
            try:
                out = await self.svc.update(t.rt, ns, t.name, t.version, new, dry_run=self._dry_run(request))
            except st.ApiError as e:
                if e.code == 409 and not want_rv:
                    continue
                raise
            return _resp(dumps(self._scale_of(t, out)))
        raise st.conflict(t.rt.plural, t.rt.group, t.name)

    async def _binding(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        body = await self._body(request)
        target = body.get("target") if isinstance(body, dict) else None
        node = target.get("name") if isinstance(target, dict) else None
        if not isinstance(node, str) or not node:
            raise st.invalid(
                "Binding", "", t.name, [st.FieldError("target.name", "Required value", "FieldValueRequired")]
            )
        ns = t.ns or ""
        for _ in range(16):
            c = await self.svc.read(t.rt, ns, t.name)
            if (c.obj.get("spec") or {}).get("nodeName"):
                raise st.conflict(
                    "pods/binding",
                    "",
                    t.name,
                    f'pod {t.name} is already assigned to node "{c.obj["spec"]["nodeName"]}"',
                )
            new = json.loads(c.raw)
            new["spec"]["nodeName"] = node
            try:
                await self.svc.update(t.rt, ns, t.name, "v1", new)
            except st.ApiError as e:
                if e.code == 409:
                    continue
                raise
            return _resp(
                dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}), 201
            )
        raise st.conflict("pods", "", t.name)

    async def _finalize(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        body = await self._body(request)
        if not isinstance(body, dict):
            raise st.bad_request("the body of the request must be a JSON object")
        fins = (body.get("spec") or {}).get("finalizers") if isinstance(body.get("spec"), dict) else None
        if fins is not None and not (isinstance(fins, list) and all(isinstance(f, str) for f in fins)):
            raise st.invalid("Namespace", "", t.name, [st.FieldError("spec.finalizers", "Invalid value")])
        obj = await self.svc.set_namespace_finalizers(t.name, list(fins or []))
        return _resp(dumps(obj))

    # -- watch -----------------------------------------------------------------------------------
    async def _watch(self, request: web.Request, t: Target) -> web.StreamResponse:
        neg = negotiate(request.headers.get("Accept", ""))
        q = request.query
        ls, fs = self.svc.parse_selectors(q.get("labelSelector", ""), q.get("fieldSelector", ""))
        self.svc.check_selectors(t.rt, t.version, ListOptions(ls, fs))
        rv = q.get("resourceVersion", "")
        rvm = q.get("resourceVersionMatch", "")
        sie_raw = q.get("sendInitialEvents")
        sie = parse_bool(sie_raw, "sendInitialEvents") if sie_raw not in (None, "") else None
        if sie is not None and rvm != "NotOlderThan":
            raise st.invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                [
                    st.FieldError(
                        "resourceVersionMatch",
                        "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                        "FieldValueForbidden",
                    )
                ],
            )
        if rvm and sie is None:
            raise st.invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                [
                    st.FieldError(
                        "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                        "FieldValueForbidden",
                    )
                ],
            )
        bookmarks = parse_bool(q.get("allowWatchBookmarks"), "allowWatchBookmarks")
        timeout = parse_int(q.get("timeoutSeconds"), "timeoutSeconds")
        if timeout is None or timeout <= 0:
            timeout = random.randint(1800, 3600)
        start_rev: int | None = None
        if rv not in ("", "0"):
            try:
                start_rev = int(rv)
                if start_rev < 0:
                    raise ValueError
            except ValueError:
                raise st.bad_request(f'invalid resourceVersion: "{rv}"') from None
        initial = sie if sie is not None else start_rev is None
        current = self.store.current_revision()
        if start_rev is not None and start_rev > current and not initial:
            raise st.too_large_rv(start_rev, current)
        resp = web.StreamResponse(
            status=200,
            headers={"Content-Type": JSON, "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked"},
        )
        await resp.prepare(request)
        task = asyncio.current_task()
        assert task is not None
        self._watches.add(task)
        w = _Watcher(self, t, ls, fs, neg, bookmarks, q.get("includeObject", "Metadata"), resp)
        try:
            await asyncio.wait_for(w.run(start_rev, initial, sie is True), timeout)
        except (TimeoutError, ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._watches.discard(task)
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await resp.write_eof()
        return resp


class _Watcher:
    """One watch stream: initial state, then hub events filtered, transformed and written in batches."""

    def __init__(
        self,
        server: ApiServer,
        t: Target,
        ls: Any,
        fs: Any,
        neg: Negotiated,
        bookmarks: bool,
        include: str,
        resp: web.StreamResponse,
    ) -> None:
        self.server = server
        self.svc = server.svc
        self.t = t
        self.rt = t.rt
        self.prefix = t.rt.prefix(t.ns)
        self.ls, self.fs = ls, fs
        self.filtering = ls is not None or fs is not None
        self.neg = neg
        self.bookmarks = bookmarks
        self.include = include
        self.resp = resp
        self.headers_sent = False
        self.native = t.rt.builtin or t.version == t.rt.storage_version

    def _obj(self, c: Cached) -> dict[str, Any]:
        return self.svc.to_version(self.rt, c, self.t.version)

    def _line(self, type_: str, c: Cached, ev: HubEvent | None) -> bytes:
        mode = self.neg.mode
        if mode == "json":
            if ev is not None:
                key = (type_, self.t.version)
                hit = ev.enc.get(key)
                if hit is None:
                    raw = c.raw if self.native else dumps(self._obj(c))
                    hit = ev.enc[key] = b'{"type":"' + type_.encode() + b'","object":' + raw + b"}\n"
                return hit
            raw = c.raw if self.native else dumps(self._obj(c))
            return b'{"type":"' + type_.encode() + b'","object":' + raw + b"}\n"
        obj = self._obj(c)
        if mode == "pom":
            return dumps({"type": type_, "object": tables.partial_metadata(obj)}) + b"\n"
        tbl = tables.table(
            self.rt, self.t.version, [obj], str(c.rev), include=self.include, headers=not self.headers_sent
        )
        self.headers_sent = True
        return dumps({"type": type_, "object": tbl}) + b"\n"

    def _bookmark(self, rev: int, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rev)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        if self.neg.mode == "table":
            obj: dict[str, Any] = {
                "kind": "Table",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
                "columnDefinitions": None,
                "rows": None,
            }
        elif self.neg.mode == "pom":
            obj = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
        else:
            obj = {"kind": self.rt.kind, "apiVersion": self.rt.api_version(self.t.version), "metadata": meta}
        return dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

    async def _error(self, e: st.ApiError) -> None:
        await self.resp.write(b'{"type":"ERROR","object":' + e.body() + b"}\n")

    def _transform(self, ev: HubEvent) -> bytes | None:
        if not ev.key.startswith(self.prefix):
            return None
        c = ev.cur
        if not self.filtering:
            return self._line(ev.type, c, ev)
        m = self.svc.matches
        now = m(self._obj(c), self.ls, self.fs)
        if ev.type == "MODIFIED":
            prev = ev.prev
            before = prev is not None and m(
                prev if self.native else self.svc._convert(self.rt, prev, self.t.version), self.ls, self.fs
            )
            if now and before:
                return self._line("MODIFIED", c, ev)
            if now:
                return self._line("ADDED", c, ev)
            if before:
                return self._line("DELETED", c, ev)
            return None
        return self._line(ev.type, c, ev) if now else None

    async def run(self, start_rev: int | None, initial: bool, initial_end_bookmark: bool) -> None:
        hub = self.server.hub
        assert hub is not None
        if initial:
            opts = ListOptions(self.ls, self.fs)
            if start_rev is not None:
                opts.resource_version = str(start_rev)
            try:
                items, rev, _, _ = await self.svc.list_objects(self.rt, self.t.ns, self.t.version, opts)
            except st.ApiError as e:
                await self._error(e)
                return
            lines = [self._line("ADDED", c, None) for c in items]
            if initial_end_bookmark and self.bookmarks:
                lines.append(self._bookmark(rev, True))
            if lines:
                await self.resp.write(b"".join(lines))
            start_rev = rev
        assert start_rev is not None
        await hub.wait_rev(min(start_rev, self.server.store.current_revision()))
        if not hub.covers(start_rev):
            await self._from_store(start_rev)
            return
        pos = hub.cursor_after(start_rev)
        loop = asyncio.get_running_loop()
        interval = self.server.config.bookmark_interval
        next_bookmark = loop.time() + interval
        while not self.server.closing:
            got = hub.read(pos)
            if got is None:
                await self._error(st.gone(f"too old resource version: {start_rev} ({hub.floor + 1})"))
                return
            evs, pos = got
            if evs:
                out = [line for ev in evs if (line := self._transform(ev)) is not None]
                if out:
                    await self.resp.write(b"".join(out))
                continue
            if self.bookmarks:
                left = next_bookmark - loop.time()
                if left <= 0:
                    await self.resp.write(self._bookmark(hub.rev))
                    next_bookmark = loop.time() + interval
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(hub.wait(pos), left)
            else:
                await hub.wait(pos)

    async def _from_store(self, start_rev: int) -> None:
        """Start points older than the hub's ring: replay from the store's history (410 if compacted)."""
        stream: AsyncIterator[Any] = self.server.store.watch(self.prefix, start_rev)
        try:
            async for sev in stream:
                if self.server.closing:
                    return
                cur = Cached(sev.kv.mod_revision, _decode(sev.kv))
                ev = HubEvent(sev.type, sev.kv.key, sev.kv.mod_revision, cur, sev.prev, None)
                line = self._transform(ev)
                if line is not None:
                    await self.resp.write(line)
        except Compacted as exc:
            await self._error(st.gone(f"too old resource version: {exc.requested} ({exc.compacted + 1})"))
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()


def _decode(kv: Any) -> dict[str, Any]:
    from openyurt.runtime.apiserver.watchhub import decode

    return decode(kv.value, kv.mod_revision)


def _load_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise st.bad_request(f"the body of the request could not be decoded as JSON: {exc}") from None


def _load_yaml(raw: bytes) -> Any:
    try:
        return yaml.safe_load(raw)
    except (yaml.YAMLError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise st.bad_request(f"the body of the request could not be decoded as YAML: {exc}") from None


__all__ = ["ApiServer", "ServerConfig", "now_time"]
