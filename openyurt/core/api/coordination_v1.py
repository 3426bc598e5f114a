"""coordination.k8s.io/v1: Lease, the heartbeat of every node and the lock of every leader election.

Node Leases in ``kube-node-lease`` are what keeps the cloud from evicting an edge node's pods; pool
leaders renew them for members cut off from the cloud. Times are MicroTime strings (six fractional
digits when Go wrote them); ``format_micro_time`` produces the canonical form a Go server accepts, so
our clients work against a real API server too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openyurt.core.api._base import Int32, MicroTime, ResourceInfo, WireModel
from openyurt.core.api._resource import Resource, register


class LeaseSpec(WireModel):
    open_schema = True
    holder_identity: str | None = None
    lease_duration_seconds: Int32 | None = None
    acquire_time: MicroTime | None = None
    renew_time: MicroTime | None = None
    lease_transitions: Int32 | None = None
    #: Coordinated leader election (1.31+): ``OldestEmulationVersion`` and friends.
    strategy: str | None = None
    preferred_holder: str | None = None


@register(
    ResourceInfo(
        group="coordination.k8s.io",
        version="v1",
        kind="Lease",
        plural="leases",
        singular="lease",
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class Lease(Resource):
    open_schema = True
    spec: LeaseSpec | None = None


def format_micro_time(moment: datetime) -> str:
    """``2026-11-26T17:33:41.123456Z``: UTC, exactly six fractional digits (Go's MicroTime layout)."""
    if moment.tzinfo is None:
        raise ValueError("MicroTime needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_time(moment: datetime) -> str:
    """``2026-11-26T17:33:41Z``: metav1.Time, UTC, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("Time needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """Any RFC 3339 timestamp (Time or MicroTime) as an aware datetime."""
    text = value.strip().replace("t", "T").replace(" ", "T")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, sep, rest = text.partition(".")
    if sep:
        # Python accepts at most six fractional digits; RFC 3339 allows more (nanoseconds).
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, tail = rest[:digits], rest[digits:]
        text = f"{head}.{frac[:6].ljust(6, '0')}{tail}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def lease_expiry(lease: Lease) -> datetime | None:
    """``renewTime + leaseDurationSeconds``, or None when either is missing."""
    spec = lease.spec
    if spec is None or not spec.renew_time or spec.lease_duration_seconds is None:
        return None
    return parse_time(spec.renew_time) + timedelta(seconds=spec.lease_duration_seconds)


def lease_is_valid(lease: Lease, now: datetime) -> bool:
    """True while the lease is held and unexpired at ``now`` (judged on the renewTime written in it)."""
    expiry = lease_expiry(lease)
    holder = lease.spec.holder_identity if lease.spec else None
    return bool(holder) and expiry is not None and now < expiry
