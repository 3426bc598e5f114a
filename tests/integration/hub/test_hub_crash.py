"""kill -9 the hub in the middle of a burst of watch events, 20 times: the cache must load every time
and every cached object must be a version the server really returned (never torn, never invented)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from openyurt.adapters.cache.disk import DiskCache
from tests.integration.hub.conftest import ApiServer, Hub, http_json

pytestmark = pytest.mark.timeout(120)

NAMES = [f"w{i}" for i in range(4)]
UA = "crashtest/v1"


def body(name: str, n: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"n": str(n), "pad": "x" * (100 + n % 900)},
    }


async def test_kill9_during_watch_burst(apiserver: ApiServer, hubs: list[Hub], tmp_path: Path) -> None:
    rng = random.Random(7)
    seen: dict[str, dict[str, str]] = {n: {} for n in NAMES}  # name → rv → canonical JSON
    base = apiserver.url + "/api/v1/namespaces/default/configmaps"

    def record(obj: dict[str, Any]) -> None:
        seen[obj["metadata"]["name"]][obj["metadata"]["resourceVersion"]] = json.dumps(obj, sort_keys=True)

    async with aiohttp.ClientSession() as s:
        for name in NAMES:
            status, obj = await http_json(s, "POST", base, ua="writer", headers=apiserver.headers, body=body(name, 0))
            assert status == 201, obj
            record(obj)
        stop = asyncio.Event()

        async def writer() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                name = NAMES[n % len(NAMES)]
                status, obj = await http_json(
                    s, "PUT", f"{base}/{name}", ua="writer", headers=apiserver.headers, body=body(name, n)
                )
                if status == 200:
                    record(obj)

        wtask = asyncio.create_task(writer())
        hub = Hub(tmp_path / "hub", apiserver, "--cache-agents", "crashtest")
        hubs.append(hub)
        advanced = 0  # rounds where the cache holds versions newer than the list: watch events were cached
        try:
            for round_ in range(20):
                hub.start()
                status, lst = await http_json(s, "GET", hub.proxy + "/api/v1/namespaces/default/configmaps", ua=UA)
                assert status == 200, lst
                rv = lst["metadata"]["resourceVersion"]
                want = rng.randint(1, 40)
                got = 0
                url = f"{hub.proxy}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with s.get(url, headers={"User-Agent": UA}) as w:
                        async for _line in w.content:
                            got += 1
                            if got >= want:
                                hub.kill9()  # mid-stream: the hub is caching events as fast as they come
                assert got >= want, f"round {round_}: watch ended after {got} events"
                hub.kill9()

                disk = DiskCache(hub.cache_dir)
                disk.load()
                objs = disk.list("crashtest/configmaps.v1.core/default")
                assert objs is not None, f"round {round_}: the cached list is gone"
                assert len(objs) == len(NAMES), f"round {round_}: {len(objs)} objects cached"
                for raw in objs:
                    obj = json.loads(raw)
                    name, orv = obj["metadata"]["name"], obj["metadata"]["resourceVersion"]
                    assert seen[name].get(orv) == json.dumps(obj, sort_keys=True), (
                        f"round {round_}: {name}@{orv} is not a version the server returned"
                    )
                advanced += any(int(json.loads(r)["metadata"]["resourceVersion"]) > int(rv) for r in objs)
                leftovers = [p for p in hub.cache_dir.rglob("%tmp-*")]
                assert not leftovers, "load removes interrupted temp files"
            assert advanced >= 10, f"only {advanced} rounds cached watch events before the kill"
        finally:
            stop.set()
            await wtask
