"""Benchmarks of the pure planners: do they scale linearly, and are they cheaper than reading the data?

Prints one JSON line per figure: {"bench", "value", "unit", "baseline", "ratio"}.

* <planner>_scaling: milliseconds to plan at 10x size (value) vs 1x size (baseline);
  ratio = value / baseline, target <= 12 (linear, with slack for cache effects).
  yurtappset: 100 vs 1,000 pools (every pool has a workload on an old revision: all updates);
  nodepool: 1,000 vs 10,000 member nodes (every node gets its pool attributes);
  topology: 1,000 vs 10,000 endpoints (pool membership change touching pool-scoped services).
* <planner>_vs_list: planning time at 1x size (value) vs one LIST of the same objects from the embedded
  API server (baseline, started here with --port 0); ratio = value / baseline, target < 1.
  Skipped (with a note on stderr) when the server cannot be started.

Run: python bench/planners.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
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


def best_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Best of ``repeat`` runs, garbage collector paused (as timeit does), so sizes compare fairly."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
    return best * 1000


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
    return (lambda: plan_yurtappset(yas, np, deps, [], now=NOW)), {"nodepools": pool_data}


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
        "endpointslices": slice_data
    }


# --------------------------------------------------------------------------------------------------
# The embedded API server (baseline for *_vs_list)


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.token = ""

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
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read()  # type: ignore[no-any-return]


PATHS = {
    "nodes": "/api/v1/nodes",
    "nodepools": "/apis/apps.openyurt.io/v1beta2/nodepools",
    "endpointslices": "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    cases = {
        "yurtappset": (yas_case, 100, "pools"),
        "nodepool": (nodepool_case, 1000, "nodes"),
        "topology": (topology_case, 1000, "endpoints"),
    }
    small: dict[str, tuple[float, dict[str, list[dict[str, Any]]]]] = {}
    for name, (make, size, _unit) in cases.items():
        fn1, data = make(size)
        fn10, _ = make(size * 10)
        t1, t10 = best_ms(fn1, repeat), best_ms(fn10, max(2, repeat // 2))
        emit(f"{name}_scaling_{size}_to_{size * 10}", t10, "ms", t1, t10 / t1)
        small[name] = (t1, data)

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            if not server.start():
                print("embedded API server did not start: *_vs_list skipped", file=sys.stderr)
                return
            for name, (t_plan, data) in small.items():
                ((kind, objs),) = data.items()
                for obj in objs:
                    server.request("POST", PATHS[kind], obj)
                t_list = best_ms(lambda kind=kind: server.request("GET", PATHS[kind]), repeat)  # type: ignore[misc]
                emit(f"{name}_vs_list_{len(objs)}_{kind}", t_plan, "ms", t_list, t_plan / t_list)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
