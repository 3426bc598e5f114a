"""yurt-manager: OpenYurt's controllers in one process, optionally leader-elected on a Lease.

``registry`` holds the controller factories under upstream's names and aliases
(``register_controller("nodepool-controller", "nodepool")``), ``app`` runs them
with shared informers, health and metrics endpoints and leader election, ``main`` is the CLI entry.
Nothing heavy is imported here so ``openyurt.runtime.manager.metrics`` stays cheap to import.
"""
