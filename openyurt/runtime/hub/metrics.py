"""The hub's Prometheus metrics (``node_yurthub_*``), in a registry of its own.

Operators of edge fleets read these to tell a flaky cloud link from a broken node: which components
ask for what, how much is answered from the cache, how many bytes come from the cloud, and which API
servers the hub currently considers healthy.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

PREFIX = "node_yurthub"
#: (client component, verb, resource, subresource)
LabelKey = tuple[str, str, str, str]


class LabelCounts:
    """What the hub counts for one kind of request, as plain integers read at scrape time.

    Why not Prometheus children: each of their increments takes a lock, and a cached GET through the
    hub makes four of them, more than the rest of its bookkeeping together.
    """

    __slots__ = ("hits", "requests", "traffic")

    def __init__(self) -> None:
        self.requests = 0
        self.traffic = 0
        self.hits = 0


class _RequestCollector:
    """Exposes the request counters (names and labels as upstream yurthub's)."""

    def __init__(self, metrics: HubMetrics) -> None:
        self.metrics = metrics

    def describe(self) -> Iterator[Metric]:
        return self.collect()

    def collect(self) -> Iterator[Metric]:
        labels = ["client", "verb", "resource", "subresources"]
        requests = CounterMetricFamily(
            f"{PREFIX}_requests",
            "Requests received by the hub proxy, by client component, verb and resource.",
            labels=labels,
        )
        traffic = CounterMetricFamily(
            f"{PREFIX}_proxy_traffic_collector",
            "Bytes received from the cloud, by client component, verb, resource and subresource.",
            labels=labels,
        )
        hits = CounterMetricFamily(
            f"{PREFIX}_cache_hits",
            "Requests answered from the local cache, by client component, verb and resource.",
            labels=labels[:3],
        )
        by_resource: dict[tuple[str, str, str], int] = {}
        for key, c in list(self.metrics.counts.items()):
            requests.add_metric(list(key), c.requests)
            traffic.add_metric(list(key), c.traffic)
            by_resource[key[:3]] = by_resource.get(key[:3], 0) + c.hits
        for key3, n in by_resource.items():
            hits.add_metric(list(key3), n)
        yield requests
        yield traffic
        yield hits
        yield GaugeMetricFamily(
            f"{PREFIX}_in_flight_requests_total", "Requests the hub is serving right now.", value=self.metrics.in_flight
        )


class HubMetrics:
    """All hub metrics; one instance per hub."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        #: request counters by label key; ``in_flight``: requests being served now
        self.counts: dict[LabelKey, LabelCounts] = {}
        self.in_flight = 0
        r.register(_RequestCollector(self))
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

    def counts_for(self, key: LabelKey) -> LabelCounts:
        c = self.counts.get(key)
        if c is None:
            c = self.counts[key] = LabelCounts()
        return c

    def render(self) -> bytes:
        return generate_latest(self.registry)
