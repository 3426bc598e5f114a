"""An in-memory host for unit tests of the agent: same observe/apply contract, no kernel.

Operations follow :func:`openyurt.core.raven.nodeplan.apply_ops` (a deleted device takes its routes,
neighbours and peers along), and every applied operation is recorded, so tests can assert both the
end state and that a second sync does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from openyurt.core.raven.nodeplan import HostState, MtuFacts, Op, apply_ops


class MemoryHost:
    def __init__(self, *, facts: MtuFacts | None = None, key: str = "bWVtb3J5LWtleQ==") -> None:
        self.state = HostState()
        self.applied: list[Op] = []
        self.facts = facts or MtuFacts(default_route_mtu=1500, underlay_mtu=1500)
        self.key = key
        self.prepared = False
        self.closed = False
        #: item kinds whose operations fail (to test error reporting and retries)
        self.failing: set[str] = set()

    def prepare(self) -> None:
        self.prepared = True

    def observe(self, hint: HostState) -> HostState:
        return self.state

    def apply(self, ops: Iterable[Op]) -> list[str]:
        errors: list[str] = []
        for op in ops:
            if op.item.kind in self.failing:
                errors.append(f"{op}: injected failure")
                continue
            self.state = apply_ops(self.state, [op])
            self.applied.append(op)
        return errors

    def mtu_facts(self, probe_target: str | None) -> MtuFacts:
        return self.facts if probe_target else MtuFacts(self.facts.default_route_mtu, None)

    def public_key(self) -> str:
        return self.key

    def close(self) -> None:
        self.closed = True
