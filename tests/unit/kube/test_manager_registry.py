"""The manager in process: controller selection, leader-gated controllers, lease release on stop."""

from __future__ import annotations

import asyncio

import pytest

from openyurt.adapters.clock import VirtualClock
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.core.leaderelection import LeaseConfig
from openyurt.runtime.controller import Controller, Request, Result
from openyurt.runtime.manager.app import Manager
from openyurt.runtime.manager.registry import ControllerContext, select_controllers


def test_select_controllers() -> None:
    known = {"a": lambda ctx: None, "b": lambda ctx: None}  # type: ignore[misc,return-value]
    assert list(select_controllers("*", known)) == ["a", "b"]
    assert list(select_controllers("b", known)) == ["b"]
    assert list(select_controllers("*,-a", known)) == ["b"]
    assert select_controllers("*", {}) == {}
    with pytest.raises(KeyError):
        select_controllers("nope", known)


async def test_controllers_run_only_while_leading_and_lease_is_released() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    await mem.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
    seen: list[Request] = []

    def factory(ctx: ControllerContext) -> Controller:
        async def reconcile(req: Request) -> Result | None:
            seen.append(req)
            await ctx.recorder("demo").event(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": req.name, "namespace": req.namespace}},
                "Normal",
                "Seen",
                "reconciled",
            )
            return None

        ctrl = Controller("demo", reconcile, clock=ctx.clock, metrics=ctx.metrics)
        ctrl.watch(ctx.informers.informer("v1", "ConfigMap"))
        return ctrl

    manager = Manager(
        mem,
        clock=clock,
        controllers={"demo": factory},
        leader_elect=True,
        identity="me",
        lease_config=LeaseConfig(lease_duration=3, renew_deadline=2.0, retry_period=0.5),
    )
    task = asyncio.create_task(manager.run())
    await clock.wait_until(lambda: bool(seen))
    assert manager.leading and manager.ready
    assert seen == [Request("default", "a")]
    assert manager.metrics.registry.get_sample_value("leader_election_master_status", {"name": "yurt-manager"}) == 1
    await clock.advance(5)
    manager.stop()
    assert await clock.run_until(task) == 0
    lease = await mem.get("coordination.k8s.io/v1", "Lease", "yurt-manager", "kube-system")
    assert lease["spec"]["holderIdentity"] == ""
    events = (await mem.list("v1", "Event", "default")).items
    assert [e["reason"] for e in events] == ["Seen"]
