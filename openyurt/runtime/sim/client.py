"""What the simulated components say and do beyond the generic client: User-Agents and pod deletes.

yurthub decides what to cache and which filters to run from the User-Agent (``kubelet/...``,
``kube-proxy/...``), so a simulated kubelet must say it is one: connect with
``AsyncioClient.from_kubeconfig(path, user_agent=USER_AGENT_KUBELET)``. Binding is the client's own
``bind_pod``; :func:`delete_pod_now` is how a kubelet ends a graceful deletion.
"""

from __future__ import annotations

import contextlib

from openyurt.adapters.kube.protocols import Client
from openyurt.errors import NotFoundError

USER_AGENT_KUBELET = "kubelet/v1.31.0 (linux/amd64) openyurt-sim"
USER_AGENT_KUBE_PROXY = "kube-proxy/v1.31.0 (linux/amd64) openyurt-sim"
USER_AGENT_CONTROLLERS = "kube-controller-manager/v1.31.0 (linux/amd64) openyurt-sim"
USER_AGENT_SCHEDULER = "kube-scheduler/v1.31.0 (linux/amd64) openyurt-sim"


async def delete_pod_now(client: Client, namespace: str, name: str, uid: str | None = None) -> None:
    """Finish a pod's deletion (``gracePeriodSeconds=0``); a pod already gone is fine."""
    with contextlib.suppress(NotFoundError):
        await client.delete("v1", "Pod", name, namespace, uid=uid, grace_period_seconds=0)
