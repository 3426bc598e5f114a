"""The OTA API's pure decisions: revision hashes, the pre-checks, the owner switch, the PodImageReady
patch, the static-pod manifest and the cloud paths (yurthub.md §4)."""

from __future__ import annotations

from typing import Any

import pytest

from openyurt.core.hub import ota

NODE = "edge-1"
NOW = "2025-01-02T03:04:05Z"
EARLIER = "2024-12-31T00:00:00Z"


def cond(type_: str, status: str, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "status": status, "message": message, **extra}


def need(status: str = "True", hash_: str = "abc") -> dict[str, Any]:
    return cond("PodNeedUpgrade", status, f"controllerrevision: {hash_}")


def image(status: str, hash_: str = "abc", **extra: Any) -> dict[str, Any]:
    return cond("PodImageReady", status, f"controllerrevision: {hash_}", **extra)


def pod(
    *conditions: dict[str, Any],
    node: str = NODE,
    name: str = "ds-x",
    owner: str | None = "DaemonSet",
    deleting: bool = False,
    rv: str = "7",
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "kube-system", "uid": "u-1", "resourceVersion": rv}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": owner, "name": "o", "uid": "o-1", "controller": True}]
    if deleting:
        meta["deletionTimestamp"] = EARLIER
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]},
        "status": {"conditions": list(conditions)},
    }


@pytest.mark.parametrize(
    ("message", "want"),
    [
        ("controllerrevision: abc", "abc"),
        ("controllerrevision:abc", "abc"),
        ("  controllerrevision:   6d4f  ", "6d4f"),
        ("abc", "abc"),
        ("", ""),
        ("controllerrevision: ", ""),
        ("pull image job image-pre-pull-x failed", "pull image job image-pre-pull-x failed"),
    ],
)
def test_revision_hash(message: str, want: str) -> None:
    assert ota.revision_hash(message) == want


def test_revision_message_round_trips() -> None:
    assert ota.revision_message("abc") == "controllerrevision: abc"
    assert ota.revision_hash(ota.revision_message("abc")) == "abc"


@pytest.mark.parametrize(
    ("p", "allowed", "why"),
    [
        (pod(need()), True, ""),
        (pod(need(), image("True")), True, ""),
        (pod(need(), node="edge-2"), False, "not on node edge-1"),
        (pod(need(), node=""), False, "no node"),
        (pod(need(), deleting=True), False, "being deleted"),
        (pod(), False, "does not need an upgrade"),
        (pod(need("False")), False, "does not need an upgrade"),
        (pod(need("Unknown")), False, "does not need an upgrade"),
        (pod(need(), image("False")), False, "not ready"),
        (pod(need(), image("True", "old")), False, "revision 'old'"),
        (pod(need(hash_="new"), image("True", "old")), False, "not 'new'"),
    ],
)
def test_upgrade_precheck(p: dict[str, Any], allowed: bool, why: str) -> None:
    reason = ota.upgrade_precheck(p, NODE)
    assert (reason is None) == allowed
    if not allowed:
        assert reason is not None and why in reason and "kube-system/ds-x" in reason


def test_image_pull_precheck_ignores_image_ready() -> None:
    # an image pull may be asked again whatever the state of a previous pull
    assert ota.base_precheck(pod(need(), image("False", "old")), NODE) is None
    assert ota.base_precheck(pod(need(), node="edge-2"), NODE) is not None


@pytest.mark.parametrize(
    ("p", "action", "status"),
    [
        (pod(need()), "delete_pod", 200),
        (pod(need(), owner="Node", name="kube-proxy-edge-1"), "static_manifest", 200),
        (pod(need(), owner="Node", name="kube-proxy"), "refuse", 403),
        (pod(need(), owner=None), "refuse", 400),
        (pod(need(), owner="ReplicaSet"), "refuse", 400),
        (pod(owner=None), "refuse", 403),  # the pre-check comes first
        (pod(need(), owner="ReplicaSet", node="edge-2"), "refuse", 403),
    ],
)
def test_decide_upgrade(p: dict[str, Any], action: str, status: int) -> None:
    plan = ota.decide_upgrade(p, NODE)
    assert (plan.action, plan.status) == (action, status)
    if action == "static_manifest":
        assert plan.configmap == "yurt-static-set-kube-proxy"


def test_owner_kind_prefers_the_controller() -> None:
    p = pod(need())
    p["metadata"]["ownerReferences"] = [
        {"kind": "ConfigMap", "name": "a", "uid": "1"},
        {"kind": "DaemonSet", "name": "b", "uid": "2", "controller": True},
    ]
    assert ota.owner_kind(p) == "DaemonSet"
    p["metadata"]["ownerReferences"] = [{"kind": "ConfigMap"}, {"kind": "DaemonSet"}]
    assert ota.owner_kind(p) == "ConfigMap"
    p["metadata"]["ownerReferences"] = []
    assert ota.owner_kind(p) is None


@pytest.mark.parametrize(
    ("pod_name", "node", "want"),
    [
        ("kube-proxy-edge-1", "edge-1", "kube-proxy"),
        ("a-b-c-n", "n", "a-b-c"),
        ("edge-1", "edge-1", None),
        ("-edge-1", "edge-1", None),
        ("fooedge-1", "edge-1", None),
        ("kube-proxy-edge-2", "edge-1", None),
        ("kube-proxy-", "", None),
    ],
)
def test_static_name(pod_name: str, node: str, want: str | None) -> None:
    assert ota.static_name(pod_name, node) == want


def test_set_condition_rules() -> None:
    new = {"type": "PodImageReady", "status": "False", "message": "controllerrevision: b"}
    # absent: appended with now, others untouched
    got = ota.set_condition([need()], new, NOW)
    assert got == [need(), {**new, "lastTransitionTime": NOW}]
    # same status: the old transition time stays, the rest is replaced (the old reason goes)
    old = image("False", "a", reason="PullImageFail", lastTransitionTime=EARLIER)
    got = ota.set_condition([old, need()], new, NOW)
    assert got == [{**new, "lastTransitionTime": EARLIER}, need()]
    # same status without a transition time: still none (UpdatePodCondition copies the old one)
    got = ota.set_condition([image("False", "a")], new, NOW)
    assert got == [new]
    # a status change moves the transition time
    got = ota.set_condition([image("True", "a", lastTransitionTime=EARLIER)], new, NOW)
    assert got == [{**new, "lastTransitionTime": NOW}]


def test_decide_image_pull_patches_every_condition_with_the_resource_version() -> None:
    ready = {"type": "Ready", "status": "True", "lastTransitionTime": EARLIER}
    plan = ota.decide_image_pull(pod(ready, need(hash_="h2"), image("True", "h1")), NODE, NOW)
    assert plan.action == "patch_status"
    assert plan.patch == {
        "metadata": {"resourceVersion": "7"},
        "status": {
            "conditions": [
                ready,
                need(hash_="h2"),
                {
                    "type": "PodImageReady",
                    "status": "False",
                    "message": "controllerrevision: h2",
                    "lastTransitionTime": NOW,
                },
            ]
        },
    }


@pytest.mark.parametrize(
    "p", [pod(), pod(need("False")), pod(need(), node="edge-2"), pod(need(), deleting=True)], ids=str
)
def test_decide_image_pull_refuses_with_403(p: dict[str, Any]) -> None:
    plan = ota.decide_image_pull(p, NODE, NOW)
    assert (plan.action, plan.status) == ("refuse", 403) and plan.reason


def test_image_pull_works_for_any_owner() -> None:
    # upstream checks no owner for a pull: the image-preheat controller only acts on DaemonSet pods
    assert ota.decide_image_pull(pod(need(), owner=None), NODE, NOW).action == "patch_status"


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ({"kube-proxy": "apiVersion: v1\nkind: Pod\n"}, True),
        ({}, False),
        ({"a": "x", "b": "y"}, False),
        ({"kube-proxy": "   "}, False),
        ({"../etc/passwd": "x"}, False),
        ({"a/b": "x"}, False),
        ({"..": "x"}, False),
        ({".hidden": "x"}, False),
        ({"a\x00b": "x"}, False),
    ],
)
def test_static_manifest(data: dict[str, str], ok: bool) -> None:
    got = ota.static_manifest({"data": data})
    if ok:
        assert isinstance(got, ota.StaticManifest)
        assert (got.upgrade_file, got.backup_file, got.manifest_file) == (
            "kube-proxy.upgrade",
            "kube-proxy.bak",
            "kube-proxy.yaml",
        )
        assert got.content == data["kube-proxy"]
    else:
        assert isinstance(got, str) and got


def test_paths_quote_names() -> None:
    assert ota.pod_path("kube-system", "p") == "/api/v1/namespaces/kube-system/pods/p"
    assert ota.pod_path("a/b", "../x?y") == "/api/v1/namespaces/a%2Fb/pods/..%2Fx%3Fy"
    assert ota.pod_status_patch_path("ns", "p") == "/api/v1/namespaces/ns/pods/p/status?fieldManager=yurthub-ota"
    assert ota.configmap_path("ns", "yurt-static-set-x") == "/api/v1/namespaces/ns/configmaps/yurt-static-set-x"


def test_delete_options_pin_the_checked_pod() -> None:
    assert ota.delete_options(pod(need()))["preconditions"] == {"uid": "u-1"}
    no_uid = pod(need())
    del no_uid["metadata"]["uid"]
    assert "preconditions" not in ota.delete_options(no_uid)


def test_pod_list_and_keys() -> None:
    assert ota.is_kubelet_pod_key("kubelet/pods.v1.core/default/p")
    assert not ota.is_kubelet_pod_key("kubectl/pods.v1.core/default/p")
    assert not ota.is_kubelet_pod_key("kubelet/partialobjectmetadatas.v1.meta.k8s.io/pods.v1.core/default/p")
    assert not ota.is_kubelet_pod_key("kubelet/podtemplates.v1.core/default/p")
    got = ota.pod_list([{"metadata": {"name": "a"}}, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}])
    assert got["apiVersion"] == "v1" and got["kind"] == "PodList" and got["metadata"] == {}
    assert [(i["kind"], i["apiVersion"], i["metadata"]["name"]) for i in got["items"]] == [
        ("Pod", "v1", "a"),
        ("Pod", "v1", "b"),
    ]
    assert ota.pod_list([])["items"] == []
