"""The hub's Prometheus metrics (``node_yurthub_*``), in a registry of its own.

Operators of edge fleets read these to tell a flaky cloud link from a broken node: which components
ask for what, how much is answered from the cache, how many bytes come from the cloud, and which API
servers the hub currently considers healthy.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

PREFIX = "node_yurthub"


class HubMetrics:
    """All hub metrics; one instance per hub."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests",
            "Requests received by the hub proxy, by client component, verb and resource.",
            ["client", "verb", "resource", "subresources"],
            registry=r,
        )
        self.in_flight = Gauge(
            f"{PREFIX}_in_flight_requests_total", "Requests the hub is serving right now.", registry=r
        )
        self.cache_hits = Counter(
            f"{PREFIX}_cache_hits",
            "Requests answered from the local cache, by client component, verb and resource.",
            ["client", "verb", "resource"],
            registry=r,
        )
        self.traffic = Counter(
            f"{PREFIX}_proxy_traffic_collector",
            "Bytes received from the cloud, by client component, verb, resource and subresource.",
            ["client", "verb", "resource", "subresources"],
            registry=r,
        )
        self.healthy = Gauge(
            f"{PREFIX}_server_healthy_status",
            "1 when the hub considers the API server healthy.",
            ["server"],
            registry=r,
        )
        self.cache_objects = Gauge(f"{PREFIX}_cache_objects", "Objects held in the local cache.", registry=r)
        self.cache_write_errors = Gauge(
            f"{PREFIX}_error_keys_count", "Cache writes that failed since start.", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
