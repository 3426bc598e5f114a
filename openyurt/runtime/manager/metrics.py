"""Prometheus metrics of yurt-manager, on a registry per manager.

A registry per instance (not prometheus-client's global one) lets tests run several managers in one
process and lets ``/metrics`` show exactly this manager's controllers. Names follow
controller-runtime's so existing dashboards read them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ManagerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.reconciles = Counter(
            "controller_runtime_reconcile_total",
            "Reconciles per controller and result.",
            ["controller", "result"],
            registry=self.registry,
        )
        self.errors = Counter(
            "controller_runtime_reconcile_errors_total",
            "Reconciles that failed, per controller.",
            ["controller"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "workqueue_depth",
            "Keys waiting in a controller's work queue.",
            ["name"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "leader_election_master_status",
            "1 while this process leads the named lease, else 0.",
            ["name"],
            registry=self.registry,
        )
