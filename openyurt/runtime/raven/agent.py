"""The raven agent: turn the Gateways into this node's tunnels, VXLAN, routes and firewall rules.

Every Gateway, Node or ``raven-cfg`` change (and a periodic resync) runs one full, level-based sync:
write back what this node owes the cluster (public address, WireGuard public key: into the Gateway
*spec* endpoint, where yurt-manager copies it into the status), compute the network and the node plan
with the pure core, observe what exists on the host, and apply the diff. A failed operation is only
logged; the next sync (soon, with backoff) diffs again. On shutdown, or whenever the plan says so,
everything raven created is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import attrs

from openyurt.adapters.clock import Clock, RealClock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.protocols import Client
from openyurt.adapters.net.protocols import HostNetwork
from openyurt.core import wellknown
from openyurt.core.api.raven_v1beta1 import GROUP, VERSION, Gateway
from openyurt.core.raven.election import RavenSwitches
from openyurt.core.raven.network import (
    EMPTY_NETWORK,
    AgentConfig,
    WriteBack,
    apply_writeback,
    compute_network,
    needed_writebacks,
)
from openyurt.core.raven.nodeplan import EMPTY_STATE, NodePlan, build_plan, diff, mtu_probe_target, plan_to_json
from openyurt.errors import ApiError, ConflictError, NotFoundError

log = logging.getLogger(__name__)
T = TypeVar("T")

GATEWAY_API = f"{GROUP}/{VERSION}"
#: Where upstream looks for the public address of a node without a LoadBalancer.
PUBLIC_IP_URLS = (
    "https://ifconfig.me",
    "https://icanhazip.com",
    "https://ipinfo.io/json",
    "https://api.ipify.org",
    "https://api.my-ip.io/ip",
    "https://ip4.seeip.org",
)
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


@attrs.frozen
class AgentOptions:
    node_name: str
    config: AgentConfig = attrs.field(factory=AgentConfig)
    #: The node's public address; discovered (LoadBalancer ingress, then the public-IP services) if unset.
    public_ip: str | None = None
    #: Full resync period (upstream: --sync-raven-rules-period, clamped to [1m, 24h]).
    resync_period: float = 600.0
    #: First retry delay after a failed sync (doubles up to ``resync_period``).
    retry_period: float = 1.0
    #: Where the last plan is written as JSON (for operators and tests); None to skip.
    status_file: Path | None = None
    #: Whether to honour ``raven-cfg`` ``enable-l3-tunnel`` (off: tear down like the controller would).
    follow_raven_cfg: bool = True


@attrs.frozen
class SyncReport:
    plan: NodePlan
    applied: int
    errors: tuple[str, ...]


class RavenAgent:
    def __init__(
        self,
        client: Client,
        host: HostNetwork | Callable[[], HostNetwork],
        options: AgentOptions,
        *,
        clock: Clock | None = None,
        discover_public_ip: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        self.client = client
        # netlink sockets are not safe to share across threads (pyroute2 runs its own event loop),
        # so every host call runs on one dedicated thread, where a factory also builds the host.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raven-host")
        self._host_factory = None if isinstance(host, HostNetwork) else host
        self._host: HostNetwork | None = host if isinstance(host, HostNetwork) else None
        self.options = options
        self.clock: Clock = clock or RealClock()
        self._discover = discover_public_ip or discover_public_ip_http
        self._kick = asyncio.Event()
        self.factory = InformerFactory(client, clock=self.clock)
        self.gateways = self.factory.informer(GATEWAY_API, "Gateway")
        self.nodes = self.factory.informer("v1", "Node")
        self.configmaps = self.factory.informer("v1", "ConfigMap", wellknown.NAMESPACE_KUBE_SYSTEM)
        for inf in (self.gateways, self.nodes, self.configmaps):
            inf.add_event_handler(
                on_add=lambda _o: self.kick(), on_update=lambda _o, _n: self.kick(), on_delete=lambda _o: self.kick()
            )
        self.last: SyncReport | None = None
        self.syncs = 0

    def kick(self) -> None:
        self._kick.set()

    @property
    def host(self) -> HostNetwork:
        if self._host is None:
            raise RuntimeError("the host is built when the agent runs")
        return self._host

    async def _on_host(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _ensure_host(self) -> HostNetwork:
        if self._host is None:
            assert self._host_factory is not None
            self._host = await self._on_host(self._host_factory)
        return self._host

    # ------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Sync until ``stop`` is set, then remove everything raven created on this host."""
        self.factory.start()
        try:
            await self._ensure_host()
            await self._on_host(self.host.prepare)
            waiter = asyncio.create_task(stop.wait())
            try:
                synced: asyncio.Future[Any] = asyncio.gather(*(i.wait_synced() for i in self.factory.informers))
                done, _ = await asyncio.wait([waiter, synced], return_when=asyncio.FIRST_COMPLETED)
                if waiter in done:
                    synced.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await synced
                delay = self.options.retry_period
                while not stop.is_set():
                    self._kick.clear()
                    report = await self._sync_safely()
                    if report is not None and not report.errors:
                        delay = self.options.retry_period
                        timeout = self.options.resync_period
                    else:
                        timeout = delay
                        delay = min(delay * 2, self.options.resync_period)
                    kicked = asyncio.create_task(self._kick.wait())
                    await asyncio.wait({waiter, kicked}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                    kicked.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await kicked
            finally:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
        finally:
            try:
                if self._host is not None:
                    await self.teardown()
            finally:
                for inf in self.factory.informers:
                    await inf.stop()
                if self._host is not None:
                    await self._on_host(self._host.close)
                self._executor.shutdown(wait=False)

    async def _sync_safely(self) -> SyncReport | None:
        try:
            return await self.sync()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("raven agent: sync failed: %s", exc, exc_info=not isinstance(exc, ApiError))
            return None

    async def teardown(self) -> list[str]:
        current = await self._on_host(self.host.observe, EMPTY_STATE)
        ops = diff(current, EMPTY_STATE)
        errors = await self._on_host(self.host.apply, ops) if ops else []
        log.info("raven agent: removed %d items (%d errors)", len(ops), len(errors))
        return errors

    # ------------------------------------------------------------------------------------------
    def _gateway_objects(self) -> list[Gateway]:
        out: list[Gateway] = []
        for obj in self.gateways.list():
            try:
                out.append(Gateway.model_validate(obj))
            except ValueError as exc:
                log.warning("raven agent: ignoring unparsable Gateway: %s", exc)
        return sorted(out, key=lambda g: g.name)

    def _tunnel_enabled(self) -> bool:
        if not self.options.follow_raven_cfg:
            return True
        cm = self.configmaps.get(wellknown.NAMESPACE_KUBE_SYSTEM, wellknown.CONFIGMAP_RAVEN_CFG)
        return RavenSwitches.from_data(dict(cm.get("data") or {}) if cm is not None else None).enable_tunnel

    async def sync(self) -> SyncReport:
        """One full sync; returns what was planned and applied."""
        await self._ensure_host()
        self.syncs += 1
        opts = self.options
        gateways = self._gateway_objects()
        errors: list[str] = []
        for wb in needed_writebacks(opts.node_name, gateways, opts.config):
            try:
                await self._write_back(await self._resolve(wb, gateways))
            except Exception as exc:
                errors.append(f"write-back {wb.field} to {wb.gateway}: {exc}")
        net = compute_network(opts.node_name, gateways, opts.config) if self._tunnel_enabled() else EMPTY_NETWORK
        facts = await self._on_host(self.host.mtu_facts, mtu_probe_target(net, opts.node_name))
        public_key = await self._on_host(self.host.public_key)
        plan = build_plan(opts.node_name, net, opts.config, facts, public_key=public_key)
        for wb in plan.writebacks:
            try:
                await self._write_back(wb)
            except Exception as exc:
                errors.append(f"write-back {wb.field} to {wb.gateway}: {exc}")
        current = await self._on_host(self.host.observe, plan.state)
        ops = diff(current, plan.state)
        if ops:
            log.info("raven agent: %s: applying %d operations", plan.role, len(ops))
            errors += await self._on_host(self.host.apply, ops)
        report = SyncReport(plan, len(ops), tuple(errors))
        self.last = report
        if opts.status_file is not None:
            self._write_status(report)
        return report

    def _write_status(self, report: SyncReport) -> None:
        assert self.options.status_file is not None
        data: dict[str, Any] = plan_to_json(report.plan)
        data.update(syncs=self.syncs, applied=report.applied, errors=list(report.errors))
        tmp = self.options.status_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.options.status_file)

    async def _resolve(self, wb: WriteBack, gateways: Sequence[Gateway]) -> WriteBack:
        """Fill in a discovered value (public IP); NAT discovery (STUN) is not implemented."""
        if wb.field != "publicIP":
            raise NotImplementedError(f"discovering {wb.field} (NAT traversal) is not supported")
        if self.options.public_ip:
            return attrs.evolve(wb, value=self.options.public_ip)
        gw = next((g for g in gateways if g.name == wb.gateway), None)
        if gw is not None and gw.spec.expose_type == "LoadBalancer":
            ip = await self._load_balancer_ip(gw)
            if ip:
                return attrs.evolve(wb, value=ip)
            raise RuntimeError("the LoadBalancer service has no ingress IP yet")
        return attrs.evolve(wb, value=await self._discover())

    async def _load_balancer_ip(self, gw: Gateway) -> str:
        selector = (
            f"{wellknown.LABEL_GATEWAY}={gw.name},{wellknown.LABEL_GATEWAY_TYPE}={wellknown.GATEWAY_TYPE_TUNNEL},"
            f"{wellknown.LABEL_ENDPOINTS_NAME}={self.options.node_name}"
        )
        services = await self.client.list("v1", "Service", label_selector=selector)
        for svc in services.items:
            for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
                if ing.get("ip"):
                    return str(ing["ip"])
        return ""

    async def _write_back(self, wb: WriteBack) -> None:
        """Get-modify-update of the Gateway spec, retried on conflicts."""
        for _ in range(5):
            try:
                gw = Gateway.model_validate(await self.client.get(GATEWAY_API, "Gateway", wb.gateway))
            except NotFoundError:
                return
            changed = apply_writeback(gw, wb)
            if changed == gw:
                return
            try:
                await self.client.update(changed.to_wire())
                log.info("raven agent: wrote %s of %s into Gateway %s", wb.field, wb.node_name, wb.gateway)
                return
            except ConflictError:
                continue
        raise RuntimeError(f"Gateway {wb.gateway}: too many conflicts")


async def discover_public_ip_http(urls: Sequence[str] = PUBLIC_IP_URLS, timeout: float = 5.0) -> str:
    """The first IPv4 address found in the answer of upstream's public-IP services."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        for url in urls:
            try:
                async with session.get(url) as resp:
                    match = _IPV4.search(await resp.text())
                    if match:
                        return match.group(0)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.debug("public IP from %s failed: %s", url, exc)
    raise RuntimeError("no public IP service answered")


__all__ = ["AgentOptions", "RavenAgent", "SyncReport", "discover_public_ip_http"]
