"""iot.openyurt.io: Device, DeviceService, DeviceProfile and PlatformAdmin (v1alpha1, v1alpha2, v1beta1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openyurt.core.api import iot_v1alpha1, iot_v1alpha2, iot_v1beta1
from openyurt.core.api._base import FieldError, ObjectInvalid, SchemaRef
from openyurt.core.api._resource import Resource, check_object, convert_object, parse_object, unknown_fields
from openyurt.core.api.meta_v1 import ObjectMeta
from tests.unit.api.helpers import assert_fixtures_covered, assert_round_trips, at, fixture_loader

FIXTURE_KINDS: dict[str, type[Resource]] = {
    "device.yaml": iot_v1alpha1.Device,
    "deviceservice.yaml": iot_v1alpha1.DeviceService,
    "deviceprofile.yaml": iot_v1alpha1.DeviceProfile,
    "platformadmin-v1alpha1.yaml": iot_v1alpha1.PlatformAdmin,
    "platformadmin-v1alpha2.yaml": iot_v1alpha2.PlatformAdmin,
    "platformadmin-v1beta1.yaml": iot_v1beta1.PlatformAdmin,
}


_data = fixture_loader("iot")


# --------------------------------------------------------------------------------------------------
# Wire fidelity


def test_every_fixture_file_is_covered() -> None:
    assert_fixtures_covered("iot", FIXTURE_KINDS)


@pytest.mark.parametrize("name", sorted(FIXTURE_KINDS))
def test_fixture_round_trips(name: str) -> None:
    data = _data(name)
    obj = assert_round_trips(data, FIXTURE_KINDS[name])
    assert parse_object(obj.to_wire()) == obj


@pytest.mark.parametrize("name", sorted(set(FIXTURE_KINDS) - {"platformadmin-v1alpha1.yaml"}))
def test_fixtures_have_no_prunable_fields(name: str) -> None:
    assert unknown_fields(parse_object(_data(name))) == []


def test_embedded_template_metadata_is_pruned_but_kept_in_the_model() -> None:
    """PlatformAdmin v1alpha1 templates' ``metadata`` is a bare object: a server drops what is inside."""
    pa = parse_object(_data("platformadmin-v1alpha1.yaml"))
    assert sorted(unknown_fields(pa)) == [
        "spec.additionalDeployments[0].metadata.name",
        "spec.additionalServices[0].metadata.name",
    ]


def test_irregular_json_names() -> None:
    dev = parse_object(_data("device.yaml"))
    assert isinstance(dev, iot_v1alpha1.Device)
    assert dev.spec is not None
    assert (dev.spec.service_name, dev.spec.profile_name) == ("device-virtual", "Random-Integer-Device")
    assert (dev.spec.device_properties or {})["Int8"].put_url == (
        "http://edgex-core-command:59882/api/v3/device/name/Random-Integer-Device/Int8"
    )
    assert (dev.status.device_properties or {})["Int8"].get_url == (
        "http://edgex-core-command:59882/api/v3/device/name/Random-Integer-Device/Int8"
    )
    assert dev.status.edge_id == "3e8a6b2c-0f1d-4a5e-9b7c-2d3e4f5a6b7c"
    dp = parse_object(_data("deviceprofile.yaml"))
    assert isinstance(dp, iot_v1alpha1.DeviceProfile)
    assert dp.status.id == "4b3c2d1e-0f9a-48b7-a6c5-d4e3f2a1b0c9"
    assert dp.spec.device_commands is not None and dp.spec.device_commands[1].resource_operations is None
    pa = parse_object(_data("platformadmin-v1beta1.yaml"))
    assert isinstance(pa, iot_v1beta1.PlatformAdmin)
    assert pa.spec.nodepools == ["hangzhou", "beijing"]


def test_camel_case_nodepools_is_pruned() -> None:
    data = _data("platformadmin-v1beta1.yaml")
    data["spec"]["nodePools"] = data["spec"].pop("nodepools")
    pa = parse_object(data)
    assert sorted(unknown_fields(pa)) == ["spec.nodePools"]
    assert isinstance(pa, iot_v1beta1.PlatformAdmin) and pa.spec.nodepools is None


BAD_TYPES = [
    ("device.yaml", ["spec", "notify"], "true", "spec.notify"),
    ("device.yaml", ["spec", "protocols", "other", "Port"], 300, "spec.protocols.other.Port"),
    (
        "device.yaml",
        ["spec", "deviceProperties", "Int8", "desiredValue"],
        42,
        "spec.deviceProperties.Int8.desiredValue",
    ),
    ("device.yaml", ["spec", "labels"], "device-virtual-example", "spec.labels"),
    ("device.yaml", ["status", "lastConnected"], "1714539600000", "status.lastConnected"),
    (
        "device.yaml",
        ["status", "conditions", 0, "lastTransitionTime"],
        "May 1st",
        "status.conditions[0].lastTransitionTime",
    ),
    ("deviceservice.yaml", ["spec", "managed"], "false", "spec.managed"),
    ("deviceservice.yaml", ["status", "lastReported"], 1.5, "status.lastReported"),
    (
        "deviceprofile.yaml",
        ["spec", "deviceResources", 0, "properties", "minimum"],
        -100,
        "spec.deviceResources[0].properties.minimum",
    ),
    ("deviceprofile.yaml", ["spec", "deviceResources", 0, "isHidden"], 0, "spec.deviceResources[0].isHidden"),
    (
        "deviceprofile.yaml",
        ["spec", "deviceCommands", 0, "resourceOperations", 0, "mappings", "0"],
        0,
        "spec.deviceCommands[0].resourceOperations[0].mappings.0",
    ),
    ("deviceprofile.yaml", ["status", "synced"], "yes", "status.synced"),
    ("platformadmin-v1beta1.yaml", ["spec", "nodepools"], "hangzhou", "spec.nodepools"),
    ("platformadmin-v1beta1.yaml", ["spec", "components", 0], "yurt-iot-dock", "spec.components[0]"),
    ("platformadmin-v1beta1.yaml", ["status", "readyComponentNum"], 2**31, "status.readyComponentNum"),
    ("platformadmin-v1alpha2.yaml", ["spec", "poolName"], ["hangzhou"], "spec.poolName"),
    (
        "platformadmin-v1alpha1.yaml",
        ["spec", "additionalDeployments", 0, "spec"],
        "replicas: 1",
        "spec.additionalDeployments[0].spec",
    ),
    ("platformadmin-v1alpha1.yaml", ["status", "deploymentReadyReplicas"], "6", "status.deploymentReadyReplicas"),
]


@pytest.mark.parametrize(("fixture", "loc", "value", "path"), BAD_TYPES)
def test_wrong_types_name_the_field(fixture: str, loc: list[Any], value: Any, path: str) -> None:
    data = _data(fixture)
    at(data, loc[:-1])[loc[-1]] = value
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert path in [e.path for e in info.value.errors]


MISSING_REQUIRED = [
    ("device.yaml", ["spec", "serviceName"]),
    ("device.yaml", ["spec", "profileName"]),
    ("device.yaml", ["spec", "notify"]),
    ("device.yaml", ["spec", "deviceProperties", "Int8", "name"]),
    ("device.yaml", ["status", "deviceProperties", "Int8", "actualValue"]),
    ("deviceservice.yaml", ["spec", "baseAddress"]),
    ("deviceprofile.yaml", ["spec", "deviceResources", 0, "description"]),
    ("deviceprofile.yaml", ["spec", "deviceResources", 0, "properties"]),
    ("deviceprofile.yaml", ["spec", "deviceResources", 0, "isHidden"]),
    ("deviceprofile.yaml", ["spec", "deviceCommands", 1, "resourceOperations"]),
    ("deviceprofile.yaml", ["spec", "deviceCommands", 0, "readWrite"]),
    ("deviceprofile.yaml", ["spec", "deviceCommands", 0, "resourceOperations", 0, "defaultValue"]),
    ("platformadmin-v1beta1.yaml", ["spec", "components", 1, "name"]),
    ("platformadmin-v1alpha1.yaml", ["spec", "additionalServices", 0, "spec"]),
]


@pytest.mark.parametrize(("fixture", "loc"), MISSING_REQUIRED)
def test_missing_required_fields_are_named(fixture: str, loc: list[Any]) -> None:
    data = _data(fixture)
    del at(data, loc[:-1])[loc[-1]]
    path = ".".join(f"[{p}]" if isinstance(p, int) else p for p in loc).replace(".[", "[")
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert FieldError(path, "Required value", "FieldValueRequired") in info.value.errors


def test_schemaless_specs_keep_anything() -> None:
    data = _data("platformadmin-v1alpha1.yaml")
    data["spec"]["additionalDeployments"][0]["spec"]["futureField"] = {"x": [1, None]}
    pa = parse_object(data)
    assert pa.to_wire() == data
    assert not any("futureField" in p for p in unknown_fields(pa))


def test_schema_refs_name_the_bundled_fragments() -> None:
    def refs(cls: type[Any]) -> list[str]:
        return [m.name for m in cls.model_fields["spec"].metadata if isinstance(m, SchemaRef)]

    assert refs(iot_v1alpha1.DeploymentTemplateSpec) == ["io.k8s.api.apps.v1.DeploymentSpec"]
    assert refs(iot_v1alpha1.ServiceTemplateSpec) == ["io.k8s.api.core.v1.ServiceSpec"]


# --------------------------------------------------------------------------------------------------
# API facts


def _columns(cls: type[Resource]) -> list[tuple[str, str, str, str, int]]:
    return [(c.name, c.json_path, c.type, c.description, c.priority) for c in cls.info.printer_columns]


@pytest.mark.parametrize(
    ("cls", "plural", "short", "what", "managed"),
    [
        (iot_v1alpha1.Device, "devices", "dev", "device", True),
        (iot_v1alpha1.DeviceService, "deviceservices", "dsvc", "deviceService", True),
        (iot_v1alpha1.DeviceProfile, "deviceprofiles", "dp", "deviceProfile", False),
    ],
)
def test_device_kinds_info(cls: type[Resource], plural: str, short: str, what: str, managed: bool) -> None:
    info = cls.info
    assert (info.group, info.version, info.plural, info.singular) == (
        "iot.openyurt.io",
        "v1alpha1",
        plural,
        plural[:-1],
    )
    assert info.short_names == (short,)
    assert info.categories == ()
    assert info.namespaced and info.served and info.storage and info.status_subresource and not info.deprecated
    expected = [
        ("NODEPOOL", ".spec.nodePool", "string", f"The nodepool of {what}", 0),
        ("SYNCED", ".status.synced", "boolean", f"The synced status of {what}", 0),
    ]
    if managed:
        expected.append(("MANAGED", ".spec.managed", "boolean", f"The managed status of {what}", 1))
    expected.append(("AGE", ".metadata.creationTimestamp", "date", "", 0))
    assert _columns(cls) == expected


def test_platformadmin_versions_info() -> None:
    a1, a2, b1 = iot_v1alpha1.PlatformAdmin.info, iot_v1alpha2.PlatformAdmin.info, iot_v1beta1.PlatformAdmin.info
    for info in (a1, a2, b1):
        assert (info.group, info.kind, info.plural, info.singular) == (
            "iot.openyurt.io",
            "PlatformAdmin",
            "platformadmins",
            "platformadmin",
        )
        assert info.short_names == ("pa",) and info.categories == ("yurt",) and info.namespaced
        assert info.status_subresource and info.crd
    assert [(i.version, i.served, i.storage, i.deprecated) for i in (a1, a2, b1)] == [
        ("v1alpha1", False, False, True),
        ("v1alpha2", False, False, False),
        ("v1beta1", True, True, False),
    ]
    assert a1.deprecation_warning == (
        "iot.openyurt.io/v1alpha1 PlatformAdmin will be deprecated in future; use iot.openyurt.io/v1alpha2 "
        "PlatformAdmin; v1alpha1 PlatformAdmin.Spec.ServiceType only support ClusterIP"
    )
    assert a2.deprecation_warning is None and b1.deprecation_warning is None
    assert [c[:3] for c in _columns(iot_v1alpha1.PlatformAdmin)] == [
        ("READY", ".status.ready", "boolean"),
        ("Service", ".status.serviceReplicas", "integer"),
        ("ReadyService", ".status.serviceReadyReplicas", "integer"),
        ("Deployment", ".status.deploymentReplicas", "integer"),
        ("ReadyDeployment", ".status.deploymentReadyReplicas", "integer"),
    ]
    expected = [
        ("READY", ".status.ready", "boolean", "The platformadmin ready status", 0),
        ("ReadyComponentNum", ".status.readyComponentNum", "integer", "The Ready Component.", 0),
        ("UnreadyComponentNum", ".status.unreadyComponentNum", "integer", "The Unready Component.", 0),
    ]
    assert _columns(iot_v1alpha2.PlatformAdmin) == expected == _columns(iot_v1beta1.PlatformAdmin)


def test_device_kinds_have_no_webhook() -> None:
    for name in ("device.yaml", "deviceservice.yaml", "deviceprofile.yaml"):
        data = _data(name)
        assert check_object(data).to_wire() == data


# --------------------------------------------------------------------------------------------------
# PlatformAdmin v1beta1 webhooks


def _pa(spec: dict[str, Any], name: str = "pa", namespace: str = "default") -> iot_v1beta1.PlatformAdmin:
    return iot_v1beta1.PlatformAdmin.model_validate({"metadata": {"name": name, "namespace": namespace}, "spec": spec})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, {"version": "napa", "platform": "edgex"}),
        ({"version": "", "platform": ""}, {"version": "napa", "platform": "edgex"}),
        ({"version": "jakarta"}, {"version": "jakarta", "platform": "edgex"}),
        (
            {"version": "levski", "platform": "edgex", "nodepools": ["a"]},
            {"version": "levski", "platform": "edgex", "nodepools": ["a"]},
        ),
        ({"platform": "kubeedge"}, {"version": "napa", "platform": "kubeedge"}),
    ],
)
def test_platformadmin_defaults(spec: dict[str, Any], expected: dict[str, Any]) -> None:
    pa = _pa(spec)
    assert pa.with_defaults().to_wire()["spec"] == expected
    assert pa.with_defaults().with_defaults() == pa.with_defaults()
    assert pa.to_wire()["spec"] == spec


@pytest.mark.parametrize("version", iot_v1beta1.EDGEX_VERSIONS)
def test_platformadmin_accepts_known_versions(version: str) -> None:
    assert _pa({"version": version, "platform": "edgex"}).semantic_errors() == []


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"version": "napa", "platform": "kubeedge"}, "spec.platform"),
        ({"version": "napa", "platform": "EdgeX"}, "spec.platform"),
        ({"version": "napa"}, "spec.platform"),
        ({"version": "odessa", "platform": "edgex"}, "spec.version"),
        ({"version": "Napa", "platform": "edgex"}, "spec.version"),
        ({"platform": "edgex"}, "spec.version"),
    ],
)
def test_platformadmin_rejects(spec: dict[str, Any], path: str) -> None:
    errors = _pa(spec).semantic_errors()
    assert [(e.path, e.reason) for e in errors] == [(path, "FieldValueNotSupported")]
    assert errors[0].message.startswith("Unsupported value: ")


def test_platformadmin_check_object_defaults_first() -> None:
    data = {
        "apiVersion": "iot.openyurt.io/v1beta1",
        "kind": "PlatformAdmin",
        "metadata": {"name": "edgex", "namespace": "default"},
        "spec": {"nodepools": ["hangzhou"]},
    }
    assert check_object(data).to_wire()["spec"] == {"nodepools": ["hangzhou"], "version": "napa", "platform": "edgex"}


def test_platformadmin_pool_errors() -> None:
    pa = _pa({"nodepools": ["hangzhou", "ghost", "beijing", "shanghai"]}, name="mine")
    others = [
        pa,  # itself, as stored: never a conflict
        _pa({"nodepools": ["beijing"]}, name="theirs", namespace="other-ns"),
        _pa({"nodepools": ["shanghai"]}, name="mine", namespace="team-b"),  # same name, other namespace
        _pa({}, name="empty"),
    ]
    errors = iot_v1beta1.platformadmin_pool_errors(pa, {"hangzhou", "beijing", "shanghai"}, others)
    assert [(e.path, e.reason) for e in errors] == [
        ("spec.nodepools[1]", "FieldValueNotFound"),
        ("spec.nodepools[2]", "FieldValueInvalid"),
        ("spec.nodepools[3]", "FieldValueInvalid"),
    ]
    assert errors[0].message == 'Not found: "ghost": no such NodePool'
    assert "other-ns/theirs" in errors[1].message


def test_platformadmin_pool_errors_accept() -> None:
    pa = _pa({"nodepools": ["a", "b"]})
    assert iot_v1beta1.platformadmin_pool_errors(pa, {"a", "b", "c"}, [_pa({"nodepools": ["c"]}, name="x")]) == []
    assert iot_v1beta1.platformadmin_pool_errors(_pa({}), set(), []) == []


# --------------------------------------------------------------------------------------------------
# PlatformAdmin v1alpha2 <-> v1beta1


def test_v1alpha2_to_v1beta1() -> None:
    alpha = parse_object(_data("platformadmin-v1alpha2.yaml"))
    beta = convert_object(alpha, "iot.openyurt.io/v1beta1")
    assert isinstance(beta, iot_v1beta1.PlatformAdmin)
    assert beta.to_wire() == {
        "apiVersion": "iot.openyurt.io/v1beta1",
        "kind": "PlatformAdmin",
        "metadata": {"name": "edgex-sample", "namespace": "default"},
        "spec": {
            "version": "minnesota",
            "components": [{"name": "yurt-iot-dock"}],
            "nodepools": ["hangzhou", "beijing", "shanghai"],
            "platform": "edgex",
            "security": False,
        },
        "status": {"ready": True, "initialized": True, "readyComponentNum": 6, "unreadyComponentNum": 0},
    }


def test_v1beta1_to_v1alpha2() -> None:
    beta = parse_object(_data("platformadmin-v1beta1.yaml"))
    alpha = convert_object(beta, "iot.openyurt.io/v1alpha2")
    assert isinstance(alpha, iot_v1alpha2.PlatformAdmin)
    wire = alpha.to_wire()
    assert wire["metadata"] == {
        "name": "edgex-sample",
        "namespace": "default",
        "finalizers": ["iot.openyurt.io"],
        "annotations": {"AdditionalNodepools": '["beijing"]'},
    }
    assert wire["spec"] == {
        "version": "napa",
        "imageRegistry": "registry.example.com/edgex",
        "components": [{"name": "yurt-iot-dock"}, {"name": "edgex-device-virtual"}],
        "poolName": "hangzhou",
        "platform": "edgex",
        "security": False,
    }
    assert wire["status"] == _data("platformadmin-v1beta1.yaml")["status"]
    assert convert_object(alpha, "iot.openyurt.io/v1beta1") == beta


@pytest.mark.parametrize(
    ("pools", "annotations"),
    [
        (["a"], None),
        (["a", "b", "c"], {"AdditionalNodepools": '["b","c"]'}),
        ([], None),
    ],
)
def test_v1beta1_pools_round_trip_through_v1alpha2(pools: list[str], annotations: dict[str, str] | None) -> None:
    beta = _pa({"nodepools": pools, "platform": "edgex", "security": False})
    alpha = iot_v1alpha2.from_v1beta1(beta)
    assert alpha.metadata.annotations == annotations
    assert json.loads((annotations or {}).get("AdditionalNodepools", "[]")) == pools[1:]
    assert iot_v1alpha2.to_v1beta1(alpha) == beta


def test_v1alpha2_conversion_forces_platform_and_security() -> None:
    alpha = iot_v1alpha2.PlatformAdmin(
        metadata=ObjectMeta(name="p", namespace="n", annotations={"keep": "me"}),
        spec=iot_v1alpha2.PlatformAdminSpec(pool_name="hz", platform="other", security=True),
    )
    beta = iot_v1alpha2.to_v1beta1(alpha)
    assert (beta.spec.platform, beta.spec.security, beta.spec.nodepools) == ("edgex", False, ["hz"])
    assert beta.metadata.annotations == {"keep": "me"}


@pytest.mark.parametrize("raw", ["not json", '{"a": 1}', '["a", 2]'])
def test_v1alpha2_bad_annotation_is_refused(raw: str) -> None:
    alpha = iot_v1alpha2.PlatformAdmin(
        metadata=ObjectMeta(name="p", namespace="n", annotations={"AdditionalNodepools": raw}),
        spec=iot_v1alpha2.PlatformAdminSpec(pool_name="hz"),
    )
    with pytest.raises(ObjectInvalid) as info:
        iot_v1alpha2.to_v1beta1(alpha)
    assert [e.path for e in info.value.errors] == ["metadata.annotations[AdditionalNodepools]"]


def test_platformadmin_v1alpha1_has_no_conversion() -> None:
    pa = parse_object(_data("platformadmin-v1alpha1.yaml"))
    with pytest.raises(ObjectInvalid):
        convert_object(pa, "iot.openyurt.io/v1beta1")
