"""Pure decisions of the simulated components: placement, eviction timing, diffs, names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openyurt.core import wellknown
from openyurt.core.sim import workloads as wl
from openyurt.core.sim.endpoints import endpoint_slice, endpoints_object
from openyurt.core.sim.kubelet import pod_ip
from openyurt.core.sim.lifecycle import plan_eviction, plan_node_health
from openyurt.core.sim.scheduling import choose_node, placement_problem, requirement_matches, tolerates

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def node(name: str, labels: dict[str, str] | None = None, ready: str = "True", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"conditions": [{"type": "Ready", "status": ready, "lastHeartbeatTime": "2030-01-01T00:00:00Z"}]},
    }


def pod(name: str, node_name: str = "", ready: bool = True, created: str = "2030-01-01T00:00:00Z", **spec: Any) -> Any:
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "creationTimestamp": created,
            "labels": {"app": "a"},
            "uid": name,
        },
        "spec": {"nodeName": node_name, **spec},
        "status": {
            "phase": "Running" if node_name else "Pending",
            "podIP": f"10.0.0.{len(name)}" if node_name else None,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


NO_EXEC = {"key": wellknown.TAINT_NODE_UNREACHABLE, "effect": "NoExecute", "timeAdded": "2030-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        ({"operator": "Exists"}, NO_EXEC, True),
        ({"key": wellknown.TAINT_NODE_UNREACHABLE, "operator": "Exists"}, NO_EXEC, True),
        ({"key": wellknown.TAINT_NODE_UNREACHABLE, "operator": "Exists", "effect": "NoSchedule"}, NO_EXEC, False),
        ({"key": "k", "value": "v"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, True),
        ({"key": "k", "value": "w"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, False),
        ({"key": "", "operator": "Equal"}, NO_EXEC, False),
    ],
)
def test_toleration_matching(toleration: dict[str, Any], taint: dict[str, Any], expected: bool) -> None:
    assert tolerates(toleration, taint) is expected


@pytest.mark.parametrize(
    ("op", "values", "labels", "expected"),
    [
        ("In", ["a", "b"], {"k": "a"}, True),
        ("In", ["a"], {}, False),
        ("NotIn", ["a"], {}, True),
        ("NotIn", ["a"], {"k": "a"}, False),
        ("Exists", [], {"k": ""}, True),
        ("DoesNotExist", [], {"k": ""}, False),
        ("Gt", ["3"], {"k": "4"}, True),
        ("Gt", ["3"], {"k": "x"}, False),
        ("Lt", ["3"], {"k": "2"}, True),
        ("Bogus", [], {"k": "2"}, False),
    ],
)
def test_affinity_requirements(op: str, values: list[str], labels: dict[str, str], expected: bool) -> None:
    assert requirement_matches({"key": "k", "operator": op, "values": values}, labels) is expected


POOL = wellknown.LABEL_NODEPOOL


@pytest.mark.parametrize(
    ("pod_spec", "n", "problem"),
    [
        ({}, node("a"), None),
        ({}, node("a", ready="Unknown"), "NodeNotReady"),
        ({}, node("a", unschedulable=True), "NodeUnschedulable"),
        ({"nodeSelector": {POOL: "hz"}}, node("a", {POOL: "sh"}), "NodeSelectorMismatch"),
        ({"nodeSelector": {POOL: "hz"}}, node("a", {POOL: "hz"}), None),
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": POOL, "operator": "In", "values": ["x"]}]},
                                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]},
                            ]
                        }
                    }
                }
            },
            node("a"),
            None,
        ),
        (
            {
                "affinity": {
                    "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}
                }
            },
            node("a"),
            "NodeAffinityMismatch",
        ),
        ({}, node("a", taints=[{"key": "k", "effect": "NoSchedule"}]), "TaintNotTolerated"),
        ({}, node("a", taints=[{"key": "k", "effect": "PreferNoSchedule"}]), None),
        (
            {"tolerations": [{"key": "k", "operator": "Exists"}]},
            node("a", taints=[{"key": "k", "effect": "NoExecute"}]),
            None,
        ),
    ],
)
def test_placement_table(pod_spec: dict[str, Any], n: dict[str, Any], problem: str | None) -> None:
    assert placement_problem(pod_spec, n) == problem


def test_spread_least_loaded_then_name() -> None:
    nodes = [node("c"), node("b"), node("a", ready="False")]
    assert choose_node({}, nodes, {}) == "b"
    assert choose_node({}, nodes, {"b": 2, "c": 1}) == "c"
    assert choose_node({"nodeSelector": {"x": "y"}}, nodes, {}) is None


def test_eviction_timing() -> None:
    plain = pod("p", "n")
    assert plan_eviction(plain, [NO_EXEC], now=T0).now
    assert not plan_eviction(plain, [{"key": "k", "effect": "NoSchedule"}], now=T0).now
    forever = pod("f", "n", tolerations=[{"key": wellknown.TAINT_NODE_UNREACHABLE, "operator": "Exists"}])
    d = plan_eviction(forever, [NO_EXEC], now=T0 + timedelta(days=9))
    assert not d.now and d.at is None
    timed = pod(
        "t", "n", tolerations=[{"key": wellknown.TAINT_NODE_UNREACHABLE, "operator": "Exists", "tolerationSeconds": 30}]
    )
    d = plan_eviction(timed, [NO_EXEC], now=T0 + timedelta(seconds=10))
    assert not d.now and d.at == T0 + timedelta(seconds=30)
    assert plan_eviction(timed, [NO_EXEC], now=T0 + timedelta(seconds=30)).now


def lease(renewed: datetime, delegate: bool = False) -> dict[str, Any]:
    ann = {wellknown.ANNOTATION_DELEGATE_HEARTBEAT: "true"} if delegate else {}
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "n", "namespace": "kube-node-lease", "annotations": ann},
        "spec": {"renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    }


def test_node_health_unknown_taints_and_recovery() -> None:
    n = {"apiVersion": "v1", "kind": "Node", **node("n")}
    grace = timedelta(seconds=40)
    now = T0 + timedelta(seconds=41)
    plan = plan_node_health(n, lease(T0), now=now, grace_period=grace)
    assert plan is not None and plan.liveness == "Unknown"
    assert plan.status_patch is not None
    ready = next(c for c in plan.status_patch["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown")
    assert plan.taints is not None
    assert {(t["key"], t["effect"]) for t in plan.taints} == {
        (wellknown.TAINT_NODE_UNREACHABLE, "NoExecute"),
        (wellknown.TAINT_NODE_UNREACHABLE, "NoSchedule"),
    }
    # a renewed lease (even one the pool leader renews for the node) keeps it alive
    alive = plan_node_health(n, lease(now, delegate=True), now=now, grace_period=grace)
    assert alive is not None and alive.liveness == "Delegated" and alive.status_patch is None and alive.taints is None
    # back to Ready=True: taints go, other taints stay
    tainted = {**n, "spec": {"taints": [*plan.taints, {"key": "mine", "effect": "NoSchedule"}]}}
    healed = plan_node_health(tainted, lease(now), now=now, grace_period=grace)
    assert healed is not None and healed.taints == [{"key": "mine", "effect": "NoSchedule"}]


def test_names_and_hashes() -> None:
    tpl = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    h = wl.template_hash(tpl)
    assert h == wl.template_hash({"spec": tpl["spec"], "metadata": tpl["metadata"]})  # key order is irrelevant
    assert h != wl.template_hash(tpl, 1)
    assert all(c in wl.SUFFIX_ALPHABET for c in h)
    assert wl.generated_name("web-abc", "bcdfg") == "web-abc-bcdfg"
    assert len(wl.generated_name("x" * 80, "bcdfg")) == 63
    with pytest.raises(ValueError):
        wl.generated_name("web", "aeiou")


def test_replica_diff_prefers_deleting_unready_and_new() -> None:
    pods = [
        pod("old-ready", "n", created="2030-01-01T00:00:00Z"),
        pod("new-ready", "n", created="2030-01-02T00:00:00Z"),
        pod("unready", "n", ready=False),
        pod("pending"),
    ]
    assert wl.replica_diff(6, pods) == wl.ReplicaDiff(create=2)
    assert wl.replica_diff(1, pods).delete == ("pending", "unready", "new-ready")
    terminating = pod("gone", "n")
    terminating["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z"
    assert wl.replica_diff(1, [terminating]) == wl.ReplicaDiff(create=1)


DS = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "ds", "namespace": "ns", "uid": "u1", "generation": 1},
    "spec": {
        "selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"nodeSelector": {POOL: "hz"}}},
    },
}


def test_daemonset_diff() -> None:
    nodes = [
        node("a", {POOL: "hz"}, ready="Unknown", taints=[NO_EXEC]),  # daemon pods tolerate unreachable
        node("b", {POOL: "hz"}),
        node("c", {POOL: "sh"}),
    ]
    ds_pod = wl.daemon_pod(DS, "b", hash_="h1", generation=1, suffix="bcdfg")
    ds_pod["metadata"]["creationTimestamp"] = "2030-01-01T00:00:00Z"
    stray = wl.daemon_pod(DS, "c", hash_="h1", generation=1, suffix="bcdfh")
    p = wl.plan_daemonset(DS, nodes, [ds_pod, stray], hash_="h1")
    assert p.create_on == ("a",)
    assert p.delete == (stray["metadata"]["name"],)
    assert p.status["desiredNumberScheduled"] == 2 and p.status["currentNumberScheduled"] == 1
    # template changed: RollingUpdate replaces the outdated pod, OnDelete does not
    ready = {**ds_pod, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert wl.plan_daemonset(DS, nodes[1:2], [ready], hash_="h2").delete == (ds_pod["metadata"]["name"],)
    on_delete = {**DS, "spec": {**DS["spec"], "updateStrategy": {"type": "OnDelete"}}}
    assert wl.plan_daemonset(on_delete, nodes[1:2], [ready], hash_="h2").delete == ()
    assert ds_pod["spec"]["nodeName"] == "b"
    assert ds_pod["metadata"]["labels"][wellknown.LABEL_POD_TEMPLATE_GENERATION] == "1"
    assert ds_pod["metadata"]["ownerReferences"][0]["controller"] is True


def test_statefulset_ordered_creation_and_scale_down() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "ns", "uid": "u"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "a"}}, "template": {"spec": {}}},
    }
    p = wl.plan_statefulset(sts, [], update_revision="db-1", current_revision="db-1")
    assert [c["metadata"]["name"] for c in p.create] == ["db-0"]
    p = wl.plan_statefulset(sts, [pod("db-0", "n")], update_revision="db-1", current_revision="db-1")
    assert [c["metadata"]["name"] for c in p.create] == ["db-1"]
    pods = [pod(f"db-{i}", "n") for i in range(5)]
    p = wl.plan_statefulset(sts, pods, update_revision="db-1", current_revision="db-1")
    assert p.create == () and p.delete == ("db-4",)


def test_endpoints_content() -> None:
    svc = {
        "metadata": {"name": "s", "namespace": "ns", "uid": "su"},
        "spec": {"selector": {"app": "a"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }
    pods = [pod("ready", "n1"), pod("slow", "n2", ready=False), pod("pending")]
    sl = endpoint_slice(svc, pods)
    assert sl["metadata"]["labels"][wellknown.LABEL_SERVICE_NAME] == "s"
    assert [(e["nodeName"], e["conditions"]["ready"]) for e in sl["endpoints"]] == [("n1", True), ("n2", False)]
    assert sl["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    ep = endpoints_object(svc, pods)
    assert [a["nodeName"] for a in ep["subsets"][0]["addresses"]] == ["n1"]
    assert [a["targetRef"]["name"] for a in ep["subsets"][0]["notReadyAddresses"]] == ["slow"]


def test_pod_ips_come_from_the_cidr() -> None:
    assert pod_ip("10.244.1.0/24", 0) == "10.244.1.2"
    assert pod_ip("10.244.1.0/24", 1) == "10.244.1.3"
