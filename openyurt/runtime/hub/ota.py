"""The hub's OTA endpoints on the admin port: list kubelet's cached pods, upgrade a pod, pre-pull images.

The decisions are :mod:`openyurt.core.hub.ota`; this module only does the I/O: the cache read, the
cloud requests (with the hub's own credentials, to one healthy API server, with the short direct
timeout upstream uses) and, for static pods, the manifest files kubelet watches. Both POST endpoints
read and change the pod in the cloud, so they refuse (503) while no cloud API server is healthy, or
when the chosen one stops answering mid-request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web

from openyurt.adapters.cache.disk import DiskCache
from openyurt.core.hub import ota
from openyurt.core.hub.offline import rfc3339
from openyurt.runtime.hub.cacheview import loads_dict
from openyurt.runtime.hub.cloud import Backend, Cloud

log = logging.getLogger(__name__)

JSON: Final = "application/json"
MERGE_PATCH: Final = "application/merge-patch+json"
_TRANSPORT_ERRORS: Final = (aiohttp.ClientError, TimeoutError, OSError)
#: Status patch attempts when another writer changed the pod in between (409).
PATCH_ATTEMPTS: Final = 3


class _Disconnected(Exception):
    """The cloud stopped answering in the middle of a request."""


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


def _done(text: str) -> web.Response:
    # upstream writes the sentence with a JSON content type (WriteJSONResponse); clients rely on 200
    return web.Response(status=200, body=text.encode(), headers={"Content-Type": JSON})


class Ota:
    """The OTA routes of one hub (node ``node_name``)."""

    def __init__(
        self,
        *,
        node_name: str,
        cloud: Cloud,
        disk: DiskCache,
        timeout: float = 2.0,
        manifest_dir: Path = Path(ota.DEFAULT_MANIFEST_DIR),
        upgrade_dir: Path = Path(ota.DEFAULT_UPGRADE_DIR),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.node_name = node_name
        self.cloud = cloud
        self.disk = disk
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.manifest_dir = manifest_dir
        self.upgrade_dir = upgrade_dir
        self.clock = clock
        # one manifest swap at a time: two overlapping swaps could back up the new manifest as the old
        self._files = asyncio.Lock()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/pods", self.pods)
        app.router.add_post("/openyurt.io/v1/namespaces/{ns}/pods/{podname}/upgrade", self.upgrade)
        app.router.add_post("/openyurt.io/v1/namespaces/{ns}/pods/{podname}/imagepull", self.image_pull)

    # ------------------------------------------------------------------ GET /pods

    async def pods(self, _: web.Request) -> web.Response:
        items: list[dict[str, Any]] = []
        cached = self.disk.keys()  # a DiskCache is not iterable
        for key in sorted(k for k in cached if ota.is_kubelet_pod_key(k)):
            raw = self.disk.get(key)
            if raw is None:  # removed since keys() was read
                continue
            pod = loads_dict(raw)
            if pod is None:
                return _text(500, f"Get pod list failed: cached object {key} is not a pod")
            items.append(pod)
        return web.Response(body=json.dumps(ota.pod_list(items)).encode(), headers={"Content-Type": JSON})

    # ------------------------------------------------------------------ the cloud

    async def _call(
        self, backend: Backend, method: str, path: str, body: Any = None, content_type: str = JSON
    ) -> tuple[int, bytes]:
        headers = {"User-Agent": self.cloud.user_agent, "Accept": JSON, **self.cloud.auth_headers()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        try:
            async with self.cloud.session.request(
                method, backend.url + path, data=data, headers=headers, timeout=self.timeout
            ) as r:
                return r.status, await r.read()
        except _TRANSPORT_ERRORS as exc:
            log.info("hub: OTA %s %s on %s failed: %s", method, path, backend.url, exc)
            raise _Disconnected from exc

    async def _get_pod(self, backend: Backend, ns: str, name: str) -> dict[str, Any] | str:
        status, raw = await self._call(backend, "GET", ota.pod_path(ns, name))
        if status == 404:
            return f"pod {ns}/{name} not found"
        pod = loads_dict(raw) if status == 200 else None
        if pod is None:
            return f"reading pod {ns}/{name} from the cloud failed: HTTP {status}"
        return pod

    # ------------------------------------------------------------------ POST .../upgrade

    async def _gated(
        self, request: web.Request, work: Callable[[Backend, str, str], Awaitable[web.Response]]
    ) -> web.Response:
        """The health gate of both POSTs: one healthy API server for the whole request, else 503."""
        backend = self.cloud.pick()
        if backend is None:
            return _text(503, ota.OFFLINE_MESSAGE)
        try:
            return await work(backend, request.match_info["ns"], request.match_info["podname"])
        except _Disconnected:
            return _text(503, ota.OFFLINE_MESSAGE)

    async def upgrade(self, request: web.Request) -> web.Response:
        return await self._gated(request, self._upgrade)

    async def _upgrade(self, backend: Backend, ns: str, name: str) -> web.Response:
        pod = await self._get_pod(backend, ns, name)
        if isinstance(pod, str):
            return _text(403, f"Failed to update pod {ns}/{name}: {pod}")
        plan = ota.decide_upgrade(pod, self.node_name)
        if plan.action == "refuse":
            return _text(plan.status, f"Failed to update pod {ns}/{name}: {plan.reason}")
        if plan.action == "delete_pod":
            status, raw = await self._call(backend, "DELETE", ota.pod_path(ns, name), ota.delete_options(pod))
            if status not in (200, 202):
                return _text(500, f"Apply update failed for pod {ns}/{name}: HTTP {status}: {_reason(raw)}")
            log.info("hub: OTA deleted DaemonSet pod %s/%s for its upgrade", ns, name)
            return _done(ota.upgrade_started(ns, name))
        return await self._upgrade_static(backend, ns, name, plan.configmap)

    async def _upgrade_static(self, backend: Backend, ns: str, name: str, configmap: str) -> web.Response:
        status, raw = await self._call(backend, "GET", ota.configmap_path(ns, configmap))
        if status == 404:
            return _text(403, f"Failed to update pod {ns}/{name}: configmap {ns}/{configmap} not found")
        cm = loads_dict(raw) if status == 200 else None
        if cm is None:
            return _text(500, f"Apply update failed for pod {ns}/{name}: reading configmap {configmap}: HTTP {status}")
        manifest = ota.static_manifest(cm)
        if isinstance(manifest, str):
            return _text(500, f"Apply update failed for pod {ns}/{name}: {configmap}: {manifest}")
        try:
            async with self._files:
                await asyncio.to_thread(self._swap_manifest, manifest)
        except OSError as exc:
            return _text(500, f"Apply update failed for pod {ns}/{name}: {exc}")
        log.info("hub: OTA replaced static pod manifest %s for %s/%s", manifest.manifest_file, ns, name)
        return _done(ota.upgrade_started(ns, name))

    def _swap_manifest(self, m: ota.StaticManifest) -> None:
        """Stage the new manifest, back up the running one, then put the new one in its place.

        Each file is written whole and renamed into place, so kubelet never reads half a manifest.
        """
        self.upgrade_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = self.upgrade_dir.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            # the default lives in /tmp: never write through a directory someone else planted
            raise OSError(f"{self.upgrade_dir} is not a directory owned by this user")
        staged = self.upgrade_dir / m.upgrade_file
        _write_atomic(staged, m.content.encode(), 0o600)
        current = self.manifest_dir / m.manifest_file
        old = current.read_bytes()  # a static pod without its manifest cannot be upgraded this way
        mode = current.stat().st_mode & 0o777
        _write_atomic(self.upgrade_dir / m.backup_file, old, 0o600)
        _write_atomic(current, staged.read_bytes(), mode)

    # ------------------------------------------------------------------ POST .../imagepull

    async def image_pull(self, request: web.Request) -> web.Response:
        return await self._gated(request, self._image_pull)

    async def _image_pull(self, backend: Backend, ns: str, name: str) -> web.Response:
        for _ in range(PATCH_ATTEMPTS):
            pod = await self._get_pod(backend, ns, name)
            if isinstance(pod, str):
                return _text(403, f"Failed to pull images for pod {ns}/{name}: {pod}")
            plan = ota.decide_image_pull(pod, self.node_name, rfc3339(int(self.clock())))
            if plan.action == "refuse":
                return _text(plan.status, f"Failed to pull images for pod {ns}/{name}: {plan.reason}")
            path = ota.pod_status_patch_path(ns, name)
            status, raw = await self._call(backend, "PATCH", path, plan.patch, MERGE_PATCH)
            if status == 200:
                return _done(ota.image_pull_requested(ns, name))
            if status != 409:
                return _text(500, f"Failed to pull images for pod {ns}/{name}: HTTP {status}: {_reason(raw)}")
        return _text(409, f"Failed to pull images for pod {ns}/{name}: the pod keeps changing, try again")


def _reason(raw: bytes) -> str:
    status = loads_dict(raw)
    msg = status.get("message") if status is not None else None
    return msg if isinstance(msg, str) else raw[:200].decode(errors="replace")


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """``data`` at ``path`` via a hidden temp file (kubelet skips dot-files) + fsync + rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # a leftover of a crash (or a planted link: O_EXCL never follows one)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
