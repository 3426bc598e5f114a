"""What the simulated kubelet writes: its Node, its heartbeats and its pods' "running" status.

No containers run: a pod bound to the node is reported Running and Ready with an IP from the node's
podCIDR, which is all that Services, EndpointSlices, yurthub's filters and the workload controllers
look at.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from openyurt.core import wellknown
from openyurt.core.api.coordination_v1 import format_micro_time, format_time
from openyurt.core.sim._wire import WireDict, dict_list, spec, status

KUBELET_VERSION = "v1.31.0"
CAPACITY: dict[str, str] = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"}


def node_object(
    name: str,
    *,
    pool: str | None,
    edge: bool,
    pod_cidr: str,
    internal_ip: str,
    labels: Mapping[str, str] | None = None,
) -> WireDict:
    """The Node a kubelet registers: hostname/OS labels, pool and edge labels, podCIDR."""
    all_labels = {
        wellknown.LABEL_HOSTNAME: name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        wellknown.LABEL_EDGE_WORKER: "true" if edge else "false",
    }
    if pool:
        all_labels[wellknown.LABEL_NODEPOOL] = pool
    all_labels.update(labels or {})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": all_labels},
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]},
    }


def node_status_patch(name: str, internal_ip: str, now: datetime, previous: Mapping[str, Any] | None) -> WireDict:
    """A strategic-merge status patch: healthy conditions with fresh heartbeats, addresses, capacity.

    ``lastTransitionTime`` moves only when a condition's status changes from ``previous``.
    """
    stamp = format_time(now)
    wanted = {
        wellknown.CONDITION_MEMORY_PRESSURE: ("False", "KubeletHasSufficientMemory"),
        wellknown.CONDITION_DISK_PRESSURE: ("False", "KubeletHasNoDiskPressure"),
        wellknown.CONDITION_PID_PRESSURE: ("False", "KubeletHasSufficientPID"),
        wellknown.CONDITION_READY: ("True", "KubeletReady"),
    }
    old = {str(c.get("type")): c for c in dict_list(status(previous or {}).get("conditions"))}
    conds = []
    for type_, (value, reason) in wanted.items():
        prior = old.get(type_)
        transition = (
            stamp if prior is None or prior.get("status") != value else prior.get("lastTransitionTime") or stamp
        )
        conds.append(
            {
                "type": type_,
                "status": value,
                "reason": reason,
                "message": "kubelet is posting ready status" if type_ == "Ready" else f"kubelet: {reason}",
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": transition,
            }
        )
    return {
        "status": {
            "conditions": conds,
            "addresses": [
                {"type": wellknown.NODE_ADDRESS_INTERNAL_IP, "address": internal_ip},
                {"type": wellknown.NODE_ADDRESS_HOSTNAME, "address": name},
            ],
            "capacity": dict(CAPACITY),
            "allocatable": dict(CAPACITY),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": name,
                "systemUUID": name,
                "bootID": name,
                "kernelVersion": "sim",
                "osImage": "openyurt simulated node",
                "containerRuntimeVersion": "sim://1.0",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }
    }


def lease_object(node: str, node_uid: str | None, now: datetime, duration: int) -> WireDict:
    """The node's heartbeat Lease in ``kube-node-lease`` (owned by the Node, like kubelet's)."""
    meta: WireDict = {"name": node, "namespace": wellknown.NAMESPACE_KUBE_NODE_LEASE}
    if node_uid:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": node_uid}]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": meta,
        "spec": {"holderIdentity": node, "leaseDurationSeconds": duration, "renewTime": format_micro_time(now)},
    }


def pod_ip(pod_cidr: str, index: int) -> str:
    """The ``index``-th address (from 2) of the node's podCIDR; wraps within the range."""
    net = ipaddress.ip_network(pod_cidr, strict=False)
    usable = max(1, net.num_addresses - 3)
    return str(net.network_address + 2 + (index % usable))


def used_pod_ips(pods: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(status(p).get("podIP")) for p in pods if status(p).get("podIP")}


def running_status(pod: Mapping[str, Any], *, pod_ip: str, host_ip: str, now: datetime) -> WireDict:
    """The status a kubelet reports for a started pod: Running, all conditions True, containers ready.

    Times already set (startTime, transitions, container start) are kept.
    """
    st = status(pod)
    stamp = format_time(now)
    start = str(st.get("startTime") or stamp)
    old = {str(c.get("type")): c for c in dict_list(st.get("conditions"))}
    conds = []
    for type_ in (
        wellknown.CONDITION_POD_INITIALIZED,
        wellknown.CONDITION_READY,
        wellknown.CONDITION_CONTAINERS_READY,
        wellknown.CONDITION_POD_SCHEDULED,
    ):
        prior = old.get(type_)
        keep = prior is not None and prior.get("status") == "True" and prior.get("lastTransitionTime")
        conds.append(
            {
                "type": type_,
                "status": "True",
                "lastTransitionTime": prior["lastTransitionTime"] if keep and prior else stamp,
            }
        )
    old_cs = {str(c.get("name")): c for c in dict_list(st.get("containerStatuses"))}
    statuses = []
    for c in dict_list(spec(pod).get("containers")):
        name = str(c.get("name") or "")
        prior_state = (old_cs.get(name) or {}).get("state") or {}
        started = ((prior_state.get("running") or {}) if isinstance(prior_state, Mapping) else {}).get("startedAt")
        image = str(c.get("image") or "sim")
        statuses.append(
            {
                "name": name,
                "ready": True,
                "started": True,
                "restartCount": 0,
                "image": image,
                "imageID": f"sim://{image}",
                "containerID": f"sim://{name}",
                "state": {"running": {"startedAt": started or start}},
            }
        )
    return {
        "phase": "Running",
        "conditions": conds,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": start,
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    }


def needs_status(pod: Mapping[str, Any], host_ip: str) -> bool:
    """Whether the pod's reported status is not yet (or no longer) the running one."""
    st = status(pod)
    if st.get("phase") != "Running" or not st.get("podIP") or st.get("hostIP") != host_ip:
        return True
    conds = {str(c.get("type")): c.get("status") for c in dict_list(st.get("conditions"))}
    return any(
        conds.get(t) != "True"
        for t in (wellknown.CONDITION_READY, wellknown.CONDITION_CONTAINERS_READY, wellknown.CONDITION_POD_SCHEDULED)
    )
