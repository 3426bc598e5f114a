"""Narrow capabilities the raven agent needs from a host, one per subsystem, plus the composite.

Each manager owns some item kinds of :mod:`openyurt.core.raven.nodeplan`: it reports what exists of
them (only what raven owns: its devices, tables 9027/9028, its ipsets and chains) and carries out one
:class:`~openyurt.core.raven.nodeplan.Op` at a time. The agent never decides anything here; it diffs
the observed state against the plan in the pure core and feeds the operations back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from openyurt.core.raven.nodeplan import HostState, Item, MtuFacts, Op


@runtime_checkable
class ItemManager(Protocol):
    #: The ``Item.kind`` values this manager observes and applies.
    kinds: frozenset[str]

    def observe(self, hint: HostState) -> Iterable[Item]:
        """The items of our kinds that exist; ``hint`` (the desired state) helps match opaque rules."""
        ...

    def apply(self, op: Op) -> None:
        """Carry out one operation; raises on failure."""
        ...


class LinkManager(ItemManager, Protocol):
    """VXLAN link, addresses, FDB and neighbour entries (netlink)."""

    def mtu_facts(self, probe_target: str | None) -> MtuFacts:
        """MTU of the default-route interface and of the interface towards ``probe_target``."""
        ...


class RouteManager(ItemManager, Protocol):
    """Routes of raven's tables and the rules pointing at them."""


class TunnelDriver(ItemManager, Protocol):
    """The VPN device and its peers; holds the private key."""

    def public_key(self) -> str: ...

    def close(self) -> None:
        """Stop helper processes (after the device has been removed)."""
        ...


class Firewall(ItemManager, Protocol):
    """ipsets, iptables chains and rules, and the skip-NAT pairs."""


@runtime_checkable
class HostNetwork(Protocol):
    """Everything the agent uses: observe all, apply a batch, MTU facts, the VPN key, host setup."""

    def prepare(self) -> None:
        """One-time host settings (sysctls) at agent start."""
        ...

    def observe(self, hint: HostState) -> HostState: ...

    def apply(self, ops: Iterable[Op]) -> list[str]:
        """Apply in order; keep going on errors and return them (the next sync retries)."""
        ...

    def mtu_facts(self, probe_target: str | None) -> MtuFacts: ...

    def public_key(self) -> str: ...

    def close(self) -> None: ...
