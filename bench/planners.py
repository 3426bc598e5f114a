"""Benchmarks of the pure planners: do they scale linearly, and are they cheaper than reading the data?

Prints one JSON line per figure: {"bench", "value", "unit", "baseline", "ratio"}.

* <planner>_scaling: milliseconds to plan at 10x size (value) vs 1x size (baseline);
  ratio = value / baseline, target <= 12 (linear, with slack for cache effects).
  yurtappset: 100 vs 1,000 pools (every pool has a workload on an old revision: all updates);
  nodepool: 1,000 vs 10,000 member nodes (every node gets its pool attributes);
  topology: 1,000 vs 10,000 endpoints (pool membership change touching pool-scoped services).
* <planner>_vs_list: planning time at 1x size (value) vs one LIST of the same objects from the embedded
  API server (baseline, started here with --port 0); ratio = value / baseline, target < 1.
  Both sides read the same objects: the 100 NodePools and 100 Deployments the YurtAppSet planner
  gets (two LISTs), the 1,000 Nodes of the NodePool planner, the Services and EndpointSlices of the
  topology planner. LISTs go over one kept-alive connection (as a controller's client does), and
  plan and LIST are timed alternately, so a slow spell of the machine hits both sides.
  Skipped (with a note on stderr) when the server cannot be started.

Every figure is the median of several runs after warm-up runs, garbage collector paused (as timeit).
Each planner is measured in a process of its own, its comparison with the LIST before its 10x inputs
exist: what one case leaves in the heap (and the collector's walk over it before every timed run)
would otherwise slow down whatever is measured after it.

Run: python bench/planners.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openyurt.core.api.apps_v1 import Deployment  # noqa: E402
from openyurt.core.api.core_v1 import Endpoints, Node, Service  # noqa: E402
from openyurt.core.api.discovery_v1 import EndpointSlice  # noqa: E402
from openyurt.core.api.openyurt_apps_v1beta1 import YurtAppSet  # noqa: E402
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool  # noqa: E402
from openyurt.core.planners import plan_nodepool, plan_topology_for_pool_change, plan_yurtappset  # noqa: E402
from tests.unit.planners.builders import NOW  # noqa: E402


def emit(bench: str, value: float, unit: str, baseline: float, ratio: float) -> None:
    out = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 3),
    }
    print(json.dumps(out), flush=True)


WARMUP = 2


def once_ms(fn: Callable[[], Any]) -> float:
    """One run in milliseconds, garbage collector paused (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000
    finally:
        gc.enable()


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median of ``repeat`` runs after WARMUP untimed ones."""
    for _ in range(WARMUP):
        fn()
    return statistics.median(once_ms(fn) for _ in range(repeat))


def paired_median_ms(a: Callable[[], Any], b: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Medians of ``a`` and ``b`` timed alternately (after warm-up of both)."""
    for _ in range(WARMUP):
        a()
        b()
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(once_ms(a))
        tb.append(once_ms(b))
    return statistics.median(ta), statistics.median(tb)


# --------------------------------------------------------------------------------------------------
# Inputs (wire data; parsed once, outside the timed region, like a controller's cache)


def pool_wire(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps.openyurt.io/v1beta2",
        "kind": "NodePool",
        "metadata": {"name": name, "uid": f"uid-{name}", "labels": {"tier": "edge"}},
        "spec": {
            "type": "Edge",
            "labels": {"region": name},
            "annotations": {"owner": "bench"},
            "taints": [{"key": "edge", "value": "true", "effect": "NoSchedule"}],
        },
    }


def node_wire(i: int, pool: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": f"node-{i:05d}",
            "resourceVersion": "1",
            "labels": {"apps.openyurt.io/nodepool": pool, "kubernetes.io/hostname": f"node-{i:05d}"},
        },
        "spec": {"taints": [{"key": "other", "effect": "NoExecute"}]},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if i % 7 else "False"}],
            "addresses": [{"type": "InternalIP", "address": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"}],
        },
    }


YAS = {
    "apiVersion": "apps.openyurt.io/v1beta1",
    "kind": "YurtAppSet",
    "metadata": {"name": "bench", "namespace": "default", "uid": "uid-bench", "generation": 1},
    "spec": {
        "nodepoolSelector": {"matchLabels": {"tier": "edge"}},
        "workload": {
            "workloadTemplate": {
                "deploymentTemplate": {
                    "metadata": {"labels": {"app": "bench"}},
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": "bench"}},
                        "template": {
                            "metadata": {"labels": {"app": "bench"}},
                            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
                        },
                    },
                }
            },
            "workloadTweaks": [
                {
                    "nodepoolSelector": {"matchLabels": {"tier": "edge"}},
                    "tweaks": {
                        "replicas": 3,
                        "patches": [
                            {"path": "/metadata/labels/pool", "operation": "add", "value": "{{nodepool-name}}"}
                        ],
                    },
                }
            ],
        },
    },
}


def deployment_wire(pool: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"bench-{pool}-x",
            "namespace": "default",
            "uid": f"d-{pool}",
            "resourceVersion": "1",
            "labels": {
                "apps.openyurt.io/pool-name": pool,
                "apps.openyurt.io/controller-revision-hash": "bench-old",
                "apps.openyurt.io/ref-yurtappset": "bench",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps.openyurt.io/v1beta1",
                    "kind": "YurtAppSet",
                    "name": "bench",
                    "uid": "uid-bench",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {
                "metadata": {"labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
            },
        },
        "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2},
    }


def topology_wire(endpoints: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Services with pool topology, 100 endpoints per slice, 2 slices per service."""
    services, slices = [], []
    per_slice = 100
    for s in range(max(1, endpoints // (2 * per_slice))):
        name = f"svc-{s:04d}"
        services.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": name,
                    "namespace": "default",
                    "annotations": {"openyurt.io/topologyKeys": "openyurt.io/nodepool"},
                },
            }
        )
        for k in range(2):
            slices.append(
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "addressType": "IPv4",
                    "metadata": {
                        "name": f"{name}-{k}",
                        "namespace": "default",
                        "labels": {"kubernetes.io/service-name": name},
                    },
                    "endpoints": [
                        {"addresses": [f"10.1.{k}.{e}"], "nodeName": f"node-{(s * 7 + e) % 5000:05d}"}
                        for e in range(per_slice)
                    ],
                }
            )
    return services, slices


# --------------------------------------------------------------------------------------------------
# Planner timings


def yas_case(pools: int) -> tuple[Callable[[], Any], dict[str, list[dict[str, Any]]]]:
    pool_data = [pool_wire(f"pool-{i:04d}") for i in range(pools)]
    dep_data = [deployment_wire(p["metadata"]["name"]) for p in pool_data]
    yas = YurtAppSet.model_validate(YAS)
    np = [NodePool.model_validate(p) for p in pool_data]
    deps = [Deployment.model_validate(d) for d in dep_data]
    return (lambda: plan_yurtappset(yas, np, deps, [], now=NOW)), {"nodepools": pool_data, "deployments": dep_data}


def nodepool_case(nodes: int) -> tuple[Callable[[], Any], dict[str, list[dict[str, Any]]]]:
    node_data = [node_wire(i, "big") for i in range(nodes)]
    pool = NodePool.model_validate(pool_wire("big"))
    parsed = [Node.model_validate(n) for n in node_data]
    return (lambda: plan_nodepool(pool, parsed, now=NOW)), {"nodes": node_data}


def topology_case(endpoints: int) -> tuple[Callable[[], Any], dict[str, list[dict[str, Any]]]]:
    svc_data, slice_data = topology_wire(endpoints)
    services = [Service.model_validate(s) for s in svc_data]
    slices = [EndpointSlice.model_validate(s) for s in slice_data]
    eps: list[Endpoints] = []
    old = [f"node-{i:05d}" for i in range(0, 5000, 2)]
    new = [*old, "node-00001"]
    return (lambda: plan_topology_for_pool_change(old, new, services, eps, slices, now=NOW)), {
        "services": svc_data,
        "endpointslices": slice_data,
    }


# --------------------------------------------------------------------------------------------------
# The embedded API server (baseline for *_vs_list)


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.token = ""
        self.conn: http.client.HTTPConnection | None = None

    def start(self, timeout: float = 30.0) -> bool:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openyurt.runtime.cli",
                "apiserver",
                "--data-dir",
                str(self.data_dir),
                "--port",
                "0",
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        info = self.data_dir / "apiserver.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if info.exists():
                try:
                    data = json.loads(info.read_text())
                    self.url, self.token = data["url"], data["token"]
                    self.request("GET", "/version")
                    return True
                except (ValueError, KeyError, OSError):
                    pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def request(self, method: str, path: str, body: Any = None) -> bytes:
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.read()  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            raise OSError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from exc

    def get(self, path: str) -> bytes:
        """GET over one kept-alive connection (what a client's LIST costs without the TCP setup)."""
        if self.conn is None:
            parsed = urllib.parse.urlsplit(self.url)
            conn_cls = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
            self.conn = conn_cls(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise OSError(f"GET {path}: {resp.status}")
        return body


YAS_PATH = "/apis/apps.openyurt.io/v1beta1/namespaces/default/yurtappsets"
PATHS = {
    "nodes": "/api/v1/nodes",
    "nodepools": "/apis/apps.openyurt.io/v1beta2/nodepools",
    "deployments": "/apis/apps/v1/namespaces/default/deployments",
    "services": "/api/v1/namespaces/default/services",
    "endpointslices": "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
}


CASES: dict[str, tuple[Callable[[int], tuple[Callable[[], Any], dict[str, list[dict[str, Any]]]]], int]] = {
    "yurtappset": (yas_case, 100),
    "nodepool": (nodepool_case, 1000),
    "topology": (topology_case, 1000),
}


def measure(name: str, repeat: int, server: Server | None) -> None:
    """One planner's figures; run in a process of its own (see main)."""
    make, size = CASES[name]
    fn1, data = make(size)
    if server is not None:

        def list_all(kinds: tuple[str, ...] = tuple(data)) -> None:
            for kind in kinds:
                server.get(PATHS[kind])

        t_plan, t_list = paired_median_ms(fn1, list_all, repeat)
        what = "_".join(f"{len(objs)}_{kind}" for kind, objs in data.items())
        emit(f"{name}_vs_list_{what}", t_plan, "ms", t_list, t_plan / t_list)
    # the 10x inputs only now: held during the comparison above, they would slow it down
    fn10, _ = make(size * 10)
    t1, t10 = median_ms(fn1, repeat), median_ms(fn10, max(3, repeat // 3))
    emit(f"{name}_scaling_{size}_to_{size * 10}", t10, "ms", t1, t10 / t1)


def load(server: Server) -> None:
    """Every case's objects into the server (the LISTs the planners are compared with)."""
    # the Deployments' owner must exist, or the server's garbage collector removes them
    # (without its tweak, whose patch only applies to rendered workloads: the webhook refuses it)
    yas_obj = json.loads(json.dumps(YAS))
    del yas_obj["spec"]["workload"]["workloadTweaks"]
    owner = json.loads(server.request("POST", YAS_PATH, yas_obj))
    for make, size in CASES.values():
        for kind, objs in make(size)[1].items():
            for obj in objs:
                if kind == "deployments":
                    obj = json.loads(json.dumps(obj))
                    obj["metadata"]["ownerReferences"][0]["uid"] = owner["metadata"]["uid"]
                server.request("POST", PATHS[kind], obj)
            listed = json.loads(server.get(PATHS[kind]))["items"]
            if len(listed) != len(objs):
                raise SystemExit(f"{kind}: LIST returned {len(listed)} objects, expected {len(objs)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)  # url token, for --case
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    if args.case:
        server = None
        if args.server:
            server = Server(Path("."))
            server.url, server.token = args.server.split(" ", 1)
        measure(args.case, repeat, server)
        return
    # Each planner runs in a fresh process: what one case left in the heap (and the collector's
    # walk over it before every timed run) would otherwise slow down the next one measured.
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            started = server.start()
            if started:
                load(server)
            else:
                print("embedded API server did not start: *_vs_list skipped", file=sys.stderr)
            for name in CASES:
                cmd = [sys.executable, "-m", "bench.planners", "--case", name]
                if args.quick:
                    cmd.append("--quick")
                if started:
                    cmd += ["--server", f"{server.url} {server.token}"]
                subprocess.run(cmd, cwd=REPO, check=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
