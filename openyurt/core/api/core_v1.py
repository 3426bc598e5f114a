"""core/v1: the built-in objects OpenYurt reads and writes, typed for the fields we use.

These are partial models (``open_schema``): every field we do not type survives a round trip, so a
Node or Pod passing through yurthub or a controller comes out as the API server sent it. A field is
required only where Kubernetes' own OpenAPI schema requires it (a container's ``name``, a condition's
``type``); everything else accepts ``null``, because Go writers emit ``null`` for zero times and slices.

The few structs embedded verbatim in OpenYurt CRDs (Taint, Toleration, NodeSelectorTerm, the load
balancer status) are typed completely and keep ``open_schema = False``: inside a NodePool or a
PoolService an unknown key in them is one the API server prunes.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api._base import (
    Int32,
    Int64,
    IntOrString,
    MicroTime,
    ResourceInfo,
    Schemaless,
    StrMap,
    Time,
    WireModel,
)
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.meta_v1 import ObjectMeta, OwnerReference

# ==================================================================================================
# Structs embedded in OpenYurt CRDs: complete, so not open


class Taint(WireModel):
    key: str
    value: str | None = None
    effect: str
    time_added: Time | None = None


class Toleration(WireModel):
    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None
    toleration_seconds: Int64 | None = None


class NodeSelectorRequirement(WireModel):
    key: str
    operator: str
    values: list[str] | None = None


class NodeSelectorTerm(WireModel):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class PortStatus(WireModel):
    port: Int32
    protocol: str
    error: str | None = None


class LoadBalancerIngress(WireModel):
    ip: str | None = None
    hostname: str | None = None
    ip_mode: str | None = None
    ports: list[PortStatus] | None = Field(default=None)


class LoadBalancerStatus(WireModel):
    ingress: list[LoadBalancerIngress] | None = None


# ==================================================================================================
# Shared references


class ObjectReference(WireModel):
    """A pointer to any object (Endpoints targetRef, Event involvedObject, Binding target)."""

    open_schema = True
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    api_version: str | None = Field(default=None, alias="apiVersion")
    resource_version: str | None = None
    field_path: str | None = None


class LocalObjectReference(WireModel):
    open_schema = True
    name: str | None = None


# ==================================================================================================
# Node


class NodeSpec(WireModel):
    open_schema = True
    pod_cidr: str | None = Field(default=None, alias="podCIDR")
    pod_cidrs: list[str] | None = Field(default=None, alias="podCIDRs")
    provider_id: str | None = Field(default=None, alias="providerID")
    unschedulable: bool | None = None
    taints: list[Taint] | None = None


class NodeCondition(WireModel):
    open_schema = True
    type: str
    status: str
    last_heartbeat_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str | None = None
    message: str | None = None


class NodeAddress(WireModel):
    open_schema = True
    type: str
    address: str


class DaemonEndpoint(WireModel):
    open_schema = True
    # Kubernetes spells this one field with a capital P.
    port: Int32 = Field(alias="Port")


class NodeDaemonEndpoints(WireModel):
    open_schema = True
    kubelet_endpoint: DaemonEndpoint | None = None


class NodeSystemInfo(WireModel):
    open_schema = True
    machine_id: str | None = Field(default=None, alias="machineID")
    system_uuid: str | None = Field(default=None, alias="systemUUID")
    boot_id: str | None = Field(default=None, alias="bootID")
    kernel_version: str | None = None
    os_image: str | None = None
    container_runtime_version: str | None = None
    kubelet_version: str | None = None
    kube_proxy_version: str | None = None
    operating_system: str | None = None
    architecture: str | None = None


class NodeStatus(WireModel):
    open_schema = True
    capacity: StrMap | None = None
    allocatable: StrMap | None = None
    phase: str | None = None
    conditions: list[NodeCondition] | None = None
    addresses: list[NodeAddress] | None = None
    daemon_endpoints: NodeDaemonEndpoints | None = None
    node_info: NodeSystemInfo | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Node",
        plural="nodes",
        singular="node",
        short_names=("no",),
        namespaced=False,
        status_subresource=True,
        builtin=True,
        crd=False,
    )
)
class Node(Resource):
    open_schema = True
    spec: NodeSpec | None = None
    status: NodeStatus | None = None


def node_condition(node: Node, type_: str) -> NodeCondition | None:
    """The node's condition of that type, or None."""
    for cond in (node.status.conditions if node.status else None) or []:
        if cond.type == type_:
            return cond
    return None


def node_is_ready(node: Node) -> bool:
    """True when the node's ``Ready`` condition is ``True`` (what every OpenYurt controller counts)."""
    cond = node_condition(node, wellknown.CONDITION_READY)
    return cond is not None and cond.status == "True"


def node_address(node: Node, type_: str) -> str | None:
    """The first address of that type (``InternalIP``, ``ExternalIP``, ``Hostname``), or None."""
    for addr in (node.status.addresses if node.status else None) or []:
        if addr.type == type_ and addr.address:
            return addr.address
    return None


def node_internal_ip(node: Node) -> str | None:
    """The node's first InternalIP: leader endpoints, gateway status and tunnels use it."""
    return node_address(node, wellknown.NODE_ADDRESS_INTERNAL_IP)


def node_pod_cidrs(node: Node) -> list[str]:
    """``spec.podCIDRs``, falling back to the single ``spec.podCIDR`` of older nodes."""
    if node.spec is None:
        return []
    if node.spec.pod_cidrs:
        return list(node.spec.pod_cidrs)
    return [node.spec.pod_cidr] if node.spec.pod_cidr else []


# ==================================================================================================
# Pod


class EnvVar(WireModel):
    open_schema = True
    name: str
    value: str | None = None
    value_from: Schemaless | None = None


class ContainerPort(WireModel):
    open_schema = True
    name: str | None = None
    host_port: Int32 | None = None
    container_port: Int32
    protocol: str | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")


class Container(WireModel):
    open_schema = True
    name: str
    image: str | None = None
    image_pull_policy: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    env: list[EnvVar] | None = None
    env_from: list[Schemaless] | None = None
    ports: list[ContainerPort] | None = None
    resources: Schemaless | None = None
    volume_mounts: list[Schemaless] | None = None
    liveness_probe: Schemaless | None = None
    readiness_probe: Schemaless | None = None
    startup_probe: Schemaless | None = None
    security_context: Schemaless | None = None
    restart_policy: str | None = None


class NodeSelector(WireModel):
    open_schema = True
    node_selector_terms: list[NodeSelectorTerm] | None = None


class PreferredSchedulingTerm(WireModel):
    open_schema = True
    weight: Int32
    preference: NodeSelectorTerm


class NodeAffinity(WireModel):
    open_schema = True
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = None


class Affinity(WireModel):
    open_schema = True
    node_affinity: NodeAffinity | None = None
    pod_affinity: Schemaless | None = None
    pod_anti_affinity: Schemaless | None = None


class PodSpec(WireModel):
    open_schema = True
    node_name: str | None = None
    containers: list[Container] | None = None
    init_containers: list[Container] | None = None
    restart_policy: str | None = None
    termination_grace_period_seconds: Int64 | None = None
    active_deadline_seconds: Int64 | None = None
    dns_policy: str | None = None
    node_selector: StrMap | None = None
    service_account_name: str | None = None
    host_network: bool | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    affinity: Affinity | None = None
    scheduler_name: str | None = None
    tolerations: list[Toleration] | None = None
    priority_class_name: str | None = None
    priority: Int32 | None = None
    volumes: list[Schemaless] | None = None


class PodCondition(WireModel):
    open_schema = True
    type: str
    status: str
    last_probe_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str | None = None
    message: str | None = None


class PodIP(WireModel):
    open_schema = True
    ip: str | None = None


class HostIP(WireModel):
    open_schema = True
    ip: str | None = None


class ContainerStateWaiting(WireModel):
    open_schema = True
    reason: str | None = None
    message: str | None = None


class ContainerStateRunning(WireModel):
    open_schema = True
    started_at: Time | None = None


class ContainerStateTerminated(WireModel):
    open_schema = True
    exit_code: Int32
    signal: Int32 | None = None
    reason: str | None = None
    message: str | None = None
    started_at: Time | None = None
    finished_at: Time | None = None
    container_id: str | None = Field(default=None, alias="containerID")


class ContainerState(WireModel):
    open_schema = True
    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


class ContainerStatus(WireModel):
    open_schema = True
    name: str
    state: ContainerState | None = None
    last_state: ContainerState | None = None
    ready: bool
    restart_count: Int32
    image: str
    image_id: str = Field(alias="imageID")
    container_id: str | None = Field(default=None, alias="containerID")
    started: bool | None = None


class PodStatus(WireModel):
    open_schema = True
    phase: str | None = None
    conditions: list[PodCondition] | None = None
    message: str | None = None
    reason: str | None = None
    nominated_node_name: str | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")
    host_ips: list[HostIP] | None = Field(default=None, alias="hostIPs")
    pod_ip: str | None = Field(default=None, alias="podIP")
    pod_ips: list[PodIP] | None = Field(default=None, alias="podIPs")
    start_time: Time | None = None
    init_container_statuses: list[ContainerStatus] | None = None
    container_statuses: list[ContainerStatus] | None = None
    qos_class: str | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Pod",
        plural="pods",
        singular="pod",
        short_names=("po",),
        namespaced=True,
        categories=("all",),
        status_subresource=True,
        builtin=True,
        crd=False,
    )
)
class Pod(Resource):
    open_schema = True
    spec: PodSpec | None = None
    status: PodStatus | None = None


class PodTemplateSpec(WireModel):
    """The pod template inside workloads (Deployment, DaemonSet, ... and YurtStaticSet)."""

    open_schema = True
    metadata: ObjectMeta | None = None
    spec: PodSpec | None = None


class Binding(WireModel):
    """Body of ``POST pods/{name}/binding``: the scheduler (or our simulator) assigns a node."""

    open_schema = True
    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    metadata: ObjectMeta | None = None
    target: ObjectReference


def pod_condition(pod: Pod, type_: str) -> PodCondition | None:
    """The pod's condition of that type, or None."""
    for cond in (pod.status.conditions if pod.status else None) or []:
        if cond.type == type_:
            return cond
    return None


def pod_is_ready(pod: Pod) -> bool:
    """True when the pod's ``Ready`` condition is ``True``."""
    cond = pod_condition(pod, wellknown.CONDITION_READY)
    return cond is not None and cond.status == "True"


def pod_is_mirror(pod: Pod) -> bool:
    """A kubelet-made mirror of a static pod (annotation ``kubernetes.io/config.mirror``)."""
    return wellknown.ANNOTATION_CONFIG_MIRROR in (pod.metadata.annotations or {})


def pod_is_terminal(pod: Pod) -> bool:
    """Phase Succeeded or Failed: the pod will not run again."""
    return pod.status is not None and pod.status.phase in ("Succeeded", "Failed")


# ==================================================================================================
# Owner references (every controller asks "who controls this object?")


def controller_of(meta: ObjectMeta) -> OwnerReference | None:
    """The owner reference with ``controller: true``, or None."""
    for ref in meta.owner_references or []:
        if ref.controller:
            return ref
    return None


def is_controlled_by(meta: ObjectMeta, owner: Resource) -> bool:
    """True when ``owner`` (matched by uid) is the controller of the object with ``meta``."""
    ref = controller_of(meta)
    return ref is not None and bool(owner.metadata.uid) and ref.uid == owner.metadata.uid


def owners_of_kind(meta: ObjectMeta, kind: str, api_version: str | None = None) -> list[OwnerReference]:
    """Owner references of one kind (optionally one apiVersion), in list order."""
    return [
        ref
        for ref in meta.owner_references or []
        if ref.kind == kind and (api_version is None or ref.api_version == api_version)
    ]


def owner_reference(
    owner: Resource, *, controller: bool = True, block_owner_deletion: bool | None = True
) -> OwnerReference:
    """An owner reference pointing at ``owner`` (which must have a name and uid)."""
    if not owner.metadata.name or not owner.metadata.uid:
        raise ValueError(f"{owner.kind} has no name/uid to reference")
    data: dict[str, Any] = {
        "apiVersion": owner.api_version,
        "kind": owner.kind,
        "name": owner.metadata.name,
        "uid": owner.metadata.uid,
        "controller": controller,
    }
    if block_owner_deletion is not None:
        data["blockOwnerDeletion"] = block_owner_deletion
    return OwnerReference.model_validate(data)


# ==================================================================================================
# Service


class ServicePort(WireModel):
    open_schema = True
    name: str | None = None
    protocol: str | None = None
    app_protocol: str | None = None
    port: Int32
    target_port: IntOrString | None = None
    node_port: Int32 | None = None


class ServiceSpec(WireModel):
    open_schema = True
    type: str | None = None
    cluster_ip: str | None = Field(default=None, alias="clusterIP")
    cluster_ips: list[str] | None = Field(default=None, alias="clusterIPs")
    ports: list[ServicePort] | None = None
    selector: StrMap | None = None
    external_ips: list[str] | None = Field(default=None, alias="externalIPs")
    session_affinity: str | None = None
    load_balancer_ip: str | None = Field(default=None, alias="loadBalancerIP")
    load_balancer_class: str | None = None
    external_name: str | None = None
    external_traffic_policy: str | None = None
    internal_traffic_policy: str | None = None
    health_check_node_port: Int32 | None = None
    publish_not_ready_addresses: bool | None = None
    ip_families: list[str] | None = None
    ip_family_policy: str | None = None
    allocate_load_balancer_node_ports: bool | None = None


class ServiceStatus(WireModel):
    open_schema = True
    load_balancer: LoadBalancerStatus | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Service",
        plural="services",
        singular="service",
        short_names=("svc",),
        namespaced=True,
        categories=("all",),
        status_subresource=True,
        builtin=True,
        crd=False,
    )
)
class Service(Resource):
    open_schema = True
    spec: ServiceSpec | None = None
    status: ServiceStatus | None = None


# ==================================================================================================
# Endpoints


class EndpointAddress(WireModel):
    open_schema = True
    ip: str
    hostname: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointPort(WireModel):
    open_schema = True
    name: str | None = None
    port: Int32
    protocol: str | None = None
    app_protocol: str | None = None


class EndpointSubset(WireModel):
    open_schema = True
    addresses: list[EndpointAddress] | None = None
    not_ready_addresses: list[EndpointAddress] | None = None
    ports: list[EndpointPort] | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Endpoints",
        plural="endpoints",
        singular="endpoints",
        short_names=("ep",),
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class Endpoints(Resource):
    open_schema = True
    subsets: list[EndpointSubset] | None = None


# ==================================================================================================
# ConfigMap, Secret, ServiceAccount, Namespace, Event


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="ConfigMap",
        plural="configmaps",
        singular="configmap",
        short_names=("cm",),
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class ConfigMap(Resource):
    open_schema = True
    data: StrMap | None = None
    #: base64-encoded values, kept encoded.
    binary_data: StrMap | None = None
    immutable: bool | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Secret",
        plural="secrets",
        singular="secret",
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class Secret(Resource):
    open_schema = True
    #: base64-encoded values, kept encoded.
    data: StrMap | None = None
    #: write-only plain-text values the API server merges into ``data``.
    string_data: StrMap | None = None
    type: str | None = None
    immutable: bool | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="ServiceAccount",
        plural="serviceaccounts",
        singular="serviceaccount",
        short_names=("sa",),
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class ServiceAccount(Resource):
    open_schema = True
    secrets: list[ObjectReference] | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    automount_service_account_token: bool | None = None


class NamespaceSpec(WireModel):
    open_schema = True
    finalizers: list[str] | None = None


class NamespaceStatus(WireModel):
    open_schema = True
    phase: str | None = None
    conditions: list[Schemaless] | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Namespace",
        plural="namespaces",
        singular="namespace",
        short_names=("ns",),
        namespaced=False,
        status_subresource=True,
        builtin=True,
        crd=False,
    )
)
class Namespace(Resource):
    open_schema = True
    spec: NamespaceSpec | None = None
    status: NamespaceStatus | None = None


class EventSource(WireModel):
    open_schema = True
    component: str | None = None
    host: str | None = None


class EventSeries(WireModel):
    open_schema = True
    count: Int32 | None = None
    last_observed_time: MicroTime | None = None


@register(
    ResourceInfo(
        group="",
        version="v1",
        kind="Event",
        plural="events",
        singular="event",
        short_names=("ev",),
        namespaced=True,
        status_subresource=False,
        builtin=True,
        crd=False,
    )
)
class Event(Resource):
    open_schema = True
    involved_object: ObjectReference
    reason: str | None = None
    message: str | None = None
    source: EventSource | None = None
    first_timestamp: Time | None = None
    last_timestamp: Time | None = None
    count: Int32 | None = None
    type: str | None = None
    event_time: MicroTime | None = None
    series: EventSeries | None = None
    action: str | None = None
    related: ObjectReference | None = None
    reporting_component: str | None = None
    reporting_instance: str | None = None
