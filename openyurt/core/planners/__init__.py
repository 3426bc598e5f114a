"""Pure planners of yurt-manager's controllers: observed objects in, a frozen plan of writes out.

Each ``plan_<thing>(observed..., *, now, config)`` reads typed wire models and returns an attrs value
listing creates, updates, merge patches, status patches, deletes and events. No I/O, no clock (``now``
is an argument), no randomness unless the caller passes a random source; equal inputs give equal
plans. The controllers that run them (watches, queues, retries) live in the runtime layer.
"""

from openyurt.core.planners.autonomy import (
    Liveness,
    node_autonomy,
    node_is_autonomous,
    node_liveness,
    plan_pod_binding,
)
from openyurt.core.planners.daemonpodupdater import plan_daemon_pod_update
from openyurt.core.planners.hubleader import plan_hub_leaders, plan_leader_hub_config
from openyurt.core.planners.imagepreheat import plan_image_preheat
from openyurt.core.planners.nodebucket import plan_node_buckets
from openyurt.core.planners.nodepool import plan_nodepool
from openyurt.core.planners.servicetopology import plan_topology_for_pool_change, plan_topology_for_service_change
from openyurt.core.planners.yurtappdaemon import plan_yurtappdaemon
from openyurt.core.planners.yurtappset import plan_yurtappset

__all__ = [
    "Liveness",
    "node_autonomy",
    "node_is_autonomous",
    "node_liveness",
    "plan_daemon_pod_update",
    "plan_hub_leaders",
    "plan_image_preheat",
    "plan_leader_hub_config",
    "plan_node_buckets",
    "plan_nodepool",
    "plan_pod_binding",
    "plan_topology_for_pool_change",
    "plan_topology_for_service_change",
    "plan_yurtappdaemon",
    "plan_yurtappset",
]
