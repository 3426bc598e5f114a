"""Service topology: which Endpoints/EndpointSlices to touch (servicetopology controllers)."""

from __future__ import annotations

from typing import Any

from openyurt.core.api.core_v1 import Endpoints, Service
from openyurt.core.api.discovery_v1 import EndpointSlice
from openyurt.core.planners import plan_topology_for_pool_change, plan_topology_for_service_change
from tests.unit.planners.builders import NOW


def svc(name: str, keys: str | None, ns: str = "default") -> Service:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if keys is not None:
        meta["annotations"] = {"openyurt.io/topologyKeys": keys}
    return Service.model_validate({"metadata": meta})


def eps(name: str, nodes: list[str], ns: str = "default") -> Endpoints:
    return Endpoints.model_validate(
        {
            "metadata": {"name": name, "namespace": ns},
            "subsets": [{"addresses": [{"ip": f"10.0.0.{i}", "nodeName": n} for i, n in enumerate(nodes)]}],
        }
    )


def eps_slice(name: str, service: str, nodes: list[str], ns: str = "default") -> EndpointSlice:
    return EndpointSlice.model_validate(
        {
            "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [f"10.0.0.{i}"], "nodeName": n} for i, n in enumerate(nodes)],
        }
    )


TRIGGER = {"metadata": {"annotations": {"openyurt.io/update-trigger": str(int(NOW.timestamp()))}}}


def test_annotation_change_touches_endpoints_and_slices_of_the_service() -> None:
    slices = [
        eps_slice("a-1", "a", ["n1"]),
        eps_slice("a-2", "a", []),
        eps_slice("b-1", "b", ["n1"]),
        eps_slice("a-x", "a", ["n1"], ns="other"),
    ]
    plan = plan_topology_for_service_change(
        svc("a", None), svc("a", "openyurt.io/nodepool"), [eps("a", ["n1"]), eps("b", [])], slices, now=NOW
    )
    assert [(p.ref.kind, p.ref.name) for p in plan.patches] == [
        ("EndpointSlice", "a-1"),
        ("EndpointSlice", "a-2"),
        ("Endpoints", "a"),
    ]
    assert all(p.patch == TRIGGER for p in plan.patches)


def test_unchanged_annotation_or_create_touches_nothing() -> None:
    same = svc("a", "kubernetes.io/hostname")
    assert plan_topology_for_service_change(same, same, [eps("a", [])], [], now=NOW).is_empty
    assert plan_topology_for_service_change(None, same, [eps("a", [])], [], now=NOW).is_empty


def test_pool_change_touches_pool_scoped_services_with_endpoints_in_the_pool() -> None:
    services = [
        svc("pooled", "openyurt.io/nodepool"),
        svc("zoned", "kubernetes.io/zone"),
        svc("host", "kubernetes.io/hostname"),
        svc("far", "openyurt.io/nodepool"),
    ]
    slices = [
        eps_slice("pooled-1", "pooled", ["n1"]),
        eps_slice("zoned-1", "zoned", ["n9", "n3"]),
        eps_slice("host-1", "host", ["n1"]),
        eps_slice("far-1", "far", ["n7"]),
    ]
    plan = plan_topology_for_pool_change(
        ["n1", "n2"], ["n1", "n2", "n3"], services, [eps("pooled", ["n2"])], slices, now=NOW
    )
    assert sorted(p.ref.name for p in plan.patches) == ["pooled", "pooled-1", "zoned-1"]
    assert plan_topology_for_pool_change(["n1"], ["n1"], services, [], slices, now=NOW).is_empty
