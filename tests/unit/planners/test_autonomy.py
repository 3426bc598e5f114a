"""Autonomy: pod-binding tolerations (pod_binding_controller.go) and node liveness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from openyurt.core.api.coordination_v1 import Lease
from openyurt.core.planners import Liveness, node_autonomy, node_is_autonomous, node_liveness, plan_pod_binding
from openyurt.core.planners.autonomy import AutonomySetting, parse_go_duration
from tests.unit.planners.builders import NOW, node, pod

EDGE = {"openyurt.io/is-edge-worker": "true"}
TOL = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "other", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5},
]


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("24h", 86400 * 10**9),
        ("1h30m", 5400 * 10**9),
        ("-1s", -(10**9)),
        ("1.5h", 5400 * 10**9),
        ("300ms", 3 * 10**8),
        ("+5m", 300 * 10**9),
    ],
)
def test_go_duration(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("bad", ["", "5", "h", "1d", "1.h.", "--1s"])
def test_go_duration_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(bad)


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({"apps.openyurt.io/binding": "true"}, AutonomySetting(True, None)),
        (
            {"node.beta.openyurt.io/autonomy": "true", "node.openyurt.io/autonomy-duration": "1h"},
            AutonomySetting(True, None),
        ),
        ({"node.openyurt.io/autonomy-duration": "24h"}, AutonomySetting(True, 86400)),
        ({"node.openyurt.io/autonomy-duration": "0"}, AutonomySetting(True, None)),
        ({"node.openyurt.io/autonomy-duration": "-3m"}, AutonomySetting(True, None)),
        ({"node.openyurt.io/autonomy-duration": "1500ms"}, AutonomySetting(True, 1)),
        ({"node.openyurt.io/autonomy-duration": "soon"}, AutonomySetting(False)),
        ({}, AutonomySetting(False)),
    ],
)
def test_node_autonomy(annotations: dict[str, str], expected: AutonomySetting) -> None:
    assert node_autonomy(node("n", annotations=annotations)) == expected


def test_lifecycle_autonomy_counts_any_non_empty_duration() -> None:
    assert node_is_autonomous(node("n", annotations={"node.openyurt.io/autonomy-duration": "soon"}))
    assert not node_is_autonomous(node("n"))


def _tolerations(plan: Any) -> list[dict[str, Any]]:
    (patch,) = plan.patches
    return patch.patch["spec"]["tolerations"]


def test_duration_sets_seconds_and_remembers_original() -> None:
    n = node("n", labels=EDGE, annotations={"node.openyurt.io/autonomy-duration": "1h"})
    plan = plan_pod_binding(n, [pod("p", "n", tolerations=TOL)], now=NOW)
    assert [t.get("tolerationSeconds") for t in _tolerations(plan)] == [3600, 3600, 5]
    assert plan.patches[0].patch["metadata"]["annotations"] == {
        "apps.openyurt.io/original-not-ready-toleration-duration": "300",
        "apps.openyurt.io/original-unreachable-toleration-duration": "300",
    }


def test_unlimited_autonomy_removes_seconds() -> None:
    n = node("n", labels=EDGE, annotations={"apps.openyurt.io/binding": "true"})
    tol = _tolerations(plan_pod_binding(n, [pod("p", "n", tolerations=TOL)], now=NOW))
    assert ["tolerationSeconds" in t for t in tol] == [False, False, True]


def test_autonomy_off_restores_original() -> None:
    n = node("n", labels=EDGE)
    ann = {
        "apps.openyurt.io/original-not-ready-toleration-duration": "300",
        "apps.openyurt.io/original-unreachable-toleration-duration": "x",
    }
    tol = [dict(TOL[0], tolerationSeconds=3600), dict(TOL[1], tolerationSeconds=3600)]
    got = _tolerations(plan_pod_binding(n, [pod("p", "n", tolerations=tol, annotations=ann)], now=NOW))
    assert [t["tolerationSeconds"] for t in got] == [300, 3600]


@pytest.mark.parametrize(
    ("labels", "owner", "mirror"),
    [({}, None, False), (EDGE, "DaemonSet", False), (EDGE, None, True)],
)
def test_skipped_pods(labels: dict[str, str], owner: str | None, mirror: bool) -> None:
    n = node("n", labels=labels, annotations={"apps.openyurt.io/binding": "true"})
    p = pod(
        "p",
        "n",
        tolerations=TOL,
        owner_kind=owner,
        annotations={"kubernetes.io/config.mirror": "x"} if mirror else None,
    )
    assert plan_pod_binding(n, [p], now=NOW).is_empty


def test_nil_seconds_without_record_is_left_alone() -> None:
    n = node("n", labels=EDGE, annotations={"node.openyurt.io/autonomy-duration": "1h"})
    tol = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}]
    assert plan_pod_binding(n, [pod("p", "n", tolerations=tol)], now=NOW).is_empty


def _lease(seconds_ago: int, delegated: bool = False) -> Lease:
    renew = (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    meta: dict[str, Any] = {"name": "n", "namespace": "kube-node-lease"}
    if delegated:
        meta["annotations"] = {"openyurt.io/delegate-heartbeat": "true"}
    return Lease.model_validate(
        {"metadata": meta, "spec": {"renewTime": renew, "holderIdentity": "n", "leaseDurationSeconds": 40}}
    )


@pytest.mark.parametrize(
    ("lease", "expected"),
    [
        (_lease(10), Liveness.ALIVE),
        (_lease(10, delegated=True), Liveness.DELEGATED),
        (_lease(100, delegated=True), Liveness.UNKNOWN),
        (_lease(100), Liveness.UNKNOWN),
        (None, Liveness.UNKNOWN),
    ],
)
def test_node_liveness(lease: Lease | None, expected: Liveness) -> None:
    assert node_liveness(node("n"), lease, now=NOW, grace_period=timedelta(seconds=40)) == expected
