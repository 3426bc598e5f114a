"""Gateway v1alpha1 <-> v1beta1 conversion properties (upstream's rules, hub v1beta1).

- gateway_v1alpha1_round_trip: v1alpha1 -> v1beta1 -> v1alpha1 gives back the same wire data, so every
  field v1alpha1 expresses (nodeSelector, exposeType, each endpoint's nodeName/publicIP/underNAT/config,
  status nodes, the active endpoint) survives the storage version, nulls and unset fields included.
- gateway_v1alpha1_to_v1beta1_shape: the v1beta1 form has one tunnel and one proxy replica, every endpoint is
  a ``tunnel`` on port 4500, activeEndpoint is the only active endpoint, and metadata is untouched.
- gateway_v1beta1_to_v1alpha1_projection: v1beta1 -> v1alpha1 keeps nodeName/publicIP/underNAT/config of every
  endpoint in order (proxies too), the status nodes and the first active endpoint, and metadata.
- gateway_v1beta1_to_v1alpha1_fixed_point: after one trip to v1alpha1, further round trips change nothing.
- gateway_conversion_output_is_wire_valid: what a conversion produces parses back to an equal object.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openyurt.core.api import raven_v1alpha1, raven_v1beta1
from openyurt.core.api._resource import convert_object, parse_object
from tests.property.strategies import model_data, resource_data

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _with_spec(cls: Any, spec_cls: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Resource data that always carries a spec (a Go client always sends one)."""
    return st.tuples(resource_data(cls), model_data(spec_cls)).map(lambda t: {"spec": t[1], **t[0]})


ALPHA = _with_spec(raven_v1alpha1.Gateway, raven_v1alpha1.GatewaySpec)
BETA = _with_spec(raven_v1beta1.Gateway, raven_v1beta1.GatewaySpec)
_SHARED = ("nodeName", "publicIP", "underNAT", "config")


def _alpha(wire: dict[str, Any]) -> raven_v1alpha1.Gateway:
    obj = parse_object(wire)
    assert isinstance(obj, raven_v1alpha1.Gateway)
    return obj


def _beta(wire: dict[str, Any]) -> raven_v1beta1.Gateway:
    obj = parse_object(wire)
    assert isinstance(obj, raven_v1beta1.Gateway)
    return obj


def _shared(ep: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if ep is None else {k: v for k, v in ep.items() if k in _SHARED}


@SETTINGS
@given(wire=ALPHA)
def test_gateway_v1alpha1_round_trip(wire: dict[str, Any]) -> None:
    alpha = _alpha(wire)
    beta = convert_object(alpha, raven_v1beta1.Gateway.info.api_version)
    back = convert_object(beta, raven_v1alpha1.Gateway.info.api_version)
    assert back == alpha
    assert back.to_wire() == wire


@SETTINGS
@given(wire=ALPHA)
def test_gateway_v1alpha1_to_v1beta1_shape(wire: dict[str, Any]) -> None:
    beta = raven_v1alpha1.to_v1beta1(_alpha(wire)).to_wire()
    assert beta["metadata"] == wire["metadata"]
    assert beta["spec"]["proxyConfig"] == {"Replicas": 1}
    assert beta["spec"]["tunnelConfig"] == {"Replicas": 1}
    for key in ("nodeSelector", "exposeType"):
        assert beta["spec"].get(key, "<unset>") == wire["spec"].get(key, "<unset>")
    endpoints = wire["spec"]["endpoints"]
    if endpoints is None:
        assert beta["spec"]["endpoints"] is None
    else:
        assert [(e["type"], e["port"]) for e in beta["spec"]["endpoints"]] == [("tunnel", 4500)] * len(endpoints)
        assert [_shared(e) for e in beta["spec"]["endpoints"]] == endpoints
    status = wire.get("status", {})
    if "activeEndpoint" in status:
        active = status["activeEndpoint"]
        expected = None if active is None else [{**active, "type": "tunnel", "port": 4500}]
        assert beta["status"]["activeEndpoints"] == expected


@SETTINGS
@given(wire=BETA)
def test_gateway_v1beta1_to_v1alpha1_projection(wire: dict[str, Any]) -> None:
    alpha = raven_v1alpha1.from_v1beta1(_beta(wire)).to_wire()
    assert alpha["metadata"] == wire["metadata"]
    for key in ("nodeSelector", "exposeType"):
        assert alpha["spec"].get(key, "<unset>") == wire["spec"].get(key, "<unset>")
    endpoints = wire["spec"].get("endpoints", [])
    if endpoints is None:
        assert alpha["spec"]["endpoints"] is None
    else:
        assert alpha["spec"]["endpoints"] == [_shared(e) for e in endpoints]
    status = wire.get("status", {})
    if "nodes" in status:
        assert alpha["status"]["nodes"] == status["nodes"]
    if "activeEndpoints" in status:
        actives = status["activeEndpoints"]
        assert alpha["status"]["activeEndpoint"] == (_shared(actives[0]) if actives else None)


@SETTINGS
@given(wire=BETA)
def test_gateway_v1beta1_to_v1alpha1_fixed_point(wire: dict[str, Any]) -> None:
    once = raven_v1alpha1.from_v1beta1(_beta(wire))
    twice = raven_v1alpha1.from_v1beta1(raven_v1alpha1.to_v1beta1(once))
    assert twice == once


@SETTINGS
@given(alpha_wire=ALPHA, beta_wire=BETA)
def test_gateway_conversion_output_is_wire_valid(alpha_wire: dict[str, Any], beta_wire: dict[str, Any]) -> None:
    beta = raven_v1alpha1.to_v1beta1(_alpha(alpha_wire))
    assert parse_object(beta.to_wire()) == beta
    alpha = raven_v1alpha1.from_v1beta1(_beta(beta_wire))
    assert parse_object(alpha.to_wire()) == alpha
