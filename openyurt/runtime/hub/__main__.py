"""``python -m openyurt.runtime.hub``: the hub without the full CLI (tests, benchmarks, minimal images)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from openyurt.core.hub.ota import DEFAULT_MANIFEST_DIR, DEFAULT_UPGRADE_DIR
from openyurt.runtime.hub.main import run


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="openyurt-hub")
    p.add_argument("--kubeconfig", type=Path, required=True)
    p.add_argument("--node-name", required=True)
    p.add_argument("--cache-dir", type=Path, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=10261)
    p.add_argument("--admin-port", type=int, default=10267)
    p.add_argument("--nodepool")
    p.add_argument("--cache-agents", type=_csv, default=[])
    p.add_argument("--disable-filters", type=_csv, default=[])
    p.add_argument("--server", action="append", default=[])
    p.add_argument("--heartbeat-interval", type=float, default=10.0)
    p.add_argument("--heartbeat-timeout", type=float, default=2.0)
    p.add_argument("--healthy-threshold", type=int, default=2)
    p.add_argument("--kubelet-grace", type=float, default=40.0)
    p.add_argument("--min-request-timeout", type=float, default=1800.0)
    p.add_argument("--no-fsync", action="store_true")
    p.add_argument("--state-file", type=Path)
    p.add_argument("--static-pod-manifests-dir", type=Path, default=Path(DEFAULT_MANIFEST_DIR))
    p.add_argument("--ota-staging-dir", type=Path, default=Path(DEFAULT_UPGRADE_DIR))
    a = p.parse_args(argv)
    return run(
        a.kubeconfig,
        a.node_name,
        a.cache_dir,
        bind=a.bind,
        port=a.port,
        admin_port=a.admin_port,
        nodepool=a.nodepool,
        cache_agents=a.cache_agents,
        disable_filters=a.disable_filters,
        servers=a.server,
        heartbeat_interval=a.heartbeat_interval,
        heartbeat_timeout=a.heartbeat_timeout,
        healthy_threshold=a.healthy_threshold,
        kubelet_grace=a.kubelet_grace,
        min_request_timeout=a.min_request_timeout,
        fsync=not a.no_fsync,
        state_file=a.state_file,
        manifest_dir=a.static_pod_manifests_dir,
        ota_staging_dir=a.ota_staging_dir,
    )


if __name__ == "__main__":
    sys.exit(main())
