"""The NodePool family end to end (embedded API server, ``openyurt manager``, real kubectl):
node-bucket-controller sharding a pool of more than one bucket's worth of nodes and following
membership changes; hubleader-controller electing and re-electing a pool's leader hub and
hubleaderconfig-controller publishing it in ``kube-system/leader-hub-<pool>``; hubleaderrbac-controller
keeping ClusterRole ``yurt-hub-multiplexer`` in step with the pools' pool-scope resources.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.integration.apiserver.conftest import Kubectl
from tests.integration.manager.conftest import ManagerRun, apply, get, set_ready, wait

POOL_LABEL = "apps.openyurt.io/nodepool"
MAX_PER_BUCKET = 100  # yurt-manager's default --max-nodes-per-bucket
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _nodes(names: list[str], pool: str) -> str:
    """Nodes of ``pool`` as a multi-document manifest (the server has no OpenAPI for ``kind: List``)."""
    docs = [
        json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n, "labels": {POOL_LABEL: pool}}})
        for n in names
    ]
    return "\n---\n".join(docs)


def _buckets(k: Kubectl, pool: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = get(k, "nodebuckets", "-l", f"openyurt.io/pool-name={pool}")["items"]
    return items


def _bucketed(k: Kubectl, pool: str, want: set[str]) -> list[dict[str, Any]] | None:
    """The pool's buckets once they hold exactly ``want`` (each name once), else None."""
    buckets = _buckets(k, pool)
    names = [n["name"] for b in buckets for n in b.get("nodes") or []]
    return buckets if sorted(names) == sorted(want) else None


def test_nodebuckets_shard_the_pool_and_follow_membership(kubectl: Kubectl) -> None:
    apply(
        kubectl, "apiVersion: apps.openyurt.io/v1beta2\nkind: NodePool\nmetadata:\n  name: big\nspec:\n  type: Edge\n"
    )
    members = {f"big-{i:03d}" for i in range(MAX_PER_BUCKET + 2)}
    kubectl.run("create", "-f", "-", input=_nodes(sorted(members), "big"))
    pool_uid = get(kubectl, "nodepool", "big")["metadata"]["uid"]

    def check(buckets: list[dict[str, Any]]) -> None:
        for b in buckets:
            meta = b["metadata"]
            assert re.fullmatch(r"big-[a-z0-9]{6}", meta["name"]), meta["name"]
            assert meta["labels"]["openyurt.io/pool-name"] == "big"
            (owner,) = meta["ownerReferences"]
            assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
                "NodePool",
                "big",
                pool_uid,
                True,
            )
            assert 0 < b["numNodes"] == len(b["nodes"]) <= MAX_PER_BUCKET

    buckets = wait(lambda: _bucketed(kubectl, "big", members), "102 nodes in buckets")
    check(buckets)
    assert len(buckets) == 2

    # three nodes leave the pool, one joins, one is deleted: the buckets follow
    gone = ["big-000", "big-050", "big-101"]
    kubectl.run("label", "node", *gone, f"{POOL_LABEL}-")
    kubectl.run("create", "-f", "-", input=_nodes(["big-new"], "big"))
    kubectl.run("delete", "node", "big-007")
    members = (members - set(gone) - {"big-007"}) | {"big-new"}
    buckets = wait(lambda: _bucketed(kubectl, "big", members), "buckets after membership changes")
    check(buckets)

    # a node moving to the pool by label is picked up too
    kubectl.run("label", "node", "big-000", f"{POOL_LABEL}=big")
    check(wait(lambda: _bucketed(kubectl, "big", members | {"big-000"}), "big-000 back in a bucket"))


LEADER_POOL = """
apiVersion: apps.openyurt.io/v1beta2
kind: NodePool
metadata:
  name: leaders
spec:
  type: Edge
  interConnectivity: true
  enableLeaderElection: true
  leaderElectionStrategy: random
  leaderReplicas: 1
  poolScopeMetadata:
  - {group: "", version: v1, resource: services}
  - {group: discovery.k8s.io, version: v1, resource: endpointslices}
"""
IPS = {"lead-1": "10.1.0.1", "lead-2": "10.1.0.2"}


def _status(k: Kubectl) -> dict[str, Any]:
    status: dict[str, Any] = get(k, "nodepool", "leaders").get("status") or {}
    return status


def _config(k: Kubectl) -> dict[str, Any] | None:
    p = k.run("get", "configmap", "leader-hub-leaders", "-n", "kube-system", "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def test_pool_leader_is_elected_published_and_replaced(kubectl: Kubectl, manager: ManagerRun) -> None:
    apply(kubectl, LEADER_POOL)
    kubectl.run("create", "-f", "-", input=_nodes(sorted(IPS), "leaders"))
    for name, ip in IPS.items():
        set_ready(kubectl, name, True, ip)

    status = wait(lambda: (s := _status(kubectl)).get("leaderNum") == 1 and s, "a leader")
    (leader,) = status["leaderEndpoints"]
    assert leader["address"] == IPS[leader["nodeName"]]
    assert RFC3339.match(status["leaderLastElectedTime"])

    cm = wait(lambda: (c := _config(kubectl)) and (c.get("data") or {}).get("leaders") and c, "leader-hub-leaders")
    pool_uid = get(kubectl, "nodepool", "leaders")["metadata"]["uid"]
    assert cm["metadata"]["labels"] == {"openyurt.io/configmap-name": "leader-hub-leaders"}
    (owner,) = cm["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("NodePool", "leaders", pool_uid)
    assert not owner.get("controller")
    assert cm["data"] == {
        "leaders": f"{leader['nodeName']}/{leader['address']}",
        "pool-scoped-metadata": "/v1/services,discovery.k8s.io/v1/endpointslices",
        "interconnectivity": "true",
        "enable-leader-election": "true",
    }

    # the leader goes NotReady: the other node is elected and published
    other = next(n for n in IPS if n != leader["nodeName"])
    set_ready(kubectl, leader["nodeName"], False, leader["address"])
    status = wait(
        lambda: (s := _status(kubectl)).get("leaderEndpoints") == [{"nodeName": other, "address": IPS[other]}] and s,
        "re-election",
    )
    assert status["leaderNum"] == 1
    wait(lambda: (_config(kubectl) or {}).get("data", {}).get("leaders") == f"{other}/{IPS[other]}", "config follows")

    # election switched off: leaders cleared, the ConfigMap says so
    kubectl.run("patch", "nodepool", "leaders", "--type=merge", "-p", '{"spec":{"enableLeaderElection":false}}')
    wait(lambda: _status(kubectl).get("leaderNum") == 0 and not _status(kubectl).get("leaderEndpoints"), "cleared")
    wait(
        lambda: (
            (_config(kubectl) or {}).get("data") == {**cm["data"], "leaders": "", "enable-leader-election": "false"}
        ),
        "config after disabling",
    )


def test_hubleaderrbac_keeps_the_multiplexer_clusterrole(kubectl: Kubectl, manager: ManagerRun) -> None:
    """ClusterRole yurt-hub-multiplexer grants list/watch on every pool's pool-scope resources."""
    scoped = "apiVersion: apps.openyurt.io/v1beta2\nkind: NodePool\nmetadata:\n  name: rbac\nspec:\n  type: Edge\n"
    apply(kubectl, scoped + "  poolScopeMetadata:\n  - {group: apps, version: v1, resource: deployments}\n")

    def rules() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]] | None:
        p = kubectl.run("get", "clusterrole", "yurt-hub-multiplexer", "-o", "json", check=False)
        if p.returncode != 0:
            return None
        role = json.loads(p.stdout)
        return sorted((r["apiGroups"][0], tuple(r["resources"]), tuple(r["verbs"])) for r in role.get("rules") or [])

    def granted(group: str, resource: str) -> bool:
        return any(g == group and resource in res and set(v) == {"list", "watch"} for g, res, v in rules() or [])

    wait(lambda: granted("apps", "deployments"), "deployments granted")
    # the webhook defaults (services, endpointslices) of every pool are granted too
    assert granted("", "services") and granted("discovery.k8s.io", "endpointslices")
    kubectl.run("delete", "nodepool", "rbac")
    wait(lambda: not granted("apps", "deployments"), "a deleted pool's resources no longer granted")
