"""apps.openyurt.io wire models: every kind parses our fixtures and writes them back unchanged, bad types
are refused naming the wire path, objects are pleasant to build in code, and API facts are right."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from openyurt.core.api import openyurt_apps_v1alpha1 as v1alpha1
from openyurt.core.api import openyurt_apps_v1beta1 as v1beta1
from openyurt.core.api import openyurt_apps_v1beta2 as v1beta2
from openyurt.core.api._base import ObjectInvalid
from openyurt.core.api._resource import kind_class, parse_object, unknown_fields, validate_object
from openyurt.core.api.core_v1 import Taint
from openyurt.core.api.meta_v1 import LabelSelector, ObjectMeta

APPS = Path(__file__).parents[2] / "fixtures" / "apps"
FIXTURES = sorted(APPS.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((APPS / name).read_text())  # type: ignore[no-any-return]


def test_fixtures_cover_every_kind_and_version() -> None:
    seen = {(d["apiVersion"], d["kind"]) for d in (yaml.safe_load(p.read_text()) for p in FIXTURES)}
    assert seen == {
        ("apps.openyurt.io/v1beta2", "NodePool"),
        ("apps.openyurt.io/v1beta1", "NodePool"),
        ("apps.openyurt.io/v1alpha1", "NodePool"),
        ("apps.openyurt.io/v1beta1", "YurtAppSet"),
        ("apps.openyurt.io/v1alpha1", "YurtAppSet"),
        ("apps.openyurt.io/v1alpha1", "YurtAppDaemon"),
        ("apps.openyurt.io/v1alpha1", "YurtStaticSet"),
        ("apps.openyurt.io/v1alpha1", "NodeBucket"),
        ("apps.openyurt.io/v1alpha1", "YurtAppOverrider"),
    }


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_round_trips_byte_for_byte(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    obj = parse_object(copy.deepcopy(data))
    assert type(obj) is kind_class(data["apiVersion"], data["kind"])
    assert obj.to_wire() == data
    assert unknown_fields(obj) == []


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_passes_its_webhook(path: Path) -> None:
    assert validate_object(parse_object(yaml.safe_load(path.read_text()))) == ()


def test_go_nulls_are_accepted_and_kept() -> None:
    data = load("nodepool-v1beta2-go-nulls.yaml")
    pool = parse_object(data)
    assert isinstance(pool, v1beta2.NodePool)
    assert pool.status is not None and pool.status.leader_last_elected_time is None
    assert pool.to_wire()["status"]["leaderLastElectedTime"] is None


def test_null_patch_value_is_kept() -> None:
    yas = parse_object(load("yurtappset-v1beta1.yaml"))
    assert isinstance(yas, v1beta1.YurtAppSet) and yas.spec is not None
    patch = (yas.spec.workload.workload_tweaks or [])[1].tweaks.patches or []
    assert patch[0].value is None
    assert "value" in yas.to_wire()["spec"]["workload"]["workloadTweaks"][1]["tweaks"]["patches"][0]


def test_unknown_fields_are_reported_as_pruned() -> None:
    data = load("nodepool-v1beta1.yaml")
    data["spec"]["addresses"] = ["10.0.0.1"]
    pool = parse_object(data)
    assert unknown_fields(pool) == ["spec.addresses"]
    assert pool.to_wire() == data


def test_schemaless_subtrees_keep_anything() -> None:
    data = load("yurtstaticset-v1alpha1.yaml")
    data["spec"]["template"]["spec"]["weird"] = {"x": [1, None, {"y": True}]}
    obj = parse_object(data)
    assert unknown_fields(obj) == []
    assert obj.to_wire() == data


def _mutate(data: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("fixture", "path", "value", "wire_path", "message"),
    [
        (
            "yurtappset-v1beta1.yaml",
            ["spec", "workload", "workloadTweaks", 0, "pools"],
            "beijing",
            "spec.workload.workloadTweaks[0].pools",
            "expected array, got string",
        ),
        (
            "yurtappset-v1beta1.yaml",
            ["spec", "workload", "workloadTweaks", 0, "tweaks", "replicas"],
            "3",
            "spec.workload.workloadTweaks[0].tweaks.replicas",
            "expected integer, got string",
        ),
        (
            "yurtappset-v1beta1.yaml",
            ["spec", "workload", "workloadTweaks", 0, "tweaks", "patches", 1, "operation"],
            "move",
            "spec.workload.workloadTweaks[0].tweaks.patches[1].operation",
            "",
        ),
        (
            "yurtappset-v1beta1.yaml",
            ["spec", "nodepoolSelector"],
            ["role=video"],
            "spec.nodepoolSelector",
            "expected object, got array",
        ),
        ("nodepool-v1beta2.yaml", ["spec", "hostNetwork"], "true", "spec.hostNetwork", "expected boolean"),
        ("nodepool-v1beta2.yaml", ["spec", "leaderReplicas"], 2**31, "spec.leaderReplicas", ""),
        (
            "nodepool-v1beta2.yaml",
            ["status", "leaderLastElectedTime"],
            "yesterday",
            "status.leaderLastElectedTime",
            "RFC 3339",
        ),
        ("nodepool-v1beta2.yaml", ["spec", "taints", 0, "effect"], None, "spec.taints[0].effect", ""),
        ("nodepool-v1alpha1.yaml", ["spec", "selector", "matchLabels"], "a=b", "spec.selector.matchLabels", ""),
        (
            "yurtappset-v1alpha1.yaml",
            ["spec", "topology", "pools", 1, "replicas"],
            1.5,
            "spec.topology.pools[1].replicas",
            "",
        ),
        (
            "yurtstaticset-v1alpha1.yaml",
            ["spec", "upgradeStrategy", "maxUnavailable"],
            0.5,
            "spec.upgradeStrategy.maxUnavailable",
            "",
        ),
        ("yurtstaticset-v1alpha1.yaml", ["status", "readyNumber"], True, "status.readyNumber", "expected integer"),
        ("nodebucket-v1alpha1.yaml", ["numNodes"], "2", "numNodes", "expected integer"),
        ("nodebucket-v1alpha1.yaml", ["nodes"], {"name": "edge-a"}, "nodes", "expected array"),
        ("yurtappdaemon-v1alpha1.yaml", ["status", "nodepools"], "hangzhou", "status.nodepools", "expected array"),
    ],
)
def test_type_errors_name_the_wire_path(
    fixture: str, path: list[str | int], value: Any, wire_path: str, message: str
) -> None:
    with pytest.raises(ObjectInvalid) as info:
        parse_object(_mutate(load(fixture), path, value))
    paths = [e.path for e in info.value.errors]
    assert wire_path in paths, paths
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("fixture", "path", "wire_path"),
    [
        ("yurtappset-v1beta1.yaml", ["spec", "workload"], "spec.workload"),
        ("yurtappset-v1beta1.yaml", ["spec", "workload", "workloadTemplate"], "spec.workload.workloadTemplate"),
        (
            "yurtappset-v1beta1.yaml",
            ["spec", "workload", "workloadTweaks", 0, "tweaks"],
            "spec.workload.workloadTweaks[0].tweaks",
        ),
        (
            "yurtappset-v1beta1.yaml",
            ["spec", "workload", "workloadTemplate", "deploymentTemplate", "spec"],
            "spec.workload.workloadTemplate.deploymentTemplate.spec",
        ),
        ("yurtappset-v1beta1.yaml", ["status", "currentRevision"], "status.currentRevision"),
        ("yurtappset-v1beta1.yaml", ["status", "readyWorkloads"], "status.readyWorkloads"),
        ("yurtappset-v1alpha1.yaml", ["spec", "selector"], "spec.selector"),
        ("yurtappset-v1alpha1.yaml", ["status", "templateType"], "status.templateType"),
        ("yurtappdaemon-v1alpha1.yaml", ["spec", "nodepoolSelector"], "spec.nodepoolSelector"),
        ("yurtstaticset-v1alpha1.yaml", ["status", "upgradedNumber"], "status.upgradedNumber"),
        ("nodebucket-v1alpha1.yaml", ["numNodes"], "numNodes"),
        ("nodepool-v1beta2.yaml", ["status", "leaderEndpoints", 0, "address"], "status.leaderEndpoints[0].address"),
        ("nodepool-v1beta2.yaml", ["spec", "poolScopeMetadata", 1, "group"], "spec.poolScopeMetadata[1].group"),
        ("yurtappoverrider-v1alpha1.yaml", ["subject"], "subject"),
    ],
)
def test_required_fields_are_required(fixture: str, path: list[str | int], wire_path: str) -> None:
    data = load(fixture)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert [(e.path, e.message) for e in info.value.errors] == [(wire_path, "Required value")]


def test_old_overrider_manifest_error_names_the_field() -> None:
    with pytest.raises(ObjectInvalid) as info:
        parse_object(yaml.safe_load((APPS / "invalid" / "yurtappoverrider-pools-string.yaml").read_text()))
    assert [e.path for e in info.value.errors] == ["entries[0].pools"]


def test_tweak_pools_as_string_is_refused() -> None:
    with pytest.raises(ObjectInvalid) as info:
        parse_object(yaml.safe_load((APPS / "invalid" / "yurtappset-tweak-pools-string.yaml").read_text()))
    assert [e.path for e in info.value.errors] == ["spec.workload.workloadTweaks[0].pools"]


# -- building objects in code ------------------------------------------------------------------


def test_nodepool_is_pleasant_to_build() -> None:
    pool = v1beta2.NodePool(
        metadata=ObjectMeta(name="hz"),
        spec=v1beta2.NodePoolSpec(type="Edge", host_network=True, taints=[Taint(key="k", effect="NoSchedule")]),
    )
    assert pool.to_wire() == {
        "apiVersion": "apps.openyurt.io/v1beta2",
        "kind": "NodePool",
        "metadata": {"name": "hz"},
        "spec": {"type": "Edge", "hostNetwork": True, "taints": [{"key": "k", "effect": "NoSchedule"}]},
    }
    assert parse_object(pool.to_wire()) == pool


def test_yurtappset_is_pleasant_to_build() -> None:
    yas = v1beta1.YurtAppSet(
        metadata=ObjectMeta(name="web", namespace="default"),
        spec=v1beta1.YurtAppSetSpec(
            nodepool_selector=LabelSelector(match_labels={"role": "video"}),
            workload=v1beta1.Workload(
                workload_template=v1beta1.WorkloadTemplate(
                    deployment_template=v1beta1.DeploymentTemplateSpec(spec={"replicas": 1})
                ),
                workload_tweaks=[
                    v1beta1.WorkloadTweak(
                        pools=["hz"],
                        tweaks=v1beta1.Tweaks(
                            patches=[v1beta1.Patch(path="/spec/replicas", operation="replace", value=2)]
                        ),
                    )
                ],
            ),
        ),
    )
    wire = yas.to_wire()
    assert wire["apiVersion"] == "apps.openyurt.io/v1beta1" and wire["kind"] == "YurtAppSet"
    assert wire["spec"]["nodepoolSelector"] == {"matchLabels": {"role": "video"}}
    assert wire["spec"]["workload"]["workloadTemplate"] == {"deploymentTemplate": {"spec": {"replicas": 1}}}
    assert wire["spec"]["workload"]["workloadTweaks"][0]["tweaks"]["patches"] == [
        {"path": "/spec/replicas", "operation": "replace", "value": 2}
    ]


def test_nodebucket_fields_live_at_the_root() -> None:
    nb = v1alpha1.NodeBucket(
        metadata=ObjectMeta(name="hz-abcdef"), num_nodes=1, nodes=[v1alpha1.NodeBucketNode(name="n1")]
    )
    assert nb.to_wire() == {
        "apiVersion": "apps.openyurt.io/v1alpha1",
        "kind": "NodeBucket",
        "metadata": {"name": "hz-abcdef"},
        "numNodes": 1,
        "nodes": [{"name": "n1"}],
    }


def test_wrong_kind_for_class_is_refused() -> None:
    data = load("nodepool-v1beta1.yaml")
    data["apiVersion"] = "apps.openyurt.io/v1beta3"
    with pytest.raises(ObjectInvalid):
        parse_object(data)


# -- API facts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "facts"),
    [
        (v1beta2.NodePool, ("nodepools", ("np",), False, ("yurt",), True, True, False)),
        (v1beta1.NodePool, ("nodepools", ("np",), False, ("yurt",), True, False, False)),
        (v1alpha1.NodePool, ("nodepools", ("np",), False, ("yurt",), True, False, True)),
        (v1beta1.YurtAppSet, ("yurtappsets", ("yas",), True, ("yurt",), True, True, False)),
        (v1alpha1.YurtAppSet, ("yurtappsets", ("yas",), True, ("yurt",), True, False, True)),
        (v1alpha1.YurtAppDaemon, ("yurtappdaemons", ("yad",), True, ("yurt",), True, True, True)),
        (v1alpha1.YurtStaticSet, ("yurtstaticsets", ("yss",), True, (), True, True, False)),
        (v1alpha1.NodeBucket, ("nodebuckets", ("nb",), False, ("yurt",), True, True, False)),
        (v1alpha1.YurtAppOverrider, ("yurtappoverriders", ("yao",), True, (), False, False, False)),
    ],
)
def test_resource_info(cls: Any, facts: tuple[Any, ...]) -> None:
    i = cls.info
    assert (i.plural, i.short_names, i.namespaced, i.categories, i.served, i.storage, i.deprecated) == facts
    assert i.group == "apps.openyurt.io"
    assert i.crd is (cls is not v1alpha1.YurtAppOverrider)


def test_printer_columns() -> None:
    cols = [(c.name, c.json_path, c.type) for c in v1beta2.NodePool.info.printer_columns]
    assert cols == [
        ("Type", ".spec.type", "string"),
        ("ReadyNodes", ".status.readyNodeNum", "integer"),
        ("NotReadyNodes", ".status.unreadyNodeNum", "integer"),
        ("LeaderNodes", ".status.leaderNum", "integer"),
        ("LeaderElectionAge", ".status.leaderLastElectedTime", "date"),
        ("Age", ".metadata.creationTimestamp", "date"),
    ]
    assert [c.name for c in v1beta1.NodePool.info.printer_columns] == ["Type", "ReadyNodes", "NotReadyNodes", "Age"]
    assert [c.json_path for c in v1beta1.YurtAppSet.info.printer_columns] == [
        ".status.totalWorkloads",
        ".status.readyWorkloads",
        ".status.updatedWorkloads",
        ".metadata.creationTimestamp",
    ]
    assert [c.name for c in v1alpha1.YurtStaticSet.info.printer_columns] == ["AGE", "Total", "Ready", "Upgraded"]
    assert [c.json_path for c in v1alpha1.NodeBucket.info.printer_columns] == [
        ".numNodes",
        ".metadata.creationTimestamp",
    ]


def test_deprecation_warnings() -> None:
    assert v1alpha1.NodePool.info.deprecation_warning == (
        "apps.openyurt.io/v1alpha1 NodePool is deprecated in v1.0.0+; use apps.openyurt.io/v1beta1 NodePool"
    )
    assert v1alpha1.YurtAppDaemon.info.deprecation_warning == (
        "apps.openyurt.io/v1alpha1 YurtAppDaemon is deprecated; use apps.openyurt.io/v1beta1 YurtAppSet;"
    )
    assert (v1alpha1.YurtAppSet.info.deprecation_warning or "").startswith(
        "apps.openyurt.io/v1alpha1 YurtAppSet is deprecated; use apps.openyurt.io/v1beta1 YurtAppSet;"
    )
