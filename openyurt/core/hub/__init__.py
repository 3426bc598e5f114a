"""yurthub's protocol decisions as pure functions: the aiohttp shell in ``openyurt.runtime.hub`` asks.

* :mod:`.requestinfo` — what a request is (apiserver RequestInfo rules, component, route).
* :mod:`.cachepolicy` — what is cached, under which key, which write wins.
* :mod:`.offline` — what to answer without the cloud; kubelet's lease and Autonomy condition.
* :mod:`.filters` — per-node rewrites of cloud responses and the chain that selects them.
"""
