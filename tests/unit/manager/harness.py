"""A manager-shaped rig for one or more registered controllers on MemoryClient + VirtualClock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from openyurt.adapters.clock import VirtualClock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.runtime.controller import Controller, EventRecorder
from openyurt.runtime.manager import controllers as _registered  # noqa: F401  (registers them)
from openyurt.runtime.manager.metrics import ManagerMetrics
from openyurt.runtime.manager.registry import ControllerContext, controller_factory


class Rig:
    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.mem = MemoryClient(clock=self.clock)
        self.informers = InformerFactory(self.mem, clock=self.clock, rng=random.Random(0))
        self.controllers: dict[str, Controller] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def ctx(self) -> ControllerContext:
        return ControllerContext(
            client=self.mem,
            informers=self.informers,
            clock=self.clock,
            metrics=ManagerMetrics(),
            rng=random.Random(0),
            recorder=lambda component: EventRecorder(self.mem, component, self.clock),
        )

    async def start(self, *names: str) -> None:
        ctx = self.ctx()
        for name in names:
            self.controllers[name] = controller_factory(name)(ctx)
        self.informers.start()
        for c in self.controllers.values():
            self.tasks.append(asyncio.create_task(c.run()))
        await self.informers.wait_synced()

    async def stop(self) -> None:
        for c in self.controllers.values():
            await c.stop()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.informers.stop()

    # reads -------------------------------------------------------------------------------------

    def all(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return [
            o
            for o in self.mem.objects()
            if o.get("kind") == kind and (namespace is None or (o["metadata"].get("namespace") or "") == namespace)
        ]

    def one(self, kind: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        for o in self.all(kind):
            if o["metadata"]["name"] == name and (o["metadata"].get("namespace") or "") == namespace:
                return o
        return None

    async def until(self, predicate: Callable[[], Any], limit: float = 120.0) -> None:
        await self.clock.wait_until(lambda: bool(predicate()), limit=limit)

    async def idle(self, seconds: float = 5.0) -> None:
        """Let virtual time pass so every queued reconcile (and short requeue) runs."""
        await self.clock.advance(seconds)

    def counts(self, name: str) -> dict[str, int]:
        return dict(self.controllers[name].counts)


def node(name: str, pool: str | None = None, *, ready: bool = True, **extra: Any) -> dict[str, Any]:
    labels = dict(extra.pop("labels", {}) or {})
    if pool:
        labels["apps.openyurt.io/nodepool"] = pool
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, **extra.pop("metadata", {})},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "addresses": [{"type": "InternalIP", "address": extra.pop("ip", "10.0.0.1")}],
        },
    }
    if "spec" in extra:
        obj["spec"] = extra.pop("spec")
    return obj


def nodepool(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps.openyurt.io/v1beta2",
        "kind": "NodePool",
        "metadata": {"name": name, "labels": spec.pop("labels_meta", {})},
        "spec": {"type": "Edge", **spec},
    }
