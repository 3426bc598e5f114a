"""The narrow capabilities the runtime needs from a Kubernetes API, as Protocols.

Controllers, informers, the applier and leader election depend on these, never on a client library,
so the same code runs on kubernetes-asyncio against a real or embedded API server and on the
in-memory fake in unit tests (one contract suite holds both to the same behaviour). Objects cross as
wire dicts (``apiVersion``/``kind``/``metadata``...): the callers parse them into models when they need
types, and nothing here depends on a kind being modelled. Failures are ``openyurt.errors`` classes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from openyurt.core.api import _resource as registry
from openyurt.core.api._base import WireModel

#: What writers accept: wire data or a model (turned into wire data on the way out).
WireObject = Mapping[str, Any] | WireModel
PatchType = Literal["merge", "json", "strategic"]
PropagationPolicy = Literal["Background", "Foreground", "Orphan"]


@attrs.frozen
class ResourceType:
    """How to address a kind: its REST plural and scope (from the kind registry or discovery)."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool
    #: whether writes to the main resource ignore ``status`` (and ``/status`` ignores the rest)
    status_subresource: bool = False

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @classmethod
    def registered(cls, api_version: str, kind: str) -> ResourceType | None:
        """The address of a kind we model (from the kind registry), or None."""
        model = registry.kind_class(api_version, kind)
        if model is None:
            return None
        info = model.info
        return cls(api_version, kind, info.plural, info.namespaced, info.status_subresource)


@attrs.frozen
class ObjectList:
    """One page of a list: items, the resourceVersion it is consistent at, and how to go on."""

    items: tuple[dict[str, Any], ...]
    resource_version: str
    continue_token: str | None = None
    remaining_item_count: int | None = None


EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]


@attrs.frozen
class WatchEvent:
    type: EventType
    object: dict[str, Any]

    @property
    def resource_version(self) -> str:
        return str((self.object.get("metadata") or {}).get("resourceVersion") or "")


def to_wire(obj: WireObject) -> dict[str, Any]:
    """A private, JSON-ready copy of ``obj``."""
    if isinstance(obj, WireModel):
        return obj.to_wire()
    return _copy(obj)  # type: ignore[no-any-return]


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


@runtime_checkable
class ObjectReader(Protocol):
    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """Raises NotFoundError."""
        ...

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
        """One page; a stale ``continue_token`` raises GoneError."""
        ...


@runtime_checkable
class ObjectWriter(Protocol):
    async def create(self, obj: WireObject) -> dict[str, Any]:
        """Raises AlreadyExistsError, InvalidError."""
        ...

    async def update(self, obj: WireObject) -> dict[str, Any]:
        """PUT; a ``metadata.resourceVersion`` in ``obj`` is a precondition (ConflictError when stale)."""
        ...

    async def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = "merge",
    ) -> dict[str, Any]: ...

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
        """Raises NotFoundError; ConflictError when a precondition fails.

        ``grace_period_seconds`` (pods that run on a node): how long the kubelet has to stop them; 0 ends
        a graceful deletion at once. None leaves it to the server (the pod's own period).
        """
        ...


@runtime_checkable
class StatusWriter(Protocol):
    async def update_status(self, obj: WireObject) -> dict[str, Any]: ...

    async def patch_status(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = "merge",
    ) -> dict[str, Any]: ...


@runtime_checkable
class PodBinder(Protocol):
    async def bind_pod(self, namespace: str, name: str, node_name: str) -> None:
        """Assign a pod to a node, as a scheduler does (``POST pods/{name}/binding``).

        Raises NotFoundError for a missing pod, ConflictError when it is already assigned.
        """
        ...


@runtime_checkable
class WatchSource(Protocol):
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
        """Changes after ``resource_version``; ends cleanly on timeout.

        Raises GoneError when the version is older than the server keeps (whether the server says so
        with an HTTP 410 or an in-stream ERROR event), UnavailableError when the connection breaks.
        """
        ...


@runtime_checkable
class LeaseClient(Protocol):
    """What an elector needs: read, create and compare-and-swap Leases (a subset of a full client)."""

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]: ...

    async def create(self, obj: WireObject) -> dict[str, Any]: ...

    async def update(self, obj: WireObject) -> dict[str, Any]: ...


@runtime_checkable
class Client(ObjectReader, ObjectWriter, StatusWriter, PodBinder, WatchSource, Protocol):
    """Everything at once, plus lifecycle; what adapters implement."""

    def resource_type(self, api_version: str, kind: str) -> ResourceType | None:
        """The cached address of a kind, or None if not resolved yet."""
        ...

    async def resolve(self, api_version: str, kind: str) -> ResourceType:
        """The address of a kind (registry, then discovery); NotFoundError if the server lacks it."""
        ...

    async def close(self) -> None: ...


class ListWatcher(ObjectReader, WatchSource, Protocol):
    """What an informer needs."""
