"""What the kubernetes-asyncio client puts on the wire, seen by a recording HTTP server.

Cases: ``from_kubeconfig(user_agent=...)`` sends that User-Agent (and the library's own without it);
``bind_pod`` POSTs a Binding to ``pods/{name}/binding``; ``delete(grace_period_seconds=...)`` sends it
in the DeleteOptions next to the preconditions, and leaves it out when not given.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from openyurt.adapters.kube.asyncio_client import AsyncioClient


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.requests.append((request.method, request.path, request.headers.get("User-Agent", ""), body))
        return web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200})


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[Recorder, Path]]:
    rec = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    try:
        yield rec, kubeconfig
    finally:
        await runner.cleanup()


async def test_user_agent_bind_and_grace_period(server: tuple[Recorder, Path]) -> None:
    rec, kubeconfig = server
    client = await AsyncioClient.from_kubeconfig(kubeconfig, user_agent="kubelet/v1.31.0 test", request_timeout=5)
    try:
        await client.bind_pod("ns", "p", "node-1")
        await client.delete("v1", "Pod", "p", "ns", uid="u1", grace_period_seconds=0)
        await client.delete("v1", "Pod", "q", "ns")
    finally:
        await client.close()
    assert rec.requests == [
        (
            "POST",
            "/api/v1/namespaces/ns/pods/p/binding",
            "kubelet/v1.31.0 test",
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": "p", "namespace": "ns"},
                "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"},
            },
        ),
        (
            "DELETE",
            "/api/v1/namespaces/ns/pods/p",
            "kubelet/v1.31.0 test",
            {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "u1"}, "gracePeriodSeconds": 0},
        ),
        (
            "DELETE",
            "/api/v1/namespaces/ns/pods/q",
            "kubelet/v1.31.0 test",
            {"apiVersion": "v1", "kind": "DeleteOptions"},
        ),
    ]


async def test_default_user_agent_is_the_library_one(server: tuple[Recorder, Path]) -> None:
    rec, kubeconfig = server
    client = await AsyncioClient.from_kubeconfig(kubeconfig, request_timeout=5)
    try:
        await client.delete("v1", "Pod", "p", "ns")
    finally:
        await client.close()
    assert rec.requests[0][2].startswith("OpenAPI-Generator/")
