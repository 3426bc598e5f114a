"""The hub's admin port (loopback only): liveness, readiness, metrics, the join-token update and OTA.

Probes and Prometheus scrape this port; it carries no proxy traffic. ``/v1/token`` lets an operator
replace the bootstrap token the hub uses towards the cloud without restarting it (upstream rewrites
its bootstrap kubeconfig; we keep the token next to the cache, root-only, and use it at once).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from openyurt.runtime.hub.cloud import Cloud
from openyurt.runtime.hub.metrics import HubMetrics
from openyurt.runtime.hub.ota import Ota

TOKEN_FILE = "%hub-token"


def save_token(cache_dir: Path, token: str) -> None:
    """Persist the join token (0600, atomically) so a restarted hub keeps using it."""
    path = cache_dir / TOKEN_FILE
    tmp = cache_dir / (TOKEN_FILE + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_token(cache_dir: Path) -> str | None:
    path = cache_dir / TOKEN_FILE
    try:
        token = path.read_text().strip()
    except OSError:
        return None
    return token or None


def make_admin_app(
    *,
    metrics: HubMetrics,
    cloud: Cloud,
    cache_dir: Path,
    not_ready: Callable[[], list[str]],
    refresh_metrics: Callable[[], None],
    ota: Ota | None = None,
) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def readyz(_: web.Request) -> web.Response:
        missing = not_ready()
        if missing:
            return web.Response(status=500, text=f"not ready: waiting for {', '.join(missing)}")
        return web.Response(text="OK")

    async def prom(_: web.Request) -> web.Response:
        refresh_metrics()
        return web.Response(body=metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4"})

    async def token(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="request body is not JSON")
        value = body.get("jointoken") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value.strip():
            return web.Response(status=400, text='expected {"jointoken": "<token>"}')
        try:
            save_token(cache_dir, value.strip())
        except OSError as exc:
            return web.Response(status=500, text=f"saving the token failed: {exc}")
        cloud.set_token(value.strip())
        return web.Response(text="update join token successfully")

    app = web.Application()
    app.router.add_get("/v1/healthz", healthz)
    app.router.add_get("/v1/readyz", readyz)
    app.router.add_get("/metrics", prom)
    app.router.add_post("/v1/token", token)
    app.router.add_put("/v1/token", token)
    if ota is not None:
        ota.add_routes(app)  # GET /pods, POST .../upgrade and .../imagepull
    return app
