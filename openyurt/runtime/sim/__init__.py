"""SIMULATION ONLY: minimal stand-ins for Kubernetes' own components, for the embedded cluster.

Our embedded API server has no kube-scheduler, kube-controller-manager, kubelet or kube-proxy, yet
``openyurt up`` needs pods to be scheduled, run, listed as Service endpoints, and evicted from dead
nodes. These asyncio components do just that much — placement, workload controllers, endpoint
slices, node lifecycle/eviction, a kubelet-like node agent and a kube-proxy-like watcher — and
nothing more (no containers, no networking, no resource accounting). They are not OpenYurt and not
meant for a real cluster. Each takes a client and a Clock and has ``start()``/``stop()``; the pure
decisions live in :mod:`openyurt.core.sim`.
"""

from __future__ import annotations

import random

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.protocols import Client
from openyurt.runtime.sim._base import SIM_BACKOFF, SimComponent
from openyurt.runtime.sim.client import (
    USER_AGENT_CONTROLLERS,
    USER_AGENT_KUBE_PROXY,
    USER_AGENT_KUBELET,
    delete_pod_now,
)
from openyurt.runtime.sim.endpointslices import EndpointSliceController
from openyurt.runtime.sim.kubeproxy import KubeProxy, ProxyEndpoint, ProxyService
from openyurt.runtime.sim.nodeagent import NodeAgent
from openyurt.runtime.sim.nodelifecycle import DEFAULT_GRACE_PERIOD, NodeLifecycleController
from openyurt.runtime.sim.scheduler import Scheduler
from openyurt.runtime.sim.workloads import (
    DaemonSetController,
    DeploymentController,
    ReplicaSetController,
    StatefulSetController,
    WorkloadControllers,
)

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "SIM_BACKOFF",
    "USER_AGENT_CONTROLLERS",
    "USER_AGENT_KUBELET",
    "USER_AGENT_KUBE_PROXY",
    "DaemonSetController",
    "DeploymentController",
    "EndpointSliceController",
    "KubeProxy",
    "NodeAgent",
    "NodeLifecycleController",
    "ProxyEndpoint",
    "ProxyService",
    "ReplicaSetController",
    "Scheduler",
    "SimComponent",
    "SimControlPlane",
    "StatefulSetController",
    "WorkloadControllers",
    "delete_pod_now",
]


class SimControlPlane(SimComponent):
    """The cloud-side stand-ins in one object: scheduler, workload controllers, endpoint slices and
    node lifecycle, sharing one informer factory (one watch per kind)."""

    name = "sim-control-plane"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        node_grace_period: float = DEFAULT_GRACE_PERIOD,
        monitor_period: float | None = None,
        evict: bool = True,
        mark_pods_not_ready: bool = True,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        self.scheduler = Scheduler(client, clock, informers=self.informers, rng=self.rng)
        self.workloads = WorkloadControllers(client, clock, informers=self.informers, rng=self.rng)
        self.endpoints = EndpointSliceController(client, clock, informers=self.informers, rng=self.rng)
        self.lifecycle = NodeLifecycleController(
            client,
            clock,
            informers=self.informers,
            rng=self.rng,
            grace_period=node_grace_period,
            monitor_period=monitor_period,
            evict=evict,
            mark_pods_not_ready=mark_pods_not_ready,
        )
        self.parts: list[SimComponent] = [self.scheduler, self.workloads, self.endpoints, self.lifecycle]

    async def start(self) -> None:
        if self._own_informers:
            self.informers.start()
        for part in self.parts:
            await part.start()
        self._started = True

    async def stop(self) -> None:
        for part in reversed(self.parts):
            await part.stop()
        if self._own_informers and self._started:
            await self.informers.stop()
        self._started = False
