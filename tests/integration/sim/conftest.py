"""An in-process embedded API server and a helper to connect simulated components to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from openyurt.adapters.kube.asyncio_client import AsyncioClient
from openyurt.adapters.store.sqlite import SqliteStore
from openyurt.runtime.apiserver.app import ServerConfig
from openyurt.runtime.apiserver.main import Running, kubeconfig, serve


async def until(pred: Callable[[], Any] | Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
    """Poll ``pred`` (sync or async) until truthy; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while True:
        try:
            got = pred()
            if asyncio.iscoroutine(got):
                got = await got
            if got:
                return got
        except AssertionError as exc:
            last = exc
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last})")
        await asyncio.sleep(0.05)


class Cluster:
    def __init__(self, running: Running, path: Path) -> None:
        self.running = running
        self.kubeconfig = path
        self.clients: list[AsyncioClient] = []

    async def client(self, user_agent: str) -> AsyncioClient:
        c = await AsyncioClient.from_kubeconfig(self.kubeconfig, user_agent=user_agent, request_timeout=10.0)
        self.clients.append(c)
        return c


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    store = SqliteStore(tmp_path / "store.db", compact_keep=1000)
    async with serve(
        store, token="sim-token", config=ServerConfig(crds=[], bookmark_interval=0.5, default_toleration_seconds=0)
    ) as running:
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig(running.url, running.token))
        c = Cluster(running, path)
        try:
            yield c
        finally:
            for client in c.clients:
                await client.close()
