"""iot.openyurt.io/v1alpha1: the EdgeX mirror kinds (Device, DeviceService, DeviceProfile) and the
deprecated first PlatformAdmin.

Device, DeviceService and DeviceProfile are served and stored here: yurt-iot-dock in each NodePool syncs
them both ways with that pool's EdgeX core-metadata, so their JSON names follow EdgeX where Go renamed
fields (``serviceName``/``profileName``, ``putURL``/``getURL``, DeviceProfile's status ``id``). No webhook
checks them beyond the schema.

PlatformAdmin v1alpha1 is still in the CRD (not served, deprecated). It embeds whole Kubernetes
DeploymentSpecs and ServiceSpecs; we keep those schemaless in Python and let the CRD generator describe
them from bundled schema fragments (``SchemaRef``), which is why the upstream CRD is 9k lines long.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from openyurt.core.api._base import (
    Int32,
    Int64,
    PrinterColumn,
    ResourceInfo,
    Schemaless,
    SchemaRef,
    WireModel,
)
from openyurt.core.api._conditions import OpenYurtCondition
from openyurt.core.api._resource import Resource, register

GROUP = "iot.openyurt.io"
VERSION = "v1alpha1"

#: Bundled schema fragments describing the built-in specs PlatformAdmin v1alpha1 embeds.
DEPLOYMENT_SPEC_SCHEMA = "io.k8s.api.apps.v1.DeploymentSpec"
SERVICE_SPEC_SCHEMA = "io.k8s.api.core.v1.ServiceSpec"

_AGE = PrinterColumn("AGE", ".metadata.creationTimestamp", "date")


# --------------------------------------------------------------------------------------------------
# Device


class DesiredPropertyState(WireModel):
    name: str
    put_url: str | None = Field(default=None, alias="putURL")
    desired_value: str


class ActualPropertyState(WireModel):
    name: str
    get_url: str | None = Field(default=None, alias="getURL")
    actual_value: str


class DeviceSpec(WireModel):
    description: str | None = None
    admin_state: str | None = Field(default=None, description="LOCKED or UNLOCKED")
    operating_state: str | None = Field(default=None, description="UP, DOWN or UNKNOWN")
    protocols: dict[str, dict[str, str]] | None = Field(default=None, description="EdgeX protocol properties")
    labels: list[str] | None = Field(default=None, description="EdgeX labels (not Kubernetes labels)")
    location: str | None = None
    service_name: str = Field(description="EdgeX device service of the device")
    profile_name: str = Field(description="EdgeX device profile of the device")
    notify: bool
    managed: bool | None = Field(default=None, description="Whether the cloud drives the device in EdgeX")
    node_pool: str | None = Field(default=None, description="Only the yurt-iot-dock of this pool reconciles it")
    device_properties: dict[str, DesiredPropertyState] | None = Field(
        default=None, description="Desired property values, keyed by property name"
    )


class DeviceStatus(WireModel):
    last_connected: Int64 | None = Field(default=None, description="Unix milliseconds")
    last_reported: Int64 | None = Field(default=None, description="Unix milliseconds")
    synced: bool | None = Field(default=None, description="The device exists in both Kubernetes and EdgeX")
    device_properties: dict[str, ActualPropertyState] | None = None
    edge_id: str | None = None
    admin_state: str | None = None
    operating_state: str | None = None
    conditions: list[OpenYurtCondition] | None = None


def _mirror_columns(what: str, *, managed: bool) -> tuple[PrinterColumn, ...]:
    cols = [
        PrinterColumn("NODEPOOL", ".spec.nodePool", "string", f"The nodepool of {what}"),
        PrinterColumn("SYNCED", ".status.synced", "boolean", f"The synced status of {what}"),
    ]
    if managed:
        cols.append(PrinterColumn("MANAGED", ".spec.managed", "boolean", f"The managed status of {what}", priority=1))
    return (*cols, _AGE)


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="Device",
        plural="devices",
        singular="device",
        short_names=("dev",),
        namespaced=True,
        served=True,
        storage=True,
        printer_columns=_mirror_columns("device", managed=True),
    )
)
class Device(Resource):
    spec: DeviceSpec | None = None
    status: DeviceStatus = Field(default_factory=DeviceStatus)


# --------------------------------------------------------------------------------------------------
# DeviceService


class DeviceServiceSpec(WireModel):
    base_address: str
    description: str | None = None
    labels: list[str] | None = None
    admin_state: str | None = None
    managed: bool | None = None
    node_pool: str | None = None


class DeviceServiceStatus(WireModel):
    synced: bool | None = None
    edge_id: str | None = None
    last_connected: Int64 | None = None
    last_reported: Int64 | None = None
    admin_state: str | None = None
    conditions: list[OpenYurtCondition] | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="DeviceService",
        plural="deviceservices",
        singular="deviceservice",
        short_names=("dsvc",),
        namespaced=True,
        served=True,
        storage=True,
        printer_columns=_mirror_columns("deviceService", managed=True),
    )
)
class DeviceService(Resource):
    spec: DeviceServiceSpec | None = None
    status: DeviceServiceStatus = Field(default_factory=DeviceServiceStatus)


# --------------------------------------------------------------------------------------------------
# DeviceProfile


class ResourceProperties(WireModel):
    """EdgeX resource properties: every value is a string, numbers included."""

    read_write: str | None = None
    minimum: str | None = None
    maximum: str | None = None
    default_value: str | None = None
    mask: str | None = None
    shift: str | None = None
    scale: str | None = None
    offset: str | None = None
    base: str | None = None
    assertion: str | None = None
    media_type: str | None = None
    units: str | None = None
    value_type: str | None = None


class DeviceResource(WireModel):
    description: str
    name: str
    tag: str | None = None
    is_hidden: bool
    properties: ResourceProperties
    attributes: dict[str, str] | None = None


class ResourceOperation(WireModel):
    device_resource: str | None = None
    mappings: dict[str, str] | None = None
    default_value: str


class DeviceCommand(WireModel):
    name: str
    is_hidden: bool
    read_write: str
    #: Required by the CRD; Go writes ``null`` for an empty list.
    resource_operations: list[ResourceOperation] | None


class DeviceProfileSpec(WireModel):
    node_pool: str | None = None
    description: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    labels: list[str] | None = None
    device_resources: list[DeviceResource] | None = None
    device_commands: list[DeviceCommand] | None = None


class DeviceProfileStatus(WireModel):
    id: str | None = Field(default=None, description="EdgeX id of the profile")
    synced: bool | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="DeviceProfile",
        plural="deviceprofiles",
        singular="deviceprofile",
        short_names=("dp",),
        namespaced=True,
        served=True,
        storage=True,
        printer_columns=_mirror_columns("deviceProfile", managed=False),
    )
)
class DeviceProfile(Resource):
    spec: DeviceProfileSpec = Field(default_factory=DeviceProfileSpec)
    status: DeviceProfileStatus = Field(default_factory=DeviceProfileStatus)


# --------------------------------------------------------------------------------------------------
# PlatformAdmin v1alpha1 (in the CRD, not served, deprecated)


class EmbeddedObjectMeta(WireModel):
    """``metadata`` of an embedded template: a bare ``type: object`` in the CRD.

    The API server prunes everything inside it, so we type nothing and let ``unknown_fields`` report
    whatever a client put there.
    """


class DeploymentTemplateSpec(WireModel):
    metadata: EmbeddedObjectMeta | None = None
    spec: Annotated[Schemaless, SchemaRef(DEPLOYMENT_SPEC_SCHEMA)]


class ServiceTemplateSpec(WireModel):
    metadata: EmbeddedObjectMeta | None = None
    spec: Annotated[Schemaless, SchemaRef(SERVICE_SPEC_SCHEMA)]


class PlatformAdminSpec(WireModel):
    version: str | None = None
    image_registry: str | None = None
    pool_name: str | None = None
    service_type: str | None = Field(default=None, description="Only ClusterIP is supported")
    additional_services: list[ServiceTemplateSpec] | None = None
    additional_deployments: list[DeploymentTemplateSpec] | None = None


class PlatformAdminStatus(WireModel):
    ready: bool | None = None
    initialized: bool | None = None
    service_replicas: Int32 | None = None
    service_ready_replicas: Int32 | None = None
    deployment_replicas: Int32 | None = None
    deployment_ready_replicas: Int32 | None = None
    conditions: list[OpenYurtCondition] | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="PlatformAdmin",
        plural="platformadmins",
        singular="platformadmin",
        short_names=("pa",),
        namespaced=True,
        categories=("yurt",),
        served=False,
        storage=False,
        deprecated=True,
        deprecation_warning=(
            "iot.openyurt.io/v1alpha1 PlatformAdmin will be deprecated in future; use iot.openyurt.io/v1alpha2 "
            "PlatformAdmin; v1alpha1 PlatformAdmin.Spec.ServiceType only support ClusterIP"
        ),
        printer_columns=(
            PrinterColumn("READY", ".status.ready", "boolean", "The platform ready status"),
            PrinterColumn("Service", ".status.serviceReplicas", "integer", "The Service Replica."),
            PrinterColumn("ReadyService", ".status.serviceReadyReplicas", "integer", "The Ready Service Replica."),
            PrinterColumn("Deployment", ".status.deploymentReplicas", "integer", "The Deployment Replica."),
            PrinterColumn(
                "ReadyDeployment", ".status.deploymentReadyReplicas", "integer", "The Ready Deployment Replica."
            ),
        ),
    )
)
class PlatformAdmin(Resource):
    spec: PlatformAdminSpec = Field(default_factory=PlatformAdminSpec)
    status: PlatformAdminStatus = Field(default_factory=PlatformAdminStatus)
