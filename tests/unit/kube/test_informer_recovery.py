"""Informer behaviour on the in-memory API and virtual time.

Cases: initial paginated list fills the cache and handlers; watch events flow; bookmarks advance the
resume version; 410 (compaction) re-lists and emits the deletions and updates missed meanwhile;
connection failures back off exponentially with jitter and a cap, at exact virtual times; indexes by
namespace, label and nodeName; the factory shares one informer per key; late handlers get the cache.
"""

from __future__ import annotations

import random
from typing import Any

from openyurt.adapters.clock import VirtualClock
from openyurt.adapters.kube.informer import Backoff, Informer, InformerFactory, InformerKey
from openyurt.adapters.kube.interceptor import Interceptor, unavailable
from openyurt.adapters.kube.memory import MemoryClient


class FixedRandom(random.Random):
    """random() always 0.5, so jittered delays are exact."""

    def random(self) -> float:
        return 0.5


def cm(name: str, ns: str = "default", **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def on_add(self, obj: dict[str, Any]) -> None:
        self.events.append(("add", obj["metadata"]["name"]))

    def on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.events.append(("update", new["metadata"]["name"]))

    def on_delete(self, obj: dict[str, Any]) -> None:
        self.events.append(("delete", obj["metadata"]["name"]))


def make(client: Any, clock: VirtualClock, **kwargs: Any) -> Informer:
    return Informer(
        client,
        InformerKey("v1", "ConfigMap"),
        clock=clock,
        rng=FixedRandom(),
        watch_timeout=(300, 300),
        **kwargs,
    )


async def test_paginated_list_then_watch() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    for i in range(5):
        await mem.create(cm(f"c{i}"))
    inf = make(mem, clock, page_size=2)
    rec = Recorder()
    inf.add_handler(rec)
    inf.start()
    try:
        await clock.run_until(inf.wait_synced())
        assert [k for k in inf.store.object_keys()] == [("default", f"c{i}") for i in range(5)]
        assert mem.calls.count("list") == 3  # 2 + 2 + 1
        assert rec.events == [("add", f"c{i}") for i in range(5)]
        await mem.patch("v1", "ConfigMap", "c1", {"data": {"k": "2"}}, "default")
        await mem.delete("v1", "ConfigMap", "c2", "default")
        await clock.wait_until(lambda: len(rec.events) == 7)
        assert rec.events[5:] == [("update", "c1"), ("delete", "c2")]
        assert inf.resource_version == str(mem.revision)
    finally:
        await inf.stop()


async def test_bookmark_advances_resume_version() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    await mem.create(cm("a"))
    inf = make(mem, clock)
    inf.start()
    try:
        await clock.run_until(inf.wait_synced())
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
        await mem.create(secret)  # a revision this informer has no event for...
        inf_rv = inf.resource_version
        await clock.settle()
        assert inf.resource_version == inf_rv
        mem.emit_bookmark()  # ...until a bookmark tells it how far it is
        await clock.wait_until(lambda: inf.resource_version == str(mem.revision))
    finally:
        await inf.stop()


async def test_gone_relists_and_emits_what_was_missed() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    for name in ("keep", "change", "vanish"):
        await mem.create(cm(name))
    inf = make(mem, clock)
    rec = Recorder()
    inf.add_handler(rec)
    # the watch stream is cut (a server restart) and will resume from an old version
    client = Interceptor(mem)
    inf.source = client
    inf.start()
    try:
        await clock.run_until(inf.wait_synced())
        client.fail("watch", unavailable, times=None)
        mem.disconnect_watches()
        await clock.wait_until(lambda: inf.failures >= 1)
        # meanwhile: changes, then the history is compacted away
        await mem.patch("v1", "ConfigMap", "change", {"data": {"k": "new"}}, "default")
        await mem.delete("v1", "ConfigMap", "vanish", "default")
        await mem.create(cm("fresh"))
        mem.compact()
        client.clear()
        rec.events.clear()
        await clock.wait_until(lambda: inf.relists == 2)
        assert sorted(rec.events) == [("add", "fresh"), ("delete", "vanish"), ("update", "change")]
        assert {k[1] for k in inf.store.object_keys()} == {"keep", "change", "fresh"}
        assert inf.get("default", "change")["data"] == {"k": "new"}  # type: ignore[index]
    finally:
        await inf.stop()


async def test_outage_backs_off_exponentially_with_jitter_and_cap() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    client = Interceptor(mem)
    client.fail("list", unavailable, times=6)
    inf = make(client, clock, backoff=Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.5))
    inf.start()
    try:
        await clock.run_until(inf.wait_synced())
        # FixedRandom: each delay is 0.75 * min(10, 2**n): 0.75 + 1.5 + 3 + 6 + 7.5 + 7.5
        assert clock.now() == 26.25
        assert inf.failures == 6
    finally:
        await inf.stop()


async def test_indexes() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    await mem.create(cm("a", "ns1", app="web"))
    await mem.create(cm("b", "ns2", app="web"))
    await mem.create(cm("c", "ns1", app="db"))
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns1"},
        "spec": {"nodeName": "edge-1", "containers": [{"name": "c", "image": "busybox"}]},
    }
    await mem.create(pod)
    factory = InformerFactory(mem, clock=clock, rng=FixedRandom())
    cms = factory.informer("v1", "ConfigMap")
    pods = factory.informer("v1", "Pod")
    assert factory.informer("v1", "ConfigMap") is cms
    assert factory.informer("v1", "ConfigMap", namespace="ns1") is not cms
    factory.start()
    try:
        await clock.run_until(factory.wait_synced())
        assert [o["metadata"]["name"] for o in cms.by_namespace("ns1")] == ["a", "c"]
        assert [o["metadata"]["name"] for o in cms.by_label("app", "web")] == ["a", "b"]
        assert [o["metadata"]["name"] for o in pods.by_node_name("edge-1")] == ["p"]
        await mem.patch("v1", "ConfigMap", "a", {"metadata": {"labels": {"app": "db"}}}, "ns1")
        await clock.wait_until(lambda: len(cms.by_label("app", "db")) == 2)
        assert [o["metadata"]["name"] for o in cms.by_label("app", "web")] == ["b"]
        late = Recorder()
        cms.add_handler(late)
        assert sorted(late.events) == [("add", "a"), ("add", "b"), ("add", "c")]
    finally:
        await factory.stop()


async def test_watch_timeout_rewatches_from_last_version() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    await mem.create(cm("a"))
    inf = make(mem, clock)
    inf.start()
    try:
        await clock.run_until(inf.wait_synced())
        await clock.advance(300)
        assert inf.watches == 2 and inf.relists == 1
        await mem.create(cm("b"))
        await clock.wait_until(lambda: inf.get("default", "b") is not None)
    finally:
        await inf.stop()
