"""Patch algorithms: RFC 6902 JSON patch, RFC 7386 merge patch and Kubernetes strategic merge patch.

Cases: every JSON-patch op and pointer escape plus its failures; the RFC 7386 appendix table;
strategic merge by key for each list family in the tables, primitive set lists, replace lists
(tolerations, taints, args), every directive ($patch replace/delete in maps and lists,
$retainKeys, $setElementOrder, $deleteFromPrimitiveList), null deletion, and purity.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openyurt.core.patch import (
    STRATEGIC_KINDS,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    create_merge_patch,
    json_equal,
    patch_table,
)

# --------------------------------------------------------------------------------------------------
# RFC 6902

DOC = {"foo": "bar", "arr": [1, 2, 3], "obj": {"a/b": 1, "m~n": 2}}

JSON_PATCH_CASES: list[tuple[str, Any, list[dict[str, Any]], Any]] = [
    ("add key", DOC, [{"op": "add", "path": "/baz", "value": "qux"}], {**DOC, "baz": "qux"}),
    ("add replaces existing key", DOC, [{"op": "add", "path": "/foo", "value": 1}], {**DOC, "foo": 1}),
    ("add array index", DOC, [{"op": "add", "path": "/arr/1", "value": 9}], {**DOC, "arr": [1, 9, 2, 3]}),
    ("add array end", DOC, [{"op": "add", "path": "/arr/3", "value": 9}], {**DOC, "arr": [1, 2, 3, 9]}),
    ("add dash appends", DOC, [{"op": "add", "path": "/arr/-", "value": 9}], {**DOC, "arr": [1, 2, 3, 9]}),
    ("add null value", DOC, [{"op": "add", "path": "/n", "value": None}], {**DOC, "n": None}),
    ("add root", DOC, [{"op": "add", "path": "", "value": [1]}], [1]),
    ("escaped slash", DOC, [{"op": "replace", "path": "/obj/a~1b", "value": 5}], {**DOC, "obj": {"a/b": 5, "m~n": 2}}),
    ("escaped tilde", DOC, [{"op": "remove", "path": "/obj/m~0n"}], {**DOC, "obj": {"a/b": 1}}),
    ("remove key", DOC, [{"op": "remove", "path": "/foo"}], {"arr": [1, 2, 3], "obj": DOC["obj"]}),
    ("remove index", DOC, [{"op": "remove", "path": "/arr/0"}], {**DOC, "arr": [2, 3]}),
    ("replace", DOC, [{"op": "replace", "path": "/foo", "value": [1]}], {**DOC, "foo": [1]}),
    ("replace index", DOC, [{"op": "replace", "path": "/arr/2", "value": 0}], {**DOC, "arr": [1, 2, 0]}),
    ("replace root", DOC, [{"op": "replace", "path": "", "value": {"x": 1}}], {"x": 1}),
    (
        "move key",
        DOC,
        [{"op": "move", "from": "/foo", "path": "/obj/foo"}],
        {"arr": [1, 2, 3], "obj": {"a/b": 1, "m~n": 2, "foo": "bar"}},
    ),
    ("move in array", DOC, [{"op": "move", "from": "/arr/0", "path": "/arr/2"}], {**DOC, "arr": [2, 3, 1]}),
    ("move to itself", DOC, [{"op": "move", "from": "/foo", "path": "/foo"}], DOC),
    ("copy", DOC, [{"op": "copy", "from": "/arr", "path": "/arr2"}], {**DOC, "arr2": [1, 2, 3]}),
    ("test passes", DOC, [{"op": "test", "path": "/arr", "value": [1, 2, 3]}], DOC),
    ("test int equals float", {"a": 1}, [{"op": "test", "path": "/a", "value": 1.0}], {"a": 1}),
    ("test root", {"a": 1}, [{"op": "test", "path": "", "value": {"a": 1}}], {"a": 1}),
    ("empty op list", DOC, [], DOC),
    (
        "sequence",
        {"a": {}},
        [
            {"op": "add", "path": "/a/b", "value": [1]},
            {"op": "add", "path": "/a/b/0", "value": 0},
            {"op": "test", "path": "/a/b", "value": [0, 1]},
            {"op": "remove", "path": "/a/b/1"},
        ],
        {"a": {"b": [0]}},
    ),
    ("empty key", {"": 1}, [{"op": "replace", "path": "/", "value": 2}], {"": 2}),
]


@pytest.mark.parametrize(
    ("doc", "ops", "expected"), [c[1:] for c in JSON_PATCH_CASES], ids=[c[0] for c in JSON_PATCH_CASES]
)
def test_json_patch(doc: Any, ops: list[dict[str, Any]], expected: Any) -> None:
    before = copy.deepcopy(doc)
    assert apply_json_patch(doc, ops) == expected
    assert doc == before


JSON_PATCH_ERRORS: list[tuple[Any, Any, str]] = [
    (DOC, {"op": "add"}, "must be a list"),
    (DOC, ["x"], "op 0: must be an object"),
    (DOC, [{"op": "frobnicate", "path": "/a"}], "unknown or missing 'op'"),
    (DOC, [{"path": "/a"}], "unknown or missing 'op'"),
    (DOC, [{"op": "add", "value": 1}], "missing 'path'"),
    (DOC, [{"op": "add", "path": "/a"}], "missing 'value'"),
    (DOC, [{"op": "replace", "path": "/foo"}], "missing 'value'"),
    (DOC, [{"op": "copy", "path": "/a"}], "missing 'from'"),
    (DOC, [{"op": "add", "path": "a", "value": 1}], "must start with '/'"),
    (DOC, [{"op": "add", "path": 3, "value": 1}], "path must be a string"),
    (DOC, [{"op": "add", "path": "/obj/~2", "value": 1}], "invalid '~' escape"),
    (DOC, [{"op": "remove", "path": "/nope"}], "key 'nope' does not exist"),
    (DOC, [{"op": "replace", "path": "/nope", "value": 1}], "key 'nope' does not exist"),
    (DOC, [{"op": "add", "path": "/x/y", "value": 1}], "'/x' does not exist"),
    (DOC, [{"op": "add", "path": "/arr/4", "value": 1}], "out of bounds"),
    (DOC, [{"op": "add", "path": "/arr/01", "value": 1}], "not a valid array index"),
    (DOC, [{"op": "add", "path": "/arr/-1", "value": 1}], "not a valid array index"),
    (DOC, [{"op": "remove", "path": "/arr/-"}], "not a valid array index"),
    (DOC, [{"op": "remove", "path": "/arr/3"}], "out of bounds"),
    (DOC, [{"op": "add", "path": "/foo/x", "value": 1}], "not an object or array"),
    (DOC, [{"op": "remove", "path": ""}], "cannot remove the whole document"),
    (DOC, [{"op": "move", "from": "/obj", "path": "/obj/x"}], "into its own child"),
    (DOC, [{"op": "move", "from": "/nope", "path": "/x"}], "does not exist"),
    (DOC, [{"op": "copy", "from": "/nope", "path": "/x"}], "does not exist"),
    (DOC, [{"op": "test", "path": "/foo", "value": "baz"}], "test failed"),
    ({"a": True}, [{"op": "test", "path": "/a", "value": 1}], "test failed"),
    (DOC, [{"op": "test", "path": "/nope", "value": 1}], "does not exist"),
]


@pytest.mark.parametrize(("doc", "ops", "fragment"), JSON_PATCH_ERRORS)
def test_json_patch_errors(doc: Any, ops: Any, fragment: str) -> None:
    with pytest.raises(PatchError) as info:
        apply_json_patch(doc, ops)
    assert fragment in str(info.value)


def test_json_patch_error_names_op_index_and_path() -> None:
    with pytest.raises(PatchError, match=r"json patch op 1 \(remove '/nope'\)"):
        apply_json_patch(DOC, [{"op": "add", "path": "/x", "value": 1}, {"op": "remove", "path": "/nope"}])


def test_json_patch_is_all_or_nothing_and_pure() -> None:
    doc = {"a": [1]}
    with pytest.raises(PatchError):
        apply_json_patch(doc, [{"op": "add", "path": "/a/-", "value": 2}, {"op": "test", "path": "/a", "value": []}])
    assert doc == {"a": [1]}


def test_json_patch_values_are_copied() -> None:
    value = {"deep": [1]}
    out = apply_json_patch(
        {}, [{"op": "add", "path": "/x", "value": value}, {"op": "copy", "from": "/x", "path": "/y"}]
    )
    out["x"]["deep"].append(2)
    assert value == {"deep": [1]}
    assert out["y"] == {"deep": [1]}


def test_json_patch_op_limit() -> None:
    with pytest.raises(PatchError, match="limit"):
        apply_json_patch({}, [{"op": "test", "path": "", "value": {}}] * 10001)


# --------------------------------------------------------------------------------------------------
# RFC 7386 (the appendix test table)

MERGE_CASES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
]


@pytest.mark.parametrize(("doc", "patch", "expected"), MERGE_CASES)
def test_merge_patch(doc: Any, patch: Any, expected: Any) -> None:
    before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    assert apply_merge_patch(doc, patch) == expected
    assert doc == before and patch == patch_before


@pytest.mark.parametrize(
    ("a", "b", "patch"),
    [
        ({"a": 1}, {"a": 1}, {}),
        ({"a": 1}, {"a": 2}, {"a": 2}),
        ({"a": 1}, {}, {"a": None}),
        ({"a": {"x": 1, "y": 2}}, {"a": {"x": 1}}, {"a": {"y": None}}),
        ({"a": [1]}, {"a": [1, 2]}, {"a": [1, 2]}),
        ({"a": True}, {"a": 1}, {"a": 1}),
        ({"a": 1}, ["x"], ["x"]),
    ],
)
def test_create_merge_patch(a: Any, b: Any, patch: Any) -> None:
    assert create_merge_patch(a, b) == patch
    assert apply_merge_patch(a, patch) == b


def test_json_equal() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal({"a": False}, {"a": 0})
    assert json_equal([{"a": [1]}], [{"a": [1.0]}])
    assert not json_equal("1", 1)


# --------------------------------------------------------------------------------------------------
# Strategic merge patch


def pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def names(items: list[dict[str, Any]]) -> list[Any]:
    return [i.get("name") for i in items]


def smp(doc: dict[str, Any], patch: dict[str, Any], kind: str = "Pod", api_version: str = "") -> dict[str, Any]:
    before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    out = apply_strategic_merge_patch(doc, patch, kind, api_version)
    assert doc == before and patch == patch_before, "inputs must not be mutated"
    assert "$" not in repr(out), "directives must never be stored"
    return out


TWO = pod(containers=[{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}])


def test_containers_merge_by_name() -> None:
    out = smp(TWO, {"spec": {"containers": [{"name": "b", "image": "b:2"}]}})
    assert out["spec"]["containers"] == [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}]


def test_new_container_goes_first_without_set_element_order() -> None:
    # upstream puts patch-only items before server-only items they cannot be ordered against
    out = smp(TWO, {"spec": {"containers": [{"name": "c", "image": "c"}]}})
    assert names(out["spec"]["containers"]) == ["c", "a", "b"]


def test_delete_element_by_key() -> None:
    out = smp(TWO, {"spec": {"containers": [{"$patch": "delete", "name": "a"}]}})
    assert names(out["spec"]["containers"]) == ["b"]


def test_delete_element_needs_merge_key() -> None:
    with pytest.raises(PatchError, match="merge key 'name'"):
        smp(TWO, {"spec": {"containers": [{"$patch": "delete"}]}})


def test_replace_whole_list() -> None:
    out = smp(TWO, {"spec": {"containers": [{"name": "z", "image": "z"}, {"$patch": "replace"}]}})
    assert out["spec"]["containers"] == [{"name": "z", "image": "z"}]


def test_merge_directive_in_list_is_refused() -> None:
    with pytest.raises(PatchError, match="cannot yet be specified"):
        smp(TWO, {"spec": {"containers": [{"$patch": "merge"}]}})


def test_element_without_merge_key_is_refused() -> None:
    with pytest.raises(PatchError, match="does not contain the merge key 'name'"):
        smp(TWO, {"spec": {"containers": [{"image": "x"}]}})


def test_nested_lists_merge_by_their_own_keys() -> None:
    doc = pod(
        containers=[
            {
                "name": "a",
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "ports": [{"containerPort": 80, "name": "http"}],
                "volumeMounts": [{"mountPath": "/data", "name": "d"}],
                "volumeDevices": [{"devicePath": "/dev/x", "name": "x"}],
                "args": ["--a", "--b"],
                "command": ["run"],
            }
        ]
    )
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "env": [{"name": "B", "value": "3"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}],
                    "volumeMounts": [{"mountPath": "/data", "readOnly": True}],
                    "volumeDevices": [{"devicePath": "/dev/y", "name": "y"}],
                    "args": ["--c"],
                }
            ]
        }
    }
    c = smp(doc, patch)["spec"]["containers"][0]
    assert c["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert c["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}, {"containerPort": 443}]
    assert c["volumeMounts"] == [{"mountPath": "/data", "name": "d", "readOnly": True}]
    assert [d["devicePath"] for d in c["volumeDevices"]] == ["/dev/y", "/dev/x"]
    assert c["args"] == ["--c"]  # no strategy: replaced
    assert c["command"] == ["run"]


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("initContainers", "name"),
        ("ephemeralContainers", "name"),
        ("volumes", "name"),
        ("imagePullSecrets", "name"),
        ("hostAliases", "ip"),
        ("topologySpreadConstraints", "topologyKey"),
        ("schedulingGates", "name"),
    ],
)
def test_pod_spec_keyed_lists(field: str, key: str) -> None:
    doc = pod(**{field: [{key: "one", "x": 1}, {key: "two", "x": 2}]})
    out = smp(doc, {"spec": {field: [{key: "two", "x": 3}]}})
    assert out["spec"][field] == [{key: "one", "x": 1}, {key: "two", "x": 3}]


@pytest.mark.parametrize(("field", "item"), [("tolerations", {"key": "k"}), ("readinessGates", {"conditionType": "c"})])
def test_lists_without_strategy_are_replaced(field: str, item: dict[str, Any]) -> None:
    doc = pod(**{field: [item, {"other": 1}]})
    out = smp(doc, {"spec": {field: [{"new": 1}]}})
    assert out["spec"][field] == [{"new": 1}]


def test_node_lists() -> None:
    node = {
        "metadata": {"name": "n"},
        "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}], "podCIDRs": ["10.0.0.0/24"]},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}],
            "addresses": [{"type": "InternalIP", "address": "1.2.3.4"}],
        },
    }
    patch = {
        "spec": {"taints": [{"key": "b", "effect": "NoExecute"}], "podCIDRs": ["fd00::/64"]},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "addresses": [{"type": "Hostname", "address": "n"}],
        },
    }
    out = smp(node, patch, "Node", "v1")
    assert out["spec"]["taints"] == [{"key": "b", "effect": "NoExecute"}]  # taints replace, as upstream
    assert out["spec"]["podCIDRs"] == ["fd00::/64", "10.0.0.0/24"]
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "False"},
        {"type": "MemoryPressure", "status": "False"},
    ]
    assert [a["type"] for a in out["status"]["addresses"]] == ["Hostname", "InternalIP"]


def test_pod_status_lists() -> None:
    doc = {"status": {"conditions": [{"type": "Ready", "status": "False"}], "podIPs": [{"ip": "10.0.0.1"}]}}
    out = smp(doc, {"status": {"conditions": [{"type": "Ready", "status": "True"}], "podIPs": [{"ip": "fd00::1"}]}})
    assert out["status"]["conditions"] == [{"type": "Ready", "status": "True"}]
    assert out["status"]["podIPs"] == [{"ip": "fd00::1"}, {"ip": "10.0.0.1"}]


def test_service_ports_merge_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}
    out = smp(svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, "Service", "v1")
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]


def test_metadata_lists() -> None:
    doc = {
        "metadata": {
            "name": "x",
            "finalizers": ["a", "b"],
            "ownerReferences": [{"uid": "1", "name": "o1"}, {"uid": "2", "name": "o2"}],
            "labels": {"keep": "1", "drop": "2"},
        }
    }
    patch = {
        "metadata": {
            "finalizers": ["c", "a"],
            "ownerReferences": [{"uid": "2", "controller": True}],
            "labels": {"drop": None, "new": "3"},
        }
    }
    meta = smp(doc, patch, "ConfigMap", "v1")["metadata"]
    assert meta["finalizers"] == ["c", "a", "b"]
    assert meta["ownerReferences"] == [{"uid": "1", "name": "o1"}, {"uid": "2", "name": "o2", "controller": True}]
    assert meta["labels"] == {"keep": "1", "new": "3"}


@pytest.mark.parametrize(
    ("kind", "api_version", "prefix"),
    [
        ("Deployment", "apps/v1", ("spec", "template", "spec")),
        ("StatefulSet", "apps/v1", ("spec", "template", "spec")),
        ("DaemonSet", "apps/v1", ("spec", "template", "spec")),
        ("ReplicaSet", "apps/v1", ("spec", "template", "spec")),
        ("Job", "batch/v1", ("spec", "template", "spec")),
        ("CronJob", "batch/v1", ("spec", "jobTemplate", "spec", "template", "spec")),
        ("ReplicationController", "v1", ("spec", "template", "spec")),
        ("PodTemplate", "v1", ("template", "spec")),
    ],
)
def test_pod_templates_share_the_pod_spec_rules(kind: str, api_version: str, prefix: tuple[str, ...]) -> None:
    def nest(value: Any) -> dict[str, Any]:
        for part in reversed(prefix):
            value = {part: value}
        return value  # type: ignore[no-any-return]

    doc = nest({"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}, {"name": "b"}]})
    out = smp(doc, nest({"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]}), kind, api_version)
    spec = out
    for part in prefix:
        spec = spec[part]
    assert names(spec["containers"]) == ["a", "b"]
    assert names(spec["containers"][0]["env"]) == ["Y", "X"]


def test_workload_conditions_merge_by_type() -> None:
    doc = {"status": {"conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing"}]}}
    out = smp(doc, {"status": {"conditions": [{"type": "Available", "status": "False"}]}}, "Deployment")
    assert out["status"]["conditions"] == [{"type": "Available", "status": "False"}, {"type": "Progressing"}]


def test_null_deletes_keys_at_any_depth() -> None:
    doc = pod(containers=[{"name": "a", "image": "x", "resources": {"limits": {"cpu": "1"}}}], nodeName="n")
    out = smp(doc, {"spec": {"nodeName": None, "containers": [{"name": "a", "resources": None}]}})
    assert out["spec"] == {"containers": [{"name": "a", "image": "x"}]}


def test_nulls_in_new_values_are_dropped() -> None:
    out = smp(pod(), {"spec": {"affinity": {"nodeAffinity": None, "podAffinity": {}}}})
    assert out["spec"]["affinity"] == {"podAffinity": {}}
    out = smp(TWO, {"spec": {"containers": [{"name": "c", "image": None}]}})
    assert out["spec"]["containers"][0] == {"name": "c"}


def test_map_patch_replace_directive() -> None:
    doc = pod(nodeSelector={"a": "1", "b": "2"})
    out = smp(doc, {"spec": {"nodeSelector": {"$patch": "replace", "c": "3"}}})
    assert out["spec"]["nodeSelector"] == {"c": "3"}


def test_map_patch_delete_directive() -> None:
    doc = pod(nodeSelector={"a": "1"})
    out = smp(doc, {"spec": {"nodeSelector": {"$patch": "delete"}}})
    assert out["spec"]["nodeSelector"] == {}  # upstream empties the map
    out = smp(pod(), {"spec": {"nodeSelector": {"$patch": "delete"}}})
    assert "nodeSelector" not in out["spec"]


def test_top_level_patch_replace() -> None:
    out = smp(TWO, {"$patch": "replace", "metadata": {"name": "q"}})
    assert out == {"metadata": {"name": "q"}}


@pytest.mark.parametrize("directive", ["merge", "bogus", 3])
def test_bad_map_directive(directive: Any) -> None:
    with pytest.raises(PatchError, match="unknown \\$patch directive"):
        smp(pod(nodeSelector={}), {"spec": {"nodeSelector": {"$patch": directive}}})


def test_retain_keys() -> None:
    doc = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    out = smp(doc, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}, "Deployment", "apps/v1")
    assert out["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_on_volume_source() -> None:
    doc = pod(volumes=[{"name": "v", "emptyDir": {}}])
    patch = {"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]}}
    assert smp(doc, patch)["spec"]["volumes"] == [{"name": "v", "hostPath": {"path": "/x"}}]


def test_retain_keys_must_be_a_list() -> None:
    with pytest.raises(PatchError, match=r"\$retainKeys must be a list"):
        smp(pod(), {"spec": {"$retainKeys": "x"}})


def test_set_element_order_reorders_merged_list() -> None:
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "a:2"}],
        }
    }
    out = smp(TWO, patch)
    assert out["spec"]["containers"] == [{"name": "b", "image": "b:1"}, {"name": "a", "image": "a:2"}]


def test_set_element_order_without_patch_list() -> None:
    out = smp(TWO, {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}})
    assert names(out["spec"]["containers"]) == ["b", "a"]


def test_set_element_order_keeps_server_only_items() -> None:
    # a server-only item stays ahead of the first patch item it preceded in the live list (upstream)
    doc = pod(containers=[{"name": "a"}, {"name": "s"}, {"name": "b"}])
    out = smp(doc, {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}})
    assert names(out["spec"]["containers"]) == ["s", "b", "a"]
    doc = pod(containers=[{"name": "a"}, {"name": "b"}, {"name": "s"}])
    out = smp(doc, {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}})
    assert names(out["spec"]["containers"]) == ["b", "a", "s"]


def test_set_element_order_for_primitives() -> None:
    doc = {"metadata": {"finalizers": ["a", "b", "c"]}}
    out = smp(doc, {"metadata": {"$setElementOrder/finalizers": ["c", "b"], "finalizers": ["c"]}}, "Secret", "v1")
    assert out["metadata"]["finalizers"] == ["a", "c", "b"]


def test_set_element_order_must_agree_with_patch_list() -> None:
    patch = {"spec": {"$setElementOrder/containers": [{"name": "a"}], "containers": [{"name": "b"}]}}
    with pytest.raises(PatchError, match="does not match \\$setElementOrder"):
        smp(TWO, patch)


def test_set_element_order_needs_merge_key() -> None:
    with pytest.raises(PatchError, match="merge key 'name'"):
        smp(TWO, {"spec": {"$setElementOrder/containers": [{"image": "x"}]}})


def test_set_element_order_on_new_list() -> None:
    patch = {
        "spec": {
            "$setElementOrder/volumes": [{"name": "y"}, {"name": "z"}, {"name": "x"}],
            "volumes": [{"name": "y"}, {"name": "x", "$patch": "delete"}, {"name": "x"}],
        }
    }
    assert names(smp(pod(), patch)["spec"]["volumes"]) == ["y", "x"]


def test_delete_from_primitive_list() -> None:
    doc = {"metadata": {"finalizers": ["a", "b", "a", "c"]}}
    out = smp(doc, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "ConfigMap")
    assert out["metadata"]["finalizers"] == ["b", "c"]
    out = smp({"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "ConfigMap")
    assert out["metadata"] == {}


def test_delete_from_primitive_list_with_additions() -> None:
    doc = {"metadata": {"finalizers": ["a", "b"]}}
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["z"]}}
    assert smp(doc, patch, "ConfigMap")["metadata"]["finalizers"] == ["z", "b"]


def test_unknown_directive_key_is_refused() -> None:
    with pytest.raises(PatchError, match="unknown patch directive '\\$frob'"):
        smp(pod(), {"spec": {"$frob": 1}})


def test_type_change_takes_the_patch() -> None:
    out = smp(pod(containers=[{"name": "a"}]), {"spec": {"containers": {"name": "x"}}})
    assert out["spec"]["containers"] == {"name": "x"}
    out = smp({"data": "text"}, {"data": {"a": "1", "b": None}}, "ConfigMap")
    assert out["data"] == {"a": "1"}


def test_primitive_set_list_refuses_objects() -> None:
    with pytest.raises(PatchError, match="only primitive values"):
        smp({"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": [{"x": 1}]}}, "ConfigMap")


def test_keyed_list_refuses_non_objects() -> None:
    with pytest.raises(PatchError, match="must be an object"):
        smp(TWO, {"spec": {"containers": ["a"]}})


def test_custom_resources_are_not_supported() -> None:
    with pytest.raises(PatchError, match="not supported"):
        apply_strategic_merge_patch({}, {}, "NodePool", "apps.openyurt.io/v1beta2")
    with pytest.raises(PatchError, match="not supported"):
        apply_strategic_merge_patch({}, {}, "Deployment", "apps/v1beta1")
    assert ("apps.openyurt.io/v1beta2", "NodePool") not in STRATEGIC_KINDS


def test_strategic_kinds() -> None:
    for pair in [
        ("v1", "Pod"),
        ("v1", "Node"),
        ("apps/v1", "Deployment"),
        ("v1", "ConfigMap"),
        ("coordination.k8s.io/v1", "Lease"),
    ]:
        assert pair in STRATEGIC_KINDS
    # one pod-spec table mounted everywhere
    assert patch_table("Deployment")["spec.template.spec.containers.env"] == ("merge", "name")
    assert patch_table("Pod", "v1")["spec.containers.ports"] == ("merge", "containerPort")
    assert "spec.tolerations" not in patch_table("Pod")
    assert "spec.taints" not in patch_table("Node")


@pytest.mark.parametrize(("doc", "patch"), [([], {}), ({}, []), ({}, None)])
def test_strategic_rejects_non_objects(doc: Any, patch: Any) -> None:
    with pytest.raises(PatchError, match="must be a JSON object"):
        apply_strategic_merge_patch(doc, patch, "Pod")


def test_plain_strategic_patch_equals_merge_patch_without_lists() -> None:
    doc = {"metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1", "y": "2"}}
    patch = {"metadata": {"labels": {"b": "2"}}, "data": {"x": None, "z": "3"}}
    assert smp(doc, patch, "ConfigMap", "v1") == apply_merge_patch(doc, patch)
