"""A minimal kube-scheduler for the embedded cluster: binds pending pods to fitting nodes.

Filters and the spread rule are :mod:`openyurt.core.sim.scheduling`; this side watches pods and
nodes, remembers its own bindings until the cache shows them (so a burst of pods spreads instead of
piling onto the node that looked emptiest a moment ago), and binds through ``pods/binding``.
"""

from __future__ import annotations

import logging
import random

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import InformerFactory, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core.sim._wire import pod_is_active, pod_node, spec, uid_of
from openyurt.core.sim.scheduling import choose_node, wants_default_scheduler
from openyurt.errors import ConflictError, NotFoundError
from openyurt.runtime.controller import Controller, Request, Result
from openyurt.runtime.sim._base import SimComponent

log = logging.getLogger(__name__)


class Scheduler(SimComponent):
    """Binds pods without ``spec.nodeName`` whose schedulerName is default (or empty)."""

    name = "sim-scheduler"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
        retry_interval: float = 1.0,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        self.retry_interval = retry_interval
        self.pods = self.informers.informer("v1", "Pod")
        self.nodes = self.informers.informer("v1", "Node")
        self._assumed: dict[tuple[str, str], tuple[str, str]] = {}  # key -> (uid, node)
        self.bound = 0
        ctl = Controller(self.name, self._reconcile, clock=clock)
        ctl.watch(self.pods, lambda p: [Request.of(p)] if wants_default_scheduler(p) else [])
        ctl.watch(self.nodes, lambda _n: self._pending())
        self.controllers.append(ctl)

    def _pending(self) -> list[Request]:
        return [Request.of(p) for p in self.pods.list() if wants_default_scheduler(p)]

    def load(self) -> dict[str, int]:
        """Pods per node: what the cache shows plus our bindings it has not shown yet."""
        out: dict[str, int] = {}
        for p in self.pods.list():
            if pod_is_active(p) and pod_node(p):
                out[pod_node(p)] = out.get(pod_node(p), 0) + 1
        for key, (uid, node) in list(self._assumed.items()):
            cached: Obj | None = self.pods.get(*key)
            if cached is None or pod_node(cached) or uid_of(cached) != uid:
                del self._assumed[key]
            else:
                out[node] = out.get(node, 0) + 1
        return out

    async def _reconcile(self, req: Request) -> Result | None:
        key = (req.namespace, req.name)
        pod = self.pods.get(*key)
        if pod is None or not wants_default_scheduler(pod):
            return None
        if self._assumed.get(key, ("", ""))[0] == uid_of(pod):
            return None  # bound already; the cache has not caught up
        node = choose_node(spec(pod), self.nodes.list(), self.load())
        if node is None:
            return Result(requeue_after=self.retry_interval)
        try:
            await self.client.bind_pod(req.namespace, req.name, node)
        except (ConflictError, NotFoundError) as exc:
            log.info("%s: %s not bound: %s", self.name, req, exc)
            return None
        self._assumed[key] = (uid_of(pod), node)
        self.bound += 1
        log.info("%s: bound %s to %s", self.name, req, node)
        return None
