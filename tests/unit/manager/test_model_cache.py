"""ModelCache: parsed models are reused per resourceVersion and do not outlive their objects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from openyurt.core.api.core_v1 import ConfigMap, Node
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.runtime.controller import Request
from openyurt.runtime.manager.ctrl_common import ModelCache
from openyurt.runtime.manager.ctrl_nodepool import make_reconciler
from tests.unit.manager.harness import Rig, node, nodepool


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.stop()


async def test_models_are_reused_per_resource_version_and_evicted_on_delete(rig: Rig) -> None:
    nodes = rig.informers.informer("v1", "Node")
    memo = ModelCache()
    memo.track(Node, nodes)
    memo.track(Node, nodes)  # idempotent: one handler
    await rig.mem.create(node("a"))
    await rig.mem.create(node("b"))
    rig.informers.start()
    await rig.informers.wait_synced()
    a = nodes.get("", "a")
    assert a is not None
    first = memo.model(Node, a)
    assert memo.model(Node, a) is first and memo.size == 1
    memo.models(Node, nodes.list())
    assert memo.size == 2

    await rig.mem.delete("v1", "Node", "a")
    await rig.until(lambda: nodes.get("", "a") is None)
    assert memo.size == 1
    # a reconcile that read "a" before the delete parses it but does not put it back
    assert memo.model(Node, a).name == "a"
    assert memo.size == 1


async def test_a_reconciler_cache_shrinks_with_the_cluster(rig: Rig) -> None:
    pools = rig.informers.informer("apps.openyurt.io/v1beta2", "NodePool")
    nodes = rig.informers.informer("v1", "Node")
    memo = ModelCache()
    reconcile = make_reconciler(rig.mem, pools, nodes, rig.clock, models=memo)
    await rig.mem.create(nodepool("p"))
    for i in range(5):
        await rig.mem.create(node(f"n{i}", "p"))
    rig.informers.start()
    await rig.informers.wait_synced()
    await reconcile(Request("", "p"))
    assert memo.size >= 6
    for i in range(5):
        await rig.mem.delete("v1", "Node", f"n{i}")
    await rig.mem.delete("apps.openyurt.io/v1beta2", "NodePool", "p")
    await rig.until(lambda: not nodes.list() and not pools.list())
    assert memo.size == 0


def test_untracked_classes_are_bounded() -> None:
    memo = ModelCache(max_entries=3)
    for i in range(10):
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"c{i}", "namespace": "default", "resourceVersion": str(i + 1)},
        }
        assert memo.model(ConfigMap, cm).name == f"c{i}"
    assert memo.size == 3
    pool = {"apiVersion": "apps.openyurt.io/v1beta2", "kind": "NodePool", "metadata": {"name": "p"}}
    memo.model(NodePool, pool)  # no resourceVersion: never kept
    assert memo.size == 3
