"""A :class:`HostNetwork` assembled from item managers: dispatch each item kind to its owner."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from openyurt.adapters.net.protocols import Firewall, LinkManager, RouteManager, TunnelDriver
from openyurt.core.raven.nodeplan import HostState, Item, MtuFacts, Op

log = logging.getLogger(__name__)


class ComposedHost:
    """Links, routes, tunnel and firewall managers behind one :class:`HostNetwork`."""

    def __init__(
        self,
        links: LinkManager,
        routes: RouteManager,
        tunnel: TunnelDriver,
        firewall: Firewall,
        *,
        prepare_sysctls: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.links, self.routes, self.tunnel, self.firewall = links, routes, tunnel, firewall
        self._managers = (links, routes, tunnel, firewall)
        self._owner = {kind: m for m in self._managers for kind in m.kinds}
        self._sysctls = tuple(prepare_sysctls)

    def prepare(self) -> None:
        for key, value in self._sysctls:
            path = "/proc/sys/" + key.replace(".", "/")
            try:
                with open(path, "w") as f:
                    f.write(value)
            except OSError as exc:
                log.warning("cannot set %s=%s: %s", key, value, exc)

    def observe(self, hint: HostState) -> HostState:
        items: list[Item] = []
        for m in self._managers:
            items.extend(m.observe(hint))
        return HostState.of(items)

    def apply(self, ops: Iterable[Op]) -> list[str]:
        errors: list[str] = []
        for op in ops:
            try:
                self._owner[op.item.kind].apply(op)
            except Exception as exc:  # reported and retried by the next sync
                errors.append(f"{op}: {exc}")
                log.warning("raven: %s failed: %s", op, exc)
        return errors

    def mtu_facts(self, probe_target: str | None) -> MtuFacts:
        return self.links.mtu_facts(probe_target)

    def public_key(self) -> str:
        return self.tunnel.public_key()

    def close(self) -> None:
        self.tunnel.close()
        for m in self._managers:
            close = getattr(m, "close_netlink", None)
            if close is not None:
                close()
