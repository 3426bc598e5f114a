"""apps.openyurt.io/v1beta2: NodePool, the storage (hub) version every other NodePool version converts to.

A NodePool is cluster-scoped and names a group of nodes; membership is the node label
``apps.openyurt.io/nodepool``, not a selector. v1beta2 adds leader-yurthub election and pool-scope
metadata sharing on top of v1beta1. The mutating and validating rules here are those of yurt-manager's
NodePool webhooks, which only ever see this version (admission ``matchPolicy: Equivalent`` converts).
"""

from __future__ import annotations

from typing import Self

from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api._base import FieldError, Int32, PrinterColumn, ResourceInfo, StrMap, Time, WireModel
from openyurt.core.api._conditions import OpenYurtCondition
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.core_v1 import Taint
from openyurt.core.api.meta_v1 import annotation_errors

GROUP = "apps.openyurt.io"

#: Printer-column description of ``.metadata.creationTimestamp`` as controller-gen writes it.
CREATION_TIMESTAMP_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. "
    "Clients may not set this value. It is represented in RFC3339 form and is in UTC."
)

#: Columns every NodePool version shows (v1beta2 inserts its leader columns before Age).
NODEPOOL_COMMON_COLUMNS = (
    PrinterColumn("Type", ".spec.type", "string", "The type of nodepool"),
    PrinterColumn("ReadyNodes", ".status.readyNodeNum", "integer", "The number of ready nodes in the pool"),
    PrinterColumn("NotReadyNodes", ".status.unreadyNodeNum", "integer"),
)
NODEPOOL_AGE_COLUMN = PrinterColumn("Age", ".metadata.creationTimestamp", "date")

#: Values of ``spec.type`` (the webhook compares them case-sensitively).
NODEPOOL_TYPE_EDGE = "Edge"
NODEPOOL_TYPE_CLOUD = "Cloud"
NODEPOOL_TYPES = (NODEPOOL_TYPE_EDGE, NODEPOOL_TYPE_CLOUD)
#: Values of ``spec.leaderElectionStrategy`` (lower case exactly).
ELECTION_STRATEGY_RANDOM = "random"
ELECTION_STRATEGY_MARK = "mark"
ELECTION_STRATEGIES = (ELECTION_STRATEGY_RANDOM, ELECTION_STRATEGY_MARK)


def unsupported(path: str, value: object, supported: tuple[str, ...]) -> FieldError:
    """A Kubernetes-style ``Unsupported value`` error."""
    return FieldError(
        path,
        f'Unsupported value: "{value}": supported values: ' + ", ".join(f'"{s}"' for s in supported),
        "FieldValueNotSupported",
    )


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, f"Forbidden: {detail}", "FieldValueForbidden")


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired")


class GroupVersionResource(WireModel):
    """A resource shared per pool by its leader yurthub; the core group is ``""``."""

    group: str
    version: str
    resource: str


#: Appended by the mutating webhook when missing: Services and EndpointSlices are always pool-scoped.
DEFAULT_POOL_SCOPE_METADATA = (
    GroupVersionResource(group="", version="v1", resource="services"),
    GroupVersionResource(group="discovery.k8s.io", version="v1", resource="endpointslices"),
)


class NodePoolSpec(WireModel):
    type: str | None = Field(default=None, description="Edge or Cloud; set once at creation.")
    host_network: bool | None = Field(
        default=None, description="Nodes of the pool run no CNI; every pod shares the host network."
    )
    labels: StrMap | None = Field(default=None, description="Labels copied onto every member node.")
    annotations: StrMap | None = Field(default=None, description="Annotations copied onto every member node.")
    taints: list[Taint] | None = Field(default=None, description="Taints added to every member node.")
    inter_connectivity: bool | None = Field(
        default=None,
        description="Members reach each other directly, so pool-level list/watch sharing is possible. Immutable.",
    )
    leader_election_strategy: str | None = Field(
        default=None, description="How leader yurthubs are picked: random or mark."
    )
    leader_node_label_selector: StrMap | None = Field(
        default=None, description="With strategy mark, leaders are picked among nodes carrying all these labels."
    )
    enable_leader_election: bool | None = Field(default=None, description="Elect leader yurthubs in this pool.")
    pool_scope_metadata: list[GroupVersionResource] | None = Field(
        default=None, description="Resources the pool leader reads once from the cloud and shares with the pool."
    )
    leader_replicas: Int32 | None = Field(default=None, description="Number of leader yurthubs (default 1).")


class Leader(WireModel):
    node_name: str
    address: str = Field(description="The leader node's InternalIP.")


class NodePoolStatus(WireModel):
    ready_node_num: Int32 | None = None
    unready_node_num: Int32 | None = None
    nodes: list[str] | None = Field(default=None, description="Sorted names of the member nodes.")
    leader_endpoints: list[Leader] | None = None
    leader_num: Int32 | None = None
    leader_last_elected_time: Time | None = None
    conditions: list[OpenYurtCondition] | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version="v1beta2",
        kind="NodePool",
        plural="nodepools",
        singular="nodepool",
        short_names=("np",),
        namespaced=False,
        categories=("yurt",),
        served=True,
        storage=True,
        printer_columns=(
            *NODEPOOL_COMMON_COLUMNS,
            PrinterColumn("LeaderNodes", ".status.leaderNum", "integer", "The leader node of the nodepool"),
            PrinterColumn(
                "LeaderElectionAge",
                ".status.leaderLastElectedTime",
                "date",
                "The time when the leader yurthub is elected",
            ),
            NODEPOOL_AGE_COLUMN,
        ),
    )
)
class NodePool(Resource):
    spec: NodePoolSpec | None = None
    status: NodePoolStatus | None = None

    def with_defaults(self) -> Self:
        """The NodePool mutating webhook (CREATE only): type, type label, zeroed status, election defaults."""
        spec = self.spec or NodePoolSpec()
        pool_type = spec.type or NODEPOOL_TYPE_EDGE
        labels = dict(self.metadata.labels or {})
        labels[wellknown.LABEL_NODEPOOL_TYPE] = pool_type.lower()
        scope = list(spec.pool_scope_metadata or [])
        for gvr in DEFAULT_POOL_SCOPE_METADATA:
            if gvr not in scope:
                scope.append(gvr)
        new_spec = spec.evolve(
            type=pool_type,
            leader_election_strategy=spec.leader_election_strategy or ELECTION_STRATEGY_RANDOM,
            leader_replicas=spec.leader_replicas if spec.leader_replicas and spec.leader_replicas > 0 else 1,
            pool_scope_metadata=scope,
        )
        return self.evolve(
            metadata=self.metadata.evolve(labels=labels),
            spec=new_spec,
            status=NodePoolStatus(ready_node_num=0, unready_node_num=0, nodes=[]),
        )

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The NodePool validating webhook on CREATE/UPDATE (DELETE: see ``nodepool_delete_errors``)."""
        spec = self.spec or NodePoolSpec()
        errors = annotation_errors(spec.annotations, "spec.annotations")
        if spec.type not in NODEPOOL_TYPES:
            errors.append(unsupported("spec.type", spec.type or "", NODEPOOL_TYPES))
        elif spec.type == NODEPOOL_TYPE_CLOUD and spec.host_network:
            errors.append(forbidden("spec.hostNetwork", "a Cloud NodePool cannot use hostNetwork"))
        if spec.leader_election_strategy not in ELECTION_STRATEGIES:
            errors.append(
                unsupported("spec.leaderElectionStrategy", spec.leader_election_strategy or "", ELECTION_STRATEGIES)
            )
        if old is not None:
            old_spec = old.spec or NodePoolSpec()
            if (spec.type or "") != (old_spec.type or ""):
                errors.append(forbidden("spec.type", "pool type can't be changed"))
            if bool(spec.host_network) != bool(old_spec.host_network):
                errors.append(forbidden("spec.hostNetwork", "pool hostNetwork can't be changed"))
            if bool(spec.inter_connectivity) != bool(old_spec.inter_connectivity):
                errors.append(forbidden("spec.interConnectivity", "pool interConnectivity can't be changed"))
        return errors


def nodepool_delete_errors(pool: Resource, member_node_names: list[str] | tuple[str, ...]) -> list[FieldError]:
    """The webhook's DELETE rule: a pool may go only once no node carries its label.

    ``member_node_names`` are the nodes labelled ``apps.openyurt.io/nodepool=<pool name>`` (the caller
    lists them; this stays pure). Works for any NodePool version, only the name matters.
    """
    if not member_node_names:
        return []
    shown = ", ".join(sorted(member_node_names)[:5]) + (", ..." if len(member_node_names) > 5 else "")
    return [
        forbidden(
            "metadata.name",
            f"cannot remove nonempty pool {pool.name!r}, please drain the pool before deleting "
            f"({len(member_node_names)} node(s) still labelled {wellknown.LABEL_NODEPOOL}: {shown})",
        )
    ]
