"""Run inside a fresh network namespace: apply a worked-example plan with the Linux adapter.

Prints JSON: the number of operations of the first apply, the errors, the operations a second diff
still finds (must be none), and what is left after teardown (must be nothing).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from openyurt.adapters.net.linux import linux_host
from openyurt.core.raven.network import AgentConfig, compute_network
from openyurt.core.raven.nodeplan import EMPTY_STATE, build_plan, diff
from tests.unit.raven import worked_example


def main(node: str) -> None:
    for name in ("c1", "h1", "q1"):
        key = subprocess.run(["sh", "-c", "wg genkey | wg pubkey"], capture_output=True, text=True, check=True)
        worked_example.KEYS[name] = key.stdout.strip()
    host = linux_host(Path(tempfile.mkdtemp()))
    try:
        net = compute_network(node, worked_example.gateways(), AgentConfig())
        from openyurt.core.raven.nodeplan import mtu_probe_target

        facts = host.mtu_facts(mtu_probe_target(net, node))
        plan = build_plan(node, net, AgentConfig(), facts, public_key=host.public_key())
        ops = diff(host.observe(plan.state), plan.state)
        errors = host.apply(ops)
        again = diff(host.observe(plan.state), plan.state)
        teardown_errors = host.apply(diff(host.observe(EMPTY_STATE), EMPTY_STATE))
        left = host.observe(EMPTY_STATE)
        print(
            json.dumps(
                {
                    "mtu": plan.mtu,
                    "applied": len(ops),
                    "errors": errors + teardown_errors,
                    "again": [str(o) for o in again],
                    "left": [repr(i) for i in left.items],
                }
            )
        )
    finally:
        host.close()


if __name__ == "__main__":
    main(sys.argv[1])
