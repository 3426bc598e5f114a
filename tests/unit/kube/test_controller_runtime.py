"""Work queue and controller runtime on virtual time.

Cases: keys are deduplicated while queued; a key added while it is reconciled runs again after, never
concurrently; bounded concurrency; a transient error backs off per key (exact times) and a terminal
error is not requeued; requeue_after; clean shutdown drops pending requeues; Events are created and
then aggregated (count, lastTimestamp); metrics count reconciles and errors.
"""

from __future__ import annotations

import asyncio

from openyurt.adapters.clock import VirtualClock
from openyurt.adapters.kube.informer import Informer, InformerKey
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.errors import TerminalError
from openyurt.runtime.controller import Controller, EventRecorder, RateLimiter, Request, Result, WorkQueue
from openyurt.runtime.manager.metrics import ManagerMetrics

K = Request("default", "a")


async def test_queue_dedups_and_requeues_keys_added_while_processing() -> None:
    q = WorkQueue(VirtualClock())
    q.add(K)
    q.add(K)
    assert len(q) == 1
    key = await q.get()
    assert key == K
    q.add(K)  # while processing: parked, not handed out again
    assert len(q) == 0
    q.done(K)
    assert len(q) == 1
    await q.shutdown()
    assert await q.get() is None


async def test_same_key_never_concurrent_and_concurrency_bounded() -> None:
    clock = VirtualClock()
    running: set[Request] = set()
    peak = [0]
    seen: list[Request] = []

    async def reconcile(req: Request) -> Result | None:
        assert req not in running
        running.add(req)
        peak[0] = max(peak[0], len(running))
        await clock.sleep(1.0)
        running.discard(req)
        seen.append(req)
        return None

    ctrl = Controller("t", reconcile, clock=clock, workers=2)
    await ctrl.start()
    for name in ("a", "b", "c", "a"):
        ctrl.enqueue(Request("default", name))
    await clock.advance(0.5)
    ctrl.enqueue(Request("default", "a"))  # a is running: it runs once more afterwards
    await clock.wait_until(lambda: len(seen) == 4)
    assert peak[0] == 2
    assert sorted(r.name for r in seen) == ["a", "a", "b", "c"]
    assert clock.now() == 2.0
    await ctrl.stop()


async def test_transient_errors_back_off_and_terminal_errors_stop() -> None:
    clock = VirtualClock()
    times: dict[str, list[float]] = {"flaky": [], "bad": []}

    async def reconcile(req: Request) -> Result | None:
        times[req.name].append(clock.now())
        if req.name == "bad":
            raise TerminalError("spec.foo: unsupported")
        if len(times["flaky"]) < 4:
            raise RuntimeError("transient")
        return None

    metrics = ManagerMetrics()
    ctrl = Controller("t", reconcile, clock=clock, rate_limiter=RateLimiter(base=1.0, cap=3.0), metrics=metrics)
    await ctrl.start()
    ctrl.enqueue(Request("", "flaky"))
    ctrl.enqueue(Request("", "bad"))
    await clock.wait_until(lambda: len(times["flaky"]) == 4)
    await clock.advance(100)
    assert times["flaky"] == [0.0, 1.0, 3.0, 6.0]  # backoff 1, 2, then capped at 3
    assert times["bad"] == [0.0]
    assert ctrl.counts == {"error": 3, "terminal_error": 1, "success": 1}
    assert ctrl.queue.rate_limiter.retries(Request("", "flaky")) == 0  # forgotten after success
    errors = metrics.registry.get_sample_value("controller_runtime_reconcile_errors_total", {"controller": "t"})
    assert errors == 4
    await ctrl.stop()


async def test_requeue_after_and_clean_shutdown() -> None:
    clock = VirtualClock()
    times: list[float] = []

    async def reconcile(req: Request) -> Result | None:
        times.append(clock.now())
        return Result(requeue_after=30.0)

    ctrl = Controller("t", reconcile, clock=clock)
    task = asyncio.create_task(ctrl.run())
    ctrl.enqueue(K)
    await clock.advance(65)
    assert times == [0.0, 30.0, 60.0]
    await ctrl.stop()
    await clock.run_until(task)
    assert clock.pending_timers == 0


async def test_informer_events_drive_reconciles() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    await mem.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
    inf = Informer(mem, InformerKey("v1", "ConfigMap"), clock=clock)
    seen: list[tuple[str, bool]] = []

    async def reconcile(req: Request) -> Result | None:
        seen.append((req.name, inf.get(req.namespace, req.name) is not None))
        return None

    ctrl = Controller("t", reconcile, clock=clock)
    ctrl.watch(inf)
    inf.start()
    await ctrl.start()
    await clock.wait_until(lambda: len(seen) == 1)
    await mem.delete("v1", "ConfigMap", "a", "default")
    await clock.wait_until(lambda: len(seen) == 2)
    assert seen == [("a", True), ("a", False)]
    await ctrl.stop()
    await inf.stop()


async def test_events_are_recorded_and_aggregated() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    obj = await mem.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "ns"}})
    rec = EventRecorder(mem, "yurt-manager", clock)
    await rec.event(obj, "Warning", "Invalid", "spec.x is bad")
    await clock.advance(5)
    await rec.event(obj, "Warning", "Invalid", "spec.x is bad")
    await rec.event(obj, "Normal", "Synced", "ok")
    events = (await mem.list("v1", "Event", "ns")).items
    assert len(events) == 2
    agg = next(e for e in events if e["reason"] == "Invalid")
    assert agg["count"] == 2 and agg["type"] == "Warning"
    assert agg["firstTimestamp"] == "2030-01-01T00:00:00Z" and agg["lastTimestamp"] == "2030-01-01T00:00:05Z"
    assert agg["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "namespace": "ns",
        "name": "a",
        "uid": obj["metadata"]["uid"],
        "resourceVersion": obj["metadata"]["resourceVersion"],
    }
    assert agg["source"] == {"component": "yurt-manager"}
