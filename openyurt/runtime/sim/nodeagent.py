"""A kubelet-like node agent: registers its Node, heartbeats, and "runs" the pods bound to it.

It talks only through its kubeconfig — in ``openyurt up`` that is its node's yurthub — with a kubelet
User-Agent, so the hub caches its reads and keeps serving them when the cloud link is cut. Like a
real kubelet on an autonomous edge node it never treats a failed read as "no pods": it keeps what it
has and tries again. Counters (``reads_ok``, ``reads_failed``, ``last_read``) let tests assert that it
keeps reading from the hub's cache. Status content: :mod:`openyurt.core.sim.kubelet`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.sim import kubelet
from openyurt.core.sim._wire import is_terminating, labels_of, name_of, namespace_of, spec, status, uid_of
from openyurt.errors import AlreadyExistsError, ApiError, ConflictError, NotFoundError
from openyurt.runtime.sim._base import SimComponent
from openyurt.runtime.sim.client import delete_pod_now

log = logging.getLogger(__name__)

PodKey = tuple[str, str]


class NodeAgent(SimComponent):
    """One simulated kubelet for ``node_name``."""

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        node_name: str,
        pod_cidr: str,
        internal_ip: str,
        pool: str | None = None,
        edge: bool = True,
        labels: Mapping[str, str] | None = None,
        lease_interval: float = 10.0,
        lease_duration: int = 40,
        status_interval: float = 10.0,
        sync_interval: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(client, clock, rng=rng)
        self.name = f"sim-kubelet {node_name}"
        self.node_name = node_name
        self.pod_cidr = pod_cidr
        self.internal_ip = internal_ip
        self.pool = pool
        self.edge = edge
        self.labels = dict(labels or {})
        self.lease_interval = lease_interval
        self.lease_duration = lease_duration
        self.status_interval = status_interval
        self.sync_interval = sync_interval
        #: the pods bound here as last read (kept when a read fails)
        self.pods: dict[PodKey, dict[str, Any]] = {}
        self.reads_ok = 0
        self.reads_failed = 0
        #: ``clock.now()`` of the last successful read of the pods, None before the first
        self.last_read: float | None = None
        self.last_error: ApiError | None = None
        self.lease_renewals = 0
        self.status_reports = 0
        self.registered = asyncio.Event()
        self._node: dict[str, Any] | None = None
        self._lease: dict[str, Any] | None = None
        self._ips: dict[str, str] = {}  # pod uid -> IP
        self._next_ip = 0
        self.loop("register+status", self._status_interval, self.report_status)
        self.loop("lease", lambda: self.lease_interval, self.renew_lease)
        self.loop("pods", lambda: self.sync_interval, self.sync_pods)

    def _status_interval(self) -> float:
        return self.status_interval if self.registered.is_set() else min(1.0, self.status_interval)

    # ------------------------------------------------------------------------------------------
    # Node

    async def register(self) -> None:
        """Create the Node, or bring the labels of an existing one in line."""
        desired = kubelet.node_object(
            self.node_name,
            pool=self.pool,
            edge=self.edge,
            pod_cidr=self.pod_cidr,
            internal_ip=self.internal_ip,
            labels=self.labels,
        )
        try:
            node = await self.client.get("v1", "Node", self.node_name)
        except NotFoundError:
            try:
                node = await self.client.create(desired)
            except AlreadyExistsError:
                node = await self.client.get("v1", "Node", self.node_name)
        want = labels_of(desired)
        if any(labels_of(node).get(k) != v for k, v in want.items()):
            node = await self.client.patch("v1", "Node", self.node_name, {"metadata": {"labels": want}})
        self._node = node
        self.registered.set()

    async def report_status(self) -> None:
        if not self.registered.is_set():
            await self.register()
        patch = kubelet.node_status_patch(self.node_name, self.internal_ip, self.clock.wall(), self._node)
        self._node = await self.client.patch_status("v1", "Node", self.node_name, patch, patch_type="strategic")
        self.status_reports += 1
        if self._lease is None:
            await self.renew_lease()  # the first heartbeat right after registering

    async def renew_lease(self) -> None:
        await self.registered.wait()
        now = self.clock.wall()
        node_uid = str(((self._node or {}).get("metadata") or {}).get("uid") or "") or None
        fresh = kubelet.lease_object(self.node_name, node_uid, now, self.lease_duration)
        if self._lease is None:
            try:
                self._lease = await self.client.get(
                    "coordination.k8s.io/v1", "Lease", self.node_name, wellknown.NAMESPACE_KUBE_NODE_LEASE
                )
            except NotFoundError:
                try:
                    self._lease = await self.client.create(fresh)
                    self.lease_renewals += 1
                    return
                except AlreadyExistsError:
                    return  # read it next time
        lease = dict(self._lease)
        lease_spec = dict(spec(lease))
        lease_spec.update(fresh["spec"])
        lease["spec"] = lease_spec
        try:
            self._lease = await self.client.update(lease)
            self.lease_renewals += 1
        except (ConflictError, NotFoundError):
            self._lease = None  # re-read next time
            raise

    # ------------------------------------------------------------------------------------------
    # Pods

    async def sync_pods(self) -> None:
        """Read the pods bound here; finish deletions, report new pods running. A failed read keeps
        the pods we have (the cloud may be unreachable; the hub may have nothing cached yet)."""
        try:
            page = await self.client.list("v1", "Pod", field_selector=f"spec.nodeName={self.node_name}")
        except ApiError as exc:
            self.reads_failed += 1
            self.last_error = exc
            log.info("%s: listing pods failed, keeping %d: %s", self.name, len(self.pods), exc)
            return
        self.reads_ok += 1
        self.last_read = self.clock.now()
        self.pods = {(namespace_of(p), name_of(p)): p for p in page.items if spec(p).get("nodeName") == self.node_name}
        for key, pod in sorted(self.pods.items()):
            try:
                await self._sync_pod(key, pod)
            except ApiError as exc:
                log.info("%s: pod %s/%s: %s", self.name, key[0], key[1], exc)

    def _ip_for(self, pod: Mapping[str, Any]) -> str:
        if spec(pod).get("hostNetwork"):
            return self.internal_ip
        uid = uid_of(pod)
        have = self._ips.get(uid) or str(status(pod).get("podIP") or "")
        if have:
            self._ips[uid] = have
            return have
        used = set(self._ips.values()) | kubelet.used_pod_ips(self.pods.values())
        while True:
            ip = kubelet.pod_ip(self.pod_cidr, self._next_ip)
            self._next_ip += 1
            if ip not in used:
                self._ips[uid] = ip
                return ip

    async def _sync_pod(self, key: PodKey, pod: dict[str, Any]) -> None:
        ns, name = key
        if is_terminating(pod):
            await delete_pod_now(self.client, ns, name, uid_of(pod) or None)
            self._ips.pop(uid_of(pod), None)
            return
        if status(pod).get("phase") in ("Succeeded", "Failed"):
            return
        if not kubelet.needs_status(pod, self.internal_ip):
            return
        st = kubelet.running_status(pod, pod_ip=self._ip_for(pod), host_ip=self.internal_ip, now=self.clock.wall())
        updated = await self.client.patch_status("v1", "Pod", name, {"status": st}, ns, patch_type="strategic")
        self.pods[key] = updated

    def pod_ips(self) -> dict[PodKey, str]:
        """The IP of every pod currently known here."""
        return {k: str(status(p).get("podIP")) for k, p in self.pods.items() if status(p).get("podIP")}
