"""Lease planner invariants: client-go's election never yields two leaders.

Property (cited by name in specs/invariants.md):

* ``test_never_two_leaders`` — candidates whose monotonic clocks run at any rates within the configured
  skew (and with arbitrary offsets) read, plan and compare-and-swap a shared Lease in any interleaving,
  with reads and writes split arbitrarily far apart, crashes (a candidate simply stops) and releases;
  at no real instant do two of them consider themselves leader (``still_leading``).
* ``test_plans_are_pure`` — equal inputs give equal actions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.leaderelection import (
    LeaseAction,
    LeaseConfig,
    LeaseRecord,
    LeaseState,
    observe_lease,
    plan_lease,
    still_leading,
)

SKEW = 0.15
CFG = LeaseConfig(lease_duration=15, renew_deadline=11.0, retry_period=2.0, max_clock_skew=SKEW)
EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


@attrs.define
class Candidate:
    name: str
    rate: float
    offset: float
    state: LeaseState | None = None
    pending: LeaseAction | None = None
    leader_until: float | None = None

    def local(self, t: float) -> float:
        return self.offset + self.rate * t


@attrs.define
class Store:
    record: LeaseRecord | None = None
    version: int = 0

    def cas(self, action: LeaseAction) -> bool:
        assert action.record is not None
        if action.version is None:
            if self.record is not None:
                return False
        elif self.record is None or str(self.version) != action.version:
            return False
        self.version += 1
        self.record = action.record
        return True


STEP = st.tuples(
    st.integers(0, 2),
    st.floats(0.0, 6.0, allow_nan=False),
    st.sampled_from(["attempt", "attempt", "plan", "commit", "release"]),
)


@settings(max_examples=300, deadline=None)
@given(
    rates=st.lists(st.floats(1 - SKEW, 1 + SKEW, allow_nan=False), min_size=3, max_size=3),
    offsets=st.lists(st.floats(-1000.0, 1000.0, allow_nan=False), min_size=3, max_size=3),
    steps=st.lists(STEP, max_size=80),
)
def test_never_two_leaders(rates: list[float], offsets: list[float], steps: list[tuple[int, float, str]]) -> None:
    cands = [Candidate(f"c{i}", rates[i], offsets[i]) for i in range(3)]
    store = Store()
    t = 0.0
    for who, dt, op in steps:
        t += dt
        c = cands[who]
        now = c.local(t)
        wall = EPOCH + timedelta(seconds=t)
        if op in ("attempt", "plan"):
            if store.record is None:
                c.state = None
            else:
                c.state = observe_lease(c.state, store.record, str(store.version), now)
            action = plan_lease(c.state, c.name, now, CFG, wall=wall)
            c.pending = action if action.record is not None else None
        if op in ("attempt", "commit") and c.pending is not None:
            action, c.pending = c.pending, None
            if store.cas(action):
                c.leader_until = action.leader_until
                assert action.record is not None
                c.state = LeaseState(action.record, str(store.version), now)
        if op == "release":
            c.leader_until = None  # stop leading first, then give the lease up
            c.pending = None
            action = plan_lease(c.state, c.name, now, CFG, wall=wall, release=True)
            if action.record is not None and store.cas(action):
                c.state = LeaseState(action.record, str(store.version), now)
        leaders = [x.name for x in cands if still_leading(x.leader_until, x.local(t))]
        assert len(leaders) <= 1, (t, leaders)


@given(
    holder=st.sampled_from(["", "a", "b"]),
    observed=st.floats(0, 100, allow_nan=False),
    now=st.floats(0, 200, allow_nan=False),
    release=st.booleans(),
)
def test_plans_are_pure(holder: str, observed: float, now: float, release: bool) -> None:
    state = LeaseState(LeaseRecord(holder, 15, EPOCH, EPOCH, 2), "7", observed)
    first = plan_lease(state, "a", now, CFG, wall=EPOCH, release=release)
    assert first == plan_lease(state, "a", now, CFG, wall=EPOCH, release=release)
