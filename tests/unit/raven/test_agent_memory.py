"""The agent and the pickup controller together on the in-memory API and in-memory hosts.

Two pools (a1, a2 | b1), each agent with its own MemoryHost: the agents publish public IPs and keys,
the pickup controller copies them into the status, the gateways peer with each other, the member
gets VXLAN only; stopping an agent removes all it created; a NotReady gateway fails over to a2.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from openyurt.adapters.clock import RealClock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.adapters.net.memory import MemoryHost
from openyurt.core.raven.network import AgentConfig
from openyurt.core.raven.nodeplan import Peer, VxlanLink, WireGuardLink
from openyurt.runtime.controller import Controller
from openyurt.runtime.raven.agent import AgentOptions, RavenAgent
from openyurt.runtime.raven.pickup import all_gateways, make_reconciler, raven_cfg_mapper
from tests.unit.raven.helpers import gateway, node

DEADLINE = 10.0


async def wait_for(cond: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not cond():
        if loop.time() > end:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def peers(host: MemoryHost) -> set[tuple[str, str]]:
    return {(i.public_key, i.endpoint) for i in host.state.items if isinstance(i, Peer)}


@contextlib.asynccontextmanager
async def running(coro_factory: Callable[[], Any]) -> AsyncIterator[asyncio.Task[Any]]:
    task = asyncio.create_task(coro_factory())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_agents_and_pickup_build_tunnels_and_fail_over() -> None:
    client = MemoryClient()
    await client.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "raven-cfg", "namespace": "kube-system"},
            "data": {"enable-l3-tunnel": "true"},
        }
    )
    for n in [
        node("a1", "gw-a", "172.16.1.1", "10.1.1.0/24"),
        node("a2", "gw-a", "172.16.1.2", "10.1.2.0/24"),
        node("b1", "gw-b", "172.16.2.1", "10.2.1.0/24"),
    ]:
        await client.create(n.to_wire())
    for gw in [gateway("gw-a", ["a1", "a2"]), gateway("gw-b", ["b1"])]:
        data = gw.to_wire()
        data.pop("status", None)
        await client.create(data)

    clock = RealClock()
    factory = InformerFactory(client, clock=clock)
    gws = factory.informer("raven.openyurt.io/v1beta1", "Gateway")
    nodes = factory.informer("v1", "Node")
    cms = factory.informer("v1", "ConfigMap", "kube-system")
    controller = Controller("gateway-pickup", make_reconciler(client, gws, nodes, cms), clock=clock)
    controller.watch(gws)
    controller.watch(nodes, all_gateways(gws))
    controller.watch(cms, raven_cfg_mapper(gws))
    factory.start()

    hosts = {n: MemoryHost(key=f"key-{n}") for n in ("a1", "a2", "b1")}
    stops = {n: asyncio.Event() for n in hosts}
    agents = {
        n: RavenAgent(
            client,
            hosts[n],
            AgentOptions(node_name=n, config=AgentConfig(), public_ip=f"100.64.0.{i}", retry_period=0.05),
        )
        for i, n in enumerate(hosts, 1)
    }
    tasks = {n: asyncio.create_task(agents[n].run(stops[n])) for n in agents}
    try:
        async with running(controller.run):
            await wait_for(lambda: peers(hosts["a1"]) == {("key-b1", "100.64.0.3:4500")}, "a1 peers with b1")
            await wait_for(lambda: peers(hosts["b1"]) == {("key-a1", "100.64.0.1:4500")}, "b1 peers with a1")
            await wait_for(
                lambda: agents["a2"].last is not None and agents["a2"].last.plan.role == "member", "a2 member"
            )
            a2_links = {type(i) for i in hosts["a2"].state.items if isinstance(i, VxlanLink | WireGuardLink)}
            assert a2_links == {VxlanLink}
            assert hosts["a1"].prepared
            # a second sync changes nothing
            before = len(hosts["a1"].applied)
            report = await agents["a1"].sync()
            assert report.applied == 0 and len(hosts["a1"].applied) == before

            # a1 goes away: its agent cleans up, then the node turns NotReady and a2 takes over
            stops["a1"].set()
            await tasks["a1"]
            assert len(hosts["a1"].state) == 0 and hosts["a1"].closed
            await client.update_status(node("a1", "gw-a", "172.16.1.1", "10.1.1.0/24", ready=False).to_wire())
            await wait_for(lambda: peers(hosts["b1"]) == {("key-a2", "100.64.0.2:4500")}, "b1 peers with a2")
            await wait_for(lambda: peers(hosts["a2"]) == {("key-b1", "100.64.0.3:4500")}, "a2 peers with b1")
            gw_a = await client.get("raven.openyurt.io/v1beta1", "Gateway", "gw-a")
            assert [e["nodeName"] for e in gw_a["status"]["activeEndpoints"]] == ["a2"]
            assert {e["nodeName"]: e.get("publicIP") for e in gw_a["spec"]["endpoints"]} == {
                "a1": "100.64.0.1",
                "a2": "100.64.0.2",
            }

            # the tunnel switch off in raven-cfg: every agent tears down
            cm = await client.get("v1", "ConfigMap", "raven-cfg", "kube-system")
            cm["data"] = {"enable-l3-tunnel": "false"}
            await client.update(cm)
            await wait_for(lambda: len(hosts["a2"].state) == 0 and len(hosts["b1"].state) == 0, "teardown")
    finally:
        for n in stops:
            stops[n].set()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        for inf in factory.informers:
            await inf.stop()
