"""Service backends as the endpoint controllers publish them: EndpointSlices and core Endpoints.

yurthub's service-topology filter trims EndpointSlices (and Endpoints) per node and pool, and
OpenYurt's endpoints webhooks rewrite readiness of backends on autonomous nodes; both read the fields
built here: addresses, ``nodeName``, ``targetRef``, ready/serving/terminating, ports, and the
``kubernetes.io/service-name`` label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openyurt.core import wellknown
from openyurt.core.planners.revision import safe_encode
from openyurt.core.sim._wire import (
    WireDict,
    dict_list,
    is_terminating,
    labels_of,
    name_of,
    namespace_of,
    owner_ref,
    pod_is_ready,
    pod_node,
    spec,
    status,
    uid_of,
)
from openyurt.core.sim.workloads import fnv1a_32

#: Value of ``endpointslice.kubernetes.io/managed-by`` on slices we write.
MANAGED_BY = wellknown.ENDPOINTSLICE_CONTROLLER_NAME


def service_selects(service: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    selector = spec(service).get("selector") or {}
    if not selector or namespace_of(pod) != namespace_of(service):
        return False
    labels = labels_of(pod)
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


def slice_name(service: Mapping[str, Any]) -> str:
    """Stable per Service uid (upstream uses ``generateName``; a fixed name keeps us idempotent)."""
    return f"{name_of(service)[:56]}-{safe_encode(str(fnv1a_32(uid_of(service).encode())))[:5]}"


def _target_port(port: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for pod in pods:  # a named port: the first pod that declares it
        for c in dict_list(spec(pod).get("containers")):
            for cp in dict_list(c.get("ports")):
                if cp.get("name") == target and isinstance(cp.get("containerPort"), int):
                    return int(cp["containerPort"])
    return None


def _ports(service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> list[WireDict]:
    out = []
    for p in dict_list(spec(service).get("ports")):
        number = _target_port(p, pods)
        if number is None:
            continue
        entry: WireDict = {"port": number, "protocol": str(p.get("protocol") or "TCP")}
        if p.get("name") is not None:
            entry["name"] = str(p["name"])
        if p.get("appProtocol"):
            entry["appProtocol"] = p["appProtocol"]
        out.append(entry)
    return out


def backend_pods(service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Selected pods that have an IP and are not finished, by name."""
    chosen = [
        p
        for p in pods
        if service_selects(service, p)
        and status(p).get("podIP")
        and status(p).get("phase") not in ("Succeeded", "Failed")
    ]
    return sorted(chosen, key=name_of)


def _target_ref(pod: Mapping[str, Any]) -> WireDict:
    return {"kind": "Pod", "namespace": namespace_of(pod), "name": name_of(pod), "uid": uid_of(pod)}


def endpoint_slice(
    service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], zones: Mapping[str, str] | None = None
) -> WireDict:
    """The one EndpointSlice of ``service`` listing its backend pods (``zones``: node → zone)."""
    backends = backend_pods(service, pods)
    endpoints = []
    for p in backends:
        terminating = is_terminating(p)
        ready = pod_is_ready(p)
        ep: WireDict = {
            "addresses": [str(status(p)["podIP"])],
            "conditions": {"ready": ready and not terminating, "serving": ready, "terminating": terminating},
            "targetRef": _target_ref(p),
        }
        node = pod_node(p)
        if node:
            ep["nodeName"] = node
            if zones and zones.get(node):
                ep["zone"] = zones[node]
        endpoints.append(ep)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": slice_name(service),
            "namespace": namespace_of(service),
            "labels": {
                wellknown.LABEL_SERVICE_NAME: name_of(service),
                wellknown.LABEL_ENDPOINTSLICE_MANAGED_BY: MANAGED_BY,
            },
            "ownerReferences": [{**owner_ref(service), "apiVersion": "v1", "kind": "Service"}],
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": _ports(service, backends),
    }


def endpoints_object(service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> WireDict:
    """The core/v1 Endpoints of ``service``: ready and not-ready addresses; terminating pods left out."""
    backends = [p for p in backend_pods(service, pods) if not is_terminating(p)]
    ready: list[WireDict] = []
    not_ready: list[WireDict] = []
    for p in backends:
        addr: WireDict = {"ip": str(status(p)["podIP"]), "targetRef": _target_ref(p)}
        if pod_node(p):
            addr["nodeName"] = pod_node(p)
        (ready if pod_is_ready(p) else not_ready).append(addr)
    subset: WireDict = {}
    if ready:
        subset["addresses"] = ready
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    ports = _ports(service, backends)
    obj: WireDict = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": name_of(service),
            "namespace": namespace_of(service),
            "labels": {wellknown.LABEL_SERVICE_NAME: name_of(service)},
        },
        "subsets": [{**subset, "ports": ports}] if subset else [],
    }
    return obj


def same_content(current: Mapping[str, Any], desired: Mapping[str, Any], fields: Sequence[str]) -> bool:
    """Whether ``current`` already has ``desired``'s values for ``fields`` and its labels."""
    if any(labels_of(current).get(k) != v for k, v in labels_of(desired).items()):
        return False
    return all((current.get(f) or []) == (desired.get(f) or []) for f in fields)
