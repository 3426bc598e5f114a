"""yurt-manager's built-in controllers: importing this module registers each under its upstream name.

One line per controller keeps ``--controllers`` (``*``, ``a,b``, ``*,-a``) and the docs in step. The
names are upstream's short aliases (``nodepool``, ``yurtappset``...); ``yurtappdaemon`` is one upstream
removed but whose CRD is still served.
"""

from __future__ import annotations

from openyurt.runtime.manager import (
    ctrl_hubleader,
    ctrl_nodebucket,
    ctrl_nodepool,
    ctrl_podbinding,
    ctrl_servicetopology,
    ctrl_yurtappdaemon,
    ctrl_yurtappset,
)
from openyurt.runtime.manager.registry import register_controller
from openyurt.runtime.raven import pickup

register_controller("gateway-pickup")(pickup.build_controller)
register_controller(ctrl_nodepool.NAME)(ctrl_nodepool.build_controller)
register_controller(ctrl_hubleader.NAME)(ctrl_hubleader.build_controller)
register_controller(ctrl_hubleader.CONFIG_NAME)(ctrl_hubleader.build_config_controller)
register_controller(ctrl_yurtappset.NAME)(ctrl_yurtappset.build_controller)
register_controller(ctrl_yurtappdaemon.NAME)(ctrl_yurtappdaemon.build_controller)
register_controller(ctrl_servicetopology.ENDPOINTS_NAME)(ctrl_servicetopology.build_endpoints_controller)
register_controller(ctrl_servicetopology.ENDPOINTSLICE_NAME)(ctrl_servicetopology.build_endpointslice_controller)
register_controller(ctrl_podbinding.NAME)(ctrl_podbinding.build_controller)
register_controller(ctrl_nodebucket.NAME)(ctrl_nodebucket.build_controller)
