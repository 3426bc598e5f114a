"""Time as a dependency: every sleep, timeout and lease renewal in the runtime goes through a Clock.

Leader election, backoff and requeue-after are all about time, and testing them on the wall clock is
slow and flaky. So the runtime never calls ``asyncio.sleep``/``wait_for``/``time`` itself: it asks a
:class:`Clock`. :class:`RealClock` is the event loop's monotonic clock; :class:`VirtualClock` is a test
clock that only moves when told to (``advance``) or when everything is idle (``run_until``), so a test
can assert the exact elapsed virtual time of a 15-second lease takeover in milliseconds of real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    """Monotonic time for durations, wall time for timestamps written to objects."""

    def now(self) -> float:
        """Monotonic seconds; only differences mean anything."""
        ...

    def wall(self) -> datetime:
        """The current UTC time (for renewTime, Event timestamps...)."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    async def wait_for(self, aw: Awaitable[T], timeout: float | None) -> T:
        """Await ``aw``; cancel it and raise ``TimeoutError`` once ``timeout`` seconds pass."""
        ...


class RealClock:
    """The running event loop's clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def wait_for(self, aw: Awaitable[T], timeout: float | None) -> T:
        return await asyncio.wait_for(aw, timeout)


async def _race_timeout(clock: Clock, aw: Awaitable[T], timeout: float | None) -> T:
    """``wait_for`` built on ``clock.sleep``, for clocks the event loop knows nothing about."""
    task: asyncio.Future[T] = asyncio.ensure_future(aw)
    if timeout is None:
        return await task
    timer: asyncio.Future[None] = asyncio.ensure_future(clock.sleep(timeout))
    try:
        waiting: list[asyncio.Future[Any]] = [task, timer]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        timer.cancel()
        with contextlib.suppress(BaseException):
            await task
        with contextlib.suppress(BaseException):
            await timer
        raise
    if task.done():
        timer.cancel()
        with contextlib.suppress(BaseException):
            await timer
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    raise TimeoutError(f"timed out after {timeout} s")


class VirtualClock:
    """A clock that moves only when the test says so, or when every task is waiting on it.

    ``advance(d)`` fires the timers due within ``d`` in order, letting the loop settle after each.
    ``run_until(aw)`` jumps from timer to timer whenever the loop is idle, until ``aw`` completes: a
    whole leader-election scenario runs instantly and ``now()`` tells how long it took in virtual time.
    Only in-memory adapters belong under it: real I/O does not finish while the clock is frozen.
    """

    def __init__(self, start: float = 0.0, *, epoch: datetime | None = None) -> None:
        self._now = start
        self._epoch = epoch or datetime(2030, 1, 1, tzinfo=UTC)
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime:
        return self._epoch + timedelta(seconds=self._now)

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self._now + max(0.0, seconds), next(self._seq), fut))
        await fut

    async def wait_for(self, aw: Awaitable[T], timeout: float | None) -> T:
        return await _race_timeout(self, aw, timeout)

    @property
    def pending_timers(self) -> int:
        return sum(1 for _, _, f in self._timers if not f.done())

    def next_deadline(self) -> float | None:
        self._drop_cancelled()
        return self._timers[0][0] if self._timers else None

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0][2].done():
            heapq.heappop(self._timers)

    def _fire_due(self) -> bool:
        fired = False
        while self._timers and self._timers[0][0] <= self._now:
            _, _, fut = heapq.heappop(self._timers)
            if not fut.done():
                fut.set_result(None)
                fired = True
        return fired

    async def settle(self) -> None:
        """Let every runnable task run until all of them wait (on this clock or on something else)."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        for _ in range(10_000):
            await asyncio.sleep(0)
            if ready is not None and not ready:
                # one more round: callbacks scheduled by the last step (future callbacks) run now
                await asyncio.sleep(0)
                if not ready:
                    return
        # a loop without a visible ready queue: the fixed number of rounds above is the best we can do

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing due timers in deadline order."""
        target = self._now + seconds
        await self.settle()
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self._now = max(self._now, deadline)
            self._fire_due()
            await self.settle()
        self._now = target
        await self.settle()

    async def run_until(self, aw: Awaitable[T], *, limit: float = 3600.0) -> T:
        """Await ``aw``, jumping to the next timer whenever the loop is idle; at most ``limit`` virtual s."""
        task: asyncio.Future[T] = asyncio.ensure_future(aw)
        end = self._now + limit
        try:
            while True:
                await self.settle()
                if task.done():
                    return task.result()
                deadline = self.next_deadline()
                if deadline is None:
                    raise RuntimeError("deadlock: nothing runs and no timer is pending")
                if deadline > end:
                    raise TimeoutError(f"not done within {limit} virtual seconds")
                self._now = max(self._now, deadline)
                self._fire_due()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def wait_until(self, predicate: Callable[[], bool], *, limit: float = 3600.0) -> None:
        """Run virtual time until ``predicate()`` holds (checked whenever the loop is idle)."""

        end = self._now + limit
        while not predicate():
            await self.settle()
            if predicate():
                return
            deadline = self.next_deadline()
            if deadline is None:
                raise RuntimeError("deadlock: predicate false, nothing runs and no timer is pending")
            if deadline > end:
                raise TimeoutError(f"condition not met within {limit} virtual seconds")
            self._now = max(self._now, deadline)
            self._fire_due()
