"""The node agent on the in-memory client and a virtual clock: it never drops pods on a failed read."""

from __future__ import annotations

from typing import Any

from openyurt.adapters.clock import VirtualClock
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.adapters.kube.protocols import ObjectList
from openyurt.errors import UnavailableError
from openyurt.runtime.sim import NodeAgent


class FlakyClient(MemoryClient):
    """Lists fail while ``cut`` is set (the cloud link is down and nothing is cached)."""

    cut = False

    async def list(self, *args: Any, **kwargs: Any) -> ObjectList:
        if self.cut:
            raise UnavailableError(0, "ServiceUnavailable", "cloud unreachable")
        return await super().list(*args, **kwargs)


async def test_agent_keeps_pods_when_reads_fail() -> None:
    clock = VirtualClock()
    client = FlakyClient(clock=clock)
    agent = NodeAgent(
        client,
        clock,
        node_name="edge-1",
        pool="hz",
        pod_cidr="10.244.7.0/24",
        internal_ip="127.0.1.7",
        lease_interval=10,
        status_interval=10,
        sync_interval=1,
    )
    await client.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"nodeName": "edge-1", "containers": [{"name": "c", "image": "x"}]},
        }
    )
    await agent.start()
    try:
        await clock.wait_until(lambda: bool(agent.pod_ips()), limit=30)
        pod = await client.get("v1", "Pod", "p", "default")
        assert pod["status"]["phase"] == "Running" and pod["status"]["podIP"] == "10.244.7.2"
        node = await client.get("v1", "Node", "edge-1")
        assert node["metadata"]["labels"]["apps.openyurt.io/nodepool"] == "hz"
        lease = await client.get("coordination.k8s.io/v1", "Lease", "edge-1", "kube-node-lease")
        assert lease["spec"]["holderIdentity"] == "edge-1"

        client.cut = True
        ok, failed = agent.reads_ok, agent.reads_failed
        await clock.advance(5)
        assert agent.reads_failed >= failed + 4 and agent.reads_ok == ok
        assert list(agent.pods) == [("default", "p")]  # still running as far as the node knows

        client.cut = False
        await clock.advance(2)
        assert agent.reads_ok > ok and agent.last_read is not None
        renewals = agent.lease_renewals
        await clock.advance(10)
        assert agent.lease_renewals == renewals + 1
    finally:
        await agent.stop()
