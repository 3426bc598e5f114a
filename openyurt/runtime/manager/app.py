"""The manager: shared informers, the selected controllers, leader election, health and metrics.

With leader election the controllers run only while this process leads ``kube-system/yurt-manager``:
they start when the lease is acquired and stop when it is lost (``run`` then returns 1, as
yurt-manager exits so its supervisor restarts it as a fresh candidate) or when the manager is asked
to stop (the lease is released on the way out, so a standby takes over at once). ``/healthz`` answers
while the process runs, ``/readyz`` once it is a ready candidate or its leading controllers' caches are
synced, ``/metrics`` is Prometheus text. Endpoints bind to loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections.abc import Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.protocols import Client
from openyurt.core.leaderelection import LeaseConfig
from openyurt.runtime.controller import Controller, EventRecorder
from openyurt.runtime.leaderelection import LeaderElector
from openyurt.runtime.manager.metrics import ManagerMetrics
from openyurt.runtime.manager.registry import ControllerContext, ControllerFactory

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-system"
LEASE_NAME = "yurt-manager"


def default_identity() -> str:
    """client-go's choice: hostname plus a random suffix, unique per process."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


class Manager:
    def __init__(
        self,
        client: Client,
        *,
        clock: Clock,
        controllers: Mapping[str, ControllerFactory],
        leader_elect: bool = False,
        identity: str | None = None,
        lease_namespace: str = LEASE_NAMESPACE,
        lease_name: str = LEASE_NAME,
        lease_config: LeaseConfig | None = None,
        health_port: int | None = None,
        metrics_port: int | None = None,
        host: str = "127.0.0.1",
        rng: random.Random | None = None,
        metrics: ManagerMetrics | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.factories = dict(controllers)
        self.leader_elect = leader_elect
        self.identity = identity or default_identity()
        self.lease_namespace = lease_namespace
        self.lease_name = lease_name
        self.lease_config = lease_config or LeaseConfig()
        self.health_port = health_port
        self.metrics_port = metrics_port
        self.host = host
        self.rng = rng or random.Random()
        self.metrics = metrics or ManagerMetrics()
        self.elector: LeaderElector | None = None
        self.informers: InformerFactory | None = None
        self.controllers: list[Controller] = []
        self._controller_tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._runners: list[web.AppRunner] = []
        self._started = False
        #: set once the health and metrics endpoints listen
        self.serving = asyncio.Event()
        #: actual URLs once serving (ports may have been 0)
        self.health_url: str | None = None
        self.metrics_url: str | None = None

    def stop(self) -> None:
        self._stop.set()

    @property
    def leading(self) -> bool:
        return self.elector.is_leader if self.elector is not None else self._started

    @property
    def ready(self) -> bool:
        if not self._started and not self.leader_elect:
            return False
        if self.controllers:
            return self.informers is not None and self.informers.has_synced
        return True

    # ------------------------------------------------------------------------------------------

    async def run(self) -> int:
        """Serve until ``stop()``; 0 after a clean stop, 1 when leadership was lost."""
        code = 0
        try:
            await self._serve_http()
            self.serving.set()
            if self.leader_elect:
                self.elector = LeaderElector(
                    self.client,
                    namespace=self.lease_namespace,
                    name=self.lease_name,
                    identity=self.identity,
                    config=self.lease_config,
                    clock=self.clock,
                    on_started_leading=self._start_controllers,
                    on_stopped_leading=self._stop_controllers,
                    on_new_leader=lambda who: log.info("lease %s: leader is now %s", self.lease_name, who),
                    rng=self.rng,
                    metrics=self.metrics,
                )
                self.metrics.leader.labels(self.lease_name).set(0)
                elector_task = asyncio.create_task(self.elector.run(), name="leader elector")
                stop_task = asyncio.create_task(self._stop.wait(), name="manager stop")
                try:
                    await asyncio.wait([elector_task, stop_task], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    self.elector.stop()
                    stop_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await stop_task
                    stopped_cleanly = await elector_task
                if not stopped_cleanly and not self._stop.is_set():
                    log.error("leadership lost; exiting so a fresh candidate can take over")
                    code = 1
            else:
                await self._start_controllers()
                await self._stop.wait()
        finally:
            await self._stop_controllers()
            await self._stop_http()
        return code

    async def _start_controllers(self) -> None:
        self._started = True
        self.informers = InformerFactory(self.client, clock=self.clock, rng=self.rng)
        informers = self.informers
        ctx = ControllerContext(
            client=self.client,
            informers=informers,
            clock=self.clock,
            metrics=self.metrics,
            rng=self.rng,
            recorder=lambda component: EventRecorder(self.client, component, self.clock),
        )
        self.controllers = [factory(ctx) for _, factory in sorted(self.factories.items())]
        informers.start()
        for ctrl in self.controllers:
            self._controller_tasks.append(asyncio.create_task(ctrl.run(), name=f"controller {ctrl.name}"))
        log.info("started controllers: %s", ", ".join(c.name for c in self.controllers) or "none")

    async def _stop_controllers(self) -> None:
        if not self._started:
            return
        self._started = False
        for ctrl in self.controllers:
            await ctrl.stop()
        tasks, self._controller_tasks = self._controller_tasks, []
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.informers is not None:
            await self.informers.stop()
        self.controllers = []

    # ------------------------------------------------------------------------------------------
    # Health and metrics

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self.ready:
            return web.Response(text="ok")
        return web.Response(status=503, text="not ready")

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _start_site(self, port: int, routes: list[web.RouteDef]) -> str:
        app = web.Application()
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, port, reuse_address=True)
        await site.start()
        real = int(runner.addresses[0][1]) if runner.addresses else port
        return f"http://{self.host}:{real}"

    async def _serve_http(self) -> None:
        health = [web.get("/healthz", self._healthz), web.get("/readyz", self._readyz)]
        metrics = [web.get("/metrics", self._metrics)]
        if self.health_port is not None and self.health_port == self.metrics_port and self.health_port != 0:
            url = await self._start_site(self.health_port, health + metrics)
            self.health_url = self.metrics_url = url
            return
        if self.health_port is not None:
            self.health_url = await self._start_site(self.health_port, health)
        if self.metrics_port is not None:
            self.metrics_url = await self._start_site(self.metrics_port, metrics)

    async def _stop_http(self) -> None:
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()
