"""The Kubernetes client on kubernetes-asyncio: any apiVersion/kind, wire dicts in and out.

We use kubernetes-asyncio for what it does well (kubeconfig loading, TLS, token refresh, the aiohttp
session) and bypass its generated per-kind APIs: a controller that manages NodePools and Deployments
alike needs one dynamic path per (apiVersion, kind), found in our kind registry or, for kinds we do
not model, through discovery. Responses are read raw so that every non-2xx answer becomes an
``openyurt.errors`` class built from the server's Status, watches turn in-stream ERROR events into
the same classes (410 -> GoneError whichever way the server says it), and no kubernetes-asyncio or
aiohttp exception leaves this module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config import new_client_from_config
from kubernetes_asyncio.config.config_exception import ConfigException

from openyurt.adapters.kube.protocols import (
    ObjectList,
    PatchType,
    PropagationPolicy,
    ResourceType,
    WatchEvent,
    WireObject,
    to_wire,
)
from openyurt.errors import ApiError, NotFoundError, UnavailableError, from_status

_PATCH_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}
_WATCH_EVENT_TYPES = ("ADDED", "MODIFIED", "DELETED", "BOOKMARK")


def _unavailable(exc: BaseException, what: str) -> UnavailableError:
    return UnavailableError(0, "ServiceUnavailable", f"{what}: {type(exc).__name__}: {exc}")


def _error_from_body(code: int, body: bytes, http_reason: str = "") -> ApiError:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("kind") == "Status":
        return from_status(data, code)
    text = body.decode(errors="replace").strip()[:500]
    return from_status({"code": code, "reason": http_reason, "message": text or http_reason or f"HTTP {code}"})


class AsyncioClient:
    """A :class:`~openyurt.adapters.kube.protocols.Client` over a kubernetes-asyncio ``ApiClient``."""

    def __init__(self, api: ApiClient, *, request_timeout: float = 30.0, connect_timeout: float = 5.0) -> None:
        self._api = api
        self._types: dict[tuple[str, str], ResourceType] = {}
        self._discovery: dict[str, list[dict[str, Any]]] = {}
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout

    @classmethod
    async def from_kubeconfig(
        cls,
        path: str | Path,
        *,
        context: str | None = None,
        request_timeout: float = 30.0,
        user_agent: str | None = None,
    ) -> AsyncioClient:
        """A client for a kubeconfig file; ``user_agent`` replaces kubernetes-asyncio's own (servers and
        proxies such as yurthub tell components apart by it: ``kubelet/...``, ``kube-proxy/...``)."""
        try:
            api = await new_client_from_config(config_file=str(path), context=context, persist_config=False)
        except (ConfigException, OSError, ValueError) as exc:
            raise ApiError(0, "BadConfig", f"cannot load kubeconfig {path}: {exc}") from exc
        if user_agent is not None:
            api.user_agent = user_agent
        return cls(api, request_timeout=request_timeout)

    async def close(self) -> None:
        await self._api.close()

    # ------------------------------------------------------------------------------------------
    # Transport

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> aiohttp.ClientResponse:
        """Send a request; the caller reads and releases the response. Transport failures -> code 0."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            resp: aiohttp.ClientResponse = await self._api.call_api(
                path,
                method,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout
                or aiohttp.ClientTimeout(total=self.request_timeout, sock_connect=self.connect_timeout),
            )
        except ApiException as exc:
            body = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
            raise _error_from_body(exc.status or 0, body, exc.reason or "") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _unavailable(exc, f"{method} {path}") from exc
        return resp

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        resp = await self._send(method, path, query=query, body=body, content_type=content_type)
        try:
            try:
                raw = await resp.read()
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise _unavailable(exc, f"{method} {path}") from exc
            if not 200 <= resp.status < 300:
                raise _error_from_body(resp.status, raw, resp.reason or "")
            try:
                return json.loads(raw) if raw else None
            except ValueError as exc:
                raise ApiError(resp.status, "InternalError", f"{method} {path}: response is not JSON") from exc
        finally:
            resp.release()

    # ------------------------------------------------------------------------------------------
    # Types and paths

    def resource_type(self, api_version: str, kind: str) -> ResourceType | None:
        rt = self._types.get((api_version, kind)) or ResourceType.registered(api_version, kind)
        if rt is not None:
            self._types[(api_version, kind)] = rt
        return rt

    async def resolve(self, api_version: str, kind: str) -> ResourceType:
        rt = self.resource_type(api_version, kind)
        if rt is not None:
            return rt
        resources = self._discovery.get(api_version)
        if resources is None:
            doc = await self._call("GET", self._group_path(api_version))
            resources = list(doc.get("resources") or []) if isinstance(doc, dict) else []
            self._discovery[api_version] = resources
        names = {str(r.get("name")) for r in resources}
        for res in resources:
            name = str(res.get("name") or "")
            if res.get("kind") == kind and "/" not in name:
                rt = ResourceType(api_version, kind, name, bool(res.get("namespaced")), f"{name}/status" in names)
                self._types[(api_version, kind)] = rt
                return rt
        self._discovery.pop(api_version, None)  # it may appear later (a CRD being installed)
        raise NotFoundError(404, "NotFound", f'the server does not serve kind "{kind}" in "{api_version}"')

    @staticmethod
    def _group_path(api_version: str) -> str:
        return f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"

    def _path(self, rt: ResourceType, namespace: str | None, name: str | None = None, sub: str = "") -> str:
        path = self._group_path(rt.api_version)
        if rt.namespaced and namespace:
            path += f"/namespaces/{quote(namespace, safe='')}"
        path += f"/{rt.plural}"
        if name is not None:
            if not name:
                raise ApiError(400, "BadRequest", "resource name may not be empty")
            path += f"/{quote(name, safe='')}"
        if sub:
            path += f"/{sub}"
        return path

    @staticmethod
    def _meta(obj: Mapping[str, Any]) -> tuple[str, str | None]:
        meta = obj.get("metadata") or {}
        return str(meta.get("name") or ""), meta.get("namespace")

    # ------------------------------------------------------------------------------------------
    # Reads

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        rt = await self.resolve(api_version, kind)
        return self._stamp(rt, await self._call("GET", self._path(rt, namespace, name)))

    @staticmethod
    def _stamp(rt: ResourceType, obj: Any) -> dict[str, Any]:
        # built-in list items come without apiVersion/kind; callers always get them
        if not isinstance(obj, dict):
            raise ApiError(500, "InternalError", f"expected an object, got {type(obj).__name__}")
        obj.setdefault("apiVersion", rt.api_version)
        obj.setdefault("kind", rt.kind)
        return obj

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
        rt = await self.resolve(api_version, kind)
        query: list[tuple[str, str]] = []
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        if limit:
            query.append(("limit", str(limit)))
        if continue_token:
            query.append(("continue", continue_token))
        if resource_version is not None:
            query.append(("resourceVersion", resource_version))
        doc = await self._call("GET", self._path(rt, namespace), query=query)
        meta = doc.get("metadata") or {} if isinstance(doc, dict) else {}
        items = tuple(self._stamp(rt, item) for item in (doc.get("items") or []))
        remaining = meta.get("remainingItemCount")
        return ObjectList(
            items,
            str(meta.get("resourceVersion") or ""),
            meta.get("continue") or None,
            int(remaining) if isinstance(remaining, int) else None,
        )

    # ------------------------------------------------------------------------------------------
    # Writes

    async def create(self, obj: WireObject) -> dict[str, Any]:
        data = to_wire(obj)
        rt = await self.resolve(str(data.get("apiVersion") or ""), str(data.get("kind") or ""))
        _, namespace = self._meta(data)
        return self._stamp(rt, await self._call("POST", self._path(rt, namespace), body=data))

    async def update(self, obj: WireObject) -> dict[str, Any]:
        return await self._put(to_wire(obj), "")

    async def update_status(self, obj: WireObject) -> dict[str, Any]:
        return await self._put(to_wire(obj), "status")

    async def _put(self, data: dict[str, Any], sub: str) -> dict[str, Any]:
        rt = await self.resolve(str(data.get("apiVersion") or ""), str(data.get("kind") or ""))
        name, namespace = self._meta(data)
        return self._stamp(rt, await self._call("PUT", self._path(rt, namespace, name, sub), body=data))

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
        return await self._patch(api_version, kind, name, patch, namespace, patch_type, "")

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
        return await self._patch(api_version, kind, name, patch, namespace, patch_type, "status")

    async def _patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None,
        patch_type: PatchType,
        sub: str,
    ) -> dict[str, Any]:
        rt = await self.resolve(api_version, kind)
        body = to_wire(patch) if isinstance(patch, Mapping) else list(patch)
        return self._stamp(
            rt,
            await self._call(
                "PATCH", self._path(rt, namespace, name, sub), body=body, content_type=_PATCH_TYPES[patch_type]
            ),
        )

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
        rt = await self.resolve(api_version, kind)
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v is not None}
        if preconditions:
            options["preconditions"] = preconditions
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        await self._call("DELETE", self._path(rt, namespace, name), body=options)

    async def bind_pod(self, namespace: str, name: str, node_name: str) -> None:
        rt = await self.resolve("v1", "Pod")
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        await self._call("POST", self._path(rt, namespace, name, "binding"), body=body)

    # ------------------------------------------------------------------------------------------
    # Watch

    async def watch(
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
        # an async generator: calling it returns the iterator at once, and nothing is sent before the
        # first ``anext`` (as the protocol's plain ``def`` promises)
        rt = await self.resolve(api_version, kind)
        query: list[tuple[str, str]] = [("watch", "true")]
        if resource_version is not None:
            query.append(("resourceVersion", resource_version))
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        if allow_bookmarks:
            query.append(("allowWatchBookmarks", "true"))
        if timeout_seconds:
            query.append(("timeoutSeconds", str(timeout_seconds)))
        # no total deadline: the server ends the stream after timeoutSeconds; a silent connection (a
        # frozen server) is caught by the read timeout
        read_timeout = (timeout_seconds or 300) + 30.0
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout, sock_read=read_timeout)
        path = self._path(rt, namespace)
        resp = await self._send("GET", path, query=query, timeout=timeout)
        try:
            if resp.status != 200:
                try:
                    raw = await resp.read()
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    raise _unavailable(exc, f"watch {path}") from exc
                raise _error_from_body(resp.status, raw, resp.reason or "")
            buffer = b""
            while True:
                try:
                    chunk = await resp.content.readany()
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    raise _unavailable(exc, f"watch {path}") from exc
                if not chunk:
                    if buffer.strip():
                        event = self._event(rt, buffer)
                        if event is not None:
                            yield event
                    return
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        event = self._event(rt, line)
                        if event is not None:
                            yield event
        finally:
            resp.release()

    def _event(self, rt: ResourceType, line: bytes) -> WatchEvent | None:
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise UnavailableError(0, "ServiceUnavailable", f"undecodable watch event: {line[:200]!r}") from exc
        if not isinstance(data, dict):
            raise UnavailableError(0, "ServiceUnavailable", "watch event is not an object")
        if data.get("kind") == "Status" and "type" not in data:
            raise from_status(data)
        etype, obj = data.get("type"), data.get("object")
        if etype == "ERROR":
            raise from_status(obj if isinstance(obj, dict) else {"code": 500, "message": str(obj)})
        if etype not in _WATCH_EVENT_TYPES or not isinstance(obj, dict):
            return None
        return WatchEvent(etype, self._stamp(rt, obj))
