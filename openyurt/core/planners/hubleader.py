"""Leader YurtHubs per NodePool: who leads, and the ``leader-hub-<pool>`` ConfigMap yurthubs watch.

Election keeps the current leaders that are still eligible (Ready, with an InternalIP, and for the
``mark`` strategy carrying the marker labels), fills missing slots and truncates extras. Upstream fills
slots in Go map order, i.e. at random; we take candidates in name order unless the caller passes a
random source, so tests and replays are deterministic. The ConfigMap carries sorted, comma-joined
leaders and pool-scoped resources, which is all a yurthub needs to find its pool's leaders.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from openyurt.core import wellknown
from openyurt.core.api.core_v1 import ConfigMap, Node, node_internal_ip, node_is_ready
from openyurt.core.api.openyurt_apps_v1beta2 import ELECTION_STRATEGY_MARK, ELECTION_STRATEGY_RANDOM, NodePool
from openyurt.core.planners._util import (
    Chooser,
    Create,
    Event,
    StatusUpdate,
    Update,
    WireDict,
    format_time,
    owner_ref_wire,
    ref_of,
    status_update,
)
from openyurt.core.plans import EMPTY_PLAN, Plan

Leader = tuple[str, str]  # (nodeName, address)


@attrs.frozen
class HubLeaderConfig:
    #: yurt-manager's working namespace, where ``leader-hub-<pool>`` lives.
    namespace: str = wellknown.NAMESPACE_KUBE_SYSTEM


@attrs.frozen
class HubLeaderPlan:
    leaders: tuple[Leader, ...] = ()
    status: StatusUpdate | None = None
    events: tuple[Event, ...] = ()
    error: str | None = None

    @property
    def plan(self) -> Plan:
        return Plan.of((self.status,)) if self.status is not None else EMPTY_PLAN

    @property
    def is_empty(self) -> bool:
        return self.status is None and not self.events


def election_candidates(pool: NodePool, nodes: Sequence[Node]) -> list[Leader]:
    """Members (for ``mark``: also carrying every ``leaderNodeLabelSelector`` label) that are Ready and
    have an InternalIP, by name. A ``mark`` pool without a selector makes upstream panic (nil map
    write); we treat it like an empty selector: every member is marked."""
    spec = pool.spec
    required = {wellknown.LABEL_NODEPOOL: pool.name}
    if spec is not None and spec.leader_election_strategy == ELECTION_STRATEGY_MARK:
        required.update(spec.leader_node_label_selector or {})
    out = []
    for n in nodes:
        labels = n.metadata.labels or {}
        if any(labels.get(k) != v for k, v in required.items()):
            continue
        ip = node_internal_ip(n)
        if ip and node_is_ready(n):
            out.append((n.name, ip))
    return sorted(out)


def plan_hub_leaders(
    pool: NodePool,
    nodes: Sequence[Node],
    *,
    now: datetime,
    config: HubLeaderConfig | None = None,
    rng: Chooser | None = None,
) -> HubLeaderPlan:
    """hubleader-controller's reconcile of one pool (status ``leaderEndpoints``, ``leaderNum``, time)."""
    del config
    spec = pool.spec
    status = pool.status
    old: list[Leader] = [(le.node_name, le.address) for le in (status.leader_endpoints if status else None) or ()]
    ref = ref_of(pool)
    if spec is None or not spec.enable_leader_election:
        if not old:
            return HubLeaderPlan()
        return HubLeaderPlan((), _status(pool, [], now))
    strategy = spec.leader_election_strategy or ""
    if strategy not in (ELECTION_STRATEGY_RANDOM, ELECTION_STRATEGY_MARK):
        msg = f"leader election strategy {strategy!r} is not supported"
        return HubLeaderPlan(tuple(old), None, (Event(ref, "Warning", "ReconcileError", msg),), msg)
    replicas = spec.leader_replicas if spec.leader_replicas and spec.leader_replicas > 0 else 1
    candidates = election_candidates(pool, nodes)
    eligible = set(candidates)
    leaders = [le for le in old if le in eligible]
    if len(leaders) < replicas:
        pool_left = [c for c in candidates if c not in set(leaders)]
        while pool_left and len(leaders) < replicas:
            pick = rng.choice(pool_left) if rng is not None else pool_left[0]
            pool_left.remove(pick)
            leaders.append(pick)
    leaders = leaders[:replicas]
    if len(leaders) == len(old) and set(leaders) == set(old):
        return HubLeaderPlan(tuple(old))
    return HubLeaderPlan(tuple(leaders), _status(pool, leaders, now))


def _status(pool: NodePool, leaders: Sequence[Leader], now: datetime) -> StatusUpdate:
    status = pool.status.to_wire() if pool.status is not None else {}
    status["leaderEndpoints"] = [{"nodeName": n, "address": a} for n, a in leaders]
    if not leaders:
        del status["leaderEndpoints"]
    status["leaderNum"] = len(leaders)
    status["leaderLastElectedTime"] = format_time(now)
    return status_update(pool, status)


# ==================================================================================================
# leader-hub-<pool> ConfigMap (hubleaderconfig-controller)


def leader_hub_data(pool: NodePool) -> dict[str, str]:
    """The ConfigMap data yurthub reads: leaders, pool-scoped metadata, two switches."""
    spec = pool.spec
    status = pool.status
    leaders = sorted(f"{le.node_name}/{le.address}" for le in (status.leader_endpoints if status else None) or ())
    gvrs = sorted(f"{g.group}/{g.version}/{g.resource}" for g in (spec.pool_scope_metadata if spec else None) or ())
    return {
        wellknown.LEADER_HUB_KEY_LEADERS: ",".join(leaders),
        wellknown.LEADER_HUB_KEY_POOL_SCOPED_METADATA: ",".join(gvrs),
        wellknown.LEADER_HUB_KEY_INTERCONNECTIVITY: "true" if spec and spec.inter_connectivity else "false",
        wellknown.LEADER_HUB_KEY_ENABLE_LEADER_ELECTION: "true" if spec and spec.enable_leader_election else "false",
    }


def leader_hub_configmap_name(pool_name: str) -> str:
    return f"{wellknown.CONFIGMAP_LEADER_HUB_PREFIX}{pool_name}"


@attrs.frozen
class LeaderHubConfigPlan:
    op: Create | Update | None = None

    @property
    def plan(self) -> Plan:
        return Plan.of((self.op,)) if self.op is not None else EMPTY_PLAN

    @property
    def is_empty(self) -> bool:
        return self.op is None


def plan_leader_hub_config(
    pool: NodePool, existing: ConfigMap | None, *, now: datetime, config: HubLeaderConfig | None = None
) -> LeaderHubConfigPlan:
    """Create ``leader-hub-<pool>`` if missing, update its data when it differs; skip deleting pools."""
    del now
    config = config or HubLeaderConfig()
    if pool.metadata.deletion_timestamp is not None:
        return LeaderHubConfigPlan()
    name = leader_hub_configmap_name(pool.name)
    data = leader_hub_data(pool)
    if existing is None:
        obj: WireDict = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": config.namespace,
                "labels": {wellknown.LABEL_CONFIGMAP_NAME: name},
                "ownerReferences": [owner_ref_wire(pool, controller=None, block=None)],
            },
            "data": data,
        }
        return LeaderHubConfigPlan(Create(obj))
    if (existing.data or {}) == data:
        return LeaderHubConfigPlan()
    wire = existing.to_wire()
    wire["data"] = data
    return LeaderHubConfigPlan(Update(wire))
