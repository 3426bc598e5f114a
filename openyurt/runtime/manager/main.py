"""``openyurt manager``: load the kubeconfig, pick controllers, run the Manager until SIGTERM/SIGINT.

Lease timings default to client-go's (15 s / 10 s / 2 s). Tests that kill leaders need seconds, not
tens of seconds, so ``OPENYURT_LEASE_DURATION``, ``OPENYURT_RENEW_DEADLINE`` and
``OPENYURT_RETRY_PERIOD`` override them; they are deliberately not flags, since operators should not
need them. On startup one line tells where health and metrics are served (ports may be 0).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import openyurt.runtime.manager.controllers  # noqa: F401  (registers the built-in controllers)
from openyurt.adapters.clock import RealClock
from openyurt.core.leaderelection import LeaseConfig
from openyurt.errors import ApiError
from openyurt.runtime.manager.app import Manager
from openyurt.runtime.manager.registry import select_controllers


def lease_config_from_env(env: dict[str, str] | None = None) -> LeaseConfig:
    env = dict(os.environ) if env is None else env
    default = LeaseConfig()
    return LeaseConfig(
        lease_duration=int(env.get("OPENYURT_LEASE_DURATION", default.lease_duration)),
        renew_deadline=float(env.get("OPENYURT_RENEW_DEADLINE", default.renew_deadline)),
        retry_period=float(env.get("OPENYURT_RETRY_PERIOD", default.retry_period)),
    )


async def _main(
    kubeconfig: Path,
    leader_elect: bool,
    controllers: str,
    health_port: int,
    metrics_port: int,
    identity: str | None,
) -> int:
    from openyurt.adapters.kube.asyncio_client import AsyncioClient

    try:
        chosen = select_controllers(controllers)
        lease_config = lease_config_from_env()
    except (KeyError, ValueError) as exc:
        print(f"manager: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    try:
        client = await AsyncioClient.from_kubeconfig(kubeconfig, request_timeout=10.0)
    except ApiError as exc:
        print(f"manager: {exc.message}", file=sys.stderr)
        return 1
    manager = Manager(
        client,
        clock=RealClock(),
        controllers=chosen,
        leader_elect=leader_elect,
        identity=identity,
        lease_config=lease_config,
        health_port=health_port,
        metrics_port=metrics_port,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, manager.stop)
    try:
        run = asyncio.create_task(manager.run())
        serving = asyncio.create_task(manager.serving.wait())
        await asyncio.wait([run, serving], return_when=asyncio.FIRST_COMPLETED)
        serving.cancel()
        print(
            f"manager {manager.identity}: health {manager.health_url}, metrics {manager.metrics_url}",
            flush=True,
        )
        return await run
    except OSError as exc:
        print(f"manager: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()


def run(
    *,
    kubeconfig: Path,
    leader_elect: bool = False,
    controllers: str = "*",
    health_port: int = 10272,
    metrics_port: int = 10271,
    identity: str | None = None,
) -> int:
    """Run yurt-manager until SIGTERM/SIGINT; returns the process exit code."""
    logging.basicConfig(
        level=os.environ.get("OPENYURT_LOG_LEVEL", "INFO"), format="%(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(_main(Path(kubeconfig), leader_elect, controllers, health_port, metrics_port, identity))
