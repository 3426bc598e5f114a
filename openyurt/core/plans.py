"""The generic plan: what a planner wants written to the API, as a value.

Planners never talk to the API server. They return a :class:`Plan` (creates, updates, merge patches,
status updates, deletes) and the runtime's applier carries it out idempotently, re-planning on
conflicts. Keeping the writes as data makes planners testable with equality and lets one applier own
the tricky parts (AlreadyExists, NotFound, stale resourceVersions) for every controller.

Objects are wire dicts or wire models; :func:`wire` turns either into the dict that goes on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from openyurt.core.api._base import WireModel

#: An object as a planner holds it: wire data or a model.
Wire = Mapping[str, Any] | WireModel


def wire(obj: Wire) -> dict[str, Any]:
    """The JSON-ready dict of ``obj`` (a deep copy for dicts, so the plan stays untouched)."""
    if isinstance(obj, WireModel):
        return obj.to_wire()
    out: dict[str, Any] = _deep_copy(obj)
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(v) for v in value]
    return value


@attrs.frozen
class ObjectRef:
    """Which object: apiVersion, kind, namespace ("" for cluster-scoped) and name."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""

    @classmethod
    def of(cls, obj: Wire) -> ObjectRef:
        data = obj.to_wire() if isinstance(obj, WireModel) else obj
        meta = data.get("metadata") or {}
        return cls(
            api_version=str(data.get("apiVersion") or ""),
            kind=str(data.get("kind") or ""),
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
        )

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind}.{self.api_version} {where}"


@attrs.frozen(hash=False)
class Create:
    """Create ``obj``; if it exists already, the applier compares and updates only when it differs."""

    obj: Wire
    op: Literal["create"] = "create"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef.of(self.obj)


@attrs.frozen(hash=False)
class Update:
    """Replace ``obj``; its ``metadata.resourceVersion`` (if set) is the version it was planned from."""

    obj: Wire
    op: Literal["update"] = "update"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef.of(self.obj)


@attrs.frozen(hash=False)
class MergePatch:
    """An RFC 7386 merge patch of one object (``null`` deletes a key, lists are replaced)."""

    target: ObjectRef
    patch: Mapping[str, Any]
    op: Literal["patch"] = "patch"

    @property
    def ref(self) -> ObjectRef:
        return self.target


@attrs.frozen(hash=False)
class StatusUpdate:
    """Replace the status subresource of ``obj`` (spec and metadata changes are ignored by the server)."""

    obj: Wire
    op: Literal["status"] = "status"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef.of(self.obj)


@attrs.frozen
class Delete:
    """Delete an object; ``uid``/``resource_version`` are preconditions when set."""

    target: ObjectRef
    uid: str | None = None
    resource_version: str | None = None
    propagation_policy: Literal["Background", "Foreground", "Orphan"] | None = None
    op: Literal["delete"] = "delete"

    @property
    def ref(self) -> ObjectRef:
        return self.target


Step = Create | Update | MergePatch | StatusUpdate | Delete


@attrs.frozen(hash=False)
class Plan:
    """Writes to make, in the order the applier makes them: creates, updates, patches, statuses, deletes."""

    creates: tuple[Create, ...] = ()
    updates: tuple[Update, ...] = ()
    patches: tuple[MergePatch, ...] = ()
    status_updates: tuple[StatusUpdate, ...] = ()
    deletes: tuple[Delete, ...] = ()

    @classmethod
    def of(cls, steps: Iterable[Step]) -> Plan:
        """Sort loose steps into a plan (order within each kind of write is kept)."""
        buckets: dict[str, list[Any]] = {"create": [], "update": [], "patch": [], "status": [], "delete": []}
        for step in steps:
            buckets[step.op].append(step)
        return cls(
            creates=tuple(buckets["create"]),
            updates=tuple(buckets["update"]),
            patches=tuple(buckets["patch"]),
            status_updates=tuple(buckets["status"]),
            deletes=tuple(buckets["delete"]),
        )

    def steps(self) -> tuple[Step, ...]:
        return (*self.creates, *self.updates, *self.patches, *self.status_updates, *self.deletes)

    def __bool__(self) -> bool:
        return bool(self.steps())

    def __add__(self, other: Plan) -> Plan:
        return Plan(
            creates=self.creates + other.creates,
            updates=self.updates + other.updates,
            patches=self.patches + other.patches,
            status_updates=self.status_updates + other.status_updates,
            deletes=self.deletes + other.deletes,
        )


EMPTY_PLAN = Plan()
