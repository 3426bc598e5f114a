"""``openyurt hub``: assemble and run yurthub on one node until SIGTERM.

Start-up order matters for autonomy: load the disk cache first (a node that boots without the cloud
serves from it), probe the cloud once synchronously (so the first requests are routed right), open
the proxy, then start the hub's own list+watch loops through that proxy and report ready once its
configuration and the Services are known (or known to be unavailable offline).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from aiohttp import web

from openyurt.adapters.cache.disk import DiskCache
from openyurt.core.hub.cachepolicy import cache_agents as compute_agents
from openyurt.core.hub.filters import (
    DEFAULT_HUB_HOST,
    DEFAULT_HUB_PORT,
    FilterContext,
    ObjectFilter,
    PluginError,
    default_chain,
)
from openyurt.core.hub.ota import DEFAULT_MANIFEST_DIR, DEFAULT_UPGRADE_DIR
from openyurt.runtime.hub.admin import load_token, make_admin_app
from openyurt.runtime.hub.cacheview import HubCache, dumps
from openyurt.runtime.hub.cloud import Backend, Cloud, load_kubeconfig
from openyurt.runtime.hub.fastlane import FastLaneServer
from openyurt.runtime.hub.health import LEASE_NAMESPACE, HealthChecker
from openyurt.runtime.hub.informers import Reflector
from openyurt.runtime.hub.metrics import HubMetrics
from openyurt.runtime.hub.ota import Ota
from openyurt.runtime.hub.plugins import load_plugin_filters
from openyurt.runtime.hub.proxy import HubState, Proxy

log = logging.getLogger(__name__)

HUB_VERSION = "v1.7.0-openyurt"
USER_AGENT = f"yurthub/{HUB_VERSION}"
HUB_NAMESPACE = "kube-system"
HUB_CONFIGMAP = "yurt-hub-cfg"
LABEL_NODEPOOL = "apps.openyurt.io/nodepool"
#: Where the hub's own health-checker lease lands in the cache (kubelet's local lease GETs read it).
KUBELET_LEASE_KEY = "kubelet/leases.v1.coordination.k8s.io/" + LEASE_NAMESPACE + "/{node}"


@attrs.frozen
class HubConfig:
    kubeconfig: Path
    node_name: str
    cache_dir: Path
    bind: str = "127.0.0.1"
    port: int = 10261
    admin_port: int = 10267
    nodepool: str | None = None
    cache_agents: tuple[str, ...] = ()
    disable_filters: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()
    heartbeat_interval: float = 10.0
    heartbeat_timeout: float = 2.0
    healthy_threshold: int = 2
    kubelet_grace: float = 40.0
    min_request_timeout: float = 1800.0
    hub_host: str = DEFAULT_HUB_HOST
    hub_port: int = DEFAULT_HUB_PORT
    fsync: bool = True
    state_file: Path | None = None
    #: where kubelet reads static pod manifests, and where OTA stages and backs them up
    manifest_dir: Path = Path(DEFAULT_MANIFEST_DIR)
    ota_staging_dir: Path = Path(DEFAULT_UPGRADE_DIR)


class Hub:
    """A running hub: cache, cloud, health checker, proxy, admin server and own watches."""

    def __init__(self, cfg: HubConfig) -> None:
        self.cfg = cfg
        cfg.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.disk = DiskCache(cfg.cache_dir, sync=cfg.fsync)
        self.disk.load()
        self.cache = HubCache(self.disk)
        creds = load_kubeconfig(cfg.kubeconfig)
        token = load_token(cfg.cache_dir)
        if token:
            creds.token = token
        self.cloud = Cloud(list(cfg.servers), creds, user_agent=USER_AGENT)
        self.metrics = HubMetrics()
        for b in self.cloud.backends:
            self.metrics.healthy.labels(b.url).set(0)
        self.health = HealthChecker(
            self.cloud,
            cfg.node_name,
            interval=cfg.heartbeat_interval,
            timeout=cfg.heartbeat_timeout,
            healthy_threshold=cfg.healthy_threshold,
            kubelet_grace=cfg.kubelet_grace,
            on_lease=self._lease_renewed,
            on_change=self._health_changed,
        )
        try:
            # an entry point naming a filter *class* loads as the class itself: use an instance
            self.plugins: list[ObjectFilter] = load_plugin_filters()
        except (PluginError, ImportError, AttributeError, TypeError) as exc:
            log.error("hub: ignoring user filters: %s", exc)
            self.plugins = []
        self._services: dict[tuple[str, str], dict[str, Any]] = {}
        ctx = FilterContext(
            node_name=cfg.node_name,
            node_pool=cfg.nodepool,
            services=self._services,
            hub_host=cfg.hub_host,
            hub_port=cfg.hub_port,
        )
        self.state = HubState(self._agents(None), self._chain(None), ctx)
        self.proxy = Proxy(
            node_name=cfg.node_name,
            cloud=self.cloud,
            health=self.health,
            cache=self.cache,
            state=self.state,
            metrics=self.metrics,
            min_request_timeout=cfg.min_request_timeout,
        )
        self.proxy_url = ""
        self.admin_url = ""
        self._runners: list[web.BaseRunner] = []
        self.lane: FastLaneServer | None = None
        self.reflectors: dict[str, Reflector] = {}

    # ------------------------------------------------------------------ configuration

    def _agents(self, data: dict[str, str] | None) -> frozenset[str]:
        value = data.get("cache_agents") if data else None
        return compute_agents(self.cfg.cache_agents, value, self.cfg.node_name)

    def _chain(self, data: dict[str, str] | None) -> Any:
        return default_chain(data, self.cfg.disable_filters, plugins=self.plugins)

    def _config_changed(self) -> None:
        r = self.reflectors["configmap"]
        cm = r.store.get((HUB_NAMESPACE, HUB_CONFIGMAP))
        data = cm.get("data") if cm else None
        data = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
        self.state.agents = self._agents(data)
        self.state.chain = self._chain(data)

    def _services_changed(self) -> None:
        store = self.reflectors["services"].store
        self._services.clear()
        self._services.update(store)

    def _pool_changed(self) -> None:
        pool = self.cfg.nodepool
        if pool is None:
            node = self.reflectors["node"].store.get(("", self.cfg.node_name)) if "node" in self.reflectors else None
            labels = ((node or {}).get("metadata") or {}).get("labels") or {}
            pool = labels.get(LABEL_NODEPOOL) or None
        # None: the pool is named but its NodePool is not known (yet); the filter then leaves slices
        # alone rather than dropping every endpoint for an empty membership.
        members: frozenset[str] | None = frozenset() if pool is None else None
        np = self.reflectors["nodepools"].store.get(("", pool)) if pool else None
        if np is not None:
            nodes = (np.get("status") or {}).get("nodes") or []
            members = frozenset(str(n) for n in nodes)
        ctx = self.state.ctx
        if ctx.node_pool != pool or ctx.pool_nodes != members:
            self.state.ctx = attrs.evolve(ctx, node_pool=pool, pool_nodes=members)

    # ------------------------------------------------------------------ callbacks

    def _lease_renewed(self, lease: dict[str, Any]) -> None:
        key = KUBELET_LEASE_KEY.format(node=self.cfg.node_name)
        rv = str((lease.get("metadata") or {}).get("resourceVersion") or "")
        self.disk.put(key, rv, dumps(lease))

    def _health_changed(self, backend: Backend, healthy: bool) -> None:
        self.metrics.healthy.labels(backend.url).set(1 if healthy else 0)

    def refresh_metrics(self) -> None:
        self.metrics.cache_objects.set(len(self.disk))
        self.metrics.cache_write_errors.set(self.disk.write_errors)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.disk.start()
        await self.health.start()
        # the low-level server: every path goes to one handler, so no application, router or middleware
        loop = asyncio.get_running_loop()

        def request_factory(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
            return web.BaseRequest(message, payload, protocol, writer, task, loop, client_max_size=64 << 20)

        server = web.Server(
            self.proxy.handle, request_factory=request_factory, handler_cancellation=True, access_log=None
        )
        runner: web.BaseRunner = web.ServerRunner(server, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        # connections start on the fast lane; what it does not take is handed to ``server``
        self.lane = FastLaneServer(self.proxy, self.cloud.tls, server)
        port = await self.lane.start(self.cfg.bind, self.cfg.port)
        host = "127.0.0.1" if self.cfg.bind in ("0.0.0.0", "::", "") else self.cfg.bind
        self.proxy_url = f"http://{host}:{port}"

        admin = make_admin_app(
            metrics=self.metrics,
            cloud=self.cloud,
            cache_dir=self.cfg.cache_dir,
            not_ready=self.state.not_ready,
            refresh_metrics=self.refresh_metrics,
            ota=Ota(
                node_name=self.cfg.node_name,
                cloud=self.cloud,
                disk=self.disk,
                timeout=self.cfg.heartbeat_timeout,
                manifest_dir=self.cfg.manifest_dir,
                upgrade_dir=self.cfg.ota_staging_dir,
            ),
        )
        arunner = web.AppRunner(admin, access_log=None, handle_signals=False)
        await arunner.setup()
        asite = web.TCPSite(arunner, "127.0.0.1", self.cfg.admin_port, reuse_address=True)  # loopback only
        await asite.start()
        self._runners.append(arunner)
        self.admin_url = f"http://127.0.0.1:{int(arunner.addresses[0][1])}"

        self._start_reflectors()

    def _start_reflectors(self) -> None:
        def base() -> str:
            return self.proxy_url

        def offline() -> bool:
            return not self.health.is_healthy()

        session = self.cloud.session
        common: dict[str, Any] = {"user_agent": USER_AGENT, "offline": offline}
        self.reflectors["configmap"] = Reflector(
            session,
            base,
            f"/api/v1/namespaces/{HUB_NAMESPACE}/configmaps",
            params={"fieldSelector": f"metadata.name={HUB_CONFIGMAP}"},
            on_change=self._config_changed,
            **common,
        )
        self.reflectors["services"] = Reflector(
            session, base, "/api/v1/services", on_change=self._services_changed, keep=service_identity, **common
        )
        self.reflectors["nodepools"] = Reflector(
            session, base, "/apis/apps.openyurt.io/v1beta2/nodepools", on_change=self._pool_changed, **common
        )
        if self.cfg.nodepool is None:
            self.reflectors["node"] = Reflector(
                session,
                base,
                "/api/v1/nodes",
                params={"fieldSelector": f"metadata.name={self.cfg.node_name}"},
                on_change=self._pool_changed,
                **common,
            )
        for name in ("configmap", "services"):
            r = self.reflectors[name]
            self.state.ready_checks[f"{name} informer"] = r.synced.is_set
        for r in self.reflectors.values():
            r.start()

    async def stop(self) -> None:
        for r in self.reflectors.values():
            await r.stop()
        await self.health.stop()
        if self.lane is not None:
            await self.lane.stop()
        for runner in reversed(self._runners):
            await runner.cleanup()
        await self.cloud.close()
        await asyncio.to_thread(self.disk.close)

    def write_state(self) -> None:
        if self.cfg.state_file is None:
            return
        path = self.cfg.state_file
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"proxy": self.proxy_url, "admin": self.admin_url, "pid": os.getpid()}) + "\n")
        os.replace(tmp, path)


async def serve(cfg: HubConfig) -> int:
    hub = Hub(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await hub.start()
        hub.write_state()
        print(hub.proxy_url, flush=True)
        await stop.wait()
    finally:
        await hub.stop()
        if cfg.state_file is not None:
            with contextlib.suppress(FileNotFoundError):
                cfg.state_file.unlink()
    return 0


def service_identity(svc: dict[str, Any]) -> dict[str, Any]:
    """The part of a Service the filters look up (name, namespace, labels, annotations): the spec and
    status of a cluster's thousands of Services would cost the hub megabytes it does not use."""
    meta = svc.get("metadata")
    if not isinstance(meta, dict):
        return {}
    keep = {k: meta[k] for k in ("name", "namespace", "labels", "annotations", "resourceVersion") if k in meta}
    return {"apiVersion": svc.get("apiVersion", "v1"), "kind": "Service", "metadata": keep}


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed: it halves the cost of each socket event on the request path."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(
    kubeconfig: Path,
    node_name: str,
    cache_dir: Path,
    bind: str = "127.0.0.1",
    port: int = 10261,
    admin_port: int = 10267,
    nodepool: str | None = None,
    cache_agents: Sequence[str] = (),
    disable_filters: Sequence[str] = (),
    servers: Sequence[str] = (),
    heartbeat_interval: float = 10.0,
    *,
    heartbeat_timeout: float = 2.0,
    healthy_threshold: int = 2,
    kubelet_grace: float = 40.0,
    min_request_timeout: float = 1800.0,
    hub_host: str = DEFAULT_HUB_HOST,
    hub_port: int = DEFAULT_HUB_PORT,
    fsync: bool = True,
    state_file: Path | None = None,
    manifest_dir: Path = Path(DEFAULT_MANIFEST_DIR),
    ota_staging_dir: Path = Path(DEFAULT_UPGRADE_DIR),
) -> int:
    """Run the hub until SIGTERM/SIGINT; returns the process exit code."""
    cfg = HubConfig(
        kubeconfig=Path(kubeconfig),
        node_name=node_name,
        cache_dir=Path(cache_dir),
        bind=bind,
        port=port,
        admin_port=admin_port,
        nodepool=nodepool,
        cache_agents=tuple(cache_agents),
        disable_filters=tuple(disable_filters),
        servers=tuple(servers),
        heartbeat_interval=heartbeat_interval,
        heartbeat_timeout=heartbeat_timeout,
        healthy_threshold=healthy_threshold,
        kubelet_grace=kubelet_grace,
        min_request_timeout=min_request_timeout,
        hub_host=hub_host,
        hub_port=hub_port,
        fsync=fsync,
        state_file=Path(state_file) if state_file is not None else None,
        manifest_dir=Path(manifest_dir),
        ota_staging_dir=Path(ota_staging_dir),
    )
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(serve(cfg))
    except (OSError, ValueError) as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 1


__all__ = ["Hub", "HubConfig", "run", "serve"]
