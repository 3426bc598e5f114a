"""Small builders of typed objects for the planner tests (plain data in, models out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openyurt.core.api.apps_v1 import ControllerRevision, Deployment, StatefulSet
from openyurt.core.api.core_v1 import Node, Pod
from openyurt.core.api.openyurt_apps_v1beta1 import YurtAppSet
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
POOL_LABEL = "apps.openyurt.io/nodepool"


def node(
    name: str,
    pool: str | None = None,
    *,
    ready: bool | None = True,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    taints: list[dict[str, Any]] | None = None,
    ip: str | None = None,
    rv: str | None = None,
) -> Node:
    meta: dict[str, Any] = {"name": name, "labels": dict(labels or {})}
    if pool is not None:
        meta["labels"][POOL_LABEL] = pool
    if annotations:
        meta["annotations"] = dict(annotations)
    if rv:
        meta["resourceVersion"] = rv
    data: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": meta}
    if taints is not None:
        data["spec"] = {"taints": taints}
    status: dict[str, Any] = {}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
    if ip:
        status["addresses"] = [{"type": "InternalIP", "address": ip}]
    if status:
        data["status"] = status
    return Node.model_validate(data)


def pool(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> NodePool:
    data: dict[str, Any] = {
        "apiVersion": "apps.openyurt.io/v1beta2",
        "kind": "NodePool",
        "metadata": {"name": name, "uid": f"uid-{name}", "labels": dict(labels or {})},
    }
    if spec is not None:
        data["spec"] = spec
    if status is not None:
        data["status"] = status
    return NodePool.model_validate(data)


def deployment_template(replicas: int | None = 2, image: str = "nginx:1.19") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "demo"}},
        "template": {
            "metadata": {"labels": {"app": "demo"}},
            "spec": {
                "containers": [{"name": "nginx", "image": image}],
                "initContainers": [{"name": "initContainer", "image": "initOld"}],
            },
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"deploymentTemplate": {"metadata": {"labels": {"app": "demo"}}, "spec": spec}}


def yas(
    name: str = "test-yurtappset",
    *,
    pools: list[str] | None = None,
    selector: dict[str, Any] | None = None,
    template: dict[str, Any] | None = None,
    tweaks: list[dict[str, Any]] | None = None,
    status: dict[str, Any] | None = None,
    generation: int = 1,
    limit: int | None = None,
) -> YurtAppSet:
    spec: dict[str, Any] = {
        "workload": {"workloadTemplate": template if template is not None else deployment_template()}
    }
    if tweaks is not None:
        spec["workload"]["workloadTweaks"] = tweaks
    if pools is not None:
        spec["pools"] = pools
    if selector is not None:
        spec["nodepoolSelector"] = selector
    if limit is not None:
        spec["revisionHistoryLimit"] = limit
    data: dict[str, Any] = {
        "apiVersion": "apps.openyurt.io/v1beta1",
        "kind": "YurtAppSet",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "generation": generation},
        "spec": spec,
    }
    if status is not None:
        data["status"] = status
    return YurtAppSet.model_validate(data)


def workload(
    name: str,
    *,
    pool_name: str | None,
    revision: str | None,
    owner: YurtAppSet | None = None,
    ref: str | None = "test-yurtappset",
    status: dict[str, Any] | None = None,
    kind: str = "Deployment",
) -> Deployment | StatefulSet:
    labels: dict[str, str] = {}
    if pool_name is not None:
        labels["apps.openyurt.io/pool-name"] = pool_name
    if revision is not None:
        labels["apps.openyurt.io/controller-revision-hash"] = revision
    if ref is not None:
        labels["apps.openyurt.io/ref-yurtappset"] = ref
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "labels": labels,
        "resourceVersion": "7",
    }
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner.api_version,
                "kind": owner.kind,
                "name": owner.name,
                "uid": owner.metadata.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    data: dict[str, Any] = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"replicas": 1}}
    if status is not None:
        data["status"] = status
    cls = Deployment if kind == "Deployment" else StatefulSet
    return cls.model_validate(data)


def revision_obj(name: str, number: int, data: Any, owner: YurtAppSet | None = None) -> ControllerRevision:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "labels": {"apps.openyurt.io/ref-yurtappset": owner.name if owner else "x"},
    }
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner.api_version,
                "kind": owner.kind,
                "name": owner.name,
                "uid": owner.metadata.uid,
                "controller": True,
            }
        ]
    return ControllerRevision.model_validate(
        {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta, "data": data, "revision": number}
    )


def pod(
    name: str,
    node_name: str,
    *,
    tolerations: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    owner_kind: str | None = None,
) -> Pod:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        meta["annotations"] = dict(annotations)
    if owner_kind:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner_kind, "name": "o", "uid": "u", "controller": True}
        ]
    return Pod.model_validate(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {"nodeName": node_name, "containers": [{"name": "c"}], "tolerations": tolerations or []},
        }
    )
