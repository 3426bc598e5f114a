"""Service topology: "touch" Endpoints and EndpointSlices so edge watchers re-filter them.

yurthub trims each Service's endpoints per node or per pool according to the Service annotation
``openyurt.io/topologyKeys``. When only that annotation (or a pool's membership) changes, the
endpoint objects themselves do not, so no watch event reaches the edge and yurthub keeps serving the
old trim. The fix upstream is to write a meaningless annotation, ``openyurt.io/update-trigger`` =
Unix seconds, on the affected objects.

Upstream reacts to Service annotation changes only. A pool membership change has the same effect on
pool-scoped services, so :func:`plan_topology_for_pool_change` touches the endpoints of services
with pool (or zone) topology that have an endpoint on a node of the old or new membership: exactly
the services whose per-node view can change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Endpoints, Service
from openyurt.core.api.discovery_v1 import EndpointSlice
from openyurt.core.planners._util import MergePatch, ObjectRef, ref_of, unix_seconds
from openyurt.core.plans import Plan

POOL_TOPOLOGIES = frozenset({wellknown.TOPOLOGY_NODEPOOL, wellknown.TOPOLOGY_ZONE})


@attrs.frozen
class TopologyConfig:
    #: Touch core/v1 Endpoints (the endpoints controller) and EndpointSlices (the endpointslice one).
    endpoints: bool = True
    endpoint_slices: bool = True


@attrs.frozen
class TopologyPlan:
    patches: tuple[MergePatch, ...] = ()

    @property
    def plan(self) -> Plan:
        return Plan(patches=self.patches)

    @property
    def is_empty(self) -> bool:
        return not self.patches


def topology_keys(service: Service | None) -> str | None:
    if service is None:
        return None
    return (service.metadata.annotations or {}).get(wellknown.ANNOTATION_TOPOLOGY_KEYS)


def _touch(ref: ObjectRef, now: datetime) -> MergePatch:
    return MergePatch(ref, {"metadata": {"annotations": {wellknown.ANNOTATION_UPDATE_TRIGGER: str(unix_seconds(now))}}})


def _service_targets(
    service: Service,
    endpoints: Iterable[Endpoints],
    slices: Iterable[EndpointSlice],
    config: TopologyConfig,
) -> list[ObjectRef]:
    ns, name = service.namespace, service.name
    out: list[ObjectRef] = []
    if config.endpoints:
        out.extend(
            ref_of(ep)
            for ep in endpoints
            if ep.namespace == ns and ep.name == name and ep.metadata.deletion_timestamp is None
        )
    if config.endpoint_slices:
        out.extend(
            ref_of(s)
            for s in slices
            if s.namespace == ns
            and (s.metadata.labels or {}).get(wellknown.LABEL_SERVICE_NAME) == name
            and s.metadata.deletion_timestamp is None
        )
    return out


def plan_topology_for_service_change(
    old: Service | None,
    new: Service,
    endpoints: Sequence[Endpoints],
    slices: Sequence[EndpointSlice],
    *,
    now: datetime,
    config: TopologyConfig | None = None,
) -> TopologyPlan:
    """A Service update: touch its Endpoints and EndpointSlices if ``topologyKeys`` changed.

    ``old`` None (a create) touches nothing, as upstream ignores creates and deletes.
    """
    config = config or TopologyConfig()
    if old is None or topology_keys(old) == topology_keys(new):
        return TopologyPlan()
    refs = sorted(set(_service_targets(new, endpoints, slices, config)), key=_order)
    return TopologyPlan(tuple(_touch(r, now) for r in refs))


def _order(ref: ObjectRef) -> tuple[str, str, str]:
    return (ref.kind, ref.namespace, ref.name)


def _slice_nodes(s: EndpointSlice) -> Iterable[str]:
    for ep in s.endpoints or ():
        if ep.node_name:
            yield ep.node_name
        elif ep.deprecated_topology and wellknown.LABEL_HOSTNAME in ep.deprecated_topology:
            yield ep.deprecated_topology[wellknown.LABEL_HOSTNAME]


def _endpoints_nodes(ep: Endpoints) -> Iterable[str]:
    for subset in ep.subsets or ():
        for addr in (*(subset.addresses or ()), *(subset.not_ready_addresses or ())):
            if addr.node_name:
                yield addr.node_name


def plan_topology_for_pool_change(
    old_members: Iterable[str],
    new_members: Iterable[str],
    services: Sequence[Service],
    endpoints: Sequence[Endpoints],
    slices: Sequence[EndpointSlice],
    *,
    now: datetime,
    config: TopologyConfig | None = None,
) -> TopologyPlan:
    """A pool's membership changed: touch the endpoint objects of pool-scoped services that have an
    endpoint on any node of the old or new membership (their per-node view may change)."""
    config = config or TopologyConfig()
    old_set, new_set = set(old_members), set(new_members)
    if old_set == new_set:
        return TopologyPlan()
    nodes = old_set | new_set
    pooled = {
        (s.namespace, s.name)
        for s in services
        if any(k.strip() in POOL_TOPOLOGIES for k in (topology_keys(s) or "").split(","))
    }
    if not pooled:
        return TopologyPlan()
    # Index once: a pass over every slice per service would be quadratic in large clusters.
    slice_refs: dict[tuple[str, str], list[ObjectRef]] = {}
    endpoint_refs: dict[tuple[str, str], list[ObjectRef]] = {}
    hit: set[tuple[str, str]] = set()
    if config.endpoint_slices:
        for sl in slices:
            svc = (sl.namespace, (sl.metadata.labels or {}).get(wellknown.LABEL_SERVICE_NAME, ""))
            if svc not in pooled or sl.metadata.deletion_timestamp is not None:
                continue
            slice_refs.setdefault(svc, []).append(ref_of(sl))
            if svc not in hit and any(n in nodes for n in _slice_nodes(sl)):
                hit.add(svc)
    if config.endpoints:
        for ep in endpoints:
            svc = (ep.namespace, ep.name)
            if svc not in pooled or ep.metadata.deletion_timestamp is not None:
                continue
            endpoint_refs.setdefault(svc, []).append(ref_of(ep))
            if svc not in hit and any(n in nodes for n in _endpoints_nodes(ep)):
                hit.add(svc)
    refs = [r for key in hit for r in (*endpoint_refs.get(key, ()), *slice_refs.get(key, ()))]
    return TopologyPlan(tuple(_touch(r, now) for r in sorted(set(refs), key=_order)))
