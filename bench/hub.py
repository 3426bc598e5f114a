"""Benchmarks of yurthub (the caching edge proxy), each against a baseline measured in the same run.

Prints one JSON line per figure: {"bench", "value", "unit", "baseline", "ratio"}. The API server and
the hub run as separate processes, the client is this process; every hub request uses kubelet's user
agent, so it is cached and filtered (the hub's real work), and the disk cache fsyncs as in production.

* get_p50: median latency of GET one pod through the hub vs directly (ratio target <= 1.25).
* list_p50: median latency of LIST 100 pods through the hub vs directly (ratio target <= 1.25).
* offline_list_5000_p50: LIST of 5,000 pods served by the hub from its cache with the API server
  stopped vs the same list from the API server online (ratio target <= 1.0).
* rss_2000_pods_1000_services: hub RSS (MB) with 2,000 pods and 1,000 services cached; baseline 60 MB
  is the target (Go yurthub: 30-40 MB); ratio = value / 60.
* watch_events_per_s: events/s of a 5,000-event watch burst through the hub vs directly (target >= 0.9),
  median of three rounds in alternating order.

GET and LIST samples alternate direct/hub request by request after a warm-up of both, so slow drift
(GC, the hub's cache writer, the API server's state) cannot favour one side.

Run: python bench/hub.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
NODE = "edge-1"
KUBELET = {"User-Agent": "kubelet/v1.31.0 (linux/amd64) kubernetes/bench", "Accept": "application/json"}


def emit(bench: str, value: float, unit: str, baseline: float, ratio: float) -> None:
    out = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 3),
    }
    print(json.dumps(out), flush=True)


def wait_file(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{path} never appeared")
        time.sleep(0.05)
    return dict(json.loads(path.read_text()))


def pod(ns: str, i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i:05d}", "namespace": ns, "labels": {"app": f"app-{i % 50}", "tier": "edge"}},
        "spec": {
            "nodeName": NODE,
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example.com/team/app:1.2.3",
                    "env": [{"name": "MODE", "value": "edge"}, {"name": "LOG_LEVEL", "value": "info"}],
                    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                    "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"}],
                }
            ],
            "volumes": [{"name": "cfg", "configMap": {"name": "app-config"}}],
            "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}],
        },
    }


def service(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{i:04d}", "namespace": "svc", "labels": {"app": f"app-{i % 50}"}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": f"app-{i % 50}"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
    }


async def create_all(s: aiohttp.ClientSession, url: str, headers: dict[str, str], path: str, objs: list[Any]) -> None:
    sem = asyncio.Semaphore(16)

    async def one(o: Any) -> None:
        async with sem, s.post(url + path, json=o, headers=headers) as r:
            if r.status != 201:
                raise SystemExit(f"create failed: {r.status} {await r.text()}")

    await asyncio.gather(*(one(o) for o in objs))


async def timed_get(s: aiohttp.ClientSession, url: str, headers: dict[str, str], n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        async with s.get(url, headers=headers) as r:
            await r.read()
            assert r.status == 200, r.status
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


async def paired(
    s: aiohttp.ClientSession, a: tuple[str, dict[str, str]], b: tuple[str, dict[str, str]], n: int
) -> tuple[float, float]:
    """Median latencies of ``a`` and ``b`` measured alternately, so drift (GC, the hub's cache writer,
    CPU frequency, the API server's own state) hits both sides alike; both warmed up first."""
    for url, headers in (a, b):
        await timed_get(s, url, headers, 20)
    sa, sb = [], []
    for _ in range(n):
        sa.append(await timed_get(s, a[0], a[1], 1))
        sb.append(await timed_get(s, b[0], b[1], 1))
    return statistics.median(sa), statistics.median(sb)


async def watch_rate(s: aiohttp.ClientSession, url: str, headers: dict[str, str], n: int) -> float:
    t0 = time.perf_counter()
    got = 0
    async with s.get(url + "&watch=true&timeoutSeconds=120", headers=headers) as r:
        async for _ in r.content:
            got += 1
            if got >= n:
                break
    return got / (time.perf_counter() - t0)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main(quick: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hubbench-"))
    api_dir, hub_dir = tmp / "api", tmp / "hub"
    api_cmd = [sys.executable, "-m", "openyurt.runtime.cli", "apiserver", "--data-dir", str(api_dir), "--port", "0"]
    log = open(tmp / "api.log", "ab")  # noqa: SIM115
    api = subprocess.Popen(api_cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    hub: subprocess.Popen[bytes] | None = None
    try:
        info = wait_file(api_dir / "apiserver.json", api)
        url, token = info["url"], info["token"]
        direct_h = {**KUBELET, "Authorization": f"Bearer {token}"}
        n_rss, n_total, n_svc, n_small = (400, 1000, 200, 100) if quick else (2000, 5000, 1000, 100)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            for ns in ("p", "small", "svc"):
                await create_all(
                    s,
                    url,
                    direct_h,
                    "/api/v1/namespaces",
                    [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}],
                )
            await create_all(s, url, direct_h, "/api/v1/namespaces/p/pods", [pod("p", i) for i in range(n_rss)])
            await create_all(
                s, url, direct_h, "/api/v1/namespaces/small/pods", [pod("small", i) for i in range(n_small)]
            )
            await create_all(s, url, direct_h, "/api/v1/namespaces/svc/services", [service(i) for i in range(n_svc)])

            hub_cmd = [
                sys.executable, "-m", "openyurt.runtime.hub", "--kubeconfig", str(api_dir / "kubeconfig"),
                "--node-name", NODE, "--cache-dir", str(hub_dir / "cache"), "--port", "0", "--admin-port", "0",
                "--heartbeat-interval", "0.5", "--state-file", str(tmp / "hub.json"),
            ]  # fmt: skip
            hub = subprocess.Popen(hub_cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            hinfo = wait_file(tmp / "hub.json", hub)
            proxy = hinfo["proxy"]
            deadline = time.monotonic() + 30
            while True:
                async with s.get(hinfo["admin"] + "/v1/readyz") as r:
                    if r.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("hub never became ready")
                await asyncio.sleep(0.05)

            # RSS with 2,000 pods and 1,000 services cached (as kubelet and kube-proxy list them)
            async with s.get(f"{proxy}/api/v1/namespaces/p/pods", headers=KUBELET) as r:
                assert r.status == 200
                await r.read()
            kp = {**KUBELET, "User-Agent": "kube-proxy/v1.31.0"}
            async with s.get(f"{proxy}/api/v1/services", headers=kp) as r:
                assert r.status == 200
                await r.read()
            await asyncio.sleep(1.0)  # let the cache writer finish before sampling
            rss = rss_mb(hub.pid)
            emit("rss_2000_pods_1000_services", rss, "MB", 60.0, rss / 60.0)

            n = 100 if quick else 500
            one = "/api/v1/namespaces/small/pods/pod-00007"
            d, h = await paired(s, (url + one, direct_h), (proxy + one, KUBELET), n)
            emit("get_p50", h * 1000, "ms", d * 1000, h / d)
            lst = "/api/v1/namespaces/small/pods"
            d, h = await paired(s, (url + lst, direct_h), (proxy + lst, KUBELET), n // 2)
            emit("list_p50", h * 1000, "ms", d * 1000, h / d)

            # grow to 5,000 pods: watch burst, then the offline list
            await create_all(
                s, url, direct_h, "/api/v1/namespaces/p/pods", [pod("p", i) for i in range(n_rss, n_total)]
            )
            wq = "/api/v1/namespaces/p/pods?resourceVersion=0"
            # one burst each is noise: three rounds, the order alternating, median of each side
            d_rates, h_rates = [], []
            for i in range(3):
                if i % 2 == 0:
                    d_rates.append(await watch_rate(s, url + wq, direct_h, n_total))
                    h_rates.append(await watch_rate(s, proxy + wq, KUBELET, n_total))
                else:
                    h_rates.append(await watch_rate(s, proxy + wq, KUBELET, n_total))
                    d_rates.append(await watch_rate(s, url + wq, direct_h, n_total))
            d_rate, h_rate = statistics.median(d_rates), statistics.median(h_rates)
            emit("watch_events_per_s", h_rate, "events/s", d_rate, h_rate / d_rate)

            big = "/api/v1/namespaces/p/pods"
            async with s.get(proxy + big, headers=KUBELET) as r:  # cached online first
                body = await r.read()
                assert r.status == 200 and body.count(b'"kind":"Pod"') >= n_total - 1
            reps = 5 if quick else 9
            d = await timed_get(s, url + big, direct_h, reps)
            api.send_signal(signal.SIGTERM)
            api.wait(30)
            deadline = time.monotonic() + 20
            while True:  # wait until the hub serves from its cache
                async with s.get(hinfo["admin"] + "/metrics") as r:
                    if "node_yurthub_server_healthy_status" in (t := await r.text()) and any(
                        ln.startswith("node_yurthub_server_healthy_status") and ln.endswith(" 0.0")
                        for ln in t.splitlines()
                    ):
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("hub never went offline")
                await asyncio.sleep(0.1)
            h = await timed_get(s, proxy + big, KUBELET, reps)
            emit("offline_list_5000_p50", h * 1000, "ms", d * 1000, h / d)
    finally:
        for p in (hub, api):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        log.close()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    os.chdir(REPO)
    asyncio.run(main(ap.parse_args().quick))
