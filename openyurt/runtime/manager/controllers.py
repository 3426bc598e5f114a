"""yurt-manager's built-in controllers: importing this module registers each under its upstream name.

One line per controller keeps ``--controllers`` (``*``, ``a,b``, ``*,-a``) and the docs in step. Each
is registered under upstream's name (``nodepool-controller``, ``service-topology-endpointslice-controller``...)
with upstream's short CLI alias (``nodepool``, ``servicetopologyendpointslices``...), as yurt-manager
accepts both. The names this project used before (``servicetopology-endpoints``, ``gateway-pickup``)
stay as extra aliases. ``yurt-app-daemon-controller`` is one upstream removed but whose CRD is still
served; its name is the one upstream used while it existed.
"""

from __future__ import annotations

from openyurt.runtime.manager import (
    ctrl_daemonpodupdater,
    ctrl_hubleader,
    ctrl_hubleaderrbac,
    ctrl_imagepreheat,
    ctrl_nodebucket,
    ctrl_nodepool,
    ctrl_podbinding,
    ctrl_servicetopology,
    ctrl_yurtappdaemon,
    ctrl_yurtappset,
)
from openyurt.runtime.manager.registry import register_controller
from openyurt.runtime.raven import pickup

GATEWAY_PICKUP_NAME = "gateway-pickup-controller"
GATEWAY_PICKUP_ALIASES = ("gatewaypickup", pickup.NAME)

register_controller(GATEWAY_PICKUP_NAME, *GATEWAY_PICKUP_ALIASES)(pickup.build_controller)
register_controller(ctrl_nodepool.NAME, ctrl_nodepool.ALIAS)(ctrl_nodepool.build_controller)
register_controller(ctrl_hubleader.NAME, ctrl_hubleader.ALIAS)(ctrl_hubleader.build_controller)
register_controller(ctrl_hubleader.CONFIG_NAME, ctrl_hubleader.CONFIG_ALIAS)(ctrl_hubleader.build_config_controller)
register_controller(ctrl_hubleaderrbac.NAME, ctrl_hubleaderrbac.ALIAS)(ctrl_hubleaderrbac.build_controller)
register_controller(ctrl_yurtappset.NAME, ctrl_yurtappset.ALIAS)(ctrl_yurtappset.build_controller)
register_controller(ctrl_yurtappdaemon.NAME, ctrl_yurtappdaemon.ALIAS)(ctrl_yurtappdaemon.build_controller)
register_controller(ctrl_servicetopology.ENDPOINTS_NAME, *ctrl_servicetopology.ENDPOINTS_ALIASES)(
    ctrl_servicetopology.build_endpoints_controller
)
register_controller(ctrl_servicetopology.ENDPOINTSLICE_NAME, *ctrl_servicetopology.ENDPOINTSLICE_ALIASES)(
    ctrl_servicetopology.build_endpointslice_controller
)
register_controller(ctrl_podbinding.NAME, ctrl_podbinding.ALIAS)(ctrl_podbinding.build_controller)
register_controller(ctrl_nodebucket.NAME, ctrl_nodebucket.ALIAS)(ctrl_nodebucket.build_controller)
register_controller(ctrl_daemonpodupdater.NAME, ctrl_daemonpodupdater.ALIAS)(ctrl_daemonpodupdater.build_controller)
register_controller(ctrl_imagepreheat.NAME, ctrl_imagepreheat.ALIAS)(ctrl_imagepreheat.build_controller)
