"""network.openyurt.io PoolService: wire fidelity, metav1.Condition schema rules, API facts."""

from __future__ import annotations

from typing import Any

import pytest

from openyurt.core.api import network_v1alpha1
from openyurt.core.api._base import ObjectInvalid, PrinterColumn
from openyurt.core.api._resource import check_object, kind_class, parse_object, unknown_fields
from openyurt.core.api.core_v1 import LoadBalancerIngress, LoadBalancerStatus
from openyurt.core.api.meta_v1 import ObjectMeta
from openyurt.core.api.network_v1alpha1 import PoolService, PoolServiceSpec, PoolServiceStatus
from tests.unit.api.helpers import assert_fixtures_covered, assert_round_trips, fixture_loader

NAMES = ["poolservice.yaml", "poolservice-go-zero.yaml"]


_data = fixture_loader("network")


def test_every_fixture_file_is_covered() -> None:
    assert_fixtures_covered("network", NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trips(name: str) -> None:
    data = _data(name)
    obj = assert_round_trips(data, PoolService)
    assert unknown_fields(obj) == []
    assert check_object(data).to_wire() == data  # no webhook: nothing defaulted, nothing rejected


def test_go_zero_load_balancer() -> None:
    ps = parse_object(_data("poolservice-go-zero.yaml"))
    assert isinstance(ps, PoolService)
    assert ps.status.load_balancer == LoadBalancerStatus()
    assert ps.to_wire()["status"] == {"loadBalancer": {}}
    assert ps.to_wire()["metadata"]["creationTimestamp"] is None


def test_resource_info() -> None:
    info = PoolService.info
    assert (info.group, info.version, info.kind, info.plural, info.singular) == (
        "network.openyurt.io",
        "v1alpha1",
        "PoolService",
        "poolservices",
        "poolservice",
    )
    assert info.short_names == ("ps",)
    assert info.categories == ("yurt",)
    assert info.namespaced and info.served and info.storage and info.status_subresource
    assert not info.deprecated
    (age,) = info.printer_columns
    assert (age.name, age.json_path, age.type, age.priority) == ("AGE", ".metadata.creationTimestamp", "date", 0)
    assert age.description.startswith("CreationTimestamp is a timestamp representing the server time")
    assert isinstance(age, PrinterColumn)
    assert kind_class("network.openyurt.io/v1alpha1", "PoolService") is PoolService


def _cond(**over: Any) -> dict[str, Any]:
    data = _data("poolservice.yaml")
    data["status"]["conditions"][0].update(over)
    return data


BAD = [
    pytest.param(_cond(status="Yes"), "status.conditions[0].status", "FieldValueNotSupported", id="status-enum"),
    pytest.param(_cond(status=True), "status.conditions[0].status", "FieldValueNotSupported", id="status-bool"),
    pytest.param(_cond(reason=""), "status.conditions[0].reason", "FieldValueInvalid", id="reason-empty"),
    pytest.param(_cond(reason="has space"), "status.conditions[0].reason", "FieldValueInvalid", id="reason-pattern"),
    pytest.param(_cond(type="Bad Type"), "status.conditions[0].type", "FieldValueInvalid", id="type-pattern"),
    pytest.param(
        _cond(observedGeneration=-1),
        "status.conditions[0].observedGeneration",
        "FieldValueInvalid",
        id="negative-generation",
    ),
    pytest.param(
        _cond(lastTransitionTime="yesterday"),
        "status.conditions[0].lastTransitionTime",
        "FieldValueInvalid",
        id="time-format",
    ),
    pytest.param(_cond(message=7), "status.conditions[0].message", "FieldValueTypeInvalid", id="message-type"),
    pytest.param(
        {**_data("poolservice.yaml"), "spec": {"loadBalancerClass": 1}},
        "spec.loadBalancerClass",
        "FieldValueTypeInvalid",
        id="class-type",
    ),
    pytest.param(
        {**_data("poolservice.yaml"), "status": {"aggregateToLabels": {"k": 1}}},
        "status.aggregateToLabels.k",
        "FieldValueTypeInvalid",
        id="aggregate-value",
    ),
    pytest.param(
        {
            **_data("poolservice.yaml"),
            "status": {"loadBalancer": {"ingress": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}},
        },
        "status.loadBalancer.ingress[0].ports[0].port",
        "FieldValueTypeInvalid",
        id="port-type",
    ),
]


@pytest.mark.parametrize(("data", "path", "reason"), BAD)
def test_schema_rejections_name_the_field(data: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert (path, reason) in [(e.path, e.reason) for e in info.value.errors]


@pytest.mark.parametrize("missing", ["type", "status", "lastTransitionTime", "reason", "message"])
def test_condition_required_fields(missing: str) -> None:
    data = _data("poolservice.yaml")
    del data["status"]["conditions"][0][missing]
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert f"status.conditions[0].{missing}" in [e.path for e in info.value.errors]


def test_observed_generation_is_optional() -> None:
    data = _data("poolservice.yaml")
    del data["status"]["conditions"][0]["observedGeneration"]
    assert parse_object(data).to_wire() == data


def test_constructing_in_code() -> None:
    ps = PoolService(
        metadata=ObjectMeta(name="web-hz", namespace="shop"),
        spec=PoolServiceSpec(load_balancer_class="example.com/lb"),
        status=PoolServiceStatus(load_balancer=LoadBalancerStatus(ingress=[LoadBalancerIngress(ip="192.0.2.1")])),
    )
    assert ps.to_wire() == {
        "apiVersion": "network.openyurt.io/v1alpha1",
        "kind": "PoolService",
        "metadata": {"name": "web-hz", "namespace": "shop"},
        "spec": {"loadBalancerClass": "example.com/lb"},
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}},
    }
    assert network_v1alpha1.PoolService.model_validate(ps.to_wire()) == ps
