"""Raven's pure core: gateway election, the network an agent must build, and the per-node plan.

Nothing here touches the host or the API; the gateway-pickup reconciler and the raven agent in
``openyurt.runtime.raven`` feed these functions with objects and carry out what they return.
"""
