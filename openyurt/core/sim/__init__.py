"""Pure decisions of the simulated Kubernetes components (scheduler, workload controllers, node
lifecycle, endpoints, kubelet) that ``openyurt up`` runs beside its embedded API server.

These are minimal stand-ins for Kubernetes' own kube-scheduler, kube-controller-manager and kubelet,
for the embedded cluster only; they model the behaviour OpenYurt depends on, not Kubernetes. The
asyncio side lives in :mod:`openyurt.runtime.sim`; here everything takes ``now`` and random suffixes
as arguments and works on wire dicts, so it is tested without I/O.
"""
