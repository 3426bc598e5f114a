"""The simulated components' client: our Kubernetes adapter plus a User-Agent, pod binding and
grace-period deletes.

yurthub decides what to cache and which filters to run from the User-Agent (``kubelet/...``,
``kube-proxy/...``), so a simulated kubelet must say it is one. Binding (``POST pods/{name}/binding``)
and ``gracePeriodSeconds=0`` deletes are not part of the generic client protocol; components use them
through :func:`bind_pod` and :func:`delete_pod_now`, which fall back to a ``spec.nodeName`` patch and a
plain delete on other clients (the in-memory one deletes at once anyway).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes_asyncio.config import new_client_from_config
from kubernetes_asyncio.config.config_exception import ConfigException

from openyurt.adapters.kube.asyncio_client import AsyncioClient
from openyurt.adapters.kube.protocols import Client
from openyurt.errors import ApiError, NotFoundError

USER_AGENT_KUBELET = "kubelet/v1.31.0 (linux/amd64) openyurt-sim"
USER_AGENT_KUBE_PROXY = "kube-proxy/v1.31.0 (linux/amd64) openyurt-sim"
USER_AGENT_CONTROLLERS = "kube-controller-manager/v1.31.0 (linux/amd64) openyurt-sim"
USER_AGENT_SCHEDULER = "kube-scheduler/v1.31.0 (linux/amd64) openyurt-sim"


class SimClient(AsyncioClient):
    """:class:`AsyncioClient` with a fixed User-Agent, pod binding and deletes with a grace period."""

    @classmethod
    async def connect(
        cls, kubeconfig: str | Path, *, user_agent: str, request_timeout: float = 10.0, context: str | None = None
    ) -> SimClient:
        try:
            api = await new_client_from_config(config_file=str(kubeconfig), context=context, persist_config=False)
        except (ConfigException, OSError, ValueError) as exc:
            raise ApiError(0, "BadConfig", f"cannot load kubeconfig {kubeconfig}: {exc}") from exc
        api.user_agent = user_agent
        return cls(api, request_timeout=request_timeout)

    async def bind(self, namespace: str, name: str, node: str) -> None:
        rt = await self.resolve("v1", "Pod")
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }
        await self._call("POST", self._path(rt, namespace, name, "binding"), body=body)

    async def delete_with_grace(self, namespace: str, name: str, grace_seconds: int, uid: str | None = None) -> None:
        rt = await self.resolve("v1", "Pod")
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": grace_seconds}
        if uid:
            options["preconditions"] = {"uid": uid}
        await self._call("DELETE", self._path(rt, namespace, name), body=options)


async def bind_pod(client: Client, namespace: str, name: str, node: str) -> None:
    """Bind through ``pods/binding`` when the client can, else patch ``spec.nodeName``."""
    if isinstance(client, SimClient):
        try:
            await client.bind(namespace, name, node)
            return
        except ApiError as exc:
            if exc.code not in (404, 405):  # a server without the subresource; a gone pod 404s below too
                raise
    await client.patch("v1", "Pod", name, {"spec": {"nodeName": node}}, namespace)


async def delete_pod_now(client: Client, namespace: str, name: str, uid: str | None = None) -> None:
    """Finish a pod's deletion (``gracePeriodSeconds=0``); a pod already gone is fine."""
    try:
        if isinstance(client, SimClient):
            await client.delete_with_grace(namespace, name, 0, uid)
        else:
            await client.delete("v1", "Pod", name, namespace, uid=uid)
    except NotFoundError:
        pass
