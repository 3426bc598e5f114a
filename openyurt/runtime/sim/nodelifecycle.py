"""A minimal node lifecycle controller plus taint-based eviction, for the embedded cluster.

Nodes whose heartbeat (status or Lease, or a Lease the pool leader renews with
``openyurt.io/delegate-heartbeat``) is older than the grace period turn ``Ready=Unknown`` and get
``unreachable`` taints; a fresh heartbeat removes them again. Pods on NoExecute-tainted nodes are
deleted once their tolerations run out. Decisions: :mod:`openyurt.core.sim.lifecycle`. Each pass
runs every ``monitor_period`` seconds on the injected Clock.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pydantic

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node
from openyurt.core.planners.autonomy import Liveness, may_mark_pods_not_ready
from openyurt.core.sim._wire import dict_list, is_terminating, meta, name_of, namespace_of, spec, uid_of
from openyurt.core.sim.lifecycle import plan_eviction, plan_node_health, pods_not_ready_patch
from openyurt.errors import ApiError, ConflictError, NotFoundError
from openyurt.runtime.sim._base import SimComponent

log = logging.getLogger(__name__)

DEFAULT_GRACE_PERIOD = 40.0


class NodeLifecycleController(SimComponent):
    """Marks silent nodes Unknown and tainted, heals them, evicts pods that do not tolerate the taints."""

    name = "sim-node-lifecycle"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
        grace_period: float = DEFAULT_GRACE_PERIOD,
        monitor_period: float | None = None,
        evict: bool = True,
        mark_pods_not_ready: bool = True,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        self.grace_period = grace_period
        self.monitor_period = monitor_period if monitor_period is not None else min(5.0, max(0.2, grace_period / 8))
        self.evict = evict
        self.mark_pods_not_ready = mark_pods_not_ready
        self.nodes = self.informers.informer("v1", "Node")
        self.leases = self.informers.informer("coordination.k8s.io/v1", "Lease", wellknown.NAMESPACE_KUBE_NODE_LEASE)
        self.pods = self.informers.informer("v1", "Pod")
        #: uid of every pod this controller deleted (tests and logs)
        self.evicted: list[str] = []
        self.liveness: dict[str, Liveness] = {}
        self.loop("monitor", lambda: self.monitor_period, self.monitor_once)

    async def monitor_once(self) -> None:
        """One pass over every node: health, taints, pod readiness, evictions."""
        now = self.clock.wall()
        grace = timedelta(seconds=self.grace_period)
        for node in self.nodes.list():
            name = name_of(node)
            lease = self.leases.get(wellknown.NAMESPACE_KUBE_NODE_LEASE, name)
            try:
                plan = plan_node_health(node, lease, now=now, grace_period=grace)
            except pydantic.ValidationError as exc:
                log.info("%s: node %s not understood: %s", self.name, name, exc)
                continue
            if plan is None:
                continue
            if self.liveness.get(name) != plan.liveness:
                log.info("%s: node %s is %s", self.name, name, plan.liveness)
            self.liveness[name] = plan.liveness
            taints: Sequence[Mapping[str, Any]] = dict_list(spec(node).get("taints"))
            try:
                if plan.status_patch is not None:
                    await self.client.patch_status("v1", "Node", name, plan.status_patch, patch_type="strategic")
                if plan.taints is not None:
                    patch = {
                        "metadata": {"resourceVersion": meta(node).get("resourceVersion")},
                        "spec": {"taints": plan.taints or None},
                    }
                    await self.client.patch("v1", "Node", name, patch)
                    taints = plan.taints
            except ConflictError:
                continue  # changed under us: next pass
            except NotFoundError:
                continue
            if plan.liveness is Liveness.UNKNOWN and self.mark_pods_not_ready:
                await self._mark_not_ready(node)
            if self.evict:
                await self._evict(name, taints)

    async def _mark_not_ready(self, node: Mapping[str, Any]) -> None:
        try:
            allowed = may_mark_pods_not_ready(Node.model_validate(node))
        except pydantic.ValidationError:
            allowed = True
        if not allowed:
            return  # OpenYurt: pods of an autonomous node keep serving
        now = self.clock.wall()
        for pod in self.pods.by_node_name(name_of(node)):
            patch = pods_not_ready_patch(pod, now)
            if patch is None or is_terminating(pod):
                continue
            try:
                await self.client.patch_status(
                    "v1", "Pod", name_of(pod), patch, namespace_of(pod), patch_type="strategic"
                )
            except ApiError as exc:
                log.info("%s: pod %s/%s not marked: %s", self.name, namespace_of(pod), name_of(pod), exc)

    async def _evict(self, node: str, taints: Sequence[Mapping[str, Any]]) -> None:
        if not any(t.get("effect") == wellknown.TAINT_EFFECT_NO_EXECUTE for t in taints):
            return
        now = self.clock.wall()
        for pod in self.pods.by_node_name(node):
            if is_terminating(pod) or uid_of(pod) in self.evicted:
                continue
            if not plan_eviction(pod, taints, now=now).now:
                continue
            try:
                await self.client.delete("v1", "Pod", name_of(pod), namespace_of(pod), uid=uid_of(pod))
            except NotFoundError:
                continue
            except ApiError as exc:
                log.info("%s: eviction of %s/%s failed: %s", self.name, namespace_of(pod), name_of(pod), exc)
                continue
            self.evicted.append(uid_of(pod))
            log.info("%s: evicted %s/%s from %s", self.name, namespace_of(pod), name_of(pod), node)
