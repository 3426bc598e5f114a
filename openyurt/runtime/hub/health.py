"""Is the cloud reachable? Decided by renewing this node's Lease, as upstream yurthub does.

A ``/healthz`` probe says the API server process lives; renewing ``kube-node-lease/<node>`` says the
whole path works *and* keeps the node Ready in the cloud while kubelet's own lease calls are answered
locally. One failed renewal makes a server unhealthy at once (serve from cache rather than let clients
hang); it takes ``healthy_threshold`` consecutive successes to trust it again (no flapping on a lossy
link). If kubelet stops renewing for longer than the grace period, the hub stops renewing too, so a
dead kubelet still lets the node go NotReady.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import attrs

from openyurt.runtime.hub.cloud import Backend, Cloud

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"


@attrs.define
class ProbeState:
    """Consecutive-success bookkeeping of one backend (the pure part of the state machine)."""

    healthy: bool = False
    successes: int = 0
    initialised: bool = False

    def observe(self, ok: bool, threshold: int) -> bool:
        """Record one probe result; returns the new health.

        The first probe decides directly; later: any failure → unhealthy, ``threshold`` consecutive
        successes while unhealthy → healthy.
        """
        if not self.initialised:
            self.initialised = True
            self.healthy = ok
            self.successes = 1 if ok else 0
            return self.healthy
        if not ok:
            self.healthy = False
            self.successes = 0
            return False
        self.successes += 1
        if not self.healthy and self.successes >= threshold:
            self.healthy = True
        return self.healthy


def micro_time(now: float) -> str:
    """RFC 3339 with exactly six fractional digits (``metav1.MicroTime``)."""
    dt = datetime.datetime.fromtimestamp(now, tz=datetime.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HealthChecker:
    """Probes every backend every ``interval`` seconds by renewing the node's Lease."""

    def __init__(
        self,
        cloud: Cloud,
        node_name: str,
        *,
        interval: float = 10.0,
        timeout: float = 2.0,
        healthy_threshold: int = 2,
        failed_retry: int = 3,
        kubelet_grace: float = 40.0,
        on_lease: Callable[[dict[str, Any]], None] | None = None,
        on_change: Callable[[Backend, bool], None] | None = None,
    ) -> None:
        self.cloud = cloud
        self.node_name = node_name
        self.interval = interval
        self.timeout = timeout
        self.healthy_threshold = healthy_threshold
        self.failed_retry = max(1, failed_retry)
        self.kubelet_grace = kubelet_grace
        self.on_lease = on_lease
        self.on_change = on_change
        self.states = {b.url: ProbeState() for b in cloud.backends}
        self._lease: dict[str, dict[str, Any]] = {}
        self._kubelet_last: float | None = None
        self._healthy = asyncio.Event()
        self._unhealthy = asyncio.Event()
        self._unhealthy.set()
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ state

    def is_healthy(self) -> bool:
        return self.cloud.any_healthy()

    async def wait_healthy(self) -> None:
        await self._healthy.wait()

    async def wait_unhealthy(self) -> None:
        await self._unhealthy.wait()

    def kubelet_renewed(self) -> None:
        """kubelet renewed its lease through the hub (answered locally)."""
        self._kubelet_last = time.monotonic()

    def _set(self, backend: Backend, healthy: bool) -> None:
        if backend.healthy != healthy:
            log.info("hub: cloud server %s is now %s", backend.url, "healthy" if healthy else "unhealthy")
            backend.healthy = healthy
            if self.on_change is not None:
                self.on_change(backend, healthy)
        if self.cloud.any_healthy():
            self._healthy.set()
            self._unhealthy.clear()
        else:
            self._healthy.clear()
            self._unhealthy.set()

    def report_failure(self, backend: Backend) -> None:
        """A request to ``backend`` failed at the transport level: stop sending it traffic now."""
        self.states[backend.url].observe(False, self.healthy_threshold)
        self._set(backend, False)

    # ------------------------------------------------------------------ probing

    async def probe_all(self) -> None:
        """One round: probe every backend (concurrently) and update their health."""
        if (
            self.kubelet_grace > 0
            and self._kubelet_last is not None
            and time.monotonic() - self._kubelet_last > self.kubelet_grace
        ):
            log.warning(
                "hub: kubelet has not renewed its lease for %.0fs; not renewing the node lease", self.kubelet_grace
            )
            for b in self.cloud.backends:
                self.states[b.url].observe(False, self.healthy_threshold)
                self._set(b, False)
            return
        results = await asyncio.gather(*(self._probe(b) for b in self.cloud.backends), return_exceptions=True)
        for b, ok in zip(self.cloud.backends, results, strict=True):
            good = ok is True
            self._set(b, self.states[b.url].observe(good, self.healthy_threshold))

    async def start(self) -> None:
        """The first (synchronous) round, then the periodic loop in the background."""
        await self.probe_all()
        self._task = asyncio.create_task(self._loop(), name="hub-health")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.probe_all()
            except Exception:  # keep probing whatever happened
                log.exception("hub: health probe round failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # ------------------------------------------------------------------ one probe = renew the lease

    def _lease_url(self, backend: Backend, name: str = "") -> str:
        base = f"{backend.url}/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases"
        return f"{base}/{name}" if name else base

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any] | None]:
        headers = {"User-Agent": self.cloud.user_agent, "Accept": "application/json", **self.cloud.auth_headers()}
        if body is not None:
            headers["Content-Type"] = "application/json"
        async with self.cloud.session.request(
            method, url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout)
        ) as resp:
            raw = await resp.read()
            try:
                data = _json(raw)
            except ValueError:
                data = None
            return resp.status, data

    async def _probe(self, backend: Backend) -> bool:
        try:
            for _ in range(self.failed_retry):
                lease = self._lease.get(backend.url)
                if lease is None:
                    lease = await self._get_or_create(backend)
                    if lease is None:
                        continue
                renewed = _with_renew_time(lease, time.time())
                name = self.node_name
                status, data = await self._call("PUT", self._lease_url(backend, name), renewed)
                if status == 200 and data is not None:
                    self._remember(backend, data)
                    return True
                self._lease.pop(backend.url, None)  # conflict or gone: re-read next attempt
            return False
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.debug("hub: probe of %s failed: %s", backend.url, exc)
            self._lease.pop(backend.url, None)
            return False

    def _remember(self, backend: Backend, lease: dict[str, Any]) -> None:
        annotations = (lease.get("metadata") or {}).get("annotations")
        if isinstance(annotations, dict):
            annotations.pop("openyurt.io/delegate-heartbeat", None)
        lease.setdefault("kind", "Lease")
        lease.setdefault("apiVersion", "coordination.k8s.io/v1")
        self._lease[backend.url] = lease
        if self.on_lease is not None:
            self.on_lease(lease)

    async def _get_or_create(self, backend: Backend) -> dict[str, Any] | None:
        status, data = await self._call("GET", self._lease_url(backend, self.node_name))
        if status == 200 and data is not None:
            return data
        if status != 404:
            return None
        now = micro_time(time.time())
        meta: dict[str, Any] = {"name": self.node_name, "namespace": LEASE_NAMESPACE}
        node_status, node = await self._call("GET", f"{backend.url}/api/v1/nodes/{self.node_name}")
        if node_status == 200 and node is not None and (node.get("metadata") or {}).get("uid"):
            meta["ownerReferences"] = [
                {"apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": node["metadata"]["uid"]}
            ]
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": meta,
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": int(self.kubelet_grace) if self.kubelet_grace > 0 else 40,
                "renewTime": now,
            },
        }
        status, data = await self._call("POST", self._lease_url(backend), body)
        if status in (200, 201) and data is not None:
            return data
        return None


def _with_renew_time(lease: dict[str, Any], now: float) -> dict[str, Any]:
    spec = dict(lease.get("spec") or {})
    spec["renewTime"] = micro_time(now)
    return {**lease, "spec": spec}


def _json(raw: bytes) -> dict[str, Any] | None:
    data = json.loads(raw) if raw else None
    return data if isinstance(data, dict) else None
