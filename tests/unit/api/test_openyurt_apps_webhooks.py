"""yurt-manager's apps.openyurt.io admission rules: what the mutating webhooks default and what the
validating webhooks reject, each error naming the wire path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openyurt.core import wellknown
from openyurt.core.api import openyurt_apps_v1alpha1 as v1alpha1
from openyurt.core.api import openyurt_apps_v1beta1 as v1beta1
from openyurt.core.api import openyurt_apps_v1beta2 as v1beta2
from openyurt.core.api._base import FieldError, ObjectInvalid
from openyurt.core.api._resource import check_object, parse_object

NP_V1BETA2 = "apps.openyurt.io/v1beta2"


def nodepool(spec: dict[str, Any] | None = None, **meta: Any) -> v1beta2.NodePool:
    data: dict[str, Any] = {"apiVersion": NP_V1BETA2, "kind": "NodePool", "metadata": {"name": "hz", **meta}}
    if spec is not None:
        data["spec"] = spec
    obj = parse_object(data)
    assert isinstance(obj, v1beta2.NodePool)
    return obj


def paths(errors: list[FieldError] | tuple[FieldError, ...]) -> list[str]:
    return [e.path for e in errors]


# ==================================================================================================
# NodePool v1beta2


def test_nodepool_defaults_on_empty_pool() -> None:
    pool = nodepool()
    out = pool.with_defaults()
    assert out.to_wire() == {
        "apiVersion": NP_V1BETA2,
        "kind": "NodePool",
        "metadata": {"name": "hz", "labels": {"nodepool.openyurt.io/type": "edge"}},
        "spec": {
            "type": "Edge",
            "leaderElectionStrategy": "random",
            "leaderReplicas": 1,
            "poolScopeMetadata": [
                {"group": "", "version": "v1", "resource": "services"},
                {"group": "discovery.k8s.io", "version": "v1", "resource": "endpointslices"},
            ],
        },
        "status": {"readyNodeNum": 0, "unreadyNodeNum": 0, "nodes": []},
    }
    assert pool.to_wire() == {"apiVersion": NP_V1BETA2, "kind": "NodePool", "metadata": {"name": "hz"}}


@pytest.mark.parametrize(
    ("spec", "expect"),
    [
        ({"type": "Cloud"}, {"type": "Cloud"}),
        ({"leaderReplicas": 0}, {"leaderReplicas": 1}),
        ({"leaderReplicas": -3}, {"leaderReplicas": 1}),
        ({"leaderReplicas": 3}, {"leaderReplicas": 3}),
        ({"leaderElectionStrategy": "mark"}, {"leaderElectionStrategy": "mark"}),
        ({"hostNetwork": True, "interConnectivity": True}, {"hostNetwork": True, "interConnectivity": True}),
        (
            {
                "poolScopeMetadata": [
                    {"group": "", "version": "v1", "resource": "configmaps"},
                    {"group": "", "version": "v1", "resource": "services"},
                ]
            },
            {
                "poolScopeMetadata": [
                    {"group": "", "version": "v1", "resource": "configmaps"},
                    {"group": "", "version": "v1", "resource": "services"},
                    {"group": "discovery.k8s.io", "version": "v1", "resource": "endpointslices"},
                ]
            },
        ),
    ],
)
def test_nodepool_defaults_keep_what_is_set(spec: dict[str, Any], expect: dict[str, Any]) -> None:
    out = nodepool(spec).with_defaults().to_wire()["spec"]
    for key, value in expect.items():
        assert out[key] == value


def test_nodepool_defaults_type_label_and_status() -> None:
    pool = parse_object(
        {
            "apiVersion": NP_V1BETA2,
            "kind": "NodePool",
            "metadata": {"name": "bj", "labels": {"team": "a", wellknown.LABEL_NODEPOOL_TYPE: "wrong"}},
            "spec": {"type": "Cloud"},
            "status": {"readyNodeNum": 4, "unreadyNodeNum": 1, "nodes": ["a"], "leaderNum": 1},
        }
    ).with_defaults()
    wire = pool.to_wire()
    assert wire["metadata"]["labels"] == {"team": "a", "nodepool.openyurt.io/type": "cloud"}
    assert wire["status"] == {"readyNodeNum": 0, "unreadyNodeNum": 0, "nodes": []}


@pytest.mark.parametrize(
    ("spec", "errors"),
    [
        ({"type": "Edge", "leaderElectionStrategy": "random"}, []),
        ({"type": "Cloud", "leaderElectionStrategy": "mark"}, []),
        ({"type": "Edge", "hostNetwork": True, "leaderElectionStrategy": "random"}, []),
        (
            {"type": "edge", "leaderElectionStrategy": "random"},
            [("spec.type", 'Unsupported value: "edge": supported values: "Edge", "Cloud"')],
        ),
        (
            {"leaderElectionStrategy": "random"},
            [("spec.type", 'Unsupported value: "": supported values: "Edge", "Cloud"')],
        ),
        (
            {"type": "Cloud", "hostNetwork": True, "leaderElectionStrategy": "random"},
            [("spec.hostNetwork", "Forbidden: a Cloud NodePool cannot use hostNetwork")],
        ),
        (
            {"type": "Edge", "leaderElectionStrategy": "Random"},
            [("spec.leaderElectionStrategy", 'Unsupported value: "Random": supported values: "random", "mark"')],
        ),
        (
            {"type": "Edge", "leaderElectionStrategy": "random", "annotations": {"bad key!": "v"}},
            [("spec.annotations", None)],
        ),
        (
            {"type": "Edge", "leaderElectionStrategy": "random", "annotations": {"big": "x" * (256 * 1024)}},
            [("spec.annotations", "Too long: must have at most 262144 bytes")],
        ),
    ],
)
def test_nodepool_validation(spec: dict[str, Any], errors: list[tuple[str, str | None]]) -> None:
    got = nodepool(spec).semantic_errors()
    assert paths(got) == [p for p, _ in errors]
    for err, (_, message) in zip(got, errors, strict=True):
        if message is not None:
            assert err.message == message


@pytest.mark.parametrize(
    ("old", "new", "errors"),
    [
        ({"type": "Edge"}, {"type": "Edge", "labels": {"a": "b"}, "leaderReplicas": 4}, []),
        ({"type": "Edge"}, {"type": "Cloud"}, ["spec.type"]),
        ({"type": "Edge"}, {"type": "Edge", "hostNetwork": True}, ["spec.hostNetwork"]),
        ({"type": "Edge", "hostNetwork": True}, {"type": "Edge"}, ["spec.hostNetwork"]),
        ({"type": "Edge", "interConnectivity": False}, {"type": "Edge"}, []),
        ({"type": "Edge"}, {"type": "Edge", "interConnectivity": True}, ["spec.interConnectivity"]),
        (
            {"type": "Edge"},
            {"type": "Cloud", "hostNetwork": True},
            ["spec.hostNetwork", "spec.type", "spec.hostNetwork"],
        ),
    ],
)
def test_nodepool_update_immutability(old: dict[str, Any], new: dict[str, Any], errors: list[str]) -> None:
    strategy = {"leaderElectionStrategy": "random"}
    got = nodepool({**new, **strategy}).semantic_errors(nodepool({**old, **strategy}))
    assert paths(got) == errors
    assert all(e.reason == "FieldValueForbidden" for e in got)


def test_nodepool_delete_rule() -> None:
    pool = nodepool({"type": "Edge"})
    assert v1beta2.nodepool_delete_errors(pool, []) == []
    (err,) = v1beta2.nodepool_delete_errors(pool, ["edge-b", "edge-a"])
    assert err.path == "metadata.name"
    assert err.reason == "FieldValueForbidden"
    assert err.message.startswith("Forbidden: cannot remove nonempty pool 'hz'")
    assert "edge-a, edge-b" in err.message


def test_check_object_defaults_then_validates_a_nodepool() -> None:
    out = check_object({"apiVersion": NP_V1BETA2, "kind": "NodePool", "metadata": {"name": "hz"}})
    assert isinstance(out, v1beta2.NodePool) and out.spec is not None
    assert out.spec.type == "Edge"
    with pytest.raises(ObjectInvalid) as info:
        check_object(
            {"apiVersion": NP_V1BETA2, "kind": "NodePool", "metadata": {"name": "hz"}, "spec": {"type": "Fog"}}
        )
    assert paths(info.value.errors) == ["spec.type"]


# -- older NodePool versions go through the hub's rules --


def test_v1beta1_nodepool_validation_uses_the_hub_rules() -> None:
    def pool(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> v1beta1.NodePool:
        meta: dict[str, Any] = {"name": "sh"}
        if annotations is not None:
            meta["annotations"] = annotations
        obj = parse_object(
            {"apiVersion": "apps.openyurt.io/v1beta1", "kind": "NodePool", "metadata": meta, "spec": spec}
        )
        assert isinstance(obj, v1beta1.NodePool)
        return obj

    host = {wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK: "TRUE"}
    assert pool({"type": "Edge"}).semantic_errors() == []
    assert paths(pool({"type": "Fog"}).semantic_errors()) == ["spec.type"]
    assert paths(pool({"type": "Cloud"}, host).semantic_errors()) == ["spec.hostNetwork"]
    # spec.hostNetwork of v1beta1 is ignored by conversion, so it is not what the webhook sees
    assert pool({"type": "Cloud", "hostNetwork": True}).semantic_errors() == []
    assert paths(pool({"type": "Edge"}, host).semantic_errors(pool({"type": "Edge"}))) == ["spec.hostNetwork"]


def test_v1alpha1_and_v1beta1_nodepool_defaults() -> None:
    for api_version, cls in (
        ("apps.openyurt.io/v1beta1", v1beta1.NodePool),
        ("apps.openyurt.io/v1alpha1", v1alpha1.NodePool),
    ):
        obj = parse_object({"apiVersion": api_version, "kind": "NodePool", "metadata": {"name": "p"}})
        out = obj.with_defaults()
        assert isinstance(out, cls)
        assert out.to_wire() == {
            "apiVersion": api_version,
            "kind": "NodePool",
            "metadata": {"name": "p", "labels": {"nodepool.openyurt.io/type": "edge"}},
            "spec": {"type": "Edge"},
            "status": {"readyNodeNum": 0, "unreadyNodeNum": 0, "nodes": []},
        }


# ==================================================================================================
# YurtAppSet v1beta1

POD = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}
DEPLOY_SPEC = {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": POD}


def yas(
    template: dict[str, Any] | None = None,
    tweaks: list[dict[str, Any]] | None = None,
    kind: str = "deploymentTemplate",
    **spec: Any,
) -> v1beta1.YurtAppSet:
    workload: dict[str, Any] = {
        "workloadTemplate": {}
        if template is None
        else {kind: {"metadata": {"labels": {"app": "web"}}, "spec": template}}
    }
    if tweaks is not None:
        workload["workloadTweaks"] = tweaks
    obj = parse_object(
        {
            "apiVersion": "apps.openyurt.io/v1beta1",
            "kind": "YurtAppSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"workload": workload, **spec},
        }
    )
    assert isinstance(obj, v1beta1.YurtAppSet)
    return obj


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


def test_yurtappset_defaults_revision_history_limit() -> None:
    assert yas(DEPLOY_SPEC).with_defaults().to_wire()["spec"]["revisionHistoryLimit"] == 10
    assert yas(DEPLOY_SPEC, revisionHistoryLimit=5).with_defaults().to_wire()["spec"]["revisionHistoryLimit"] == 5
    assert yas(DEPLOY_SPEC, revisionHistoryLimit=0).with_defaults().to_wire()["spec"]["revisionHistoryLimit"] == 0


T = "spec.workload.workloadTemplate"
TD = f"{T}.deploymentTemplate.spec"


@pytest.mark.parametrize(
    ("template", "tweaks", "errors"),
    [
        (DEPLOY_SPEC, None, []),
        (with_changes(DEPLOY_SPEC, selector=None), None, [f"{TD}.selector"]),
        ({k: v for k, v in DEPLOY_SPEC.items() if k != "selector"}, None, [f"{TD}.selector"]),
        (with_changes(DEPLOY_SPEC, selector={}), None, [f"{TD}.selector"]),
        (
            with_changes(DEPLOY_SPEC, selector={"matchLabels": {"app": "other"}}),
            None,
            [f"{TD}.template.metadata.labels"],
        ),
        (
            with_changes(DEPLOY_SPEC, selector={"matchExpressions": [{"key": "app", "operator": "Near"}]}),
            None,
            [f"{TD}.selector.matchExpressions[0].operator"],
        ),
        (with_changes(DEPLOY_SPEC, selector={"matchLabels": "app=web"}), None, [f"{TD}.selector.matchLabels"]),
        (with_changes(DEPLOY_SPEC, replicas=-1), None, [f"{TD}.replicas"]),
        (
            with_changes(DEPLOY_SPEC, template={"metadata": {"labels": {"app": "web"}}, "spec": {}}),
            None,
            [f"{TD}.template.spec.containers"],
        ),
        (
            with_changes(
                DEPLOY_SPEC,
                template={"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "Bad_Name"}]}},
            ),
            None,
            [f"{TD}.template.spec.containers[0].name", f"{TD}.template.spec.containers[0].image"],
        ),
        (
            with_changes(DEPLOY_SPEC, template={**POD, "spec": {**POD["spec"], "restartPolicy": "Never"}}),
            None,
            [f"{TD}.template.spec.restartPolicy"],
        ),
        # tweaks: each applied on its own to the rendered workload
        (
            DEPLOY_SPEC,
            [{"pools": ["a"], "tweaks": {"replicas": 5, "containerImages": [{"name": "nginx", "targetImage": "x:1"}]}}],
            [],
        ),
        (
            DEPLOY_SPEC,
            [
                {
                    "pools": ["a"],
                    "tweaks": {
                        "patches": [
                            {"path": "/metadata/labels", "operation": "add", "value": {"pool": "{{nodepool-name}}"}},
                            {"path": "/spec/template/spec/nodeSelector/zone", "operation": "replace", "value": "x"},
                        ]
                    },
                }
            ],
            ["spec.workload.workloadTweaks[0].tweaks.patches[1].path"],
        ),
        (
            DEPLOY_SPEC,
            [
                {
                    "pools": ["a"],
                    "tweaks": {
                        "patches": [
                            {"path": "/spec/template/spec/containers/0/args", "operation": "add", "value": ["-v"]}
                        ]
                    },
                },
                {
                    "pools": ["b"],
                    "tweaks": {"patches": [{"path": "/spec/template/spec/containers/0/args", "operation": "remove"}]},
                },
            ],
            ["spec.workload.workloadTweaks[1].tweaks.patches[0].path"],
        ),
        (
            DEPLOY_SPEC,
            [
                {
                    "pools": ["a"],
                    "tweaks": {
                        "patches": [{"path": "/spec/template/spec/containers/1", "operation": "replace", "value": {}}]
                    },
                }
            ],
            ["spec.workload.workloadTweaks[0].tweaks.patches[0].path"],
        ),
        (
            DEPLOY_SPEC,
            [{"pools": ["a"], "tweaks": {"replicas": -2}}],
            ["spec.workload.workloadTweaks[0].tweaks.replicas"],
        ),
        (
            DEPLOY_SPEC,
            [
                {
                    "pools": ["a"],
                    "tweaks": {
                        "patches": [
                            {"path": "/spec/template/metadata/labels/app", "operation": "replace", "value": "x"}
                        ]
                    },
                }
            ],
            ["spec.workload.workloadTweaks[0].tweaks"],
        ),
        # a tweak may repair what the bare template lacks: only the rendered workloads are checked
        (
            {k: v for k, v in DEPLOY_SPEC.items() if k != "selector"},
            [
                {
                    "pools": ["a"],
                    "tweaks": {
                        "patches": [
                            {"path": "/spec/selector", "operation": "add", "value": {"matchLabels": {"app": "web"}}}
                        ]
                    },
                }
            ],
            [],
        ),
        # an error every tweak keeps is reported once, at the template
        (
            with_changes(DEPLOY_SPEC, selector={"matchLabels": {"app": "other"}}),
            [{"pools": ["a"], "tweaks": {"replicas": 1}}, {"pools": ["b"], "tweaks": {"replicas": 2}}],
            [f"{TD}.template.metadata.labels"],
        ),
    ],
)
def test_yurtappset_validation(
    template: dict[str, Any], tweaks: list[dict[str, Any]] | None, errors: list[str]
) -> None:
    assert paths(yas(template, tweaks).semantic_errors()) == errors


def test_yurtappset_tweak_error_messages() -> None:
    bad_path = yas(
        DEPLOY_SPEC,
        [
            {
                "pools": ["a"],
                "tweaks": {
                    "patches": [{"path": "/spec/template/spec/nodeSelector/zone", "operation": "replace", "value": 1}]
                },
            }
        ],
    ).semantic_errors()
    assert bad_path[0].message.startswith('Invalid value: "/spec/template/spec/nodeSelector/zone": ')
    breaking = yas(
        DEPLOY_SPEC,
        [{"pools": ["a"], "tweaks": {"patches": [{"path": "/spec/template/metadata/labels", "operation": "remove"}]}}],
    ).semantic_errors()
    assert "spec.template.metadata.labels" in breaking[0].message
    assert "`selector` does not match template `labels`" in breaking[0].message


@pytest.mark.parametrize(
    ("workload_template", "errors"),
    [
        ({}, [(T, "FieldValueRequired")]),
        (
            {"deploymentTemplate": {"spec": DEPLOY_SPEC}, "statefulSetTemplate": {"spec": DEPLOY_SPEC}},
            [(T, "FieldValueInvalid")],
        ),
        ({"statefulSetTemplate": {"spec": DEPLOY_SPEC}}, []),
        (
            {"statefulSetTemplate": {"spec": with_changes(DEPLOY_SPEC, podManagementPolicy="Sometimes")}},
            [(f"{T}.statefulSetTemplate.spec.podManagementPolicy", "FieldValueNotSupported")],
        ),
        (
            {"statefulSetTemplate": {"spec": with_changes(DEPLOY_SPEC, selector={})}},
            [(f"{T}.statefulSetTemplate.spec.selector", "FieldValueInvalid")],
        ),
    ],
)
def test_yurtappset_template_count_and_statefulset(
    workload_template: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    obj = parse_object(
        {
            "apiVersion": "apps.openyurt.io/v1beta1",
            "kind": "YurtAppSet",
            "metadata": {"name": "s", "namespace": "d"},
            "spec": {"workload": {"workloadTemplate": workload_template}},
        }
    )
    assert [(e.path, e.reason) for e in obj.semantic_errors()] == errors


def test_yurtappset_empty_selector_message_names_the_kind() -> None:
    (err,) = yas(with_changes(DEPLOY_SPEC, selector={})).semantic_errors()
    assert err.message == "Invalid value: {}: empty selector is invalid for deployment"


@pytest.mark.parametrize(
    ("old_kind", "new_kind", "errors"),
    [
        ("deploymentTemplate", "deploymentTemplate", []),
        ("statefulSetTemplate", "statefulSetTemplate", []),
        ("deploymentTemplate", "statefulSetTemplate", [T]),
        ("statefulSetTemplate", "deploymentTemplate", [T]),
    ],
)
def test_yurtappset_template_kind_is_fixed(old_kind: str, new_kind: str, errors: list[str]) -> None:
    old = yas(DEPLOY_SPEC, kind=old_kind)
    new = yas(DEPLOY_SPEC, kind=new_kind)
    got = new.semantic_errors(old)
    assert paths(got) == errors
    assert all(e.message == "Forbidden: the kind of workload template may not be changed" for e in got)


def test_tweaks_apply_like_the_controller() -> None:
    base = v1beta1.render_workload("Deployment", v1beta1.DeploymentTemplateSpec(spec=copy.deepcopy(DEPLOY_SPEC)))
    tweaks = [
        v1beta1.Tweaks(replicas=3, container_images=[v1beta1.ContainerImage(name="nginx", target_image="nginx:2")]),
        v1beta1.Tweaks(
            patches=[
                v1beta1.Patch(path="/metadata/labels", operation="add", value={"pool": "{{nodepool-name}}"}),
                v1beta1.Patch(
                    path="/spec/template/spec/containers/-", operation="add", value={"name": "{{nodepool-name}}-side"}
                ),
            ]
        ),
    ]
    out, failed = v1beta1.apply_tweaks(base, tweaks, pool="hz")
    assert failed is None
    assert out["metadata"]["labels"] == {"pool": "hz"}
    assert out["spec"]["replicas"] == 3
    assert [c.get("image") for c in out["spec"]["template"]["spec"]["containers"]] == ["nginx:2", None]
    assert out["spec"]["template"]["spec"]["containers"][1]["name"] == "hz-side"
    assert base["spec"]["replicas"] == 2  # the input is not modified


def test_yurtappset_v1alpha1_is_checked_as_v1beta1() -> None:
    obj = parse_object(
        {
            "apiVersion": "apps.openyurt.io/v1alpha1",
            "kind": "YurtAppSet",
            "metadata": {"name": "old", "namespace": "d"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}},
        }
    )
    assert isinstance(obj, v1alpha1.YurtAppSet)
    assert paths(obj.semantic_errors()) == [T]
    assert obj.with_defaults().to_wire()["spec"]["revisionHistoryLimit"] == 10


# ==================================================================================================
# YurtAppDaemon v1alpha1 (the old webhook)


def yad(spec_changes: dict[str, Any] | None = None, template: dict[str, Any] | None = None) -> v1alpha1.YurtAppDaemon:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web"}},
        "nodepoolSelector": {"matchLabels": {"dns": "yes"}},
        "workloadTemplate": template
        if template is not None
        else {"deploymentTemplate": {"metadata": {"labels": {"app": "web"}}, "spec": copy.deepcopy(DEPLOY_SPEC)}},
    }
    spec.update(spec_changes or {})
    obj = parse_object(
        {
            "apiVersion": "apps.openyurt.io/v1alpha1",
            "kind": "YurtAppDaemon",
            "metadata": {"name": "d", "namespace": "n"},
            "spec": spec,
        }
    )
    assert isinstance(obj, v1alpha1.YurtAppDaemon)
    return obj


def test_yurtappdaemon_defaults() -> None:
    template = {
        "deploymentTemplate": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {"name": "a", "image": "a"},
                            {"name": "b", "image": "b", "imagePullPolicy": "Never"},
                        ]
                    },
                }
            },
        }
    }
    out = yad(template=template).with_defaults().to_wire()["spec"]
    assert out["revisionHistoryLimit"] == 10
    inner = out["workloadTemplate"]["deploymentTemplate"]["spec"]
    assert inner["selector"] == {"matchLabels": {"app": "web"}}
    assert [c["imagePullPolicy"] for c in inner["template"]["spec"]["containers"]] == ["Always", "Never"]


SD = "spec.workloadTemplate.deploymentTemplate"


@pytest.mark.parametrize(
    ("spec_changes", "template", "errors"),
    [
        (None, None, []),
        ({"selector": {}}, None, ["spec.selector"]),
        (
            {"selector": {"matchLabels": {"app": "other"}}},
            None,
            [f"{SD}.metadata.labels", f"{SD}.spec.template.metadata.labels"],
        ),
        (None, {}, ["spec.workloadTemplate"]),
        (
            None,
            {
                "deploymentTemplate": {"metadata": {"labels": {"app": "web"}}, "spec": DEPLOY_SPEC},
                "statefulSetTemplate": {"metadata": {"labels": {"app": "web"}}, "spec": DEPLOY_SPEC},
            },
            ["spec.workloadTemplate"],
        ),
        (None, {"deploymentTemplate": {"spec": DEPLOY_SPEC}}, [f"{SD}.metadata.labels"]),
        (
            None,
            {
                "deploymentTemplate": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": with_changes(DEPLOY_SPEC, replicas=-1),
                }
            },
            [f"{SD}.spec.replicas"],
        ),
        (
            None,
            {
                "statefulSetTemplate": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": with_changes(
                        DEPLOY_SPEC, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}
                    ),
                }
            },
            ["spec.workloadTemplate.statefulSetTemplate.spec.updateStrategy.rollingUpdate.partition"],
        ),
    ],
)
def test_yurtappdaemon_validation(
    spec_changes: dict[str, Any] | None, template: dict[str, Any] | None, errors: list[str]
) -> None:
    assert paths(yad(spec_changes, template).semantic_errors()) == errors


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"replicas": 7}, []),
        ({"strategy": {"type": "Recreate"}}, []),
        ({"template": {**POD, "spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]}}}, []),
        ({"minReadySeconds": 5}, [f"{SD}.spec"]),
        (
            {"selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}},
            [f"{SD}.spec"],
        ),
    ],
)
def test_yurtappdaemon_update_rules(changes: dict[str, Any], errors: list[str]) -> None:
    old = yad()
    new = yad(
        template={
            "deploymentTemplate": {"metadata": {"labels": {"app": "web"}}, "spec": with_changes(DEPLOY_SPEC, **changes)}
        }
    )
    got = new.semantic_errors(old)
    assert paths(got) == errors
    assert all(e.reason == "FieldValueForbidden" for e in got)


# ==================================================================================================
# YurtStaticSet v1alpha1


def yss(spec: dict[str, Any] | None = None, namespace: str | None = "kube-system") -> v1alpha1.YurtStaticSet:
    meta: dict[str, Any] = {"name": "hub"}
    if namespace is not None:
        meta["namespace"] = namespace
    data: dict[str, Any] = {"apiVersion": "apps.openyurt.io/v1alpha1", "kind": "YurtStaticSet", "metadata": meta}
    if spec is not None:
        data["spec"] = spec
    obj = parse_object(data)
    assert isinstance(obj, v1alpha1.YurtStaticSet)
    return obj


STATIC_POD = {
    "metadata": {"name": "ignored", "labels": {"k": "v"}},
    "spec": {
        "containers": [{"name": "c", "image": "i"}, {"name": "d", "image": "j", "imagePullPolicy": "IfNotPresent"}]
    },
}


@pytest.mark.parametrize(
    ("strategy", "expect"),
    [
        (None, {"type": "AdvancedRollingUpdate", "maxUnavailable": "10%"}),
        ({}, {"type": "AdvancedRollingUpdate", "maxUnavailable": "10%"}),
        (
            {"type": "AdvancedRollingUpdate", "maxUnavailable": 3},
            {"type": "AdvancedRollingUpdate", "maxUnavailable": 3},
        ),
        ({"type": "OTA"}, {"type": "OTA"}),
        # upstream's defaulting compares the constant exactly; the validator then asks for maxUnavailable
        ({"type": "advancedrollingupdate"}, {"type": "advancedrollingupdate"}),
    ],
)
def test_yurtstaticset_strategy_defaults(strategy: dict[str, Any] | None, expect: dict[str, Any]) -> None:
    spec: dict[str, Any] = {"staticPodManifest": "hub", "template": STATIC_POD}
    if strategy is not None:
        spec["upgradeStrategy"] = strategy
    assert yss(spec).with_defaults().to_wire()["spec"]["upgradeStrategy"] == expect


def test_yurtstaticset_defaults_template_and_history() -> None:
    out = yss({"staticPodManifest": "hub", "template": STATIC_POD}).with_defaults().to_wire()["spec"]
    assert out["revisionHistoryLimit"] == 10
    assert out["template"]["metadata"] == {"name": "hub", "namespace": "kube-system", "labels": {"k": "v"}}
    assert [c["imagePullPolicy"] for c in out["template"]["spec"]["containers"]] == ["Always", "IfNotPresent"]
    bare = yss(None, namespace=None).with_defaults().to_wire()["spec"]
    assert bare["template"] == {"metadata": {"name": "hub"}}
    assert yss({"revisionHistoryLimit": 2}).with_defaults().to_wire()["spec"]["revisionHistoryLimit"] == 2


@pytest.mark.parametrize(
    ("spec", "errors"),
    [
        ({"staticPodManifest": "hub", "upgradeStrategy": {"type": "OTA"}, "template": STATIC_POD}, []),
        ({"staticPodManifest": "hub", "upgradeStrategy": {"type": "ota"}, "template": STATIC_POD}, []),
        (
            {
                "staticPodManifest": "hub",
                "upgradeStrategy": {"type": "AdvancedRollingUpdate", "maxUnavailable": "20%"},
                "template": STATIC_POD,
            },
            [],
        ),
        (
            {"upgradeStrategy": {"type": "OTA"}, "template": STATIC_POD},
            [("spec.staticPodManifest", "FieldValueRequired")],
        ),
        (
            {"staticPodManifest": "", "upgradeStrategy": {"type": "OTA"}, "template": STATIC_POD},
            [("spec.staticPodManifest", "FieldValueRequired")],
        ),
        (
            {"staticPodManifest": "hub", "upgradeStrategy": {"type": "RollingUpdate"}, "template": STATIC_POD},
            [("spec.upgradeStrategy.type", "FieldValueNotSupported")],
        ),
        (
            {"staticPodManifest": "hub", "upgradeStrategy": {"type": "advancedRollingUpdate"}, "template": STATIC_POD},
            [("spec.upgradeStrategy.maxUnavailable", "FieldValueRequired")],
        ),
        (
            {"staticPodManifest": "hub", "upgradeStrategy": {"type": "OTA"}, "template": {"spec": {}}},
            [("spec.template.spec.containers", "FieldValueRequired")],
        ),
        (
            {"staticPodManifest": "hub", "upgradeStrategy": {"type": "OTA"}},
            [("spec.template.spec.containers", "FieldValueRequired")],
        ),
    ],
)
def test_yurtstaticset_validation(spec: dict[str, Any], errors: list[tuple[str, str]]) -> None:
    assert [(e.path, e.reason) for e in yss(spec).semantic_errors()] == errors


def test_yurtstaticset_unsupported_strategy_message() -> None:
    (err,) = yss(
        {"staticPodManifest": "hub", "upgradeStrategy": {"type": "Auto"}, "template": STATIC_POD}
    ).semantic_errors()
    assert err.message == 'Unsupported value: "Auto": supported values: "OTA", "AdvancedRollingUpdate"'


def test_yurtstaticset_check_object_defaults_before_validating() -> None:
    out = check_object(
        {
            "apiVersion": "apps.openyurt.io/v1alpha1",
            "kind": "YurtStaticSet",
            "metadata": {"name": "hub", "namespace": "kube-system"},
            "spec": {"staticPodManifest": "hub", "template": STATIC_POD},
        }
    )
    assert out.to_wire()["spec"]["upgradeStrategy"] == {"type": "AdvancedRollingUpdate", "maxUnavailable": "10%"}
