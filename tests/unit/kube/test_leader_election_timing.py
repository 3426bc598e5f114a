"""Lease planner decisions and the elector loop on virtual time (exact elapsed times, no sleeps).

Cases: planner acquire/create, renew keeps acquireTime and transitions, takeover bumps transitions,
wait while another holds a valid lease, release; config refuses unsafe timings. Elector: the first
candidate acquires at t=0; a standby takes over exactly lease_duration after the leader stops renewing
(crash: no release); a clean stop releases and the standby leads at its next retry; a leader whose
renewals fail steps down exactly at the renew deadline, also when requests hang; Lease wire fields.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from openyurt.adapters.clock import VirtualClock
from openyurt.adapters.kube.interceptor import Interceptor, unavailable
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.core.leaderelection import LeaseConfig, LeaseRecord, LeaseState, observe_lease, plan_lease
from openyurt.runtime.leaderelection import LeaderElector, lease_spec, record_from_lease

CFG = LeaseConfig(lease_duration=15, renew_deadline=10.0, retry_period=2.0)
T0 = datetime(2030, 1, 1, tzinfo=UTC)


def test_plan_acquire_renew_takeover_release() -> None:
    first = plan_lease(None, "a", 100.0, CFG, wall=T0)
    assert first.kind == "acquire" and first.create and first.leader_until == 110.0
    assert first.record == LeaseRecord("a", 15, T0, T0, 0)
    state = LeaseState(first.record, "1", 100.0)  # type: ignore[arg-type]
    renew = plan_lease(state, "a", 102.0, CFG, wall=T0.replace(second=2))
    assert renew.kind == "renew" and renew.version == "1"
    assert renew.record is not None and renew.record.acquire_time == T0 and renew.record.lease_transitions == 0
    wait = plan_lease(state, "b", 114.9, CFG)
    assert wait.kind == "wait" and wait.holder == "a" and wait.record is None
    assert wait.retry_after == pytest.approx(0.1)
    take = plan_lease(state, "b", 115.0, CFG, wall=T0)
    assert take.kind == "acquire" and take.record is not None and take.record.lease_transitions == 1
    release = plan_lease(state, "a", 103.0, CFG, wall=T0, release=True)
    assert release.kind == "release" and release.record == LeaseRecord("", 1, T0, T0, 0)
    assert plan_lease(state, "b", 103.0, CFG, release=True).kind == "wait"


def test_observed_time_moves_only_when_record_changes() -> None:
    rec = LeaseRecord("a", 15, T0, T0, 0)
    s1 = observe_lease(None, rec, "1", 5.0)
    assert observe_lease(s1, rec, "1", 9.0).observed_at == 5.0
    assert observe_lease(s1, LeaseRecord("a", 15, T0, T0.replace(second=3), 0), "2", 9.0).observed_at == 9.0


def test_config_refuses_unsafe_timings() -> None:
    with pytest.raises(ValueError):
        LeaseConfig(lease_duration=10, renew_deadline=10.0, retry_period=2.0)
    with pytest.raises(ValueError):
        LeaseConfig(lease_duration=10, renew_deadline=9.5, retry_period=2.0, max_clock_skew=0.1)
    with pytest.raises(ValueError):
        LeaseConfig(lease_duration=10, renew_deadline=5.0, retry_period=5.0)


def test_lease_wire_round_trip() -> None:
    rec = LeaseRecord("a", 15, T0, T0.replace(microsecond=123456), 3)
    spec = lease_spec(rec)
    assert spec["renewTime"] == "2030-01-01T00:00:00.123456Z"
    assert record_from_lease({"spec": spec}) == rec


def elector(client: object, clock: VirtualClock, identity: str, log: list[str]) -> LeaderElector:
    return LeaderElector(
        client,  # type: ignore[arg-type]
        namespace="kube-system",
        name="yurt-manager",
        identity=identity,
        config=CFG,
        clock=clock,
        on_started_leading=lambda: log.append(f"{identity} start@{clock.now()}"),
        on_stopped_leading=lambda: log.append(f"{identity} stop@{clock.now()}"),
    )


async def test_standby_takes_over_exactly_a_lease_after_the_crash() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    log: list[str] = []
    a = elector(mem, clock, "a", log)
    a.release_on_stop = False  # a crash: nobody releases
    b = elector(mem, clock, "b", log)
    ta = asyncio.create_task(a.run())
    await clock.settle()
    tb = asyncio.create_task(b.run())
    try:
        await clock.wait_until(lambda: a.is_leader)
        assert log == ["a start@0.0"]
        await clock.advance(7.0)
        assert a.is_leader and not b.is_leader and b.leader == "a"
        # a dies at t=7 after renewing at t=6. b polled at t=6 just before that renewal, so it first
        # sees the last record at t=8 and judges it on its own clock: expiry 8 + 15, which is within
        # lease_duration + retry_period of the crash.
        ta.cancel()
        await asyncio.gather(ta, return_exceptions=True)
        await clock.wait_until(lambda: b.is_leader)
        assert clock.now() == 8.0 + 15
        assert clock.now() - 7.0 <= CFG.lease_duration + CFG.retry_period
        lease = await mem.get("coordination.k8s.io/v1", "Lease", "yurt-manager", "kube-system")
        assert lease["spec"]["holderIdentity"] == "b" and lease["spec"]["leaseTransitions"] == 1
    finally:
        b.stop()
        await clock.run_until(tb)


async def test_clean_stop_releases_and_standby_leads_at_next_retry() -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    log: list[str] = []
    a = elector(mem, clock, "a", log)
    b = elector(mem, clock, "b", log)
    ta = asyncio.create_task(a.run())
    await clock.settle()
    tb = asyncio.create_task(b.run())
    await clock.advance(5.0)
    a.stop()
    assert await clock.run_until(ta) is True
    lease = await mem.get("coordination.k8s.io/v1", "Lease", "yurt-manager", "kube-system")
    assert lease["spec"]["holderIdentity"] == ""
    await clock.wait_until(lambda: b.is_leader)
    assert clock.now() == 6.0  # b's retry grid: 0, 2, 4, 6
    assert log == ["a start@0.0", "a stop@5.0", "b start@6.0"]
    b.stop()
    await clock.run_until(tb)


@pytest.mark.parametrize("fault", ["error", "hang"])
async def test_leader_steps_down_at_the_renew_deadline(fault: str) -> None:
    clock = VirtualClock()
    mem = MemoryClient(clock=clock)
    client = Interceptor(mem)
    log: list[str] = []
    a = elector(client, clock, "a", log)
    task = asyncio.create_task(a.run())
    await clock.wait_until(lambda: a.is_leader)
    await clock.advance(4.0)  # renewed at 2 and 4
    if fault == "error":
        client.fail("update", unavailable, times=None)
        client.fail("get", unavailable, times=None)
    else:
        client.delay("update", clock, 1000.0)
        client.delay("get", clock, 1000.0)
    lost = not await clock.run_until(task)
    assert lost
    assert clock.now() == 4.0 + CFG.renew_deadline
    assert log == ["a start@0.0", "a stop@14.0"]
    assert not a.is_leader
