"""How long ``openyurt up`` takes to bring a 2 pools x 3 nodes edge cluster to all-Ready, against the
time one embedded API server takes to start (same process, same TLS, same machine, same run).

Prints one JSON line: {"bench", "value", "unit", "baseline", "ratio"} with ratio = value / baseline.
The cluster uses production timings (10 s heartbeats): nodes turn Ready on their first status report,
so the figure is start-up cost, not a timer.

Run: python bench/up.py [--pools 2] [--nodes-per-pool 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from openyurt.adapters.store.sqlite import SqliteStore
from openyurt.runtime.apiserver.main import serve
from openyurt.runtime.apiserver.selfsigned import ensure_certificate
from openyurt.runtime.up.cluster import EdgeCluster, UpConfig


async def apiserver_start(tmp: Path) -> float:
    """Seconds from nothing to an embedded API server answering /readyz over TLS."""
    cert, key = ensure_certificate(tmp / "tls", ["127.0.0.1"])
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    began = time.perf_counter()
    async with serve(SqliteStore(tmp / "store.db"), token="t", ssl_context=ctx) as running:
        headers = {"Authorization": "Bearer t"}
        async with aiohttp.ClientSession() as s, s.get(running.url + "/readyz", ssl=False, headers=headers) as r:
            await r.read()
        return time.perf_counter() - began


async def up_all_ready(tmp: Path, pools: int, nodes: int) -> float:
    """Seconds from nothing to every node of an ``openyurt up`` cluster Ready."""
    cluster = EdgeCluster(UpConfig(data_dir=tmp, pools=UpConfig.pool_names(pools), nodes_per_pool=nodes))
    began = time.perf_counter()
    try:
        await cluster.start()
        deadline = began + 120
        while not cluster.all_ready():
            if time.perf_counter() > deadline:
                raise TimeoutError("nodes not Ready after 120 s")
            await asyncio.sleep(0.02)
        return time.perf_counter() - began
    finally:
        await cluster.stop()


async def main(pools: int, nodes: int, repeat: int) -> None:
    base, up = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            base.append(await apiserver_start(Path(a)))
            up.append(await up_all_ready(Path(b), pools, nodes))
    value, baseline = statistics.median(up), statistics.median(base)
    out = {
        "bench": f"up_{pools}x{nodes}_all_ready",
        "value": round(value, 3),
        "unit": "s",
        "baseline": round(baseline, 3),
        "ratio": round(value / baseline, 3),
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", type=int, default=2)
    ap.add_argument("--nodes-per-pool", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    asyncio.run(main(args.pools, args.nodes_per_pool, args.repeat))
