"""An in-memory Kubernetes API with the semantics controllers actually depend on.

controller-runtime's fake client admits that it gets resourceVersions and generations wrong; then
tests pass on the fake and fail on a cluster. This one keeps what matters to informers, appliers and
elections: one global resourceVersion counter, compare-and-swap updates (409 Conflict), 409
AlreadyExists, no-op updates that do not bump the version, the status subresource split, finalizers,
label/field selectors, consistent paginated lists, watches that replay history from a version, and
410 Gone once that history is compacted. The contract suite runs it side by side with the embedded API
server, so where it matters it answers with the same Status messages.

Not modelled: admission beyond metadata and model parsing, namespace existence, garbage collection,
graceful pod deletion (a grace period is accepted; every delete is immediate), server-side apply.
``bind_pod`` sets ``spec.nodeName`` as ``pods/binding`` does. Tests can ``compact()`` history,
``disconnect_watches()`` (a server restart as watchers see it) and ``emit_bookmark()``.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
import pydantic

from openyurt.adapters.clock import Clock, RealClock
from openyurt.adapters.kube.protocols import (
    EventType,
    ObjectList,
    PatchType,
    PropagationPolicy,
    ResourceType,
    WatchEvent,
    WireObject,
    to_wire,
)
from openyurt.core.api import _resource as registry
from openyurt.core.api._base import ObjectInvalid, errors_from_pydantic
from openyurt.core.api.meta_v1 import ObjectMeta, validate_object_meta
from openyurt.core.patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch
from openyurt.core.selectors import SelectorError, parse_field_selector, parse_label_selector
from openyurt.errors import (
    AlreadyExistsError,
    ApiError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    StatusCause,
    UnavailableError,
)

_Key = tuple[str, str, str, str]  # apiVersion, kind, namespace, name


@attrs.frozen
class _Change:
    rev: int
    type: EventType
    key: _Key
    obj: dict[str, Any]
    prev: dict[str, Any] | None


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _qualified(rt: ResourceType) -> str:
    return f"{rt.plural}.{rt.group}" if rt.group else rt.plural


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class MemoryClient:
    """A :class:`~openyurt.adapters.kube.protocols.Client` held in a dict; see the module docstring."""

    def __init__(self, *, clock: Clock | None = None, types: Iterable[ResourceType] = ()) -> None:
        self.clock: Clock = clock or RealClock()
        self._types: dict[tuple[str, str], ResourceType] = {(t.api_version, t.kind): t for t in types}
        self._objects: dict[_Key, dict[str, Any]] = {}
        self._rev = 0
        self._compacted = 0
        self._history: list[_Change] = []
        self._changed = asyncio.Event()
        self._disconnects = 0
        self._bookmarks = 0
        self._snapshots: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self._snap_ids = itertools.count(1)
        self.calls: list[str] = []

    # ------------------------------------------------------------------------------------------
    # Test controls

    @property
    def revision(self) -> int:
        return self._rev

    def compact(self, revision: int | None = None) -> int:
        """Forget history up to ``revision`` (default: everything); older watch/continue points get 410."""
        self._compacted = max(self._compacted, self._rev if revision is None else min(revision, self._rev))
        cut = bisect.bisect_right(self._history, self._compacted, key=lambda c: c.rev)
        del self._history[:cut]
        for token, (rev, _) in list(self._snapshots.items()):
            if rev < self._compacted:
                del self._snapshots[token]
        self._wake()
        return self._compacted

    def disconnect_watches(self) -> None:
        """End every open watch with a connection error, as a server restart does."""
        self._disconnects += 1
        self._wake()

    def emit_bookmark(self) -> None:
        """Make every watch that allows bookmarks send one at its current version."""
        self._bookmarks += 1
        self._wake()

    def register_type(self, rt: ResourceType) -> None:
        self._types[(rt.api_version, rt.kind)] = rt

    def objects(self) -> list[dict[str, Any]]:
        return [_copy(o) for _, o in sorted(self._objects.items())]

    def _wake(self) -> None:
        old, self._changed = self._changed, asyncio.Event()
        old.set()

    # ------------------------------------------------------------------------------------------
    # Types

    def resource_type(self, api_version: str, kind: str) -> ResourceType | None:
        rt = self._types.get((api_version, kind)) or ResourceType.registered(api_version, kind)
        if rt is not None:
            self._types[(api_version, kind)] = rt
        return rt

    async def resolve(self, api_version: str, kind: str) -> ResourceType:
        return self._type(api_version, kind)

    def _type(self, api_version: str, kind: str) -> ResourceType:
        rt = self.resource_type(api_version, kind)
        if rt is None:
            raise NotFoundError(404, "NotFound", f'no kind "{kind}" is registered for version "{api_version}"')
        return rt

    def _key(self, rt: ResourceType, name: str, namespace: str | None) -> _Key:
        return (rt.api_version, rt.kind, (namespace or "") if rt.namespaced else "", name)

    async def close(self) -> None:
        return None

    # ------------------------------------------------------------------------------------------
    # Errors shaped like the API server's

    @staticmethod
    def _not_found(rt: ResourceType, name: str) -> NotFoundError:
        return NotFoundError(404, "NotFound", f'{_qualified(rt)} "{name}" not found')

    @staticmethod
    def _conflict(rt: ResourceType, name: str, why: str | None = None) -> ConflictError:
        msg = why or "the object has been modified; please apply your changes to the latest version and try again"
        return ConflictError(409, "Conflict", f'Operation cannot be fulfilled on {_qualified(rt)} "{name}": {msg}')

    @staticmethod
    def _invalid(rt: ResourceType, name: str, causes: list[StatusCause]) -> InvalidError:
        parts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
        text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
        return InvalidError(422, "Invalid", f'{kind} "{name}" is invalid: {text}', causes=tuple(causes))

    def _validate(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata")
        name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
        try:
            parsed = ObjectMeta.model_validate(meta or {})
        except pydantic.ValidationError as exc:
            errs = errors_from_pydantic(exc, ("metadata",))
            raise self._invalid(rt, name, [StatusCause(e.reason, e.message, e.path) for e in errs]) from exc
        errors = validate_object_meta(parsed, namespaced=rt.namespaced)
        if not errors and registry.kind_class(rt.api_version, rt.kind) is not None:
            try:
                registry.parse_object(obj)
            except ObjectInvalid as exc:
                errors = list(exc.errors)
        if errors:
            raise self._invalid(rt, name, [StatusCause(e.reason, e.message, e.path) for e in errors])

    # ------------------------------------------------------------------------------------------
    # Reads

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        self.calls.append("get")
        rt = self._type(api_version, kind)
        obj = self._objects.get(self._key(rt, name, namespace))
        if obj is None:
            raise self._not_found(rt, name)
        return _copy(obj)  # type: ignore[no-any-return]

    def _matcher(self, label_selector: str | None, field_selector: str | None) -> Any:
        try:
            labels = parse_label_selector(label_selector or "")
            fields = parse_field_selector(field_selector or "")
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from exc

        def matches(obj: Mapping[str, Any]) -> bool:
            meta = obj.get("metadata") or {}
            return labels.matches(meta.get("labels")) and fields.matches_object(obj)

        return matches

    async def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
    ) -> ObjectList:
        self.calls.append("list")
        rt = self._type(api_version, kind)
        if continue_token:
            snap = self._snapshots.pop(continue_token, None)
            if snap is None:
                raise GoneError(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter.",
                )
            rev, items = snap
        else:
            matches = self._matcher(label_selector, field_selector)
            ns = namespace if rt.namespaced else None
            rev = self._rev
            items = [
                _copy(obj)
                for key, obj in sorted(self._objects.items())
                if key[:2] == (rt.api_version, rt.kind) and (not ns or key[2] == ns) and matches(obj)
            ]
        if limit and len(items) > limit:
            page, rest = items[:limit], items[limit:]
            token = base64.urlsafe_b64encode(json.dumps({"rv": rev, "id": next(self._snap_ids)}).encode()).decode()
            self._snapshots[token] = (rev, rest)
            return ObjectList(tuple(page), str(rev), token, len(rest))
        return ObjectList(tuple(items), str(rev))

    # ------------------------------------------------------------------------------------------
    # Writes

    def _commit(self, type_: EventType, key: _Key, obj: dict[str, Any], prev: dict[str, Any] | None) -> dict[str, Any]:
        self._rev += 1
        obj["metadata"]["resourceVersion"] = str(self._rev)
        if type_ == "DELETED":
            self._objects.pop(key, None)
        else:
            self._objects[key] = obj
        self._history.append(_Change(self._rev, type_, key, _copy(obj), _copy(prev) if prev else None))
        self._wake()
        return _copy(obj)  # type: ignore[no-any-return]

    async def create(self, obj: WireObject) -> dict[str, Any]:
        self.calls.append("create")
        data = to_wire(obj)
        rt = self._type(str(data.get("apiVersion") or ""), str(data.get("kind") or ""))
        meta = data.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        name = str(meta.get("name") or "")
        if rt.namespaced and not meta.get("namespace"):
            raise ApiError(400, "BadRequest", "the namespace of the object is required")
        if not rt.namespaced:
            meta.pop("namespace", None)
        self._validate(rt, data)
        key = self._key(rt, name, meta.get("namespace"))
        if key in self._objects:
            raise AlreadyExistsError(409, "AlreadyExists", f'{_qualified(rt)} "{name}" already exists')
        for f in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(f, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _micro(self.clock.wall())
        if rt.status_subresource:
            meta["generation"] = 1
        return self._commit("ADDED", key, data, None)

    async def update(self, obj: WireObject) -> dict[str, Any]:
        self.calls.append("update")
        return self._update(to_wire(obj), sub="")

    async def update_status(self, obj: WireObject) -> dict[str, Any]:
        self.calls.append("update_status")
        return self._update(to_wire(obj), sub="status")

    def _update(self, new: dict[str, Any], *, sub: str) -> dict[str, Any]:
        rt = self._type(str(new.get("apiVersion") or ""), str(new.get("kind") or ""))
        meta = new.setdefault("metadata", {})
        name = str(meta.get("name") or "")
        key = self._key(rt, name, meta.get("namespace"))
        old = self._objects.get(key)
        if old is None:
            raise self._not_found(rt, name)
        want = meta.get("resourceVersion") or None
        if want is not None and want != old["metadata"]["resourceVersion"]:
            raise self._conflict(rt, name)
        return self._write(rt, key, old, new, sub)

    def _write(self, rt: ResourceType, key: _Key, old: dict[str, Any], new: dict[str, Any], sub: str) -> dict[str, Any]:
        new = _copy(new)
        ometa = old["metadata"]
        if sub == "status":
            status = new.get("status")
            new = _copy(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        elif rt.status_subresource:
            if "status" in old:
                new["status"] = _copy(old["status"])
            else:
                new.pop("status", None)
        nmeta = new.setdefault("metadata", {})
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if f in ometa:
                nmeta[f] = ometa[f]
            else:
                nmeta.pop(f, None)
        nmeta["name"] = key[3]
        if rt.namespaced:
            nmeta["namespace"] = key[2]
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        self._validate(rt, new)
        if "deletionTimestamp" in ometa:
            added = set(nmeta.get("finalizers") or []) - set(ometa.get("finalizers") or [])
            if added:
                raise self._invalid(
                    rt,
                    key[3],
                    [
                        StatusCause(
                            "FieldValueForbidden",
                            "Forbidden: no new finalizers can be added if the object is being deleted, "
                            f"found new finalizers {sorted(added)!r}",
                            "metadata.finalizers",
                        )
                    ],
                )
        if sub == "" and "generation" in ometa:
            skip = {"metadata", "apiVersion", "kind", "status"}
            if any(new.get(k) != old.get(k) for k in (set(new) | set(old)) - skip):
                nmeta["generation"] = int(ometa["generation"]) + 1
        nmeta["resourceVersion"] = ometa["resourceVersion"]
        if new == old:
            return _copy(old)  # type: ignore[no-any-return]
        stored = self._commit("MODIFIED", key, new, old)
        if "deletionTimestamp" in nmeta and not nmeta.get("finalizers"):
            # like the API server: the update that drops the last finalizer is stored, then deleted
            self._commit("DELETED", key, _copy(self._objects[key]), self._objects[key])
        return stored

    async def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = "merge",
    ) -> dict[str, Any]:
        self.calls.append("patch")
        return self._patch(api_version, kind, name, patch, namespace, patch_type, sub="")

    async def patch_status(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = "merge",
    ) -> dict[str, Any]:
        self.calls.append("patch_status")
        return self._patch(api_version, kind, name, patch, namespace, patch_type, sub="status")

    def _patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None,
        patch_type: PatchType,
        *,
        sub: str,
    ) -> dict[str, Any]:
        rt = self._type(api_version, kind)
        key = self._key(rt, name, namespace)
        old = self._objects.get(key)
        if old is None:
            raise self._not_found(rt, name)
        try:
            if patch_type == "json":
                new = apply_json_patch(old, patch)
            elif patch_type == "strategic":
                if registry.kind_class(rt.api_version, rt.kind) is None or not rt_builtin(rt):
                    raise ApiError(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: "
                        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                    )
                new = apply_strategic_merge_patch(old, patch, rt.kind, rt.api_version)
            else:
                if not isinstance(patch, Mapping):
                    raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
                new = apply_merge_patch(old, dict(patch))
        except PatchError as exc:
            raise self._invalid(rt, name, [StatusCause("FieldValueInvalid", str(exc), "")]) from exc
        want = (new.get("metadata") or {}).get("resourceVersion")
        if want is not None and want != old["metadata"]["resourceVersion"]:
            raise self._conflict(rt, name)
        return self._write(rt, key, old, new, sub)

    async def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
    ) -> None:
        # graceful pod deletion is not modelled: every delete is immediate, whatever the grace period
        self.calls.append("delete")
        rt = self._type(api_version, kind)
        key = self._key(rt, name, namespace)
        old = self._objects.get(key)
        if old is None:
            raise self._not_found(rt, name)
        ometa = old["metadata"]
        if uid is not None and uid != ometa.get("uid"):
            raise self._conflict(
                rt,
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: {ometa.get('uid')}",
            )
        if resource_version is not None and resource_version != ometa.get("resourceVersion"):
            raise self._conflict(
                rt,
                name,
                f"Precondition failed: ResourceVersion in precondition: {resource_version}, "
                f"ResourceVersion in object meta: {ometa.get('resourceVersion')}",
            )
        finalizers = list(ometa.get("finalizers") or [])
        if propagation_policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif propagation_policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if finalizers:
            if "deletionTimestamp" in ometa and finalizers == list(ometa.get("finalizers") or []):
                return None
            new = _copy(old)
            nmeta = new["metadata"]
            nmeta["finalizers"] = finalizers
            nmeta.setdefault("deletionTimestamp", _micro(self.clock.wall()))
            nmeta.setdefault("deletionGracePeriodSeconds", 0)
            if nmeta.get("generation"):
                nmeta["generation"] = int(nmeta["generation"]) + 1
            self._commit("MODIFIED", key, new, old)
            return None
        self._commit("DELETED", key, _copy(old), old)
        return None

    async def bind_pod(self, namespace: str, name: str, node_name: str) -> None:
        """Set ``spec.nodeName`` of an unassigned pod, as the API server's ``pods/binding`` does."""
        self.calls.append("bind_pod")
        rt = self._type("v1", "Pod")
        if not node_name:
            binding = ResourceType("v1", "Binding", "bindings", True)
            raise self._invalid(binding, name, [StatusCause("FieldValueRequired", "Required value", "target.name")])
        key = self._key(rt, name, namespace)
        old = self._objects.get(key)
        if old is None:
            raise self._not_found(rt, name)
        assigned = (old.get("spec") or {}).get("nodeName")
        if assigned:
            raise ConflictError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on pods/binding "{name}": '
                f'pod {name} is already assigned to node "{assigned}"',
            )
        new = _copy(old)
        new.setdefault("spec", {})["nodeName"] = node_name
        self._write(rt, key, old, new, "")

    # ------------------------------------------------------------------------------------------
    # Watch

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
    ) -> AsyncIterator[WatchEvent]:
        self.calls.append("watch")
        return self._watch(
            api_version,
            kind,
            namespace,
            resource_version,
            label_selector,
            field_selector,
            allow_bookmarks,
            timeout_seconds,
        )

    async def _watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        resource_version: str | None,
        label_selector: str | None,
        field_selector: str | None,
        allow_bookmarks: bool,
        timeout_seconds: int | None,
    ) -> AsyncIterator[WatchEvent]:
        rt = self._type(api_version, kind)
        matches = self._matcher(label_selector, field_selector)
        ns = namespace if rt.namespaced else None
        disconnects, bookmarks = self._disconnects, self._bookmarks
        deadline = self.clock.now() + timeout_seconds if timeout_seconds else None

        def ours(key: _Key) -> bool:
            return key[:2] == (rt.api_version, rt.kind) and (not ns or key[2] == ns)

        if resource_version in (None, "", "0"):
            cursor = self._rev
            for key, obj in sorted(self._objects.items()):
                if ours(key) and matches(obj):
                    yield WatchEvent("ADDED", _copy(obj))
        else:
            try:
                cursor = int(str(resource_version))
            except ValueError as exc:
                raise ApiError(400, "BadRequest", f"invalid resource version: {resource_version}") from exc
            if cursor < self._compacted:
                raise GoneError(410, "Expired", f"too old resource version: {cursor} ({self._compacted})")
            if cursor > self._rev:
                raise UnavailableError(504, "Timeout", f"Too large resource version: {cursor}, current: {self._rev}")
        while True:
            changed = self._changed
            if self._disconnects != disconnects:
                raise UnavailableError(0, "ServiceUnavailable", "watch connection closed by the server")
            if cursor < self._compacted:
                raise GoneError(410, "Expired", f"too old resource version: {cursor} ({self._compacted})")
            idx = bisect.bisect_right(self._history, cursor, key=lambda c: c.rev)
            if idx < len(self._history):
                change = self._history[idx]
                cursor = change.rev
                if ours(change.key):
                    event = self._translate(change, matches)
                    if event is not None:
                        yield event
                continue
            cursor = max(cursor, self._rev)
            if allow_bookmarks and self._bookmarks != bookmarks:
                bookmarks = self._bookmarks
                yield WatchEvent(
                    "BOOKMARK",
                    {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": {"resourceVersion": str(cursor)}},
                )
                continue
            remaining = None if deadline is None else deadline - self.clock.now()
            if remaining is not None and remaining <= 0:
                if allow_bookmarks:
                    yield WatchEvent(
                        "BOOKMARK",
                        {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": {"resourceVersion": str(cursor)}},
                    )
                return
            try:
                await self.clock.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    @staticmethod
    def _translate(change: _Change, matches: Any) -> WatchEvent | None:
        now = matches(change.obj)
        before = change.prev is not None and change.type == "MODIFIED" and matches(change.prev)
        if change.type == "ADDED":
            return WatchEvent("ADDED", _copy(change.obj)) if now else None
        if change.type == "DELETED":
            return WatchEvent("DELETED", _copy(change.obj)) if now else None
        if now and before:
            return WatchEvent("MODIFIED", _copy(change.obj))
        if now:
            return WatchEvent("ADDED", _copy(change.obj))
        if before:
            return WatchEvent("DELETED", _copy(change.obj))
        return None


def rt_builtin(rt: ResourceType) -> bool:
    cls = registry.kind_class(rt.api_version, rt.kind)
    return cls is not None and cls.info.builtin
