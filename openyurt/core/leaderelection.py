"""Who may lead: client-go's Lease-lock election as a pure decision on plain values.

yurt-manager replicas elect one leader on ``kube-system/yurt-manager``, and yurthubs will elect a pool
leader among themselves the same way, so the decision is written once, here, with no client, clock or
Kubernetes types: the caller passes what it last read and its own monotonic ``now``, and gets back what
to write. It follows client-go's ``tryAcquireOrRenew``:

* a lease held by someone else is valid while ``observed_at + leaseDurationSeconds > now``, where
  ``observed_at`` is the *local* time at which we first saw that exact record. Holders are judged on
  our own clock, never by comparing their ``renewTime`` with ours, so wall-clock offsets do not matter;
* the holder renews keeping ``acquireTime`` and ``leaseTransitions``; a new holder bumps transitions;
* a leader considers itself leader only until ``renew_deadline`` after the start of its last successful
  renewal (``LeaseAction.leader_until``). ``LeaseConfig`` refuses settings where that could overlap a
  takeover given the allowed clock-rate skew, which is what makes "never two leaders" hold;
* releasing writes an empty holder (and a 1 s duration) so the next candidate need not wait.

Writes are compare-and-swap on the version the record was read at; losing that race is how a
candidate learns someone else won.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import attrs


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class LeaseConfig:
    """Timing of an election (client-go defaults: 15 s lease, 10 s renew deadline, 2 s retry).

    ``max_clock_skew`` bounds how far any participant's monotonic clock may run fast or slow relative
    to real time (0.01 = 1 %); the lease must outlast the renew deadline even under that drift.
    """

    lease_duration: int = attrs.field(default=15, validator=_positive)
    renew_deadline: float = attrs.field(default=10.0, validator=_positive)
    retry_period: float = attrs.field(default=2.0, validator=_positive)
    max_clock_skew: float = 0.0

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.max_clock_skew < 0.5:
            raise ValueError("max_clock_skew must be within [0, 0.5)")
        skew = self.max_clock_skew
        if not self.renew_deadline * (1 + skew) < self.lease_duration * (1 - skew):
            raise ValueError(
                f"lease_duration ({self.lease_duration} s) must exceed renew_deadline ({self.renew_deadline} s) "
                f"even with a clock skew of {skew:.0%}"
            )
        if not self.retry_period < self.renew_deadline:
            raise ValueError("retry_period must be shorter than renew_deadline")


@attrs.frozen
class LeaseRecord:
    """The election fields of a Lease (coordination/v1 ``spec``), free of any wire type."""

    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    lease_transitions: int = 0


@attrs.frozen
class LeaseState:
    """A lease as one participant knows it: the record, the version it was read at, and since when."""

    record: LeaseRecord
    #: opaque version to write against (the Lease's resourceVersion)
    version: str
    #: local monotonic time at which this exact record was first observed
    observed_at: float


def observe_lease(previous: LeaseState | None, record: LeaseRecord, version: str, now: float) -> LeaseState:
    """Fold a fresh read into what we knew: ``observed_at`` moves only when the record changed."""
    if previous is not None and previous.record == record:
        return LeaseState(record=record, version=version, observed_at=previous.observed_at)
    return LeaseState(record=record, version=version, observed_at=now)


ActionKind = Literal["acquire", "renew", "wait", "release"]


@attrs.frozen
class LeaseAction:
    """What to do now: write ``record`` (acquire/renew/release) or nothing (wait)."""

    kind: ActionKind
    #: the record to write; None for wait
    record: LeaseRecord | None = None
    #: the version to compare-and-swap against; None means create the lease
    version: str | None = None
    #: who holds the lease if this action succeeds (for wait: the current valid holder, "" if none)
    holder: str = ""
    #: after a successful acquire/renew, we may act as leader until this local time
    leader_until: float | None = None
    #: when to plan again (seconds from now)
    retry_after: float = 0.0

    @property
    def create(self) -> bool:
        return self.record is not None and self.version is None


def current_holder(lease: LeaseState | None, now: float) -> str:
    """The identity holding a valid lease as far as we can tell at ``now``; "" when free or expired."""
    if lease is None or not lease.record.holder_identity:
        return ""
    if now < lease.observed_at + lease.record.lease_duration_seconds:
        return lease.record.holder_identity
    return ""


def plan_lease(
    lease: LeaseState | None,
    identity: str,
    now: float,
    config: LeaseConfig,
    *,
    wall: datetime | None = None,
    release: bool = False,
) -> LeaseAction:
    """Decide whether ``identity`` acquires, renews, waits or releases, and the record to write.

    ``now`` is the caller's monotonic time; ``wall`` (default: ``now`` read as a UNIX time) stamps
    acquireTime/renewTime. ``release`` asks to give the lease up (only a holder writes anything).
    """
    if not identity:
        raise ValueError("an election identity must not be empty")
    stamp = wall if wall is not None else datetime.fromtimestamp(now, UTC)
    if release:
        if lease is not None and lease.record.holder_identity == identity:
            record = LeaseRecord(
                holder_identity="",
                lease_duration_seconds=1,
                acquire_time=stamp,
                renew_time=stamp,
                lease_transitions=lease.record.lease_transitions,
            )
            return LeaseAction("release", record=record, version=lease.version, holder="")
        return LeaseAction("wait", holder=current_holder(lease, now), retry_after=config.retry_period)

    if lease is None:
        record = LeaseRecord(identity, config.lease_duration, stamp, stamp, 0)
        return LeaseAction(
            "acquire",
            record=record,
            version=None,
            holder=identity,
            leader_until=now + config.renew_deadline,
            retry_after=config.retry_period,
        )

    old = lease.record
    holder = current_holder(lease, now)
    if holder and holder != identity:
        # look again at the period, or right when the holder's lease runs out if that is sooner
        expires_in = lease.observed_at + old.lease_duration_seconds - now
        return LeaseAction("wait", holder=holder, retry_after=min(config.retry_period, expires_in))
    if old.holder_identity == identity:
        record = LeaseRecord(
            identity,
            config.lease_duration,
            old.acquire_time or stamp,
            stamp,
            old.lease_transitions,
        )
        kind: ActionKind = "renew"
    else:
        record = LeaseRecord(identity, config.lease_duration, stamp, stamp, old.lease_transitions + 1)
        kind = "acquire"
    return LeaseAction(
        kind,
        record=record,
        version=lease.version,
        holder=identity,
        leader_until=now + config.renew_deadline,
        retry_after=config.retry_period,
    )


def still_leading(leader_until: float | None, now: float) -> bool:
    """Whether a participant whose last successful renewal allowed ``leader_until`` may still lead."""
    return leader_until is not None and now < leader_until
