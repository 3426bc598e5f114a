"""Informers against the embedded API server (a real subprocess), surviving what real clusters do.

Cases: the server restarts mid-watch while objects keep changing -> the cache ends equal to the
server's state and the handler event log, folded, gives that same final state; the informer's version
is compacted away while it is disconnected -> 410 -> re-list, emitting the deletions it missed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from openyurt.adapters.clock import RealClock
from openyurt.adapters.kube.asyncio_client import AsyncioClient
from openyurt.adapters.kube.informer import Backoff, Informer, InformerKey
from openyurt.adapters.kube.interceptor import Interceptor, unavailable

from .conftest import ApiServerProcess


def cm(name: str, ns: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"v": value}}


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Folded:
    """Folds handler events into a state: what a controller that saw only events would believe."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}

    def on_add(self, obj: dict[str, Any]) -> None:
        self.state[obj["metadata"]["name"]] = obj["data"]["v"]

    def on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.state[new["metadata"]["name"]] = new["data"]["v"]

    def on_delete(self, obj: dict[str, Any]) -> None:
        self.state.pop(obj["metadata"]["name"], None)


async def server_state(client: AsyncioClient, ns: str) -> dict[str, str]:
    items = (await client.list("v1", "ConfigMap", ns)).items
    return {o["metadata"]["name"]: o["data"]["v"] for o in items if "v" in (o.get("data") or {})}


def cache_state(inf: Informer) -> dict[str, str]:
    return {o["metadata"]["name"]: o["data"]["v"] for o in inf.list()}


async def test_restart_mid_watch_loses_nothing(fresh_apiserver: ApiServerProcess) -> None:
    ns = "default"
    writer = await AsyncioClient.from_kubeconfig(fresh_apiserver.kubeconfig, request_timeout=5)
    reader = await AsyncioClient.from_kubeconfig(fresh_apiserver.kubeconfig, request_timeout=5)
    inf = Informer(
        reader,
        InformerKey("v1", "ConfigMap", ns),
        clock=RealClock(),
        rng=random.Random(1),
        backoff=Backoff(initial=0.1, cap=0.5),
        page_size=3,
    )
    folded = Folded()
    inf.add_handler(folded)
    try:
        for i in range(6):
            await writer.create(cm(f"c{i}", ns, "0"))
        inf.start()
        await asyncio.wait_for(inf.wait_synced(), 20)
        for i in range(3):
            await writer.patch("v1", "ConfigMap", f"c{i}", {"data": {"v": "1"}}, ns)
        await writer.delete("v1", "ConfigMap", "c5", ns)

        await asyncio.to_thread(fresh_apiserver.restart)
        # the informer is reconnecting (backing off) while these land
        await writer.patch("v1", "ConfigMap", "c0", {"data": {"v": "2"}}, ns)
        await writer.delete("v1", "ConfigMap", "c4", ns)
        await writer.create(cm("c6", ns, "0"))

        want = await server_state(writer, ns)
        await until(lambda: cache_state(inf) == want, 20, "the cache to converge")
        assert folded.state == want
        assert inf.failures >= 1  # it did notice the restart
        # and it keeps following live changes
        await writer.patch("v1", "ConfigMap", "c1", {"data": {"v": "9"}}, ns)
        await until(lambda: cache_state(inf).get("c1") == "9", 20, "a live update")
    finally:
        await inf.stop()
        await writer.close()
        await reader.close()


async def test_compacted_version_relists(fresh_apiserver: ApiServerProcess) -> None:
    ns = "default"
    writer = await AsyncioClient.from_kubeconfig(fresh_apiserver.kubeconfig, request_timeout=5)
    reader = await AsyncioClient.from_kubeconfig(fresh_apiserver.kubeconfig, request_timeout=5)
    source = Interceptor(reader)
    inf = Informer(
        source,
        InformerKey("v1", "ConfigMap", ns),
        clock=RealClock(),
        rng=random.Random(1),
        backoff=Backoff(initial=0.1, cap=0.3),
    )
    folded = Folded()
    inf.add_handler(folded)
    try:
        for name in ("keep", "change", "vanish"):
            await writer.create(cm(name, ns, "0"))
        inf.start()
        await asyncio.wait_for(inf.wait_synced(), 20)
        old_rv = inf.resource_version
        # cut the informer off, change things, and let the server compact its history
        source.fail("watch", unavailable, times=None)
        await asyncio.to_thread(fresh_apiserver.stop)
        await until(lambda: inf.failures >= 1, 20, "the informer to notice")
        await asyncio.to_thread(fresh_apiserver.start)
        await writer.patch("v1", "ConfigMap", "change", {"data": {"v": "1"}}, ns)
        await writer.delete("v1", "ConfigMap", "vanish", ns)
        for i in range(5):
            await writer.create(cm(f"new{i}", ns, "0"))
        await asyncio.to_thread(fresh_apiserver.restart, compact_keep=1)
        source.clear()
        want = await server_state(writer, ns)
        await until(lambda: cache_state(inf) == want, 20, "the re-list")
        assert inf.relists == 2
        assert inf.resource_version != old_rv
        assert folded.state == want
    finally:
        await inf.stop()
        await writer.close()
        await reader.close()
