"""The control endpoint of a running ``openyurt up``: loopback HTTP guarded by a random bearer token.

``openyurt cut/heal/status/down`` run in other processes, so the running cluster listens on
``127.0.0.1:<random port>`` and records the URL, the token and its pid in ``DATA/up.json`` (mode 0600).
The server side is aiohttp in the cluster's loop; the client side is blocking urllib, which is all a
one-shot CLI command needs.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from openyurt.runtime.up.cluster import EdgeCluster

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlServer:
    """Serves ``GET /status``, ``POST /cut``, ``POST /heal`` and ``POST /stop`` for one cluster."""

    def __init__(self, cluster: EdgeCluster, token: str, stop: asyncio.Event) -> None:
        self.cluster = cluster
        self.token = token
        self.stop_event = stop
        self.url = ""
        self._runner: web.AppRunner | None = None

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        got = request.headers.get("Authorization", "")
        if not hmac.compare_digest(got.encode(), f"Bearer {self.token}".encode()):
            return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    async def start(self) -> None:
        app = web.Application(middlewares=[self._auth])
        app.add_routes(
            [
                web.get("/status", self._status),
                web.post("/cut", self._cut),
                web.post("/heal", self._heal),
                web.post("/stop", self._stop),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{int(self._runner.addresses[0][1])}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(self.cluster.snapshot())

    async def _links(self, request: web.Request, cut: bool) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            return web.json_response({"error": "body must be an object"}, status=400)
        try:
            names = self.cluster.select(
                [str(n) for n in body.get("nodes") or []], body.get("pool"), bool(body.get("all"))
            )
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0])}, status=404)
        if not names:
            return web.json_response({"error": "name a node, --pool or --all"}, status=400)
        await self.cluster.set_cut(names, cut)
        return web.json_response({"nodes": names, "cut": cut})

    async def _cut(self, request: web.Request) -> web.Response:
        return await self._links(request, True)

    async def _heal(self, request: web.Request) -> web.Response:
        return await self._links(request, False)

    async def _stop(self, request: web.Request) -> web.Response:
        self.stop_event.set()
        return web.json_response({"stopping": True})


class ControlError(RuntimeError):
    """The control endpoint answered with an error (or not at all)."""


def call(
    url: str, token: str, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 10.0
) -> Any:
    """One request to a running cluster's control endpoint; returns the decoded JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            msg = json.loads(exc.read()).get("error") or str(exc)
        except ValueError:
            msg = str(exc)
        raise ControlError(msg) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ControlError(f"cannot reach the cluster at {url}: {exc}") from exc
