"""Conversions between apps.openyurt.io versions, by upstream's rules (hub: NodePool v1beta2,
YurtAppSet v1beta1), with the two upstream bugs fixed (ready count, pool order)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from openyurt.core import wellknown
from openyurt.core.api import openyurt_apps_v1alpha1 as v1alpha1
from openyurt.core.api import openyurt_apps_v1beta1 as v1beta1
from openyurt.core.api import openyurt_apps_v1beta2 as v1beta2
from openyurt.core.api._base import ObjectInvalid
from openyurt.core.api._resource import Resource, convert_object, parse_object

APPS = Path(__file__).parents[2] / "fixtures" / "apps"
V1A1, V1B1, V1B2 = (f"apps.openyurt.io/{v}" for v in ("v1alpha1", "v1beta1", "v1beta2"))


def load(name: str) -> Resource:
    return parse_object(yaml.safe_load((APPS / name).read_text()))


def wire(api_version: str, kind: str, body: dict[str, Any]) -> Resource:
    return parse_object({"apiVersion": api_version, "kind": kind, **body})


# ==================================================================================================
# NodePool


def test_v1beta1_to_v1beta2_follows_upstream() -> None:
    src = load("nodepool-v1beta1.yaml")
    hub = convert_object(src, V1B2)
    assert isinstance(hub, v1beta2.NodePool)
    assert hub.metadata == src.metadata
    assert hub.to_wire()["spec"] == {
        "type": "Edge",
        "hostNetwork": True,  # from the annotation
        "labels": {"apps.example.com/zone": "east"},
        "annotations": {"apps.example.com/rack": "r12"},
        "taints": [{"key": "apps.example.com/edge", "effect": "NoExecute", "timeAdded": "2025-01-02T03:04:05Z"}],
        "leaderElectionStrategy": "random",
        "leaderReplicas": 1,
    }
    assert hub.to_wire()["status"] == {"readyNodeNum": 3, "unreadyNodeNum": 0, "nodes": ["sh-1", "sh-2", "sh-3"]}


def test_v1beta1_round_trip_through_the_hub_is_lossless() -> None:
    src = load("nodepool-v1beta1.yaml")
    assert convert_object(convert_object(src, V1B2), V1B1).to_wire() == src.to_wire()


@pytest.mark.parametrize(
    ("annotation", "spec_host", "hub_host"),
    [
        (None, None, None),
        ("true", None, True),
        ("TRUE", None, True),
        ("True", False, True),
        ("false", None, None),
        ("yes", None, None),
        # v1beta1 spec.hostNetwork is ignored on the way in, as upstream
        (None, True, None),
    ],
)
def test_hostnetwork_travels_in_the_annotation(
    annotation: str | None, spec_host: bool | None, hub_host: bool | None
) -> None:
    meta: dict[str, Any] = {"name": "p"}
    if annotation is not None:
        meta["annotations"] = {wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK: annotation}
    spec: dict[str, Any] = {"type": "Edge"}
    if spec_host is not None:
        spec["hostNetwork"] = spec_host
    hub = convert_object(wire(V1B1, "NodePool", {"metadata": meta, "spec": spec}), V1B2)
    assert isinstance(hub, v1beta2.NodePool) and hub.spec is not None
    assert hub.spec.host_network is hub_host
    back = convert_object(hub, V1B1)
    assert isinstance(back, v1beta1.NodePool) and back.spec is not None
    assert back.spec.host_network is None  # left unset, as upstream
    expected = dict(meta.get("annotations", {}))
    if hub_host:
        expected[wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK] = "true"
    assert (back.metadata.annotations or {}) == expected


def test_v1beta2_to_v1beta1_drops_leader_settings_and_keeps_the_rest() -> None:
    src = load("nodepool-v1beta2.yaml")
    old = convert_object(src, V1B1)
    assert isinstance(old, v1beta1.NodePool)
    assert old.to_wire() == {
        "apiVersion": V1B1,
        "kind": "NodePool",
        "metadata": src.to_wire()["metadata"],
        "spec": {
            "type": "Edge",
            "labels": {"region": "hangzhou"},
            "annotations": {"example.com/owner": "team-a"},
            "taints": [{"key": "pool.example.com/dedicated", "value": "video", "effect": "NoSchedule"}],
        },
        "status": {"readyNodeNum": 2, "unreadyNodeNum": 1, "nodes": ["edge-a", "edge-b", "edge-c"]},
    }
    again = convert_object(old, V1B2)
    assert isinstance(again, v1beta2.NodePool) and again.spec is not None
    # writing through an older version resets the v1beta2-only settings to upstream's defaults
    assert again.spec.leader_election_strategy == "random"
    assert again.spec.leader_replicas == 1
    assert again.spec.enable_leader_election is None
    assert again.spec.pool_scope_metadata is None
    assert again.spec.inter_connectivity is None


def test_v1beta2_hostnetwork_becomes_the_annotation() -> None:
    src = wire(
        V1B2,
        "NodePool",
        {"metadata": {"name": "p", "annotations": {"a": "b"}}, "spec": {"type": "Edge", "hostNetwork": True}},
    )
    old = convert_object(src, V1B1)
    assert old.metadata.annotations == {"a": "b", "nodepool.openyurt.io/hostnetwork": "true"}
    assert src.metadata.annotations == {"a": "b"}  # the source is untouched
    hub = convert_object(old, V1B2)
    assert isinstance(hub, v1beta2.NodePool) and hub.spec is not None and hub.spec.host_network is True


def test_v1alpha1_selector_is_dropped() -> None:
    src = load("nodepool-v1alpha1.yaml")
    hub = convert_object(src, V1B2)
    assert "selector" not in hub.to_wire()["spec"]
    assert hub.to_wire()["spec"]["labels"] == {"tier": "gold"}
    back = convert_object(hub, V1A1)
    assert isinstance(back, v1alpha1.NodePool) and back.spec is not None
    assert back.spec.selector is None
    expected = src.to_wire()
    del expected["spec"]["selector"]
    assert back.to_wire() == expected


def test_v1alpha1_to_v1beta1_goes_through_the_hub() -> None:
    src = load("nodepool-v1alpha1.yaml")
    out = convert_object(src, V1B1)
    assert isinstance(out, v1beta1.NodePool)
    assert out.to_wire()["spec"] == {"type": "Cloud", "labels": {"tier": "gold"}}
    assert out.to_wire()["status"] == src.to_wire()["status"]


def test_same_version_is_identity_and_unknown_version_fails() -> None:
    src = load("nodepool-v1beta2.yaml")
    assert convert_object(src, V1B2) is src
    with pytest.raises(ObjectInvalid):
        convert_object(src, "apps.openyurt.io/v2")


# ==================================================================================================
# YurtAppSet


def test_yurtappset_v1alpha1_to_v1beta1() -> None:
    src = load("yurtappset-v1alpha1.yaml")
    hub = convert_object(src, V1B1)
    assert isinstance(hub, v1beta1.YurtAppSet)
    assert hub.metadata == src.metadata
    out = hub.to_wire()
    assert out["spec"]["pools"] == ["hangzhou", "beijing"]
    assert out["spec"]["revisionHistoryLimit"] == 4
    assert out["spec"]["workload"]["workloadTweaks"] == [
        {"pools": ["hangzhou"], "tweaks": {"replicas": 2}},
        {"pools": ["beijing"], "tweaks": {"replicas": 1}},
    ]
    assert out["spec"]["workload"]["workloadTemplate"] == src.to_wire()["spec"]["workloadTemplate"]
    assert "nodepoolSelector" not in out["spec"]
    # readyWorkloads counts workloads whose replicas are all ready (upstream inverts this)
    assert out["status"] == {
        "observedGeneration": 2,
        "currentRevision": "legacy-5d8f9c",
        "readyWorkloads": 1,
        "totalWorkloads": 2,
        "conditions": [{"type": "PoolProvisioned", "status": "True", "lastTransitionTime": "2024-06-01T00:00:00Z"}],
    }


def _pool(name: str, exprs: list[dict[str, Any]] | None, replicas: int = 1) -> dict[str, Any]:
    pool: dict[str, Any] = {"name": name, "replicas": replicas}
    if exprs is not None:
        pool["nodeSelectorTerm"] = {"matchExpressions": exprs}
    return pool


NP = wellknown.LABEL_NODEPOOL


@pytest.mark.parametrize(
    ("pool", "pools"),
    [
        (_pool("a", [{"key": NP, "operator": "In", "values": ["a"]}]), ["a"]),
        (_pool("a", [{"key": NP, "operator": "In", "values": ["a", "b"]}]), ["a", "b"]),
        (_pool("a", [{"key": "zone", "operator": "In", "values": ["z1"]}]), ["z1"]),
        (_pool("a", [{"key": NP, "operator": "NotIn", "values": ["x"]}]), ["x"]),
        (_pool("a", [{"key": "zone", "operator": "NotIn", "values": ["x"]}]), []),
        (_pool("a", [{"key": NP, "operator": "Exists"}, {"key": "b", "operator": "In", "values": ["y"]}]), []),
        (_pool("a", []), []),  # upstream panics here
        (_pool("a", None), []),
    ],
)
def test_yurtappset_v1alpha1_pool_selection(pool: dict[str, Any], pools: list[str]) -> None:
    src = wire(
        V1A1,
        "YurtAppSet",
        {"metadata": {"name": "s", "namespace": "d"}, "spec": {"selector": {}, "topology": {"pools": [pool]}}},
    )
    out = convert_object(src, V1B1).to_wire()["spec"]
    assert out.get("pools", []) == pools
    tweaks = out["workload"].get("workloadTweaks", [])
    assert tweaks == ([{"pools": pools, "tweaks": {"replicas": 1}}] if pools else [])


def test_yurtappset_v1beta1_to_v1alpha1() -> None:
    src = load("yurtappset-v1beta1.yaml")
    old = convert_object(src, V1A1)
    assert isinstance(old, v1alpha1.YurtAppSet)
    assert old.metadata == src.metadata
    out = old.to_wire()
    assert out["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert out["spec"]["revisionHistoryLimit"] == 5
    assert out["spec"]["workloadTemplate"] == src.to_wire()["spec"]["workload"]["workloadTemplate"]
    assert out["spec"]["topology"]["pools"] == [
        {
            "name": "hangzhou",
            "nodeSelectorTerm": {"matchExpressions": [{"key": NP, "operator": "In", "values": ["hangzhou"]}]},
            "replicas": 2,
        },
        {
            "name": "beijing",
            "nodeSelectorTerm": {"matchExpressions": [{"key": NP, "operator": "In", "values": ["beijing"]}]},
            "replicas": 3,
        },
    ]
    assert out["status"] == {
        "observedGeneration": 3,
        "collisionCount": 0,
        "currentRevision": "web-694bbcc68",
        "readyReplicas": 2,
        "replicas": 4,
        "templateType": "Deployment",
        "poolReplicas": {"hangzhou": 2, "beijing": 2},
        "conditions": src.to_wire()["status"]["conditions"],
    }


def test_yurtappset_pool_order_is_deterministic() -> None:
    def convert(pools: list[str]) -> list[str]:
        src = wire(
            V1B1,
            "YurtAppSet",
            {
                "metadata": {"name": "s", "namespace": "d"},
                "spec": {"pools": pools, "workload": {"workloadTemplate": {"statefulSetTemplate": {"spec": {}}}}},
            },
        )
        out = convert_object(src, V1A1).to_wire()
        return [p["name"] for p in out["spec"]["topology"]["pools"]]

    assert convert(["c", "a", "b", "a"]) == ["c", "a", "b"]
    assert convert(["c", "a", "b", "a"]) == convert(["c", "a", "b", "a"])


def test_yurtappset_statefulset_template_type_and_missing_replicas() -> None:
    src = load("yurtappset-v1beta1-statefulset.yaml")
    src = src.evolve(status=v1beta1.YurtAppSetStatus(current_revision="db-1", ready_workloads=1, total_workloads=1))
    out = convert_object(src, V1A1).to_wire()
    assert out["status"]["templateType"] == "StatefulSet"
    assert out["spec"]["topology"]["pools"][0]["replicas"] == 0  # template without replicas: upstream uses 0
    assert out["status"]["replicas"] == 0


def test_yurtappset_v1alpha1_round_trip_keeps_what_both_express() -> None:
    src = load("yurtappset-v1alpha1.yaml")
    back = convert_object(convert_object(src, V1B1), V1A1)
    assert isinstance(back, v1alpha1.YurtAppSet) and isinstance(src, v1alpha1.YurtAppSet)
    assert back.metadata == src.metadata
    assert back.spec is not None and src.spec is not None
    assert back.spec.selector == src.spec.selector
    assert back.spec.workload_template == src.spec.workload_template
    assert back.spec.revision_history_limit == src.spec.revision_history_limit
    assert [(p.name, p.replicas) for p in (back.spec.topology.pools or [])] == [("hangzhou", 2), ("beijing", 1)]  # type: ignore[union-attr]
    # tolerations and per-pool patches have no v1beta1 counterpart
    assert all(p.tolerations is None and p.patch is None for p in back.spec.topology.pools or [])  # type: ignore[union-attr]


def test_conversion_does_not_modify_the_source() -> None:
    src = load("yurtappset-v1alpha1.yaml")
    before = copy.deepcopy(src.to_wire())
    convert_object(src, V1B1)
    assert src.to_wire() == before
