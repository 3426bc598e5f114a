"""network.openyurt.io/v1alpha1: PoolService, one LoadBalancer Service as seen by one NodePool.

The load-balancer-set controller creates a PoolService per (Service, NodePool) so that a pool-local
load-balancer provider can program a per-pool LB and report its address and extra data; yurt-manager
then aggregates those reports back onto the Service. Unlike OpenYurt's other kinds its conditions are
the standard ``metav1.Condition`` with the schema's enum and patterns. No webhook checks it.
"""

from __future__ import annotations

from pydantic import Field

from openyurt.core.api._base import PrinterColumn, ResourceInfo, WireModel
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.core_v1 import LoadBalancerStatus
from openyurt.core.api.meta_v1 import Condition

GROUP = "network.openyurt.io"
VERSION = "v1alpha1"

#: The printer column every kubebuilder CRD gets for ``metadata.creationTimestamp``.
AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC."
)


class PoolServiceSpec(WireModel):
    load_balancer_class: str | None = Field(default=None, description="Copied from the Service's loadBalancerClass")


class PoolServiceStatus(WireModel):
    load_balancer: LoadBalancerStatus | None = Field(default=None, description="Written by the LB provider")
    aggregate_to_annotations: dict[str, str] | None = Field(
        default=None, description="Surfaced on the Service as annotations aggregated.<key>"
    )
    aggregate_to_labels: dict[str, str] | None = Field(
        default=None, description="Surfaced on the Service as labels aggregated.<key>"
    )
    conditions: list[Condition] | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="PoolService",
        plural="poolservices",
        singular="poolservice",
        short_names=("ps",),
        namespaced=True,
        categories=("yurt",),
        served=True,
        storage=True,
        printer_columns=(PrinterColumn("AGE", ".metadata.creationTimestamp", "date", AGE_DESCRIPTION),),
    )
)
class PoolService(Resource):
    spec: PoolServiceSpec = Field(default_factory=PoolServiceSpec)
    status: PoolServiceStatus = Field(default_factory=PoolServiceStatus)
