"""Benchmarks of the embedded API server, each against a baseline measured in the same run.

Prints one JSON line per figure: {"bench", "value", "unit", "baseline", "ratio"}.

* create_throughput: pod creates/s over HTTP (16 concurrent clients, server in its own process, every
  answer durable) vs raw SQLite: the same payloads committed one transaction each (WAL, synchronous=FULL).
  ratio = value / baseline (target >= 0.25).
* list_5000_pods: full JSON lists/s of 5,000 pods over HTTP vs the minimum any server must do for it
  in-process: read the 5,000 current rows from the same SQLite file, json.loads each and json.dumps the
  list. ratio = value / baseline.
* watch_fanout_per_event: microseconds per event until 100 HTTP watchers have all 1,000 events, vs the
  same with 1 watcher. ratio = value / baseline (target <= 2); watch_fanout_lost must be 0.

Run: python bench/apiserver.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def emit(bench: str, value: float, unit: str, baseline: float, ratio: float) -> None:
    print(
        json.dumps(
            {
                "bench": bench,
                "value": round(value, 3),
                "unit": unit,
                "baseline": round(baseline, 3),
                "ratio": round(ratio, 3),
            }
        ),
        flush=True,
    )


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.token = ""

    def __enter__(self) -> Server:
        cmd = [
            sys.executable,
            "-c",
            "import sys; from openyurt.runtime.cli import main; sys.argv[0]='openyurt'; main()",
            "apiserver",
            "--data-dir",
            str(self.data_dir),
            "--port",
            "0",
            "--compact-keep",
            "100000",
        ]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL)
        info = self.data_dir / "apiserver.json"
        deadline = time.monotonic() + 60
        while not info.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("apiserver did not start")
            time.sleep(0.05)
        d = json.loads(info.read_text())
        self.url, self.token = d["url"], d["token"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def pod(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i:05d}", "namespace": "default", "labels": {"app": "bench", "i": str(i % 10)}},
        "spec": {
            "nodeName": f"edge-{i % 50}",
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example/app:1.2.3",
                    "ports": [{"containerPort": 8080}],
                    "env": [{"name": "MODE", "value": "edge"}],
                    "resources": {"requests": {"cpu": "100m"}},
                }
            ],
        },
    }


async def create_all(url: str, token: str, bodies: list[bytes], path: str, writers: int = 16) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    work = list(reversed(bodies))
    conn = aiohttp.TCPConnector(limit=writers)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:

        async def writer() -> None:
            while work:
                body = work.pop()
                async with s.post(url + path, data=body) as r:
                    if r.status != 201:
                        raise RuntimeError(f"create failed: {r.status} {await r.text()}")
                    await r.read()

        t0 = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        return time.perf_counter() - t0


def raw_commit_rate(payloads: list[bytes], path: Path) -> float:
    try:
        from bench.store import raw_sqlite_commit_rate

        return asyncio.run(raw_sqlite_commit_rate(payloads, path))
    except ImportError:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, value BLOB)")
        t0 = time.perf_counter()
        for i, p in enumerate(payloads):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (name, value) VALUES (?, ?)", (f"/k/{i}", p))
            conn.execute("COMMIT")
        rate = len(payloads) / (time.perf_counter() - t0)
        conn.close()
        return rate


def baseline_list_seconds(db: Path, prefix: str, rounds: int) -> float:
    """Read the current rows under ``prefix`` from the server's own SQLite file, decode, encode the list."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sql = (
        "SELECT k.id, k.value FROM kine k JOIN (SELECT name, MAX(id) AS id FROM kine WHERE name >= ? AND "
        "name < ? GROUP BY name) m ON k.id = m.id WHERE k.deleted = 0 ORDER BY k.name"
    )
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        items = []
        for rev, value in conn.execute(sql, (prefix, prefix + "\xff")):
            obj = json.loads(value)
            obj["metadata"]["resourceVersion"] = str(rev)
            items.append(obj)
        body = json.dumps(
            {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items},
            separators=(",", ":"),
        ).encode()
        best = min(best, time.perf_counter() - t0)
        assert len(items) > 0 and body
    conn.close()
    return best


async def server_list_seconds(url: str, token: str, path: str, rounds: int, expect: int) -> float:
    best = float("inf")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as s:
        for _ in range(rounds):
            t0 = time.perf_counter()
            async with s.get(url + path) as r:
                body = await r.read()
            best = min(best, time.perf_counter() - t0)
            n = len(json.loads(body)["items"])
            if n != expect:
                raise RuntimeError(f"list returned {n} items, wanted {expect}")
    return best


async def fanout(url: str, token: str, watchers: int, events: int, ns: str) -> tuple[float, int]:
    """Seconds from the first write until every watcher saw all events; and how many were lost."""
    headers = {"Authorization": f"Bearer {token}"}
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:
        async with s.post(url + "/api/v1/namespaces", json={"metadata": {"name": ns}}) as r:
            assert r.status == 201, await r.text()
        async with s.get(url + f"/api/v1/namespaces/{ns}/configmaps") as r:
            rv = (await r.json())["metadata"]["resourceVersion"]
        counts = [0] * watchers
        ready = asyncio.Event()
        started = 0
        done = asyncio.Event()
        finished = 0

        async def watch(k: int) -> None:
            nonlocal started, finished
            async with s.get(
                url + f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=120"
            ) as r:
                started += 1
                if started == watchers:
                    ready.set()
                buf = b""
                async for chunk in r.content.iter_any():
                    buf += chunk
                    counts[k] += chunk.count(b"\n")
                    if counts[k] >= events:
                        finished += 1
                        if finished == watchers:
                            done.set()
                        return

        tasks = [asyncio.create_task(watch(k)) for k in range(watchers)]
        await asyncio.wait_for(ready.wait(), 60)
        bodies = [json.dumps({"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}}).encode() for i in range(events)]
        t0 = time.perf_counter()
        await create_all(url, token, bodies, f"/api/v1/namespaces/{ns}/configmaps")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter() - t0
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        lost = sum(max(events - c, 0) for c in counts)
        return elapsed, lost


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes (CI smoke)")
    args = ap.parse_args()
    n_pods = 1000 if args.quick else 5000
    n_events, n_watchers = (200, 20) if args.quick else (1000, 100)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        bodies = [json.dumps(pod(i), separators=(",", ":")).encode() for i in range(n_pods)]
        base_rate = raw_commit_rate(bodies, tmpd / "raw.db")
        with Server(tmpd / "srv") as srv:
            secs = asyncio.run(create_all(srv.url, srv.token, bodies, "/api/v1/namespaces/default/pods"))
            rate = n_pods / secs
            emit("create_throughput", rate, "creates/s", base_rate, rate / base_rate)
            ours = asyncio.run(server_list_seconds(srv.url, srv.token, "/api/v1/namespaces/default/pods", 5, n_pods))
            base = baseline_list_seconds(tmpd / "srv" / "store.db", "/registry/core/pods/default/", 5)
            emit(f"list_{n_pods}_pods", 1 / ours, "lists/s", 1 / base, base / ours)
            t1, lost1 = asyncio.run(fanout(srv.url, srv.token, 1, n_events, "fan1"))
            tn, lostn = asyncio.run(fanout(srv.url, srv.token, n_watchers, n_events, "fan2"))
            emit(
                f"watch_fanout_{n_events}_events_{n_watchers}_watchers",
                tn / n_events * 1e6,
                "us/event",
                t1 / n_events * 1e6,
                tn / t1,
            )
            emit("watch_fanout_lost", lost1 + lostn, "events", 0, 0)


if __name__ == "__main__":
    main()
