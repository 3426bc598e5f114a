"""The object semantics of the API server, independent of HTTP: create, read, update, patch, delete, list.

Everything a Kubernetes client relies on beyond "store this JSON" lives here: server-owned metadata
(uid, timestamps, generation), resourceVersion preconditions, status subresource rules, finalizers and
graceful deletion, CRD establishment, custom-resource pruning/defaulting/validation and version
conversion. HTTP concerns (paths, negotiation, streaming) stay in ``app.py``; the in-process controllers
(``gc.py``) call this layer directly.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from openyurt.adapters.store.protocol import (
    Compacted,
    FutureRevision,
    KeyExists,
    KeyNotFound,
    KeyValue,
    RevisionConflict,
    Store,
)
from openyurt.core import openapi
from openyurt.core.api import FieldError, ObjectInvalid, check_object, convert_object, kind_class, parse_object
from openyurt.core.patch import (
    STRATEGIC_KINDS,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from openyurt.core.selectors import (
    FieldSelectorExpr,
    LabelSelectorExpr,
    SelectorError,
    field_value,
    parse_field_selector,
    parse_label_selector,
    unsupported_fields,
)
from openyurt.runtime.apiserver import crds as crdlib
from openyurt.runtime.apiserver import status as st
from openyurt.runtime.apiserver.registry import Registry, ResourceType
from openyurt.runtime.apiserver.watchhub import Cached, ObjectCache, WatchHub, dumps

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_GEN_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_MAX_RETRIES = 16


def now_time() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_after(seconds: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _strip_rv(obj: dict[str, Any]) -> bytes:
    meta = obj["metadata"]
    rv = meta.pop("resourceVersion", None)
    try:
        return dumps(obj)
    finally:
        if rv is not None:
            meta["resourceVersion"] = rv


def _deepcopy(obj: Any) -> Any:
    return copy.deepcopy(obj)


def _bad_type(path: str, want: str) -> FieldError:
    return FieldError(path, f"Invalid value: must be {want}", "FieldValueTypeInvalid")


def validate_metadata(meta: dict[str, Any]) -> list[FieldError]:
    """Type and syntax checks on ObjectMeta fields the server and its controllers read."""
    errs: list[FieldError] = []
    for f in ("name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
        v = meta.get(f)
        if v is not None and not isinstance(v, str):
            errs.append(_bad_type(f"metadata.{f}", "a string"))
    for f in ("labels", "annotations"):
        v = meta.get(f)
        if v is None:
            continue
        if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
            errs.append(_bad_type(f"metadata.{f}", "a map of strings"))
            continue
        for k, val in v.items():
            name = k.rsplit("/", 1)[-1]
            if (
                not k
                or len(name) > 63
                or not _LABEL_NAME_RE.match(name)
                or ("/" in k and not _DNS_SUBDOMAIN.match(k.rsplit("/", 1)[0]))
            ):
                errs.append(
                    FieldError(
                        f"metadata.{f}",
                        f"Invalid value: \"{k}\": name part must consist of alphanumeric characters, '-', '_' or '.'",
                    )
                )
            elif f == "labels" and (len(val) > 63 or not _LABEL_VALUE_RE.match(val)):
                errs.append(
                    FieldError(
                        "metadata.labels",
                        f'Invalid value: "{val}": a valid label must be an empty '
                        "string or consist of alphanumeric characters, '-', '_' or '.'",
                    )
                )
    fin = meta.get("finalizers")
    if fin is not None and not (isinstance(fin, list) and all(isinstance(x, str) and x for x in fin)):
        errs.append(_bad_type("metadata.finalizers", "a list of non-empty strings"))
    refs = meta.get("ownerReferences")
    if refs is not None:
        if not isinstance(refs, list):
            errs.append(_bad_type("metadata.ownerReferences", "a list"))
        else:
            for i, r in enumerate(refs):
                p = f"metadata.ownerReferences[{i}]"
                if not isinstance(r, dict):
                    errs.append(_bad_type(p, "an object"))
                    continue
                for f in ("apiVersion", "kind", "name", "uid"):
                    if not isinstance(r.get(f), str) or not r.get(f):
                        errs.append(FieldError(f"{p}.{f}", "Required value", "FieldValueRequired"))
                for f in ("controller", "blockOwnerDeletion"):
                    if r.get(f) is not None and not isinstance(r.get(f), bool):
                        errs.append(_bad_type(f"{p}.{f}", "a boolean"))
    for f in ("generation", "deletionGracePeriodSeconds"):
        v = meta.get(f)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            errs.append(_bad_type(f"metadata.{f}", "an integer"))
    return errs


def valid_name(rt: ResourceType, name: str) -> str | None:
    """None when ``name`` is acceptable for ``rt``, else the reason."""
    if rt.builtin:
        if rt.plural in ("namespaces", "services"):
            if len(name) > 63 or not _DNS_LABEL.match(name):
                return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"
        elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
            return (
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character"
            )
        return None
    if name in (".", "..") or "/" in name or "%" in name:
        return 'may not be "." or "..", and may not contain "/" or "%"'
    if len(name) > 253:
        return "must be no more than 253 characters"
    return None


@dataclass
class ListOptions:
    label_selector: LabelSelectorExpr | None = None
    field_selector: FieldSelectorExpr | None = None
    resource_version: str = ""
    resource_version_match: str = ""
    limit: int = 0
    continue_token: str = ""


@dataclass
class DeleteOptions:
    grace_period: int | None = None
    propagation: str | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False


def encode_continue(rev: int, key: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        d = json.loads(raw)
        rev, key = d["rv"], d["start"]
        if not isinstance(rev, int) or isinstance(rev, bool) or rev < 0 or not isinstance(key, str):
            raise ValueError
        return rev, key
    except (ValueError, KeyError, TypeError) as exc:
        raise st.bad_request("continue key is not valid: " + str(exc or "malformed")) from None


def _rv_int(text: str, what: str = "resourceVersion") -> int:
    try:
        v = int(text)
        if v < 0:
            raise ValueError
        return v
    except ValueError:
        raise st.bad_request(f'invalid {what}: "{text}"') from None


_NOEXECUTE_NODE_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def _default_toleration_seconds(spec: dict[str, Any], seconds: int) -> None:
    """Kubernetes' DefaultTolerationSeconds admission: pods tolerate a NotReady/unreachable node for a
    while (300 s by default) before eviction, unless they already say how long. OpenYurt's pod-binding
    controller relies on these tolerations: it stretches them on autonomous nodes."""
    tolerations = spec.get("tolerations")
    if tolerations is None:
        tolerations = []
    if not isinstance(tolerations, list):
        return  # the type check of the pod reports it
    for key in _NOEXECUTE_NODE_TAINTS:
        covered = any(
            isinstance(t, dict)
            and (t.get("key") == key or (not t.get("key") and t.get("operator") == "Exists"))
            and t.get("effect") in (None, "", "NoExecute")
            for t in tolerations
        )
        if not covered:
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds})
    spec["tolerations"] = tolerations


class Service:
    """Object semantics on top of a :class:`Store`, shared by the HTTP layer and the controllers."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        cache: ObjectCache,
        hub: WatchHub,
        graceful_pod_deletion: bool = True,
        default_toleration_seconds: int | None = 300,
    ) -> None:
        self.store = store
        self.registry = registry
        self.cache = cache
        self.hub = hub
        self.graceful_pod_deletion = graceful_pod_deletion
        self.default_toleration_seconds = default_toleration_seconds

    # -- conversion ------------------------------------------------------------------------------
    def to_version(self, rt: ResourceType, c: Cached, version: str) -> dict[str, Any]:
        """The stored object as ``version`` (shared; do not mutate)."""
        if rt.builtin or version == rt.storage_version:
            return c.obj
        return self._convert(rt, c.obj, version)

    def _convert(self, rt: ResourceType, obj: dict[str, Any], version: str) -> dict[str, Any]:
        target = rt.api_version(version)
        if obj.get("apiVersion") == target:
            return obj
        src_cls = kind_class(str(obj.get("apiVersion")), rt.kind)
        dst_cls = kind_class(target, rt.kind)
        if src_cls is not None and dst_cls is not None:
            try:
                out = convert_object(parse_object(obj), target).to_wire()
                meta = out.setdefault("metadata", {})
                if "resourceVersion" in obj.get("metadata", {}):
                    meta["resourceVersion"] = obj["metadata"]["resourceVersion"]
                return out
            except ObjectInvalid as exc:
                raise st.invalid(rt.kind, rt.group, str(obj.get("metadata", {}).get("name", "")), exc.errors) from None
        out = dict(obj)
        out["apiVersion"] = target
        return out

    # -- reads -----------------------------------------------------------------------------------
    async def read(self, rt: ResourceType, ns: str, name: str) -> Cached:
        kv = await self.store.get(rt.key(ns, name))
        if kv is None:
            raise st.not_found(rt.plural, rt.group, name)
        return self.cache.get(kv)

    async def get(self, rt: ResourceType, ns: str, name: str, version: str) -> dict[str, Any]:
        return self.to_version(rt, await self.read(rt, ns, name), version)

    async def namespace_check(self, ns: str, creating: bool) -> None:
        kv = await self.store.get(f"/registry/core/namespaces/{ns}")
        if kv is None:
            raise st.not_found("namespaces", "", ns)
        if creating and "deletionTimestamp" in self.cache.get(kv).obj.get("metadata", {}):
            raise st.forbidden(f"unable to create new content in namespace {ns} because it is being terminated")

    def check_selectors(self, rt: ResourceType, version: str, opts: ListOptions) -> None:
        if opts.field_selector is None:
            return
        if rt.builtin:
            bad = unsupported_fields(opts.field_selector, rt.group, rt.plural)
        else:
            allowed = {"metadata.name", "metadata.namespace", *rt.selectable_fields.get(version, ())}
            bad = [r.field for r in opts.field_selector.requirements if getattr(r, "field", None) not in allowed]
        if bad:
            raise st.bad_request(f"field label not supported: {bad[0]}")

    @staticmethod
    def _strategic(doc: dict[str, Any], body: dict[str, Any], rt: Any, version: str) -> Any:
        """Strategic merge where we know the kind's merge keys; a native kind without any (e.g. a
        CustomResourceDefinition) has no list merge directives, so it patches like a merge patch."""
        if (rt.api_version(version), rt.kind) in STRATEGIC_KINDS:
            return apply_strategic_merge_patch(doc, body, rt.kind, rt.api_version(version))
        return apply_merge_patch(doc, body)

    @staticmethod
    def parse_selectors(label: str, field: str) -> tuple[LabelSelectorExpr | None, FieldSelectorExpr | None]:
        try:
            ls = parse_label_selector(label) if label else None
        except SelectorError as exc:
            raise st.bad_request(f"unable to parse requirement: {exc}") from None
        try:
            fs = parse_field_selector(field) if field else None
        except SelectorError as exc:
            raise st.bad_request(f"invalid field selector: {exc}") from None
        return ls, fs

    @staticmethod
    def matches(obj: dict[str, Any], ls: LabelSelectorExpr | None, fs: FieldSelectorExpr | None) -> bool:
        if ls is not None:
            labels = obj.get("metadata", {}).get("labels")
            if not ls.matches(labels if isinstance(labels, dict) else None):
                return False
        if fs is not None:
            return fs.matches(lambda path: field_value(obj, path))
        return True

    async def list_objects(
        self, rt: ResourceType, ns: str | None, version: str, opts: ListOptions
    ) -> tuple[list[Cached], int, str, int | None]:
        """(items, list revision, continue token, remainingItemCount)."""
        self.check_selectors(rt, version, opts)
        revision = 0
        start_after: str | None = None
        if opts.resource_version_match:
            if opts.resource_version_match not in ("Exact", "NotOlderThan"):
                raise self._invalid_list_opts(
                    "resourceVersionMatch", f'Unsupported value: "{opts.resource_version_match}"'
                )
            if not opts.resource_version:
                raise self._invalid_list_opts(
                    "resourceVersionMatch",
                    "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            if opts.continue_token:
                raise self._invalid_list_opts(
                    "resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden when continue is provided"
                )
            if opts.resource_version_match == "Exact" and opts.resource_version == "0":
                raise self._invalid_list_opts(
                    "resourceVersionMatch",
                    'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
        current = self.store.current_revision()
        if opts.continue_token:
            if opts.resource_version not in ("", "0"):
                raise st.bad_request("specifying resource version is not allowed when using continue")
            revision, start_after = decode_continue(opts.continue_token)
            if revision > current:
                raise st.bad_request("continue key is not valid: revision from the future")
        elif opts.resource_version not in ("", "0"):
            rv = _rv_int(opts.resource_version)
            if rv > current:
                raise st.too_large_rv(rv, current)
            if opts.resource_version_match == "Exact":
                revision = rv
        prefix = rt.prefix(ns)
        if start_after is not None and not start_after.startswith(prefix):
            raise st.bad_request("continue key is not valid: it belongs to another collection")
        filtering = opts.label_selector is not None or opts.field_selector is not None
        limit = max(opts.limit, 0)
        items: list[Cached] = []
        remaining: int | None = None
        token = ""
        while True:
            page = max(limit - len(items), 0) if limit else 0
            if filtering and page:
                page = max(page, 500)
            try:
                res = await self.store.list(prefix, revision=revision, limit=page, start_after=start_after)
            except Compacted as exc:
                if opts.continue_token:
                    raise st.gone(
                        "The provided continue parameter is too old to display a consistent list result. You can "
                        "start a new list without the continue parameter.",
                        "Expired",
                    ) from None
                raise st.gone(f"too old resource version: {exc.requested} ({exc.compacted + 1})", "Expired") from None
            except FutureRevision:
                raise st.too_large_rv(revision, self.store.current_revision()) from None
            revision = res.revision
            last_key = None
            for kv in res.items:
                last_key = kv.key
                c = self.cache.get(kv)
                if filtering and not self.matches(
                    self.to_version(rt, c, version), opts.label_selector, opts.field_selector
                ):
                    continue
                items.append(c)
                if limit and len(items) >= limit:
                    break
            more = res.continue_key is not None or (
                last_key is not None and res.items and last_key != res.items[-1].key
            )
            if limit and len(items) >= limit:
                if more or (last_key is not None and last_key != res.items[-1].key):
                    token = encode_continue(revision, last_key or "")
                    if not filtering:
                        remaining = res.remaining
                break
            if res.continue_key is None:
                break
            start_after = res.continue_key
        return items, revision, token, remaining

    @staticmethod
    def _invalid_list_opts(field: str, msg: str) -> st.ApiError:
        return st.invalid("ListOptions", "meta.k8s.io", "", [FieldError(field, msg)])

    # -- writes: create --------------------------------------------------------------------------
    def _check_type_meta(self, rt: ResourceType, version: str, body: dict[str, Any]) -> None:
        av, kind = body.get("apiVersion"), body.get("kind")
        want = rt.api_version(version)
        if av not in (None, "") and av != want:
            raise st.bad_request(f"the API version in the data ({av}) does not match the expected API version ({want})")
        if kind not in (None, "") and kind != rt.kind:
            raise st.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        body["apiVersion"] = want
        body["kind"] = rt.kind

    def _meta(self, rt: ResourceType, body: dict[str, Any]) -> dict[str, Any]:
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if not isinstance(meta, dict):
            raise st.bad_request("metadata must be an object")
        errs = validate_metadata(meta)
        if errs:
            raise st.invalid(rt.kind, rt.group, str(meta.get("name") or ""), errs)
        return meta

    async def create(
        self, rt: ResourceType, ns: str | None, version: str, body: Any, *, dry_run: bool = False, strict: bool = False
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise st.bad_request("the body of the request must be a JSON object")
        self._check_type_meta(rt, version, body)
        meta = self._meta(rt, body)
        if rt.namespaced:
            bns = meta.get("namespace")
            if bns and ns and bns != ns:
                raise st.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            ns = ns or bns
            if not ns:
                raise st.bad_request("the namespace of the object must be set")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
            ns = ""
        generated = not meta.get("name")
        prefix = meta.get("generateName") or ""
        if generated and not prefix:
            raise st.invalid(
                rt.kind,
                rt.group,
                "",
                [FieldError("metadata.name", "Required value: name or generateName is required", "FieldValueRequired")],
            )
        for f in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(f, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_time()
        if rt.generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if rt.namespaced:
            await self.namespace_check(ns, creating=True)
        obj = await self._admit_create(rt, version, body, strict)
        for attempt in range(8):
            if generated:
                obj["metadata"]["name"] = prefix[:58] + "".join(secrets.choice(_GEN_ALPHABET) for _ in range(5))
            name = obj["metadata"]["name"]
            bad = valid_name(rt, name)
            if bad:
                raise st.invalid(
                    rt.kind, rt.group, name, [FieldError("metadata.name", f'Invalid value: "{name}": {bad}')]
                )
            stored = self._to_storage(rt, obj, version)
            key = rt.key(ns, name)
            if dry_run:
                if await self.store.get(key) is not None:
                    raise st.already_exists(rt.plural, rt.group, name)
                return obj
            try:
                kv = await self.store.create(key, _strip_rv(stored))
            except KeyExists:
                if generated and attempt < 7:
                    continue
                raise st.already_exists(rt.plural, rt.group, name) from None
            stored["metadata"]["resourceVersion"] = str(kv.mod_revision)
            c = Cached(kv.mod_revision, stored)
            self.cache.put(key, c)
            await self._after_write(rt, None, c)
            return self.to_version(rt, c, version)
        raise AssertionError("unreachable")

    def _to_storage(self, rt: ResourceType, obj: dict[str, Any], version: str) -> dict[str, Any]:
        if rt.builtin or version == rt.storage_version:
            return obj
        return self._convert(rt, obj, rt.storage_version)

    async def _admit_create(self, rt: ResourceType, version: str, obj: dict[str, Any], strict: bool) -> dict[str, Any]:
        if rt.builtin:
            return self._admit_builtin(rt, obj, None)
        if rt.status:
            obj.pop("status", None)
        return self._admit_custom(rt, version, obj, None, strict)

    def _admit_builtin(self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        name = str(obj["metadata"].get("name") or "")
        for f in ("spec", "status", "data", "stringData"):
            if f in obj and obj[f] is not None and not isinstance(obj[f], dict):
                raise st.invalid(rt.kind, rt.group, name, [_bad_type(f, "an object")])
        if rt.plural == "namespaces":
            spec = obj.setdefault("spec", {}) or {}
            obj["spec"] = spec
            if old is None:
                spec.setdefault("finalizers", ["kubernetes"])
                status = obj.setdefault("status", {}) or {}
                obj["status"] = status
                status["phase"] = "Active"
            if not _is_str_list(spec.get("finalizers", [])):
                raise st.invalid(rt.kind, rt.group, name, [_bad_type("spec.finalizers", "a list of strings")])
            labels = obj["metadata"].setdefault("labels", {})
            labels["kubernetes.io/metadata.name"] = name
        elif rt.plural == "pods":
            spec = obj.get("spec")
            if not isinstance(spec, dict):
                raise st.invalid(
                    rt.kind, rt.group, name, [FieldError("spec.containers", "Required value", "FieldValueRequired")]
                )
            cs = spec.get("containers")
            if (
                not isinstance(cs, list)
                or not cs
                or not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in cs)
            ):
                raise st.invalid(
                    rt.kind, rt.group, name, [FieldError("spec.containers", "Required value", "FieldValueRequired")]
                )
            g = spec.get("terminationGracePeriodSeconds")
            if g is not None and (not isinstance(g, int) or isinstance(g, bool)):
                raise st.invalid(
                    rt.kind, rt.group, name, [_bad_type("spec.terminationGracePeriodSeconds", "an integer")]
                )
            if old is None:
                status = obj.get("status")
                if not isinstance(status, dict):
                    status = obj["status"] = {}
                status.setdefault("phase", "Pending")
                if self.default_toleration_seconds is not None:
                    _default_toleration_seconds(spec, self.default_toleration_seconds)
        elif rt.plural == "secrets":
            sd = obj.pop("stringData", None)
            if isinstance(sd, dict):
                data: dict[str, Any] = obj["data"] if isinstance(obj.get("data"), dict) else {}
                for k, v in sd.items():
                    if isinstance(v, str):
                        data[k] = base64.b64encode(v.encode()).decode()
                obj["data"] = data
            obj.setdefault("type", "Opaque")
        elif rt.plural == "customresourcedefinitions":
            errs = crdlib.validate_crd(obj)
            if errs:
                raise st.invalid(rt.kind, rt.group, name, errs)
            crdlib.crd_defaults(obj)
            existing = self.registry.by_group_resource(obj["spec"]["group"], obj["spec"]["names"]["plural"])
            if existing is not None and existing.builtin:
                raise st.invalid(
                    rt.kind,
                    rt.group,
                    name,
                    [FieldError("spec.names.plural", "Invalid value: the name is taken by a built-in")],
                )
            obj["status"] = crdlib.crd_status(obj, now_time(), (old or {}).get("status"))
        return obj

    def _admit_custom(
        self, rt: ResourceType, version: str, obj: dict[str, Any], old: dict[str, Any] | None, strict: bool
    ) -> dict[str, Any]:
        name = str(obj["metadata"].get("name") or obj["metadata"].get("generateName") or "")
        schema = rt.schemas.get(version)
        if schema is not None:
            meta = obj["metadata"]
            pruned, paths = openapi.prune(obj, schema)
            if strict and paths:
                raise st.bad_request("strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in paths))
            obj = openapi.apply_defaults(pruned, schema)
            obj["metadata"] = meta
            errs = openapi.validate(obj, schema)
            if errs:
                raise st.invalid(rt.kind, rt.group, name, errs)
        cls = kind_class(rt.api_version(version), rt.kind)
        if cls is not None:
            old_model = None
            if old is not None:
                try:
                    old_model = parse_object(old)
                except ObjectInvalid:
                    old_model = None
            try:
                model = check_object(obj, old_model)
            except ObjectInvalid as exc:
                raise st.invalid(rt.kind, rt.group, name, exc.errors) from None
            wire = model.to_wire()
            wire["metadata"] = obj["metadata"]
            obj = wire
        return obj

    # -- writes: update / patch ------------------------------------------------------------------
    async def update(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        version: str,
        body: Any,
        *,
        sub: str = "",
        dry_run: bool = False,
        strict: bool = False,
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise st.bad_request("the body of the request must be a JSON object")
        self._check_type_meta(rt, version, body)
        meta = self._meta(rt, body)
        if meta.get("name") not in (None, "", name):
            raise st.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        if rt.namespaced and meta.get("namespace") not in (None, "", ns):
            raise st.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        want_rv = meta.get("resourceVersion") or None
        for _ in range(_MAX_RETRIES):
            cur = await self.read(rt, ns, name)
            if want_rv is not None and want_rv != str(cur.rev):
                raise st.conflict(rt.plural, rt.group, name)
            try:
                return await self._update_from(rt, ns, name, version, cur, _deepcopy(body), sub, dry_run, strict)
            except RevisionConflict:
                if want_rv is not None:
                    raise st.conflict(rt.plural, rt.group, name) from None
        raise st.conflict(rt.plural, rt.group, name)

    async def _update_from(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        version: str,
        cur: Cached,
        new: dict[str, Any],
        sub: str,
        dry_run: bool,
        strict: bool,
    ) -> dict[str, Any]:
        """Write ``new`` (in ``version``) over ``cur``; raises RevisionConflict when ``cur`` is stale."""
        old = self.to_version(rt, cur, version)
        new["apiVersion"], new["kind"] = rt.api_version(version), rt.kind
        nmeta = new.get("metadata")
        if not isinstance(nmeta, dict):
            nmeta = new["metadata"] = {}
        ometa = old["metadata"]
        if sub == "status":
            status = new.get("status")
            new = _deepcopy(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
            nmeta = new["metadata"]
        elif sub == "" and rt.status and rt.plural != "customresourcedefinitions":
            if "status" in old:
                new["status"] = _deepcopy(old["status"])
            else:
                new.pop("status", None)
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if f in ometa:
                nmeta[f] = ometa[f]
            else:
                nmeta.pop(f, None)
        nmeta["name"] = name
        if rt.namespaced:
            nmeta["namespace"] = ns
        else:
            nmeta.pop("namespace", None)
        nmeta.pop("resourceVersion", None)
        errs = validate_metadata(nmeta)
        if errs:
            raise st.invalid(rt.kind, rt.group, name, errs)
        terminating = "deletionTimestamp" in ometa
        if terminating:
            added = set(nmeta.get("finalizers") or []) - set(ometa.get("finalizers") or [])
            if added:
                raise st.invalid(
                    rt.kind,
                    rt.group,
                    name,
                    [
                        FieldError(
                            "metadata.finalizers",
                            f"Forbidden: no new finalizers can be added if the object is being "
                            f"deleted, found new finalizers {sorted(added)!r}",
                            "FieldValueForbidden",
                        )
                    ],
                )
        new = self._admit_builtin(rt, new, old) if rt.builtin else self._admit_custom(rt, version, new, old, strict)
        if rt.generation and sub == "" and "generation" in ometa:
            skip = {"metadata", "apiVersion", "kind"}
            if rt.status:
                skip.add("status")
            if any(new.get(k) != old.get(k) for k in (set(new) | set(old)) - skip):
                nmeta = new["metadata"]
                nmeta["generation"] = int(ometa.get("generation") or 0) + 1
        new["metadata"]["resourceVersion"] = str(cur.rev)
        if new == old:
            return old
        stored = self._to_storage(rt, new, version)
        key = rt.key(ns, name)
        if dry_run:
            return new
        kv = await self.store.update(key, _strip_rv(stored), cur.rev)
        stored["metadata"]["resourceVersion"] = str(kv.mod_revision)
        c = Cached(kv.mod_revision, stored)
        self.cache.put(key, c)
        smeta = stored["metadata"]
        if "deletionTimestamp" in smeta and not smeta.get("finalizers") and not self._held(rt, stored):
            try:
                await self.store.delete(key, kv.mod_revision)
            except (RevisionConflict, KeyNotFound):
                pass
            else:
                await self._after_delete(rt, stored)
            return self.to_version(rt, c, version)
        await self._after_write(rt, cur, c)
        return self.to_version(rt, c, version)

    @staticmethod
    def _held(rt: ResourceType, obj: dict[str, Any]) -> bool:
        """Objects whose removal waits on something besides metadata.finalizers."""
        if rt.plural == "namespaces" and not rt.group:
            return bool((obj.get("spec") or {}).get("finalizers"))
        if rt.plural == "pods" and not rt.group:
            return bool(obj["metadata"].get("deletionGracePeriodSeconds"))
        return False

    async def patch(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        version: str,
        content_type: str,
        body: Any,
        *,
        sub: str = "",
        dry_run: bool = False,
        strict: bool = False,
        field_manager: str = "",
    ) -> tuple[dict[str, Any], bool]:
        """Apply a patch; returns (object, created) -- created only for server-side apply."""
        if content_type == "application/apply-patch+yaml":
            if not field_manager:
                raise st.invalid(
                    "PatchOptions",
                    "meta.k8s.io",
                    "",
                    [FieldError("fieldManager", "Required value: is required for apply patch", "FieldValueRequired")],
                )
            if not isinstance(body, dict):
                raise st.bad_request("the body of an apply patch must be an object")
        for _ in range(_MAX_RETRIES):
            kv = await self.store.get(rt.key(ns, name))
            if kv is None:
                if content_type == "application/apply-patch+yaml" and sub == "":
                    created = await self.create(
                        rt, ns if rt.namespaced else None, version, _deepcopy(body), dry_run=dry_run, strict=strict
                    )
                    return created, True
                raise st.not_found(rt.plural, rt.group, name)
            cur = self.cache.get(kv)
            doc = _deepcopy(self.to_version(rt, cur, version))
            try:
                if content_type == "application/json-patch+json":
                    if not isinstance(body, list):
                        raise st.bad_request("a JSON patch must be a list of operations")
                    if len(body) > 10000:
                        raise st.too_large("The allowed maximum operations in a JSON patch is 10000")
                    result = apply_json_patch(doc, body)
                elif content_type == "application/merge-patch+json":
                    result = apply_merge_patch(doc, body)
                elif content_type == "application/strategic-merge-patch+json":
                    if not isinstance(body, dict):
                        raise st.bad_request("a strategic merge patch must be an object")
                    result = self._strategic(doc, body, rt, version)
                else:  # apply-patch+yaml: a first cut -- merge the applied configuration
                    result = self._strategic(doc, body, rt, version) if rt.builtin else apply_merge_patch(doc, body)
            except PatchError as exc:
                raise st.invalid(rt.kind, rt.group, name, [FieldError("", str(exc))]) from None
            except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
                raise st.bad_request(f"unable to apply patch: {exc}") from None
            if not isinstance(result, dict):
                raise st.invalid(rt.kind, rt.group, name, [FieldError("", "the patch must result in an object")])
            rmeta = result.get("metadata")
            want_rv = rmeta.get("resourceVersion") if isinstance(rmeta, dict) else None
            if want_rv is not None and want_rv != str(cur.rev):
                raise st.conflict(rt.plural, rt.group, name)
            av, kind = result.get("apiVersion"), result.get("kind")
            if av != rt.api_version(version) or kind != rt.kind:
                raise st.bad_request("a patch may not change apiVersion or kind")
            if isinstance(rmeta, dict) and (
                rmeta.get("name") != name or (rt.namespaced and rmeta.get("namespace") != ns)
            ):
                raise st.bad_request("a patch may not change the name or namespace")
            try:
                return await self._update_from(rt, ns, name, version, cur, result, sub, dry_run, strict), False
            except RevisionConflict:
                if (
                    isinstance(body, dict)
                    and isinstance(body.get("metadata"), dict)
                    and body["metadata"].get("resourceVersion")
                ):
                    raise st.conflict(rt.plural, rt.group, name) from None
        raise st.conflict(rt.plural, rt.group, name)

    # -- delete ----------------------------------------------------------------------------------
    async def delete(
        self, rt: ResourceType, ns: str, name: str, version: str, opts: DeleteOptions
    ) -> tuple[dict[str, Any], bool]:
        """Returns (object or Status, deleted-now)."""
        if rt.plural == "namespaces" and not rt.group and name in _PROTECTED_NAMESPACES:
            raise st.forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        key = rt.key(ns, name)
        for _ in range(_MAX_RETRIES):
            cur = await self.read(rt, ns, name)
            obj = cur.obj
            meta = obj["metadata"]
            if opts.precondition_uid is not None and opts.precondition_uid != meta.get("uid"):
                raise st.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    f"Precondition failed: UID in precondition: {opts.precondition_uid}, UID in object "
                    f"meta: {meta.get('uid')}",
                )
            if opts.precondition_rv is not None and opts.precondition_rv != str(cur.rev):
                raise st.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    f"Precondition failed: ResourceVersion in precondition: {opts.precondition_rv}, "
                    f"ResourceVersion in object meta: {cur.rev}",
                )
            if opts.dry_run:
                return self.to_version(rt, cur, version), False
            new = _deepcopy(obj)
            nmeta = new["metadata"]
            finalizers = list(nmeta.get("finalizers") or [])
            add = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(opts.propagation or "")
            if add and add not in finalizers:
                finalizers.append(add)
            graceful = 0
            if (
                rt.plural == "pods"
                and not rt.group
                and self.graceful_pod_deletion
                and (obj.get("spec") or {}).get("nodeName")
            ):
                g = opts.grace_period
                if g is None:
                    g = (obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                    g = g if isinstance(g, int) else 30
                graceful = max(g, 0)
                phase = (obj.get("status") or {}).get("phase")
                if phase in ("Succeeded", "Failed"):
                    graceful = 0
            namespace_obj = rt.plural == "namespaces" and not rt.group
            if "deletionTimestamp" in meta:
                # Already terminating: a pod may have its grace shortened; everything else is a no-op.
                if (
                    graceful == 0
                    and rt.plural == "pods"
                    and meta.get("deletionGracePeriodSeconds")
                    and opts.grace_period == 0
                ):
                    nmeta["deletionGracePeriodSeconds"] = 0
                    if not finalizers:
                        return await self._remove(rt, key, cur, version)
                    new_c = await self._write(rt, key, cur, new)
                    return self.to_version(rt, new_c, version), False
                if add and add not in (meta.get("finalizers") or []):
                    nmeta["finalizers"] = finalizers
                    new_c = await self._write(rt, key, cur, new)
                    return self.to_version(rt, new_c, version), False
                return self.to_version(rt, cur, version), False
            if (
                rt.plural == "customresourcedefinitions"
                and rt.group == "apiextensions.k8s.io"
                and crdlib.CRD_FINALIZER not in finalizers
            ):
                finalizers.append(crdlib.CRD_FINALIZER)
            if finalizers or graceful or namespace_obj:
                if finalizers:
                    nmeta["finalizers"] = finalizers
                if graceful and not finalizers:
                    nmeta["deletionTimestamp"] = time_after(graceful)
                    nmeta["deletionGracePeriodSeconds"] = graceful
                else:
                    nmeta["deletionTimestamp"] = now_time()
                    nmeta["deletionGracePeriodSeconds"] = graceful
                if namespace_obj:
                    status = new.get("status") if isinstance(new.get("status"), dict) else {}
                    status["phase"] = "Terminating"
                    new["status"] = status
                if nmeta.get("generation"):
                    nmeta["generation"] = int(nmeta["generation"]) + 1
                try:
                    new_c = await self._write(rt, key, cur, new)
                except RevisionConflict:
                    continue
                return self.to_version(rt, new_c, version), False
            try:
                return await self._remove(rt, key, cur, version)
            except RevisionConflict:
                continue
        raise st.conflict(rt.plural, rt.group, name)

    async def _write(self, rt: ResourceType, key: str, cur: Cached, new: dict[str, Any]) -> Cached:
        new["metadata"].pop("resourceVersion", None)
        kv = await self.store.update(key, dumps(new), cur.rev)
        new["metadata"]["resourceVersion"] = str(kv.mod_revision)
        c = Cached(kv.mod_revision, new)
        self.cache.put(key, c)
        await self._after_write(rt, cur, c)
        return c

    async def _remove(self, rt: ResourceType, key: str, cur: Cached, version: str) -> tuple[dict[str, Any], bool]:
        try:
            await self.store.delete(key, cur.rev)
        except KeyNotFound:
            raise st.not_found(rt.plural, rt.group, key.rsplit("/", 1)[-1]) from None
        await self._after_delete(rt, cur.obj)
        obj = self.to_version(rt, cur, version)
        meta = obj["metadata"]
        if rt.returns_deleted:
            return obj, True
        return st.success_status(str(meta.get("name")), rt.plural, rt.group, str(meta.get("uid", ""))), True

    async def finish_delete(self, rt: ResourceType, ns: str, name: str) -> None:
        """Remove a terminating object whose last hold (finalizer/grace) has gone; used by controllers."""
        key = rt.key(ns, name)
        kv = await self.store.get(key)
        if kv is None:
            return
        c = self.cache.get(kv)
        try:
            await self.store.delete(key, c.rev)
        except (RevisionConflict, KeyNotFound):
            return
        await self._after_delete(rt, c.obj)

    async def mutate(self, rt: ResourceType, ns: str, name: str, fn: Any) -> dict[str, Any] | None:
        """Read-modify-write with retries; ``fn(obj) -> bool`` edits a private copy and says if it changed."""
        for _ in range(_MAX_RETRIES):
            try:
                cur = await self.read(rt, ns, name)
            except st.ApiError as e:
                if e.code == 404:
                    return None
                raise
            new = _deepcopy(cur.obj)
            if not fn(new):
                return cur.obj
            try:
                return await self._update_from(rt, ns, name, rt.storage_version, cur, new, "", False, False)
            except RevisionConflict:
                continue
        raise st.conflict(rt.plural, rt.group, name)

    async def set_namespace_finalizers(self, name: str, finalizers: list[str]) -> dict[str, Any]:
        rt = self.registry.by_group_resource("", "namespaces")
        assert rt is not None

        def edit(obj: dict[str, Any]) -> bool:
            spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
            if spec.get("finalizers", []) == finalizers:
                return False
            spec["finalizers"] = finalizers
            obj["spec"] = spec
            return True

        out = await self.mutate(rt, "", name, edit)
        if out is None:
            raise st.not_found("namespaces", "", name)
        return out

    # -- hooks -----------------------------------------------------------------------------------
    async def _after_write(self, rt: ResourceType, old: Cached | None, new: Cached) -> None:
        if rt.plural == "customresourcedefinitions" and rt.group == "apiextensions.k8s.io":
            obj = new.obj
            if "deletionTimestamp" not in obj["metadata"]:
                self.registry.add(crdlib.crd_to_type(obj))

    async def _after_delete(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if rt.plural == "customresourcedefinitions" and rt.group == "apiextensions.k8s.io":
            spec = obj.get("spec") or {}
            t = self.registry.by_group_resource(spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
            if t is not None and not t.builtin:
                self.registry.remove(t.group, t.plural)

    # -- bootstrap -------------------------------------------------------------------------------
    async def bootstrap(self, crds: list[dict[str, Any]]) -> None:
        """Load CRDs from storage into the registry; create system namespaces and missing CRDs."""
        crd_rt = self.registry.by_group_resource("apiextensions.k8s.io", "customresourcedefinitions")
        assert crd_rt is not None
        res = await self.store.list(crd_rt.prefix(None))
        for kv in res.items:
            c = self.cache.get(kv)
            try:
                if "deletionTimestamp" not in c.obj["metadata"]:
                    self.registry.add(crdlib.crd_to_type(c.obj))
            except (KeyError, TypeError, StopIteration, AttributeError):
                continue
        ns_rt = self.registry.by_group_resource("", "namespaces")
        assert ns_rt is not None
        for ns in SYSTEM_NAMESPACES:
            if await self.store.get(ns_rt.key("", ns)) is None:
                try:
                    await self.create(ns_rt, None, "v1", {"metadata": {"name": ns}})
                except st.ApiError as exc:
                    if exc.code != 409:
                        raise
        for crd in crds:
            name = (crd.get("metadata") or {}).get("name")
            if not isinstance(name, str) or await self.store.get(crd_rt.key("", name)) is not None:
                continue
            try:
                await self.create(crd_rt, None, "v1", _deepcopy(crd))
            except st.ApiError as exc:
                if exc.code != 409:
                    raise RuntimeError(f"installing CRD {name}: {exc.message}") from exc

    def decode_kv(self, kv: KeyValue) -> Cached:
        return self.cache.get(kv)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)
