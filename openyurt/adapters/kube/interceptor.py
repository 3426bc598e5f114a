"""Fault injection by wrapping: any client, with single verbs overridden.

Tests that need a 409 on the third update, a 410 from the next watch, a throttled list or a request
that hangs past a deadline wrap the real client (in-memory or kubernetes-asyncio) in an
:class:`Interceptor` instead of patching modules, as controller-runtime's interceptor package does.
An override receives the wrapped client first, then the verb's arguments, so it can fail, delay, or
pass through after looking.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.protocols import (
    Client,
    ObjectList,
    PatchType,
    PropagationPolicy,
    ResourceType,
    WatchEvent,
    WireObject,
)
from openyurt.errors import (
    ApiError,
    ConflictError,
    GoneError,
    TooManyRequestsError,
    UnavailableError,
)

Verb = Literal[
    "get", "list", "create", "update", "patch", "delete", "update_status", "patch_status", "bind_pod", "watch"
]
#: ``override(inner, *args, **kwargs)``; for "watch" it returns an async iterator instead of a coroutine.
Override = Callable[..., Any]
ErrorFactory = Callable[[], ApiError]


def conflict(
    message: str = "the object has been modified; please apply your changes to the latest version",
) -> ApiError:
    return ConflictError(409, "Conflict", f"Operation cannot be fulfilled: {message}")


def gone(message: str = "too old resource version: 1 (2)") -> ApiError:
    return GoneError(410, "Expired", message)


def too_many_requests(message: str = "rate limited, please retry") -> ApiError:
    return TooManyRequestsError(429, "TooManyRequests", message)


def timeout(message: str = "request timed out") -> ApiError:
    return UnavailableError(0, "Timeout", message)


def unavailable(message: str = "connection refused") -> ApiError:
    return UnavailableError(0, "ServiceUnavailable", message)


class Interceptor:
    """A client that calls ``overrides[verb]`` instead of the wrapped client's verb when one is set."""

    def __init__(self, inner: Client, **overrides: Override) -> None:
        self.inner = inner
        self.overrides: dict[str, Override] = dict(overrides)
        self.calls: list[str] = []

    # ------------------------------------------------------------------------------------------
    # Setting faults up

    def override(self, verb: Verb, fn: Override | None) -> None:
        if fn is None:
            self.overrides.pop(verb, None)
        else:
            self.overrides[verb] = fn

    def fail(
        self,
        verb: Verb,
        error: ErrorFactory,
        *,
        times: int | None = 1,
        when: Callable[..., bool] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``verb`` (None: all) that satisfy ``when`` raise ``error()``."""
        left = [times]

        def should_fail(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
            if left[0] is not None and left[0] <= 0:
                return False
            if when is not None and not when(*args, **kwargs):
                return False
            if left[0] is not None:
                left[0] -= 1
            return True

        if verb == "watch":

            def watch_override(inner: Client, *args: Any, **kwargs: Any) -> AsyncIterator[WatchEvent]:
                if should_fail(args, kwargs):
                    return _raising(error())
                return inner.watch(*args, **kwargs)

            self.overrides[verb] = watch_override
        else:

            async def override(inner: Client, *args: Any, **kwargs: Any) -> Any:
                if should_fail(args, kwargs):
                    raise error()
                return await getattr(inner, verb)(*args, **kwargs)

            self.overrides[verb] = override

    def delay(self, verb: Verb, clock: Clock, seconds: float) -> None:
        """Make every call of ``verb`` take ``seconds`` (on ``clock``) before reaching the wrapped client."""

        async def override(inner: Client, *args: Any, **kwargs: Any) -> Any:
            await clock.sleep(seconds)
            return await getattr(inner, verb)(*args, **kwargs)

        self.overrides[verb] = override

    def clear(self) -> None:
        self.overrides.clear()

    # ------------------------------------------------------------------------------------------
    # The client surface

    async def _call(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(verb)
        fn = self.overrides.get(verb)
        if fn is not None:
            result = fn(self.inner, *args, **kwargs)
            return await result if isinstance(result, Awaitable) else result
        return await getattr(self.inner, verb)(*args, **kwargs)

    def resource_type(self, api_version: str, kind: str) -> ResourceType | None:
        return self.inner.resource_type(api_version, kind)

    async def resolve(self, api_version: str, kind: str) -> ResourceType:
        return await self.inner.resolve(api_version, kind)

    async def close(self) -> None:
        await self.inner.close()

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = await self._call("get", api_version, kind, name, namespace)
        return out

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
        out: ObjectList = await self._call(
            "list",
            api_version,
            kind,
            namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=continue_token,
            resource_version=resource_version,
        )
        return out

    async def create(self, obj: WireObject) -> dict[str, Any]:
        out: dict[str, Any] = await self._call("create", obj)
        return out

    async def update(self, obj: WireObject) -> dict[str, Any]:
        out: dict[str, Any] = await self._call("update", obj)
        return out

    async def update_status(self, obj: WireObject) -> dict[str, Any]:
        out: dict[str, Any] = await self._call("update_status", obj)
        return out

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
        out: dict[str, Any] = await self._call(
            "patch", api_version, kind, name, patch, namespace, patch_type=patch_type
        )
        return out

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
        out: dict[str, Any] = await self._call(
            "patch_status", api_version, kind, name, patch, namespace, patch_type=patch_type
        )
        return out

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
        await self._call(
            "delete",
            api_version,
            kind,
            name,
            namespace,
            uid=uid,
            resource_version=resource_version,
            propagation_policy=propagation_policy,
            grace_period_seconds=grace_period_seconds,
        )

    async def bind_pod(self, namespace: str, name: str, node_name: str) -> None:
        await self._call("bind_pod", namespace, name, node_name)

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
        kwargs: dict[str, Any] = {
            "resource_version": resource_version,
            "label_selector": label_selector,
            "field_selector": field_selector,
            "allow_bookmarks": allow_bookmarks,
            "timeout_seconds": timeout_seconds,
        }
        fn = self.overrides.get("watch")
        if fn is not None:
            out: AsyncIterator[WatchEvent] = fn(self.inner, api_version, kind, namespace, **kwargs)
            return out
        return self.inner.watch(api_version, kind, namespace, **kwargs)


async def _raising(error: ApiError) -> AsyncIterator[WatchEvent]:
    await asyncio.sleep(0)
    raise error
    yield  # pragma: no cover - makes this an async generator
