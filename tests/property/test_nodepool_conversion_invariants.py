"""Conversion invariants of apps.openyurt.io NodePool (hub v1beta2) and YurtAppSet (hub v1beta1).

Each ``test_prop_*`` function is one invariant, cited by name in specs/invariants.md.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core import wellknown
from openyurt.core.api import openyurt_apps_v1alpha1 as v1alpha1
from openyurt.core.api import openyurt_apps_v1beta1 as v1beta1
from openyurt.core.api import openyurt_apps_v1beta2 as v1beta2
from openyurt.core.api._resource import convert_object, parse_object

V1A1, V1B1, V1B2 = (f"apps.openyurt.io/{v}" for v in ("v1alpha1", "v1beta1", "v1beta2"))
HOSTNETWORK = wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK

names = st.builds(lambda a, b: a + b, st.sampled_from("abcdefgh"), st.text(alphabet="abcxyz0189", max_size=8))
keys = st.builds(lambda p, n: f"{p}/{n}" if p else n, st.sampled_from(["", "example.com", "apps.example.io"]), names)
values = st.text(alphabet="abcXYZ019-_. ", max_size=8)
string_maps = st.dictionaries(keys, values, max_size=4)
int32 = st.integers(min_value=0, max_value=2**31 - 1)
times = st.sampled_from(["2025-01-02T03:04:05Z", "2024-12-31T23:59:59.123456Z", "2025-06-01T10:00:00+08:00"])


@st.composite
def taints(draw: st.DrawFn) -> dict[str, Any]:
    taint: dict[str, Any] = {
        "key": draw(keys),
        "effect": draw(st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"])),
    }
    if draw(st.booleans()):
        taint["value"] = draw(values)
    if draw(st.booleans()):
        taint["timeAdded"] = draw(times)
    return taint


def optional_fields(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    return {k: draw(s) for k, s in fields.items() if draw(st.booleans())}


def shared_spec(draw: st.DrawFn) -> dict[str, Any]:
    return optional_fields(
        draw,
        {
            "type": st.sampled_from(["Edge", "Cloud", "", "fog"]),
            "labels": string_maps,
            "annotations": string_maps,
            "taints": st.lists(taints(), max_size=3),
        },
    )


def status_counters(draw: st.DrawFn) -> dict[str, Any]:
    return optional_fields(
        draw, {"readyNodeNum": int32, "unreadyNodeNum": int32, "nodes": st.lists(names, max_size=4, unique=True)}
    )


@st.composite
def old_nodepools(draw: st.DrawFn, api_version: str) -> dict[str, Any]:
    """v1alpha1/v1beta1 NodePools as users and Go clients write them (without v1beta1 spec.hostNetwork,
    which upstream's conversion ignores, and with the host-network annotation, if any, spelled "true"
    or meaning false, since conversion writes it back as "true")."""
    annotations = draw(string_maps)
    marker = draw(st.sampled_from([None, "true", "false", "no"]))
    if marker is not None:
        annotations[HOSTNETWORK] = marker
    meta: dict[str, Any] = {"name": draw(names)}
    if annotations or draw(st.booleans()):
        meta["annotations"] = annotations
    if draw(st.booleans()):
        meta["labels"] = draw(string_maps)
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": "NodePool", "metadata": meta}
    if draw(st.booleans()):
        spec = shared_spec(draw)
        if api_version == V1A1 and draw(st.booleans()):
            spec["selector"] = {"matchLabels": draw(string_maps)}
        obj["spec"] = spec
    if draw(st.booleans()):
        obj["status"] = status_counters(draw)
    return obj


@st.composite
def hub_nodepools(draw: st.DrawFn) -> dict[str, Any]:
    """v1beta2 NodePools with every field, the metadata free of the host-network annotation."""
    spec = shared_spec(draw)
    spec.update(
        optional_fields(
            draw,
            {
                "hostNetwork": st.booleans(),
                "interConnectivity": st.booleans(),
                "leaderElectionStrategy": st.sampled_from(["random", "mark"]),
                "leaderNodeLabelSelector": string_maps,
                "enableLeaderElection": st.booleans(),
                "leaderReplicas": st.integers(min_value=-1, max_value=5),
                "poolScopeMetadata": st.lists(
                    st.fixed_dictionaries(
                        {
                            "group": st.sampled_from(["", "discovery.k8s.io"]),
                            "version": st.just("v1"),
                            "resource": names,
                        }
                    ),
                    max_size=3,
                ),
            },
        )
    )
    status = status_counters(draw)
    status.update(
        optional_fields(
            draw,
            {
                "leaderNum": int32,
                "leaderLastElectedTime": st.one_of(st.none(), times),
                "leaderEndpoints": st.lists(
                    st.fixed_dictionaries({"nodeName": names, "address": st.just("10.0.0.1")}), max_size=2
                ),
            },
        )
    )
    meta: dict[str, Any] = {"name": draw(names)}
    if draw(st.booleans()):
        meta["annotations"] = draw(string_maps)
    obj: dict[str, Any] = {"apiVersion": V1B2, "kind": "NodePool", "metadata": meta, "spec": spec}
    if draw(st.booleans()):
        obj["status"] = status
    return obj


def _without_empty_spec(data: dict[str, Any]) -> dict[str, Any]:
    # Go always writes a (possibly empty) spec; no spec and an empty spec mean the same.
    return {k: v for k, v in data.items() if not (k == "spec" and v == {})}


def _without_selector(data: dict[str, Any]) -> dict[str, Any]:
    spec = data.get("spec")
    if isinstance(spec, dict) and "selector" in spec:
        data = {**data, "spec": {k: v for k, v in spec.items() if k != "selector"}}
    return data


@settings(max_examples=200, deadline=None)
@given(old_nodepools(V1B1))
def test_prop_nodepool_v1beta1_hub_round_trip_is_lossless(data: dict[str, Any]) -> None:
    """NodePool v1beta1 -> v1beta2 -> v1beta1 keeps every field both versions express (hostNetwork
    via the nodepool.openyurt.io/hostnetwork annotation), metadata included."""
    src = parse_object(data)
    hub = convert_object(src, V1B2)
    assert isinstance(hub, v1beta2.NodePool)
    back = convert_object(hub, V1B1)
    assert isinstance(back, v1beta1.NodePool)
    assert _without_empty_spec(back.to_wire()) == _without_empty_spec(data)
    annotation = (data["metadata"].get("annotations") or {}).get(HOSTNETWORK)
    assert bool(hub.spec and hub.spec.host_network) is (annotation == "true")


@settings(max_examples=200, deadline=None)
@given(old_nodepools(V1A1))
def test_prop_nodepool_v1alpha1_hub_round_trip_drops_only_selector(data: dict[str, Any]) -> None:
    """NodePool v1alpha1 -> v1beta2 -> v1alpha1 keeps everything but spec.selector, which v1beta2 lacks."""
    back = convert_object(convert_object(parse_object(data), V1B2), V1A1)
    assert isinstance(back, v1alpha1.NodePool)
    assert _without_empty_spec(back.to_wire()) == _without_empty_spec(_without_selector(data))


def _shared_view(pool: v1beta2.NodePool) -> dict[str, Any]:
    spec = pool.spec or v1beta2.NodePoolSpec()
    status = pool.status
    return {
        "name": pool.name,
        "type": spec.type,
        "labels": spec.labels,
        "annotations": spec.annotations,
        "taints": [t.to_wire() for t in spec.taints] if spec.taints is not None else None,
        "hostNetwork": bool(spec.host_network),
        "status": None if status is None else (status.ready_node_num, status.unready_node_num, status.nodes),
    }


@settings(max_examples=200, deadline=None)
@given(hub_nodepools())
def test_prop_nodepool_v1beta2_round_trip_through_v1beta1_keeps_shared_fields(data: dict[str, Any]) -> None:
    """NodePool v1beta2 -> v1beta1 -> v1beta2 keeps type, labels, annotations, taints, hostNetwork and
    the status counters (ready, unready, nodes); leader settings fall back to upstream's defaults."""
    src = parse_object(data)
    assert isinstance(src, v1beta2.NodePool)
    back = convert_object(convert_object(src, V1B1), V1B2)
    assert isinstance(back, v1beta2.NodePool)
    assert _shared_view(back) == _shared_view(src)
    assert back.spec is not None
    assert (back.spec.leader_election_strategy, back.spec.leader_replicas) == ("random", 1)


@st.composite
def alpha_yurtappsets(draw: st.DrawFn) -> dict[str, Any]:
    pool_names = draw(st.lists(names, max_size=4, unique=True))
    replicas = draw(st.integers(min_value=0, max_value=5))
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "x"}},
        "workloadTemplate": {
            "deploymentTemplate": {"spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "x"}}}}
        },
        "topology": {
            "pools": [
                {
                    "name": n,
                    "nodeSelectorTerm": {
                        "matchExpressions": [{"key": wellknown.LABEL_NODEPOOL, "operator": "In", "values": [n]}]
                    },
                    "replicas": draw(int32),
                }
                for n in pool_names
            ]
        },
    }
    if draw(st.booleans()):
        spec["revisionHistoryLimit"] = draw(int32)
    return {
        "apiVersion": V1A1,
        "kind": "YurtAppSet",
        "metadata": {"name": draw(names), "namespace": "default"},
        "spec": spec,
    }


@settings(max_examples=100, deadline=None)
@given(alpha_yurtappsets())
def test_prop_yurtappset_v1alpha1_round_trip_keeps_pools_in_order(data: dict[str, Any]) -> None:
    """YurtAppSet v1alpha1 -> v1beta1 -> v1alpha1 keeps the template, the selector, the revision limit and
    each node-pool-named topology pool with its replicas, in the original order."""
    src = parse_object(data)
    back = convert_object(convert_object(src, V1B1), V1A1)
    assert isinstance(back, v1alpha1.YurtAppSet)
    out = back.to_wire()
    assert out["metadata"] == data["metadata"]
    assert out["spec"]["selector"] == data["spec"]["selector"]
    assert out["spec"]["workloadTemplate"] == data["spec"]["workloadTemplate"]
    assert out["spec"].get("revisionHistoryLimit") == data["spec"].get("revisionHistoryLimit")
    assert out["spec"].get("topology", {"pools": []}) == data["spec"]["topology"]
