"""The elector loop: drive the pure lease planner against a Lease, on a Clock.

The decision (acquire, renew, wait, release) is ``openyurt.core.leaderelection.plan_lease``; this
module does the I/O around it the way client-go's ``LeaderElector.Run`` does: try to acquire every
retry period (or the moment the holder's lease runs out), then renew every retry period, and step
down once a renewal has not succeeded within the renew deadline, even while a request hangs: every
attempt is bounded by the time left. On a clean stop the leader releases the lease (empty holder) so a
successor need not wait out the lease. The small converters between the planner's ``LeaseRecord`` and
the coordination/v1 Lease wire shape live here too, keeping the planner free of Kubernetes types.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.protocols import LeaseClient
from openyurt.core.api.coordination_v1 import format_micro_time, parse_time
from openyurt.core.leaderelection import (
    LeaseAction,
    LeaseConfig,
    LeaseRecord,
    LeaseState,
    observe_lease,
    plan_lease,
    still_leading,
)
from openyurt.errors import ApiError, NotFoundError
from openyurt.runtime.manager.metrics import ManagerMetrics

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None] | None]


def record_from_lease(lease: Mapping[str, Any]) -> LeaseRecord:
    """The election fields of a coordination/v1 Lease (missing or unparsable times read as absent)."""
    spec = lease.get("spec") or {}

    def when(key: str) -> Any:
        value = spec.get(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            return parse_time(value)
        except ValueError:
            return None

    def number(key: str) -> int:
        value = spec.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return LeaseRecord(
        holder_identity=str(spec.get("holderIdentity") or ""),
        lease_duration_seconds=number("leaseDurationSeconds"),
        acquire_time=when("acquireTime"),
        renew_time=when("renewTime"),
        lease_transitions=number("leaseTransitions"),
    )


def lease_spec(record: LeaseRecord) -> dict[str, Any]:
    """``record`` as a Lease ``spec`` with MicroTime strings a Go API server accepts."""
    spec: dict[str, Any] = {
        "holderIdentity": record.holder_identity,
        "leaseDurationSeconds": record.lease_duration_seconds,
        "leaseTransitions": record.lease_transitions,
    }
    if record.acquire_time is not None:
        spec["acquireTime"] = format_micro_time(record.acquire_time)
    if record.renew_time is not None:
        spec["renewTime"] = format_micro_time(record.renew_time)
    return spec


def lease_object(
    namespace: str, name: str, record: LeaseRecord, *, base: Mapping[str, Any] | None = None, version: str | None = None
) -> dict[str, Any]:
    """A whole Lease: ``base`` (the last one read, to keep labels and other fields) with a new spec."""
    obj: dict[str, Any] = {k: v for k, v in (base or {}).items()}
    obj["apiVersion"], obj["kind"] = "coordination.k8s.io/v1", "Lease"
    meta = dict(obj.get("metadata") or {})
    meta["name"], meta["namespace"] = name, namespace
    if version is not None:
        meta["resourceVersion"] = version
    else:
        meta.pop("resourceVersion", None)
    obj["metadata"] = meta
    spec = dict(obj.get("spec") or {})
    spec.update(lease_spec(record))
    obj["spec"] = spec
    return obj


def _rv(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class LeaderElector:
    """Campaign for ``namespace/name`` as ``identity``; call back when leadership starts and stops."""

    def __init__(
        self,
        client: LeaseClient,
        *,
        namespace: str,
        name: str,
        identity: str,
        config: LeaseConfig,
        clock: Clock,
        on_started_leading: Callback | None = None,
        on_stopped_leading: Callback | None = None,
        on_new_leader: Callable[[str], None] | None = None,
        release_on_stop: bool = True,
        rng: random.Random | None = None,
        metrics: ManagerMetrics | None = None,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.config = config
        self.clock = clock
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_new_leader = on_new_leader
        self.release_on_stop = release_on_stop
        self.rng = rng
        self.metrics = metrics
        self.state: LeaseState | None = None
        self.leader_until: float | None = None
        #: the holder we last saw ("" when none)
        self.leader = ""
        self._lease: dict[str, Any] | None = None
        self._stop = asyncio.Event()
        self._leading = False
        #: counters for tests: successful acquires/renews
        self.acquisitions = 0
        self.renewals = 0

    @property
    def is_leader(self) -> bool:
        """Leader right now: holds the lease and renewed it within the renew deadline."""
        return self._leading and still_leading(self.leader_until, self.clock.now())

    def stop(self) -> None:
        """Ask ``run`` to return (releasing the lease if we lead)."""
        self._stop.set()

    # ------------------------------------------------------------------------------------------

    async def run(self) -> bool:
        """Campaign, lead until stopped or until leadership is lost. True if stopped, False if lost."""
        lost = False
        try:
            while not self._stop.is_set():
                action = await self._attempt()
                if action is not None and action.kind in ("acquire", "renew"):
                    break
                delay = self.config.retry_period
                if self.rng is not None:
                    delay *= 1.0 + 1.2 * self.rng.random()  # client-go's JitterUntil factor
                if action is not None and action.retry_after < self.config.retry_period:
                    delay = action.retry_after  # the holder's lease runs out sooner: look right then
                await self._pause(delay)
            if self._stop.is_set():
                return True
            await self._set_leading(True)
            while not self._stop.is_set():
                left = (self.leader_until or 0.0) - self.clock.now()
                await self._pause(min(self.config.retry_period, max(0.0, left)))
                if self._stop.is_set():
                    break
                left = (self.leader_until or 0.0) - self.clock.now()
                if left <= 0:
                    lost = True
                    break
                with contextlib.suppress(TimeoutError):
                    await self.clock.wait_for(self._attempt(), left)
                if not still_leading(self.leader_until, self.clock.now()):
                    lost = True
                    break
            if lost:
                log.warning("lease %s/%s: %s lost leadership", self.namespace, self.name, self.identity)
            return not lost
        finally:
            was_leading = self._leading
            if was_leading:
                await self._set_leading(False)
            if was_leading and not lost and self.release_on_stop:
                await self._release()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await self.clock.wait_for(self._stop.wait(), max(0.0, seconds))

    async def _set_leading(self, leading: bool) -> None:
        self._leading = leading
        if not leading:
            self.leader_until = None
        if self.metrics is not None:
            self.metrics.leader.labels(self.name).set(1 if leading else 0)
        callback = self.on_started_leading if leading else self.on_stopped_leading
        if callback is not None:
            result = callback()
            if inspect.isawaitable(result):
                await result

    def _observe_holder(self, holder: str) -> None:
        if holder != self.leader:
            self.leader = holder
            if holder and self.on_new_leader is not None:
                self.on_new_leader(holder)

    async def _write(self, action: LeaseAction) -> dict[str, Any] | None:
        assert action.record is not None
        obj = lease_object(self.namespace, self.name, action.record, base=self._lease, version=action.version)
        try:
            if action.create:
                return await self.client.create(obj)
            return await self.client.update(obj)
        except ApiError as exc:
            # 409: someone else wrote first; anything else: try again next period
            log.debug("lease %s/%s: %s failed: %s", self.namespace, self.name, action.kind, exc)
            return None

    async def _attempt(self) -> LeaseAction | None:
        """One tryAcquireOrRenew. Returns the action taken when it succeeded or was a wait, None on failure."""
        now = self.clock.now()
        wall = self.clock.wall()
        # Fast path: the leader renews against the version it wrote last, without a read.
        if self._leading and self.state is not None and self.state.record.holder_identity == self.identity:
            action = plan_lease(self.state, self.identity, now, self.config, wall=wall)
            written = await self._write(action)
            if written is not None:
                return self._succeeded(action, written, now)
        try:
            lease: dict[str, Any] | None = await self.client.get(
                "coordination.k8s.io/v1", "Lease", self.name, self.namespace
            )
        except NotFoundError:
            lease = None
        except ApiError as exc:
            log.debug("lease %s/%s: read failed: %s", self.namespace, self.name, exc)
            return None
        if lease is None:
            self.state, self._lease = None, None
        else:
            self._lease = lease
            self.state = observe_lease(self.state, record_from_lease(lease), _rv(lease), now)
        action = plan_lease(self.state, self.identity, now, self.config, wall=wall)
        if action.kind == "wait":
            self._observe_holder(action.holder)
            return action
        written = await self._write(action)
        if written is None:
            return None
        return self._succeeded(action, written, now)

    def _succeeded(self, action: LeaseAction, written: dict[str, Any], now: float) -> LeaseAction:
        assert action.record is not None
        self._lease = written
        self.state = LeaseState(record=record_from_lease(written), version=_rv(written), observed_at=now)
        self.leader_until = action.leader_until
        if action.kind == "acquire":
            self.acquisitions += 1
        else:
            self.renewals += 1
        self._observe_holder(self.identity)
        return action

    async def _release(self) -> None:
        action = plan_lease(
            self.state, self.identity, self.clock.now(), self.config, wall=self.clock.wall(), release=True
        )
        if action.kind != "release":
            return
        if await self._write(action) is not None:
            log.info("lease %s/%s: %s released it", self.namespace, self.name, self.identity)
            self._observe_holder("")
