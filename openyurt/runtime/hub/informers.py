"""The hub's own list+watch loops: its configuration and what the filters need to know.

They go through the hub's *own* proxy port with the hub's user agent, as upstream does: the answers
are cached under the ``yurthub`` component, so after a restart without the cloud the hub still knows
its ConfigMap, the Services and its pool. Deliberately small (plain aiohttp, wire dicts): the generic
informer of ``openyurt.adapters.kube`` pulls in the typed models, which an edge proxy cannot afford.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

Obj = dict[str, Any]


def obj_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class Reflector:
    """List, then watch from the list's resourceVersion; re-list on 410 or any failure.

    ``store`` is kept current; ``on_change`` runs after every change. ``synced`` is set after the first
    list, or after a 404 while ``offline()`` says the cloud is away (nothing cached: do not block).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: Callable[[], str],
        path: str,
        *,
        user_agent: str,
        params: dict[str, str] | None = None,
        on_change: Callable[[], None] | None = None,
        offline: Callable[[], bool] = lambda: False,
        watch_timeout: int = 300,
        retry: float = 1.0,
        keep: Callable[[Obj], Obj] | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.path = path
        self.user_agent = user_agent
        self.params = dict(params or {})
        self.on_change = on_change
        self.offline = offline
        self.watch_timeout = watch_timeout
        self.retry = retry
        #: what of each object the store holds (the whole object when None): an edge node's memory
        #: is small and a cluster's Services are many
        self.keep = keep
        self.store: dict[tuple[str, str], Obj] = {}
        self.synced = asyncio.Event()
        self.absent = False  # the resource does not exist in the cloud (CRD not installed)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"hub-reflector {self.path}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("hub: reacting to a change of %s failed", self.path)

    async def _run(self) -> None:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        while True:
            try:
                rv = await self._list(headers)
                if rv is not None:
                    await self._watch(headers, rv)
                else:
                    await asyncio.sleep(self.retry)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                log.debug("hub: reflector %s: %s", self.path, exc)
                await asyncio.sleep(self.retry)

    async def _list(self, headers: dict[str, str]) -> str | None:
        url = self.base_url() + self.path
        async with self.session.get(url, params=self.params, headers=headers) as resp:
            body = await resp.read()
            if resp.status == 404:
                self.absent = True
                if self.offline() or self._cloud_says_absent(body):
                    self.synced.set()
                return None
            if resp.status != 200:
                return None
            data = json.loads(body)
        self.absent = False
        items = data.get("items") or []
        keep = self.keep
        self.store = {obj_key(o): keep(o) if keep else o for o in items if isinstance(o, dict)}
        self.synced.set()
        self._changed()
        return str((data.get("metadata") or {}).get("resourceVersion") or "")

    @staticmethod
    def _cloud_says_absent(body: bytes) -> bool:
        # an unknown resource type (no CRD): nothing to wait for
        with contextlib.suppress(ValueError):
            status = json.loads(body)
            return isinstance(status, dict) and not (status.get("details") or {}).get("name")
        return False

    async def _watch(self, headers: dict[str, str], rv: str) -> None:
        params = {**self.params, "watch": "true", "allowWatchBookmarks": "true"}
        params["timeoutSeconds"] = str(self.watch_timeout)
        if rv:
            params["resourceVersion"] = rv
        url = self.base_url() + self.path
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=None)
        async with self.session.get(url, params=params, headers=headers, timeout=timeout) as resp:
            if resp.status != 200:
                return
            pending = b""
            async for chunk in resp.content.iter_any():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip() and not self._event(json.loads(line)):
                        return

    def _event(self, event: Any) -> bool:
        """Apply one event; False when the watch must end (ERROR: re-list)."""
        if not isinstance(event, dict):
            return True
        etype = event.get("type")
        obj = event.get("object")
        if etype == "ERROR" or not isinstance(obj, dict):
            return False
        if etype in ("ADDED", "MODIFIED"):
            self.store[obj_key(obj)] = self.keep(obj) if self.keep else obj
            self._changed()
        elif etype == "DELETED":
            self.store.pop(obj_key(obj), None)
            self._changed()
        return True
