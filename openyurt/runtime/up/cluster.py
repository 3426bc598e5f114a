"""The whole edge cluster of ``openyurt up`` in one asyncio process.

One process keeps start-up fast and shutdown total (nothing to orphan): the embedded API server (TLS,
so kubectl works), yurt-manager with every registered controller, the simulated cloud-side
components a real cluster has (scheduler, workload controllers, endpoint slices, node lifecycle), and
per simulated node a cloud link (:class:`~openyurt.runtime.up.relay.Relay`), a yurthub behind it with
its own port and cache directory, and a kubelet-like agent plus a kube-proxy-like watcher that talk
only to that hub — so what a node sees when its link is cut is exactly what the hub serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openyurt.adapters.clock import RealClock
from openyurt.adapters.kube.asyncio_client import AsyncioClient
from openyurt.core import wellknown
from openyurt.errors import AlreadyExistsError
from openyurt.runtime.apiserver.app import ServerConfig
from openyurt.runtime.apiserver.main import Running, kubeconfig, serve
from openyurt.runtime.apiserver.selfsigned import ensure_certificate
from openyurt.runtime.up.relay import Relay

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class UpConfig:
    """What ``openyurt up`` builds. Timings default to Kubernetes' own; tests shorten them."""

    data_dir: Path
    pools: list[str]
    nodes_per_pool: int = 3
    port: int = 0
    #: node lifecycle: a node silent this long turns NotReady (kube-controller-manager: 40 s)
    node_grace: float = 40.0
    #: how often the node lifecycle controller looks (None: derived from the grace period)
    monitor_period: float | None = None
    #: kubelet's Lease renewal and the hub's cloud heartbeat (which renews the node Lease)
    lease_interval: float = 10.0
    #: kubelet's node status reports
    status_interval: float = 10.0
    #: yurt-manager controllers (``--controllers`` syntax)
    controllers: str = "*"

    @staticmethod
    def pool_names(count: int, names: list[str] | None = None) -> list[str]:
        return list(names) if names else [f"pool-{i}" for i in range(1, count + 1)]


@dataclass
class EdgeNode:
    """One simulated node: its cloud link, hub, kubelet-like agent and kube-proxy-like watcher."""

    name: str
    pool: str
    index: int
    relay: Relay
    dir: Path
    hub: Any = None  # openyurt.runtime.hub.main.Hub
    agent: Any = None  # openyurt.runtime.sim.NodeAgent
    proxy: Any = None  # openyurt.runtime.sim.KubeProxy
    clients: list[Any] = field(default_factory=list)


def node_name(pool: str, j: int) -> str:
    return f"{pool}-node-{j}"


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def node_ready(node: dict[str, Any]) -> bool:
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


class EdgeCluster:
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`cut`/:meth:`heal` a node's cloud link."""

    def __init__(self, cfg: UpConfig) -> None:
        self.cfg = cfg
        self.clock = RealClock()
        self.token = secrets.token_urlsafe(32)
        self.running: Running | None = None
        self.kubeconfig_path = cfg.data_dir / "kubeconfig"
        self.admin: AsyncioClient | None = None
        self.manager: Any = None
        self.sim: Any = None
        self.nodes: dict[str, EdgeNode] = {}
        self._stack = contextlib.AsyncExitStack()
        self._manager_task: asyncio.Task[int] | None = None
        self._ca_pem = b""

    # ------------------------------------------------------------------ lifecycle

    async def start(self, progress: Progress = lambda _msg: None) -> None:
        try:
            await self._start(progress)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, progress: Progress) -> None:
        import openyurt.runtime.manager.controllers  # noqa: F401  (registers the built-in controllers)
        from openyurt.adapters.store.sqlite import SqliteStore
        from openyurt.runtime.manager.app import Manager
        from openyurt.runtime.manager.registry import select_controllers
        from openyurt.runtime.sim import USER_AGENT_CONTROLLERS, SimControlPlane

        cfg = self.cfg
        cfg.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        progress("api server: starting")
        cert, key = ensure_certificate(cfg.data_dir / "tls", ["127.0.0.1"])
        self._ca_pem = cert.read_bytes()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(cert), str(key))
        store = SqliteStore(cfg.data_dir / "store.db")
        self.running = await self._stack.enter_async_context(
            serve(store, port=cfg.port, token=self.token, config=ServerConfig(bookmark_interval=5.0), ssl_context=ctx)
        )
        _write_private(self.kubeconfig_path, kubeconfig(self.running.url, self.token, self._ca_pem))
        progress(f"api server: serving {self.running.url}")

        self.admin = await AsyncioClient.from_kubeconfig(self.kubeconfig_path, request_timeout=10.0)
        for pool in cfg.pools:
            with contextlib.suppress(AlreadyExistsError):
                await self.admin.create(
                    {
                        "apiVersion": "apps.openyurt.io/v1beta2",
                        "kind": "NodePool",
                        "metadata": {"name": pool},
                        "spec": {"type": "Edge"},
                    }
                )
        progress(f"node pools: {', '.join(cfg.pools)}")

        mclient = await AsyncioClient.from_kubeconfig(self.kubeconfig_path, request_timeout=10.0)
        self._stack.push_async_callback(mclient.close)
        self.manager = Manager(mclient, clock=self.clock, controllers=select_controllers(cfg.controllers))
        self._manager_task = asyncio.create_task(self.manager.run(), name="yurt-manager")
        progress("yurt-manager: started")

        sclient = await AsyncioClient.from_kubeconfig(
            self.kubeconfig_path, user_agent=USER_AGENT_CONTROLLERS, request_timeout=10.0
        )
        self._stack.push_async_callback(sclient.close)
        self.sim = SimControlPlane(
            sclient, self.clock, node_grace_period=cfg.node_grace, monitor_period=cfg.monitor_period
        )
        await self.sim.start()
        progress("control plane: scheduler, workloads, endpoint slices, node lifecycle")

        index = 0
        for pool in cfg.pools:
            for j in range(1, cfg.nodes_per_pool + 1):
                index += 1
                name = node_name(pool, j)
                target = urlsplit(self.running.url)
                relay = Relay(name, target.hostname or "127.0.0.1", int(target.port or 443))
                node = EdgeNode(name=name, pool=pool, index=index, relay=relay, dir=cfg.data_dir / "nodes" / name)
                self.nodes[name] = node
        await asyncio.gather(*(self._start_node(n) for n in self.nodes.values()))
        progress(f"nodes: {len(self.nodes)} started")

    async def _start_node(self, node: EdgeNode) -> None:
        from openyurt.runtime.hub.main import Hub, HubConfig
        from openyurt.runtime.sim import USER_AGENT_KUBE_PROXY, USER_AGENT_KUBELET, KubeProxy, NodeAgent

        cfg = self.cfg
        node.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        await node.relay.start()
        cloud_kc = node.dir / "cloud.kubeconfig"
        _write_private(cloud_kc, kubeconfig(f"https://127.0.0.1:{node.relay.port}", self.token, self._ca_pem))
        node.hub = Hub(
            HubConfig(
                kubeconfig=cloud_kc,
                node_name=node.name,
                cache_dir=node.dir / "cache",
                port=0,
                admin_port=0,
                nodepool=node.pool,
                heartbeat_interval=cfg.lease_interval,
                kubelet_grace=max(40.0, 4 * cfg.lease_interval),
                fsync=False,
            )
        )
        await node.hub.start()
        hub_kc = node.dir / "kubeconfig"
        _write_private(hub_kc, kubeconfig(node.hub.proxy_url, self.token))
        kclient = await AsyncioClient.from_kubeconfig(hub_kc, user_agent=USER_AGENT_KUBELET, request_timeout=5.0)
        node.clients.append(kclient)
        node.agent = NodeAgent(
            kclient,
            self.clock,
            node_name=node.name,
            pod_cidr=f"10.244.{node.index}.0/24",
            internal_ip=f"192.168.{node.index // 250}.{node.index % 250 + 2}",
            pool=node.pool,
            edge=True,
            lease_interval=cfg.lease_interval,
            lease_duration=max(40, int(cfg.node_grace)),
            status_interval=cfg.status_interval,
        )
        await node.agent.start()
        pclient = await AsyncioClient.from_kubeconfig(hub_kc, user_agent=USER_AGENT_KUBE_PROXY, request_timeout=5.0)
        node.clients.append(pclient)
        node.proxy = KubeProxy(pclient, self.clock, node_name=node.name)
        await node.proxy.start()

    async def stop(self) -> None:
        """Stop everything started so far (each part once; failures are logged, not raised)."""

        async def quietly(what: str, coro: Any) -> None:
            try:
                await asyncio.wait_for(coro, 10.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stopping %s failed", what)

        async def stop_node(node: EdgeNode) -> None:
            for part in (node.proxy, node.agent):
                if part is not None:
                    await quietly(f"{node.name} {part.name}", part.stop())
            for c in node.clients:
                await quietly(f"{node.name} client", c.close())
            if node.hub is not None:
                await quietly(f"{node.name} hub", node.hub.stop())
            await quietly(f"{node.name} relay", node.relay.stop())
            node.proxy = node.agent = node.hub = None
            node.clients = []

        await asyncio.gather(*(stop_node(n) for n in self.nodes.values()))
        if self.sim is not None:
            await quietly("control plane", self.sim.stop())
            self.sim = None
        if self.manager is not None and self._manager_task is not None:
            self.manager.stop()
            await quietly("yurt-manager", self._manager_task)
            self.manager = None
            self._manager_task = None
        if self.admin is not None:
            await quietly("admin client", self.admin.close())
            self.admin = None
        await quietly("api server", self._stack.aclose())
        self.running = None

    # ------------------------------------------------------------------ links

    def select(self, nodes: list[str] | None = None, pool: str | None = None, all_nodes: bool = False) -> list[str]:
        """Node names by name, pool or all; unknown names raise KeyError."""
        if all_nodes:
            return sorted(self.nodes)
        chosen: list[str] = []
        for n in nodes or []:
            if n not in self.nodes:
                raise KeyError(f"unknown node {n!r}; nodes: {', '.join(sorted(self.nodes))}")
            chosen.append(n)
        if pool is not None:
            in_pool = [n.name for n in self.nodes.values() if n.pool == pool]
            if not in_pool:
                raise KeyError(f"unknown pool {pool!r}; pools: {', '.join(self.cfg.pools)}")
            chosen.extend(in_pool)
        return sorted(set(chosen))

    async def set_cut(self, names: list[str], cut: bool) -> None:
        await asyncio.gather(*(self.nodes[n].relay.set_cut(cut) for n in names))

    # ------------------------------------------------------------------ status

    def node_objects(self) -> dict[str, dict[str, Any]]:
        if self.sim is None:
            return {}
        return {str(n["metadata"]["name"]): n for n in self.sim.lifecycle.nodes.list()}

    def all_ready(self) -> bool:
        objs = self.node_objects()
        return len(self.nodes) > 0 and all(n in objs and node_ready(objs[n]) for n in self.nodes)

    def snapshot(self) -> dict[str, Any]:
        """Everything the live view and ``openyurt status`` show, as plain JSON."""
        objs = self.node_objects()
        pods = list(self.sim.lifecycle.pods.list()) if self.sim is not None else []
        pods_on: dict[str, list[dict[str, Any]]] = {}
        for pod in pods:
            where = (pod.get("spec") or {}).get("nodeName")
            if where:
                pods_on.setdefault(str(where), []).append(pod)
        nodes = []
        for node in self.nodes.values():
            obj = objs.get(node.name)
            here = pods_on.get(node.name, [])
            agent = node.agent
            nodes.append(
                {
                    "name": node.name,
                    "pool": node.pool,
                    "registered": obj is not None,
                    "ready": obj is not None and node_ready(obj),
                    "cut": node.relay.cut,
                    "hub_online": bool(node.hub is not None and node.hub.health.is_healthy()),
                    "hub_url": node.hub.proxy_url if node.hub is not None else None,
                    "hub_admin_url": node.hub.admin_url if node.hub is not None else None,
                    "relay_port": node.relay.port,
                    "bytes_from_cloud": node.relay.bytes_from_cloud,
                    "bytes_to_cloud": node.relay.bytes_to_cloud,
                    "pods": len(here),
                    "pods_running": sum(1 for p in here if (p.get("status") or {}).get("phase") == "Running"),
                    "agent": {
                        "reads_ok": agent.reads_ok if agent else 0,
                        "reads_failed": agent.reads_failed if agent else 0,
                        "pods": sorted(f"{ns}/{n}" for ns, n in agent.pods) if agent else [],
                        "pod_uids": sorted(str(p["metadata"].get("uid")) for p in agent.pods.values()) if agent else [],
                    },
                    "taints": [
                        t.get("key") for t in ((obj or {}).get("spec") or {}).get("taints") or [] if isinstance(t, dict)
                    ],
                    "edge": ((obj or {}).get("metadata") or {}).get("labels", {}).get(wellknown.LABEL_EDGE_WORKER),
                }
            )
        return {
            "apiserver": self.running.url if self.running else None,
            "kubeconfig": str(self.kubeconfig_path),
            "pools": self.cfg.pools,
            "ready": self.all_ready(),
            "nodes": nodes,
            "evicted": list(self.sim.lifecycle.evicted) if self.sim is not None else [],
        }


def read_state(data_dir: Path) -> dict[str, Any]:
    """``DATA/up.json`` of a running cluster (FileNotFoundError when none runs)."""
    doc = json.loads((data_dir / "up.json").read_text())
    if not isinstance(doc, dict):
        raise ValueError(f"{data_dir / 'up.json'}: not an object")
    return doc
