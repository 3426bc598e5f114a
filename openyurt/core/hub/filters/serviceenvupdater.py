"""serviceenvupdater: pods' explicit KUBERNETES_SERVICE_HOST/PORT point at the hub.

Some workloads pin the apiserver address in their env; kubelet reads pods through the hub, so
rewriting the two variables (only where they already exist) sends those clients through the hub too.
"""

from __future__ import annotations

from typing import Any, Final

from openyurt.core.hub.filters import FilterContext, WireDict

ENV_SERVICE_HOST: Final = "KUBERNETES_SERVICE_HOST"
ENV_SERVICE_PORT: Final = "KUBERNETES_SERVICE_PORT"


def _rewrite_env(env: list[Any], host: str, port: str) -> list[Any] | None:
    out: list[Any] | None = None
    found_host = found_port = False
    for j, var in enumerate(env):
        if not isinstance(var, dict):
            continue
        name = var.get("name")
        if name == ENV_SERVICE_HOST:
            want = host
            found_host = True
        elif name == ENV_SERVICE_PORT:
            want = port
            found_port = True
        else:
            continue
        if var.get("value") != want:
            if out is None:
                out = list(env)
            out[j] = {**var, "value": want}
        if found_host and found_port:
            break
    return out


class ServiceEnvUpdaterFilter:
    """In every container (not init containers), set existing KUBERNETES_SERVICE_HOST/PORT to the hub."""

    name: str = "serviceenvupdater"
    default_components: frozenset[str] = frozenset({"kubelet"})
    resources: frozenset[tuple[str, str]] = frozenset({("", "pods")})
    verbs: frozenset[str] = frozenset({"list", "watch", "get", "patch"})
    #: only a pod naming one of the two variables is changed: every other pod passes unparsed
    raw_markers: tuple[bytes, ...] = (b"KUBERNETES_SERVICE_",)

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return obj
        containers = spec.get("containers")
        if not isinstance(containers, list):
            return obj
        port = str(ctx.hub_port)
        new_containers: list[Any] | None = None
        for i, container in enumerate(containers):
            if not isinstance(container, dict):
                continue
            env = container.get("env")
            if not isinstance(env, list):
                continue
            new_env = _rewrite_env(env, ctx.hub_host, port)
            if new_env is not None:
                if new_containers is None:
                    new_containers = list(containers)
                new_containers[i] = {**container, "env": new_env}
        if new_containers is None:
            return obj
        return {**obj, "spec": {**spec, "containers": new_containers}}
