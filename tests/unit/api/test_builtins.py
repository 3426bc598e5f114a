"""Kubernetes built-in wire models: round trips, API facts, Go-like strictness, helpers, well-known keys."""

from __future__ import annotations

import ast
import copy
import inspect
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from openyurt.core import wellknown
from openyurt.core.api import apps_v1, coordination_v1, core_v1, discovery_v1
from openyurt.core.api._base import ObjectInvalid
from openyurt.core.api._resource import Resource, kind_class, parse_object, unknown_fields
from openyurt.core.api.meta_v1 import ObjectMeta, qualified_name_errors

BUILTIN = Path(__file__).resolve().parents[2] / "fixtures" / "builtin"


def _docs(name: str) -> list[dict[str, Any]]:
    with (BUILTIN / name).open() as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


FIXTURE_KINDS = {
    "node.yaml": core_v1.Node,
    "pod.yaml": core_v1.Pod,
    "service.yaml": core_v1.Service,
    "endpoints.yaml": core_v1.Endpoints,
    "configmap.yaml": core_v1.ConfigMap,
    "secret.yaml": core_v1.Secret,
    "serviceaccount.yaml": core_v1.ServiceAccount,
    "event.yaml": core_v1.Event,
    "namespace.yaml": core_v1.Namespace,
    "deployment.yaml": apps_v1.Deployment,
    "statefulset.yaml": apps_v1.StatefulSet,
    "daemonset.yaml": apps_v1.DaemonSet,
    "replicaset.yaml": apps_v1.ReplicaSet,
    "controllerrevision.yaml": apps_v1.ControllerRevision,
    "lease.yaml": coordination_v1.Lease,
    "endpointslice.yaml": discovery_v1.EndpointSlice,
}


def _load(name: str, index: int = 0) -> Resource:
    return parse_object(_docs(name)[index])


# --------------------------------------------------------------------------------------------------
# Round trips


def test_every_fixture_file_is_covered() -> None:
    assert {p.name for p in BUILTIN.glob("*.yaml")} == set(FIXTURE_KINDS)


@pytest.mark.parametrize("name", sorted(FIXTURE_KINDS))
def test_fixture_round_trips_exactly(name: str) -> None:
    for doc in _docs(name):
        original = copy.deepcopy(doc)
        obj = parse_object(doc)
        assert type(obj) is FIXTURE_KINDS[name]
        assert obj.to_wire() == original
        # Built-ins are open: nothing they carry would be pruned.
        assert unknown_fields(obj) == []


def test_untyped_fields_survive_and_typed_ones_are_typed() -> None:
    node = _load("node.yaml")
    assert isinstance(node, core_v1.Node)
    assert node.spec is not None and node.spec.__pydantic_extra__ == {"configSource": None}
    assert node.status is not None and "images" in (node.status.__pydantic_extra__ or {})
    assert node.status.daemon_endpoints is not None
    assert node.status.daemon_endpoints.kubelet_endpoint is not None
    assert node.status.daemon_endpoints.kubelet_endpoint.port == 10250
    assert node.status.capacity == {"cpu": "4", "memory": "8047996Ki", "pods": "110"}
    assert node.spec.taints is not None and node.spec.taints[0].key == wellknown.TAINT_NODE_NOT_READY

    pod = _load("pod.yaml")
    assert isinstance(pod, core_v1.Pod) and pod.spec is not None
    assert (pod.spec.__pydantic_extra__ or {}).get("enableServiceLinks") is True
    container = (pod.spec.containers or [])[0]
    assert container.resources == {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}}
    assert "terminationMessagePath" in (container.__pydantic_extra__ or {})
    affinity = pod.spec.affinity
    assert affinity is not None and affinity.node_affinity is not None
    required = affinity.node_affinity.required_during_scheduling_ignored_during_execution
    assert required is not None and required.node_selector_terms is not None
    expr = (required.node_selector_terms[0].match_expressions or [])[0]
    assert (expr.key, expr.operator, expr.values) == (wellknown.LABEL_HOSTNETWORK, "NotIn", ["true"])
    assert affinity.pod_anti_affinity is not None

    svc = _load("service.yaml")
    assert isinstance(svc, core_v1.Service) and svc.spec is not None and svc.spec.ports is not None
    assert [p.target_port for p in svc.spec.ports] == [59881, "metrics"]
    assert svc.spec.cluster_ip == "10.96.41.7"

    lease = _load("lease.yaml", 1)
    assert isinstance(lease, coordination_v1.Lease) and lease.spec is not None
    assert lease.spec.__pydantic_extra__ == {"futureField": {"kept": True}}


def test_null_where_go_writes_null() -> None:
    empty = _load("endpointslice.yaml", 1)
    assert isinstance(empty, discovery_v1.EndpointSlice)
    assert empty.endpoints is None
    assert empty.to_wire()["endpoints"] is None

    gw_event = _load("event.yaml")
    assert isinstance(gw_event, core_v1.Event) and gw_event.event_time is None
    kubelet_event = _load("event.yaml", 1)
    assert isinstance(kubelet_event, core_v1.Event)
    assert kubelet_event.first_timestamp is None and kubelet_event.event_time == "2025-03-02T09:20:07.123456Z"

    pod = _load("pod.yaml")
    assert isinstance(pod, core_v1.Pod)
    cond = core_v1.pod_condition(pod, wellknown.CONDITION_POD_NEED_UPGRADE)
    assert cond is not None and cond.last_probe_time is None and cond.last_transition_time is None


def test_binding_body() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "nginx", "namespace": "default"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "edge-node-1"},
    }
    binding = core_v1.Binding.model_validate(body)
    assert binding.target.name == "edge-node-1"
    assert binding.to_wire() == body
    assert kind_class("v1", "Binding") is None  # a subresource body, not a stored kind


# --------------------------------------------------------------------------------------------------
# API facts (what `kubectl api-resources` shows)

API_FACTS = [
    # cls, apiVersion, plural, singular, shortNames, namespaced, categories, status, scale
    (core_v1.Namespace, "v1", "namespaces", "namespace", ("ns",), False, (), True, False),
    (core_v1.Node, "v1", "nodes", "node", ("no",), False, (), True, False),
    (core_v1.Pod, "v1", "pods", "pod", ("po",), True, ("all",), True, False),
    (core_v1.Service, "v1", "services", "service", ("svc",), True, ("all",), True, False),
    (core_v1.Endpoints, "v1", "endpoints", "endpoints", ("ep",), True, (), False, False),
    (core_v1.ConfigMap, "v1", "configmaps", "configmap", ("cm",), True, (), False, False),
    (core_v1.Secret, "v1", "secrets", "secret", (), True, (), False, False),
    (core_v1.ServiceAccount, "v1", "serviceaccounts", "serviceaccount", ("sa",), True, (), False, False),
    (core_v1.Event, "v1", "events", "event", ("ev",), True, (), False, False),
    (apps_v1.Deployment, "apps/v1", "deployments", "deployment", ("deploy",), True, ("all",), True, True),
    (apps_v1.StatefulSet, "apps/v1", "statefulsets", "statefulset", ("sts",), True, ("all",), True, True),
    (apps_v1.DaemonSet, "apps/v1", "daemonsets", "daemonset", ("ds",), True, ("all",), True, False),
    (apps_v1.ReplicaSet, "apps/v1", "replicasets", "replicaset", ("rs",), True, ("all",), True, True),
    (apps_v1.ControllerRevision, "apps/v1", "controllerrevisions", "controllerrevision", (), True, (), False, False),
    (coordination_v1.Lease, "coordination.k8s.io/v1", "leases", "lease", (), True, (), False, False),
    (discovery_v1.EndpointSlice, "discovery.k8s.io/v1", "endpointslices", "endpointslice", (), True, (), False, False),
]


@pytest.mark.parametrize("facts", API_FACTS, ids=lambda f: f[0].__name__)
def test_resource_info(facts: tuple[Any, ...]) -> None:
    cls, api_version, plural, singular, short, namespaced, categories, status, scale = facts
    info = cls.info
    assert info.api_version == api_version
    assert (info.plural, info.singular_name, info.short_names) == (plural, singular, short)
    assert (info.namespaced, info.categories, info.status_subresource) == (namespaced, categories, status)
    assert (info.scale is not None) == scale
    if scale:
        assert info.scale[:2] == (".spec.replicas", ".status.replicas")
    assert info.builtin and not info.crd
    assert kind_class(api_version, info.kind) is cls


@pytest.mark.parametrize("module", [core_v1, apps_v1, coordination_v1, discovery_v1])
def test_partial_models_are_open(module: Any) -> None:
    complete_crd_structs = {
        "Taint",
        "Toleration",
        "NodeSelectorRequirement",
        "NodeSelectorTerm",
        "PortStatus",
        "LoadBalancerIngress",
        "LoadBalancerStatus",
    }
    from openyurt.core.api._base import WireModel

    for name, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, WireModel) and cls.__module__ == module.__name__:
            assert cls.open_schema is (name not in complete_crd_structs), name


# --------------------------------------------------------------------------------------------------
# Strictness with field paths


def _errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ObjectInvalid) as exc:
        parse_object(doc)
    return [(e.path, e.reason) for e in exc.value.errors]


def test_string_replicas_is_rejected_with_its_path() -> None:
    doc = _docs("deployment.yaml")[0]
    doc["spec"]["replicas"] = "3"
    assert _errors(doc) == [("spec.replicas", "FieldValueTypeInvalid")]


@pytest.mark.parametrize(
    ("name", "path", "value", "expected_path", "reason"),
    [
        ("pod.yaml", ["spec", "containers", 0, "ports", 0, "containerPort"], "80", None, "FieldValueTypeInvalid"),
        ("pod.yaml", ["spec", "priority"], True, None, "FieldValueTypeInvalid"),
        ("pod.yaml", ["spec", "hostNetwork"], "true", None, "FieldValueTypeInvalid"),
        ("pod.yaml", ["status", "startTime"], "yesterday", None, "FieldValueInvalid"),
        ("node.yaml", ["status", "daemonEndpoints", "kubeletEndpoint", "Port"], "10250", None, "FieldValueTypeInvalid"),
        ("node.yaml", ["status", "capacity", "cpu"], 4, None, "FieldValueTypeInvalid"),
        ("daemonset.yaml", ["status", "numberReady"], 2**31, None, "FieldValueInvalid"),
        ("lease.yaml", ["spec", "leaseDurationSeconds"], "40", None, "FieldValueTypeInvalid"),
        ("lease.yaml", ["spec", "renewTime"], 1740906000, None, "FieldValueTypeInvalid"),
        ("endpointslice.yaml", ["endpoints", 0, "conditions", "ready"], "yes", None, "FieldValueTypeInvalid"),
        ("controllerrevision.yaml", ["revision"], "3", None, "FieldValueTypeInvalid"),
        ("service.yaml", ["spec", "ports", 0, "targetPort"], 1.5, None, "FieldValueInvalid"),
        (
            "statefulset.yaml",
            ["spec", "updateStrategy", "rollingUpdate", "partition"],
            "0",
            None,
            "FieldValueTypeInvalid",
        ),
        ("configmap.yaml", ["data", "cache_agents"], ["a"], None, "FieldValueTypeInvalid"),
        ("event.yaml", ["count"], "3", None, "FieldValueTypeInvalid"),
    ],
)
def test_type_errors_name_the_field(
    name: str, path: list[str | int], value: Any, expected_path: str | None, reason: str
) -> None:
    doc = _docs(name)[0]
    target: Any = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    rendered = ""
    for part in path:
        rendered += f"[{part}]" if isinstance(part, int) else ("." if rendered else "") + part
    errors = _errors(doc)
    assert (expected_path or rendered, reason) in errors, errors


def test_required_fields_follow_the_kubernetes_schema() -> None:
    pod = _docs("pod.yaml")[0]
    del pod["spec"]["containers"][0]["name"]
    assert ("spec.containers[0].name", "FieldValueRequired") in _errors(pod)

    slice_ = _docs("endpointslice.yaml")[0]
    del slice_["addressType"]
    assert ("addressType", "FieldValueRequired") in _errors(slice_)

    event = _docs("event.yaml")[0]
    del event["involvedObject"]
    assert ("involvedObject", "FieldValueRequired") in _errors(event)

    rev = _docs("controllerrevision.yaml")[0]
    del rev["revision"]
    assert ("revision", "FieldValueRequired") in _errors(rev)


def test_kind_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match="given to"):
        apps_v1.Deployment.model_validate({"apiVersion": "apps/v1", "kind": "DaemonSet"})


# --------------------------------------------------------------------------------------------------
# Helpers


def _node(
    conditions: list[dict[str, Any]] | None = None, addresses: list[dict[str, str]] | None = None
) -> core_v1.Node:
    status: dict[str, Any] = {}
    if conditions is not None:
        status["conditions"] = conditions
    if addresses is not None:
        status["addresses"] = addresses
    return core_v1.Node.model_validate({"metadata": {"name": "n"}, "status": status})


def test_node_helpers() -> None:
    node = _load("node.yaml")
    assert isinstance(node, core_v1.Node)
    assert core_v1.node_is_ready(node)
    assert core_v1.node_internal_ip(node) == "192.168.10.21"
    assert core_v1.node_address(node, wellknown.NODE_ADDRESS_HOSTNAME) == "edge-node-1"
    assert core_v1.node_address(node, wellknown.NODE_ADDRESS_EXTERNAL_IP) is None
    assert core_v1.node_pod_cidrs(node) == ["10.244.3.0/24"]

    assert not core_v1.node_is_ready(core_v1.Node.model_validate({"metadata": {"name": "bare"}}))
    assert not core_v1.node_is_ready(_node([{"type": "Ready", "status": "Unknown"}]))
    assert not core_v1.node_is_ready(_node([{"type": "MemoryPressure", "status": "True"}]))
    assert core_v1.node_internal_ip(_node(addresses=[{"type": "ExternalIP", "address": "1.2.3.4"}])) is None
    old = core_v1.Node.model_validate({"spec": {"podCIDR": "10.0.0.0/24"}})
    assert core_v1.node_pod_cidrs(old) == ["10.0.0.0/24"]
    assert core_v1.node_pod_cidrs(core_v1.Node.model_validate({})) == []


def test_pod_helpers() -> None:
    pod = _load("pod.yaml")
    assert isinstance(pod, core_v1.Pod)
    assert core_v1.pod_is_ready(pod)
    assert not core_v1.pod_is_mirror(pod)
    assert not core_v1.pod_is_terminal(pod)
    mirror = core_v1.Pod.model_validate(
        {"metadata": {"annotations": {wellknown.ANNOTATION_CONFIG_MIRROR: "abc"}}, "status": {"phase": "Failed"}}
    )
    assert core_v1.pod_is_mirror(mirror) and core_v1.pod_is_terminal(mirror) and not core_v1.pod_is_ready(mirror)


def test_owner_reference_helpers() -> None:
    pod = _load("pod.yaml")
    ref = core_v1.controller_of(pod.metadata)
    assert ref is not None and (ref.kind, ref.name) == ("ReplicaSet", "nginx-7c5d8bf9f7")
    assert core_v1.controller_of(ObjectMeta()) is None
    assert (
        core_v1.controller_of(ObjectMeta.model_validate({"ownerReferences": [dict(ref.to_wire(), controller=False)]}))
        is None
    )

    rs = _load("replicaset.yaml")
    assert not core_v1.is_controlled_by(pod.metadata, rs)  # the fixture ReplicaSet has no uid
    rs_with_uid = rs.evolve(metadata=rs.metadata.evolve(uid=ref.uid))
    assert core_v1.is_controlled_by(pod.metadata, rs_with_uid)
    assert core_v1.owners_of_kind(pod.metadata, "ReplicaSet", "apps/v1") == [ref]
    assert core_v1.owners_of_kind(pod.metadata, "DaemonSet") == []

    built = core_v1.owner_reference(rs_with_uid)
    assert built.to_wire() == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "nginx-7c5d8bf9f7",
        "uid": ref.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    with pytest.raises(ValueError, match="no name/uid"):
        core_v1.owner_reference(rs)


def test_daemonset_upgrade_strategy() -> None:
    ds = _load("daemonset.yaml")
    assert isinstance(ds, apps_v1.DaemonSet)
    assert apps_v1.daemonset_upgrade_strategy(ds) == wellknown.UPDATE_STRATEGY_OTA

    def with_annotation(value: str, strategy: str = "OnDelete") -> apps_v1.DaemonSet:
        return apps_v1.DaemonSet.model_validate(
            {
                "metadata": {"annotations": {wellknown.ANNOTATION_UPDATE_STRATEGY: value}},
                "spec": {"updateStrategy": {"type": strategy}},
            }
        )

    assert apps_v1.daemonset_upgrade_strategy(with_annotation("advancedrollingupdate")) == "AdvancedRollingUpdate"
    assert apps_v1.daemonset_upgrade_strategy(with_annotation("Auto")) == "AdvancedRollingUpdate"
    assert apps_v1.daemonset_upgrade_strategy(with_annotation("ota")) == "OTA"
    assert apps_v1.daemonset_upgrade_strategy(with_annotation("OTA", "RollingUpdate")) is None
    assert apps_v1.daemonset_upgrade_strategy(with_annotation("bogus")) is None


def test_workload_helpers() -> None:
    dep = _load("deployment.yaml")
    assert isinstance(dep, apps_v1.Deployment) and dep.status is not None
    cond = apps_v1.workload_condition(dep.status.conditions, "Available")
    assert cond is not None and cond.status == "False"
    assert apps_v1.workload_condition(None, "Available") is None

    rev = _load("controllerrevision.yaml")
    assert isinstance(rev, apps_v1.ControllerRevision)
    older = rev.evolve(revision=2, metadata=rev.metadata.evolve(name="edge-agent-0000"))
    assert apps_v1.newest_revision([older, rev]) is rev
    assert apps_v1.newest_revision([]) is None


def test_lease_time_helpers() -> None:
    moment = datetime(2025, 3, 2, 17, 10, 30, 123456, tzinfo=timezone(timedelta(hours=8)))
    assert coordination_v1.format_micro_time(moment) == "2025-03-02T09:10:30.123456Z"
    assert coordination_v1.format_micro_time(moment.replace(microsecond=0)) == "2025-03-02T09:10:30.000000Z"
    assert coordination_v1.format_time(moment) == "2025-03-02T09:10:30Z"
    with pytest.raises(ValueError, match="aware"):
        coordination_v1.format_micro_time(datetime(2025, 1, 1))

    assert coordination_v1.parse_time("2025-03-02T09:10:30.123456789Z") == moment
    assert coordination_v1.parse_time("2025-03-02T17:10:30.5+08:00") == moment.replace(microsecond=500000)
    assert coordination_v1.parse_time("2025-03-02T09:10:30Z") == moment.replace(microsecond=0)

    lease = _load("lease.yaml")
    assert isinstance(lease, coordination_v1.Lease)
    expiry = coordination_v1.lease_expiry(lease)
    assert expiry == datetime(2025, 3, 2, 9, 11, 10, 123456, tzinfo=UTC)
    assert coordination_v1.lease_is_valid(lease, expiry - timedelta(seconds=1))
    assert not coordination_v1.lease_is_valid(lease, expiry)
    released = lease.evolve(spec=lease.spec.evolve(holder_identity="") if lease.spec else None)
    assert not coordination_v1.lease_is_valid(released, expiry - timedelta(seconds=30))
    assert coordination_v1.lease_expiry(coordination_v1.Lease.model_validate({})) is None


def test_endpoint_condition_semantics() -> None:
    slice_ = _load("endpointslice.yaml")
    assert isinstance(slice_, discovery_v1.EndpointSlice) and slice_.endpoints is not None
    explicit, empty_conditions, no_conditions = slice_.endpoints
    assert explicit.node_name == "edge-node-1" and explicit.zone == "hangzhou"
    assert explicit.hints is not None and [z.name for z in explicit.hints.for_zones or []] == ["hangzhou"]
    assert empty_conditions.deprecated_topology == {wellknown.LABEL_HOSTNAME: "edge-node-2"}
    for ep in (explicit, empty_conditions, no_conditions):
        assert discovery_v1.endpoint_is_ready(ep)
        assert discovery_v1.endpoint_is_serving(ep)
        assert not discovery_v1.endpoint_is_terminating(ep)
    gone = discovery_v1.Endpoint.model_validate(
        {"addresses": ["10.0.0.1"], "conditions": {"ready": False, "terminating": True}}
    )
    assert not discovery_v1.endpoint_is_ready(gone)
    assert not discovery_v1.endpoint_is_serving(gone)
    assert discovery_v1.endpoint_is_terminating(gone)


# --------------------------------------------------------------------------------------------------
# Well-known keys


def _wellknown_assignments() -> list[tuple[str, ast.expr]]:
    tree = ast.parse(Path(wellknown.__file__).read_text())
    out: list[tuple[str, ast.expr]] = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out.append((node.target.id, node.value))
        elif isinstance(node, ast.Assign):
            out.extend((t.id, node.value) for t in node.targets if isinstance(t, ast.Name))
    return out


def test_wellknown_names_are_unique_and_values_non_empty_strings() -> None:
    assignments = _wellknown_assignments()
    names = [n for n, _ in assignments]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
    assert len(names) > 150
    for name in names:
        assert name.isupper(), name
        value = getattr(wellknown, name)
        assert isinstance(value, str) and value, name


def test_wellknown_values_are_spelled_once() -> None:
    # Two names may share a string only when one is declared as an alias of the other.
    seen: dict[str, str] = {}
    for name, expr in _wellknown_assignments():
        if isinstance(expr, ast.Name):
            assert getattr(wellknown, expr.id) == getattr(wellknown, name)
            continue
        value = getattr(wellknown, name)
        assert value not in seen, f"{name} re-spells {seen.get(value)} ({value!r})"
        seen[value] = name


def test_wellknown_keys_are_valid_qualified_names() -> None:
    for name, _ in _wellknown_assignments():
        if name.startswith(("LABEL_", "ANNOTATION_", "TAINT_", "FINALIZER_")) and not name.endswith("_PREFIX"):
            assert qualified_name_errors(getattr(wellknown, name)) == [], name


def test_wellknown_spot_checks() -> None:
    assert wellknown.LABEL_NODEPOOL == "apps.openyurt.io/nodepool"
    assert wellknown.LABEL_EDGE_WORKER == "openyurt.io/is-edge-worker"
    assert wellknown.ANNOTATION_AUTONOMY_DURATION == "node.openyurt.io/autonomy-duration"
    assert wellknown.ANNOTATION_AUTONOMY_LEGACY == "node.beta.openyurt.io/autonomy"
    assert wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK == wellknown.LABEL_HOSTNETWORK
    assert wellknown.ANNOTATION_DELEGATE_HEARTBEAT == "openyurt.io/delegate-heartbeat"
    assert wellknown.CONDITION_POD_NEED_UPGRADE == "PodNeedUpgrade"
    assert wellknown.TOPOLOGY_HOSTNAME == "kubernetes.io/hostname"
