"""yurt-manager's built-in controllers: importing this module registers each under its upstream name.

One line per controller keeps ``--controllers`` (``*``, ``a,b``, ``*,-a``) and the docs in step.
"""

from __future__ import annotations

from openyurt.runtime.manager.registry import register_controller
from openyurt.runtime.raven import pickup

register_controller("gateway-pickup")(pickup.build_controller)
