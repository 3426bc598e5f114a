"""raven.openyurt.io Gateway v1beta1/v1alpha1: wire fidelity, API facts, webhook rules, conversions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openyurt.core.api import raven_v1alpha1, raven_v1beta1
from openyurt.core.api._base import FieldError, ObjectInvalid, PrinterColumn
from openyurt.core.api._resource import check_object, convert_object, kind_class, parse_object, unknown_fields
from openyurt.core.api.meta_v1 import LabelSelector, ObjectMeta
from openyurt.core.api.raven_v1beta1 import Endpoint, Gateway, GatewaySpec, ProxyConfiguration, TunnelConfiguration
from tests.unit.api.helpers import assert_fixtures_covered, assert_round_trips, at, fixture_loader

FIXTURE_KINDS = {
    "gateway-v1beta1-cloud.yaml": raven_v1beta1.Gateway,
    "gateway-v1beta1-edge-nat.yaml": raven_v1beta1.Gateway,
    "gateway-v1beta1-go-zero.yaml": raven_v1beta1.Gateway,
    "gateway-v1alpha1.yaml": raven_v1alpha1.Gateway,
}


_data = fixture_loader("raven")


# --------------------------------------------------------------------------------------------------
# Wire fidelity


def test_every_fixture_file_is_covered() -> None:
    assert_fixtures_covered("raven", FIXTURE_KINDS)


@pytest.mark.parametrize("name", sorted(FIXTURE_KINDS))
def test_fixture_round_trips(name: str) -> None:
    data = _data(name)
    obj = assert_round_trips(data, FIXTURE_KINDS[name])
    assert unknown_fields(obj) == []


def test_go_zero_values_survive() -> None:
    gw = parse_object(_data("gateway-v1beta1-go-zero.yaml"))
    assert isinstance(gw, Gateway)
    wire = gw.to_wire()
    assert wire["spec"]["proxyConfig"] == {"Replicas": 0}
    assert wire["spec"]["tunnelConfig"] == {"Replicas": 0}
    assert wire["metadata"]["creationTimestamp"] is None
    assert wire["status"]["nodes"][0]["subnets"] is None


def test_capital_r_and_ip_spellings() -> None:
    gw = parse_object(_data("gateway-v1beta1-edge-nat.yaml"))
    assert isinstance(gw, Gateway)
    assert gw.spec.proxy_config == ProxyConfiguration(replicas=2)
    ep = (gw.spec.endpoints or [])[0]
    assert (ep.under_nat, ep.nat_type, ep.public_ip, ep.public_port) == (
        True,
        "PortRestrictedCone",
        "2400:3200::1",
        31877,
    )


def test_lower_case_replicas_is_an_unknown_field() -> None:
    data = _data("gateway-v1beta1-cloud.yaml")
    data["spec"]["tunnelConfig"] = {"Replicas": 1, "replicas": 3}
    gw = parse_object(data)
    assert unknown_fields(gw) == ["spec.tunnelConfig.replicas"]
    assert gw.to_wire() == data


def test_constructing_in_code() -> None:
    gw = Gateway(
        metadata=ObjectMeta(name="gw-a"),
        spec=GatewaySpec(
            proxy_config=ProxyConfiguration(replicas=1),
            tunnel_config=TunnelConfiguration(replicas=1),
            endpoints=[Endpoint(node_name="n1", type="tunnel", public_ip="1.2.3.4", under_nat=False)],
        ),
    )
    assert gw.to_wire() == {
        "apiVersion": "raven.openyurt.io/v1beta1",
        "kind": "Gateway",
        "metadata": {"name": "gw-a"},
        "spec": {
            "proxyConfig": {"Replicas": 1},
            "tunnelConfig": {"Replicas": 1},
            "endpoints": [{"nodeName": "n1", "type": "tunnel", "publicIP": "1.2.3.4", "underNAT": False}],
        },
    }
    assert parse_object(gw.to_wire()) == gw


BAD_TYPES = [
    ("gateway-v1beta1-cloud.yaml", ["spec", "proxyConfig", "Replicas"], "1", "spec.proxyConfig.Replicas"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "tunnelConfig", "Replicas"], True, "spec.tunnelConfig.Replicas"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "proxyConfig", "proxyHTTPPort"], 10255, "spec.proxyConfig.proxyHTTPPort"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "endpoints", 0, "port"], "10262", "spec.endpoints[0].port"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "endpoints", 1, "underNAT"], "false", "spec.endpoints[1].underNAT"),
    (
        "gateway-v1beta1-cloud.yaml",
        ["spec", "endpoints", 0, "config", "enable-l7-proxy"],
        True,
        "spec.endpoints[0].config.enable-l7-proxy",
    ),
    ("gateway-v1beta1-cloud.yaml", ["spec", "exposeType"], ["PublicIP"], "spec.exposeType"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "nodeSelector", "matchLabels"], ["x"], "spec.nodeSelector.matchLabels"),
    ("gateway-v1beta1-cloud.yaml", ["status", "nodes", 0, "subnets"], "10.0.0.0/8", "status.nodes[0].subnets"),
    (
        "gateway-v1beta1-cloud.yaml",
        ["status", "activeEndpoints", 1, "publicPort"],
        1.5,
        "status.activeEndpoints[1].publicPort",
    ),
    ("gateway-v1beta1-edge-nat.yaml", ["spec", "endpoints", 0, "natType"], 3, "spec.endpoints[0].natType"),
    ("gateway-v1alpha1.yaml", ["spec", "endpoints", 0, "publicIP"], 120, "spec.endpoints[0].publicIP"),
    ("gateway-v1alpha1.yaml", ["status", "activeEndpoint", "underNAT"], "no", "status.activeEndpoint.underNAT"),
    ("gateway-v1alpha1.yaml", ["status", "nodes", 0, "privateIP"], None, "status.nodes[0].privateIP"),
]


@pytest.mark.parametrize(("fixture", "loc", "value", "path"), BAD_TYPES)
def test_wrong_types_name_the_field(fixture: str, loc: list[Any], value: Any, path: str) -> None:
    data = _data(fixture)
    at(data, loc[:-1])[loc[-1]] = value
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert path in [e.path for e in info.value.errors]


MISSING_REQUIRED = [
    ("gateway-v1beta1-cloud.yaml", ["spec", "proxyConfig", "Replicas"], "spec.proxyConfig.Replicas"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "tunnelConfig", "Replicas"], "spec.tunnelConfig.Replicas"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "endpoints", 0, "nodeName"], "spec.endpoints[0].nodeName"),
    ("gateway-v1beta1-cloud.yaml", ["spec", "endpoints", 1, "type"], "spec.endpoints[1].type"),
    ("gateway-v1beta1-cloud.yaml", ["status", "activeEndpoints", 0, "type"], "status.activeEndpoints[0].type"),
    ("gateway-v1beta1-cloud.yaml", ["status", "nodes", 1, "subnets"], "status.nodes[1].subnets"),
    ("gateway-v1alpha1.yaml", ["spec", "endpoints"], "spec.endpoints"),
    ("gateway-v1alpha1.yaml", ["status", "activeEndpoint", "nodeName"], "status.activeEndpoint.nodeName"),
]


@pytest.mark.parametrize(("fixture", "loc", "path"), MISSING_REQUIRED)
def test_missing_required_fields_are_named(fixture: str, loc: list[Any], path: str) -> None:
    data = _data(fixture)
    del at(data, loc[:-1])[loc[-1]]
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert FieldError(path, "Required value", "FieldValueRequired") in info.value.errors


# --------------------------------------------------------------------------------------------------
# API facts


def test_resource_info() -> None:
    beta, alpha = raven_v1beta1.Gateway.info, raven_v1alpha1.Gateway.info
    for info in (beta, alpha):
        assert (info.group, info.kind, info.plural, info.singular) == (
            "raven.openyurt.io",
            "Gateway",
            "gateways",
            "gateway",
        )
        assert info.short_names == ("gw",)
        assert info.categories == ("yurt",)
        assert not info.namespaced
        assert info.served and info.status_subresource and not info.deprecated
    assert (beta.version, beta.storage, beta.printer_columns) == ("v1beta1", True, ())
    assert (alpha.version, alpha.storage) == ("v1alpha1", False)
    assert alpha.printer_columns == (PrinterColumn("ActiveEndpoint", ".status.activeEndpoint.nodeName", "string"),)
    assert kind_class("raven.openyurt.io/v1beta1", "Gateway") is raven_v1beta1.Gateway
    assert kind_class("raven.openyurt.io/v1alpha1", "Gateway") is raven_v1alpha1.Gateway


# --------------------------------------------------------------------------------------------------
# Mutating webhook


def _gw(spec: dict[str, Any], name: str = "gw") -> Gateway:
    obj = parse_object(
        {"apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway", "metadata": {"name": name}, "spec": spec}
    )
    assert isinstance(obj, Gateway)
    return obj


DEFAULT_CASES = [
    pytest.param(
        {},
        {
            "nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": "gw"}},
            "proxyConfig": {"Replicas": 0},
            "tunnelConfig": {"Replicas": 0},
        },
        id="empty-spec",
    ),
    pytest.param(
        {
            "nodeSelector": {
                "matchLabels": {"site": "hz", "raven.openyurt.io/gateway": "other"},
                "matchExpressions": [{"key": "edge", "operator": "Exists"}],
            },
            "proxyConfig": {"Replicas": 2, "proxyHTTPPort": "80"},
            "tunnelConfig": {"Replicas": 1},
        },
        {
            "nodeSelector": {
                "matchLabels": {"site": "hz", "raven.openyurt.io/gateway": "gw"},
                "matchExpressions": [{"key": "edge", "operator": "Exists"}],
            },
            "proxyConfig": {"Replicas": 2, "proxyHTTPPort": "80"},
            "tunnelConfig": {"Replicas": 1},
        },
        id="selector-merged-configs-kept",
    ),
    pytest.param(
        {
            "proxyConfig": {"Replicas": 1},
            "tunnelConfig": {"Replicas": 1},
            "endpoints": [
                {"nodeName": "a", "type": "proxy"},
                {"nodeName": "a", "type": "tunnel", "port": 0},
                {"nodeName": "b", "type": "tunnel", "port": 4600},
                {"nodeName": "c", "type": "relay"},
            ],
        },
        {
            "nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": "gw"}},
            "proxyConfig": {"Replicas": 1},
            "tunnelConfig": {"Replicas": 1},
            "endpoints": [
                {"nodeName": "a", "type": "proxy", "port": 10262},
                {"nodeName": "a", "type": "tunnel", "port": 4500},
                {"nodeName": "b", "type": "tunnel", "port": 4600},
                {"nodeName": "c", "type": "relay"},
            ],
        },
        id="endpoint-ports",
    ),
]


@pytest.mark.parametrize(("spec", "expected"), DEFAULT_CASES)
def test_defaults(spec: dict[str, Any], expected: dict[str, Any]) -> None:
    gw = _gw(spec)
    before = gw.to_wire()
    defaulted = gw.with_defaults()
    assert defaulted.to_wire()["spec"] == expected
    assert gw.to_wire() == before  # pure
    assert defaulted.with_defaults() == defaulted  # idempotent


def test_defaults_keep_status_and_unknown_fields() -> None:
    data = _data("gateway-v1beta1-cloud.yaml")
    data["spec"]["zz"] = 1
    defaulted = parse_object(data).with_defaults()
    assert defaulted.to_wire() == data


# --------------------------------------------------------------------------------------------------
# Validating webhook

VALID = [
    pytest.param({}, id="empty"),
    pytest.param(
        {"exposeType": "PublicIP", "endpoints": [{"nodeName": "a", "type": "tunnel", "underNAT": False}]},
        id="public-ip",
    ),
    pytest.param({"exposeType": "LoadBalancer", "endpoints": [{"nodeName": "a", "type": "proxy"}]}, id="lb"),
    pytest.param(
        {
            "proxyConfig": {"Replicas": 2},
            "endpoints": [{"nodeName": "a", "type": "proxy"}, {"nodeName": "b", "type": "proxy"}],
        },
        id="two-proxies",
    ),
    pytest.param({"proxyConfig": {"Replicas": 1}, "tunnelConfig": {"Replicas": 1}}, id="one-replica-no-endpoints"),
    pytest.param(
        {
            "endpoints": [
                {"nodeName": "a", "type": "tunnel", "underNAT": True},
                {"nodeName": "b", "type": "proxy", "underNAT": True},
            ]
        },
        id="all-under-nat",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "a", "type": "tunnel", "underNAT": False}, {"nodeName": "b", "type": "tunnel"}]},
        id="false-and-unset-agree",
    ),
    pytest.param({"endpoints": [{"nodeName": "a", "type": "tunnel", "publicIP": "::ffff:10.0.0.1"}]}, id="ipv6"),
]


@pytest.mark.parametrize("spec", VALID)
def test_valid_gateways(spec: dict[str, Any]) -> None:
    assert _gw(spec).semantic_errors() == []


INVALID = [
    pytest.param({"exposeType": "NodePort"}, "spec.exposeType", "FieldValueNotSupported", id="expose-type"),
    pytest.param(
        {"exposeType": "PublicIP", "endpoints": [{"nodeName": "a", "type": "tunnel", "underNAT": True}]},
        "spec.endpoints[0].underNAT",
        "FieldValueInvalid",
        id="exposed-under-nat",
    ),
    pytest.param(
        {"tunnelConfig": {"Replicas": 2}}, "spec.tunnelConfig.Replicas", "FieldValueInvalid", id="two-tunnels"
    ),
    pytest.param(
        {
            "proxyConfig": {"Replicas": 2},
            "endpoints": [{"nodeName": "a", "type": "proxy"}, {"nodeName": "b", "type": "tunnel"}],
        },
        "spec.proxyConfig.Replicas",
        "FieldValueInvalid",
        id="proxy-replicas-over-endpoints",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "a", "type": "tunnel", "underNAT": True}, {"nodeName": "b", "type": "tunnel"}]},
        "spec.endpoints[1].underNAT",
        "FieldValueInvalid",
        id="mixed-under-nat",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "a", "type": "tunnel", "publicIP": "1.2.3"}]},
        "spec.endpoints[0].publicIP",
        "FieldValueInvalid",
        id="bad-ip",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "a", "type": "tunnel", "publicIP": "10.0.0.1/24"}]},
        "spec.endpoints[0].publicIP",
        "FieldValueInvalid",
        id="cidr-is-not-ip",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "a", "type": "tunnel", "publicIP": "fe80::1%eth0"}]},
        "spec.endpoints[0].publicIP",
        "FieldValueInvalid",
        id="zoned-ip",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "a", "type": "Tunnel"}]},
        "spec.endpoints[0].type",
        "FieldValueNotSupported",
        id="type-case",
    ),
    pytest.param(
        {"endpoints": [{"nodeName": "", "type": "proxy"}]},
        "spec.endpoints[0].nodeName",
        "FieldValueRequired",
        id="empty-node-name",
    ),
]


@pytest.mark.parametrize(("spec", "path", "reason"), INVALID)
def test_invalid_gateways(spec: dict[str, Any], path: str, reason: str) -> None:
    errors = _gw(spec).semantic_errors()
    assert [(e.path, e.reason) for e in errors] == [(path, reason)]
    assert errors[0].message.split(":")[0] in ("Invalid value", "Unsupported value", "Required value")


def test_all_errors_are_collected() -> None:
    spec = {
        "exposeType": "Public",
        "tunnelConfig": {"Replicas": 3},
        "endpoints": [{"nodeName": "", "type": "vpn", "publicIP": "x", "underNAT": True}],
    }
    paths = {e.path for e in _gw(spec).semantic_errors()}
    assert paths == {
        "spec.exposeType",
        "spec.endpoints[0].underNAT",
        "spec.tunnelConfig.Replicas",
        "spec.endpoints[0].publicIP",
        "spec.endpoints[0].nodeName",
        "spec.endpoints[0].type",
    }


def test_message_style() -> None:
    (err,) = _gw({"tunnelConfig": {"Replicas": 2}}).semantic_errors()
    assert str(err) == "spec.tunnelConfig.Replicas: Invalid value: 2: only one tunnel replica is supported"
    (err,) = _gw({"exposeType": "NodePort"}).semantic_errors()
    assert err.message == 'Unsupported value: "NodePort": supported values: "", "LoadBalancer", "PublicIP"'


def test_name_is_immutable_on_update() -> None:
    old = _gw({}, name="gw-a")
    assert _gw({}, name="gw-a").semantic_errors(old) == []
    (err,) = _gw({}, name="gw-b").semantic_errors(old)
    assert (err.path, err.reason) == ("metadata.name", "FieldValueInvalid")


def test_check_object_defaults_then_validates() -> None:
    data = _data("gateway-v1beta1-edge-nat.yaml")
    obj = check_object(data)
    assert isinstance(obj, Gateway)
    assert [ep.port for ep in obj.spec.endpoints or []] == [4500, 10262, 10262]
    data["spec"]["endpoints"][2]["underNAT"] = False
    with pytest.raises(ObjectInvalid) as info:
        check_object(data)
    assert [e.path for e in info.value.errors] == ["spec.endpoints[2].underNAT"]


def test_v1alpha1_admission_goes_through_v1beta1_rules() -> None:
    data = _data("gateway-v1alpha1.yaml")
    gw = parse_object(data)
    assert isinstance(gw, raven_v1alpha1.Gateway)
    assert gw.semantic_errors() == []
    data["spec"]["endpoints"][1]["underNAT"] = True
    bad = parse_object(data)
    # exposed with an endpoint under NAT, and that endpoint disagrees with the first one
    assert [e.path for e in bad.semantic_errors()] == ["spec.endpoints[1].underNAT"] * 2
    renamed = copy.deepcopy(_data("gateway-v1alpha1.yaml"))
    renamed["metadata"]["name"] = "gw-other"
    assert [e.path for e in parse_object(renamed).semantic_errors(gw)] == ["metadata.name"]


def test_v1alpha1_defaults_merge_the_gateway_label() -> None:
    data = _data("gateway-v1alpha1.yaml")
    data["spec"]["nodeSelector"] = {"matchLabels": {"zone": "north"}}
    defaulted = parse_object(data).with_defaults().to_wire()
    assert defaulted["spec"]["nodeSelector"] == {
        "matchLabels": {"zone": "north", "raven.openyurt.io/gateway": "gw-beijing"}
    }
    data["spec"]["nodeSelector"] = defaulted["spec"]["nodeSelector"]
    assert defaulted == data


# --------------------------------------------------------------------------------------------------
# Conversions


def test_v1alpha1_to_v1beta1() -> None:
    alpha = parse_object(_data("gateway-v1alpha1.yaml"))
    beta = convert_object(alpha, "raven.openyurt.io/v1beta1")
    assert isinstance(beta, raven_v1beta1.Gateway)
    key = "bWFkZS11cC1rZXktZm9yLXRlc3RzLW9ubHk="
    assert beta.to_wire() == {
        "apiVersion": "raven.openyurt.io/v1beta1",
        "kind": "Gateway",
        "metadata": {"name": "gw-beijing", "creationTimestamp": "2023-11-20T02:03:04Z"},
        "spec": {
            "nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": "gw-beijing"}},
            "exposeType": "LoadBalancer",
            "proxyConfig": {"Replicas": 1},
            "tunnelConfig": {"Replicas": 1},
            "endpoints": [
                {
                    "nodeName": "bj-node-1",
                    "type": "tunnel",
                    "port": 4500,
                    "underNAT": False,
                    "publicIP": "120.0.0.8",
                    "config": {"publicKey": key},
                },
                {"nodeName": "bj-node-2", "type": "tunnel", "port": 4500},
            ],
        },
        "status": {
            "nodes": [{"nodeName": "bj-node-1", "privateIP": "10.0.0.1", "subnets": ["10.244.5.0/24"]}],
            "activeEndpoints": [
                {
                    "nodeName": "bj-node-1",
                    "type": "tunnel",
                    "port": 4500,
                    "publicIP": "120.0.0.8",
                    "config": {"publicKey": key},
                },
            ],
        },
    }
    assert convert_object(beta, "raven.openyurt.io/v1alpha1") == alpha


def test_v1beta1_to_v1alpha1() -> None:
    beta = parse_object(_data("gateway-v1beta1-cloud.yaml"))
    alpha = convert_object(beta, "raven.openyurt.io/v1alpha1")
    assert isinstance(alpha, raven_v1alpha1.Gateway)
    wire = alpha.to_wire()
    assert wire["metadata"] == _data("gateway-v1beta1-cloud.yaml")["metadata"]
    assert wire["spec"] == {
        "nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": "gw-cloud"}},
        "exposeType": "PublicIP",
        "endpoints": [
            {
                "nodeName": "cloud-node-a",
                "underNAT": False,
                "publicIP": "47.98.10.11",
                "config": {"enable-l7-proxy": "true"},
            },
            {"nodeName": "cloud-node-a", "underNAT": False, "publicIP": "47.98.10.11"},
        ],
    }
    assert wire["status"]["activeEndpoint"] == {
        "nodeName": "cloud-node-a",
        "publicIP": "47.98.10.11",
        "config": {"enable-l7-proxy": "true"},
    }
    assert wire["status"]["nodes"] == _data("gateway-v1beta1-cloud.yaml")["status"]["nodes"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({}, {}),
        ({"activeEndpoints": []}, {"activeEndpoint": None}),
        ({"activeEndpoints": None}, {"activeEndpoint": None}),
        ({"nodes": None}, {"nodes": None}),
    ],
)
def test_v1beta1_to_v1alpha1_active_endpoint_edge_cases(status: dict[str, Any], expected: dict[str, Any]) -> None:
    data = {"apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway", "metadata": {"name": "g"}, "status": status}
    alpha = raven_v1alpha1.from_v1beta1(raven_v1beta1.Gateway.model_validate(data))
    assert alpha.to_wire()["status"] == expected
    assert alpha.to_wire()["spec"] == {"endpoints": []}


def test_v1alpha1_null_endpoints_stay_null() -> None:
    data = _data("gateway-v1alpha1.yaml")
    data["spec"]["endpoints"] = None
    alpha = parse_object(data)
    beta = convert_object(alpha, "raven.openyurt.io/v1beta1")
    assert beta.to_wire()["spec"]["endpoints"] is None
    assert convert_object(beta, "raven.openyurt.io/v1alpha1").to_wire() == data


def test_conversion_keeps_metadata_object() -> None:
    data = _data("gateway-v1alpha1.yaml")
    data["metadata"].update(
        labels={"a": "b"},
        annotations={"raven.openyurt.io/extra-allowed-source-cidrs": "10.0.0.0/8"},
        finalizers=["x.io/y"],
        resourceVersion="7",
        uid="u-1",
    )
    alpha = parse_object(data)
    beta = convert_object(alpha, "raven.openyurt.io/v1beta1")
    assert beta.metadata == alpha.metadata
    assert isinstance(beta, raven_v1beta1.Gateway)
    assert raven_v1alpha1.to_v1beta1(raven_v1alpha1.from_v1beta1(beta)).metadata == alpha.metadata


def test_conversion_of_constructed_objects() -> None:
    alpha = raven_v1alpha1.Gateway(
        metadata=ObjectMeta(name="g"),
        spec=raven_v1alpha1.GatewaySpec(
            node_selector=LabelSelector(match_labels={"k": "v"}),
            endpoints=[raven_v1alpha1.Endpoint(node_name="n", under_nat=True)],
        ),
    )
    beta = raven_v1alpha1.to_v1beta1(alpha)
    assert beta.spec.endpoints == [Endpoint(node_name="n", type="tunnel", port=4500, under_nat=True)]
    assert raven_v1alpha1.from_v1beta1(beta) == alpha
