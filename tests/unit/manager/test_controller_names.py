"""``--controllers`` accepts upstream's registered names and CLI aliases (and our former names)."""

from __future__ import annotations

import pytest

from openyurt.runtime.manager import controllers  # noqa: F401  (registers them)
from openyurt.runtime.manager.registry import (
    ControllerFactory,
    controller_aliases,
    controller_factory,
    register_controller,
    registered_controllers,
    select_controllers,
    unregister_controller,
)

#: registered name → upstream's alias (yurt-manager's controller_names.go), plus names we used before
UPSTREAM = {
    "nodepool-controller": {"nodepool"},
    "hubleader-controller": {"hubleader"},
    "hubleaderconfig-controller": {"hubleaderconfig"},
    "hubleaderrbac-controller": {"hubleaderrbac"},
    "node-bucket-controller": {"nodebucket"},
    "yurt-app-set-controller": {"yurtappset"},
    "yurt-app-daemon-controller": {"yurtappdaemon"},
    "pod-binding-controller": {"podbinding"},
    "service-topology-endpoints-controller": {"servicetopologyendpoints", "servicetopology-endpoints"},
    "service-topology-endpointslice-controller": {"servicetopologyendpointslices", "servicetopology-endpointslice"},
    "gateway-pickup-controller": {"gatewaypickup", "gateway-pickup"},
    "daemon-pod-updater-controller": {"daemonpodupdater"},
    "image-preheat-controller": {"imagepreheat"},
}


def test_every_controller_is_registered_under_its_upstream_name_and_aliases() -> None:
    assert set(registered_controllers()) == set(UPSTREAM)
    aliases = controller_aliases()
    for name, names in UPSTREAM.items():
        assert {a for a, n in aliases.items() if n == name} == names
        for alias in names:
            assert controller_factory(alias) is controller_factory(name)


def test_star_selects_each_controller_once_by_registered_name() -> None:
    assert list(select_controllers("*")) == sorted(UPSTREAM)


def test_alias_and_name_select_the_same_controller_once() -> None:
    chosen = select_controllers("nodepool,nodepool-controller,servicetopologyendpointslices")
    assert list(chosen) == ["nodepool-controller", "service-topology-endpointslice-controller"]
    assert list(select_controllers("servicetopology-endpoints")) == ["service-topology-endpoints-controller"]


def test_exclusion_by_alias_or_name() -> None:
    everything = set(UPSTREAM)
    assert set(select_controllers("*,-nodepool")) == everything - {"nodepool-controller"}
    assert set(select_controllers("-gateway-pickup,*")) == everything - {"gateway-pickup-controller"}
    assert set(select_controllers("*,-hubleaderrbac-controller,-nodebucket")) == everything - {
        "hubleaderrbac-controller",
        "node-bucket-controller",
    }


@pytest.mark.parametrize("spec", ["nope", "*,-nope", "nodepool,delegatelease"])
def test_unknown_names_are_rejected_with_the_known_ones_listed(spec: str) -> None:
    with pytest.raises(KeyError, match="unknown controller") as info:
        select_controllers(spec)
    assert "nodepool-controller" in str(info.value) and "servicetopologyendpoints" in str(info.value)


def test_an_alias_cannot_be_taken_twice() -> None:
    def factory(ctx: object) -> None:
        return None

    fake: ControllerFactory = factory  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="already taken"):
        register_controller("test-controller", "nodepool")(fake)
    with pytest.raises(RuntimeError, match="already an alias"):
        register_controller("nodepool")(fake)
    register_controller("test-controller", "test")(fake)
    try:
        assert controller_factory("test") is fake
    finally:
        unregister_controller("test-controller")
    assert "test" not in controller_aliases() and "test-controller" not in registered_controllers()
