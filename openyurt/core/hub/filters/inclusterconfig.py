"""inclusterconfig: edge kube-proxy uses in-cluster config, hence the hub, instead of a kubeconfig.

The ``kube-system/kube-proxy`` ConfigMap usually points kube-proxy at the apiserver through a
kubeconfig; commenting that line out makes kube-proxy fall back to the kubernetes Service, which
masterservice points at yurthub.
"""

from __future__ import annotations

from typing import Final

from openyurt.core.hub.filters import FilterContext, WireDict
from openyurt.core.wellknown import NAMESPACE_KUBE_SYSTEM

KUBE_PROXY_CONFIGMAP: Final = "kube-proxy"
KUBE_PROXY_DATA_KEY: Final = "config.conf"
KUBECONFIG_FIELD: Final = "kubeconfig"


def comment_kubeconfig(conf: str) -> str:
    """Comment out every ``kubeconfig: <path>`` line (first occurrence on the line gets a ``#``).

    A line qualifies when, with surrounding spaces trimmed, it splits on ``:`` into exactly two parts
    and the first is ``kubeconfig``; an already commented line does not, so this is idempotent.
    """
    lines = conf.split("\n")
    changed = False
    for i, line in enumerate(lines):
        items = line.strip(" ").split(":")
        if len(items) == 2 and items[0] == KUBECONFIG_FIELD:
            lines[i] = line.replace(KUBECONFIG_FIELD, "#" + KUBECONFIG_FIELD, 1)
            changed = True
    return "\n".join(lines) if changed else conf


class InClusterConfigFilter:
    """Comment out the kubeconfig line of ``kube-system/kube-proxy``'s ``config.conf``."""

    name: str = "inclusterconfig"
    default_components: frozenset[str] = frozenset({"kubelet"})
    resources: frozenset[tuple[str, str]] = frozenset({("", "configmaps")})
    verbs: frozenset[str] = frozenset({"get", "list", "watch"})

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        meta = obj.get("metadata")
        if not (
            isinstance(meta, dict)
            and meta.get("namespace") == NAMESPACE_KUBE_SYSTEM
            and meta.get("name") == KUBE_PROXY_CONFIGMAP
        ):
            return obj
        data = obj.get("data")
        if not isinstance(data, dict):
            return obj
        conf = data.get(KUBE_PROXY_DATA_KEY)
        if not isinstance(conf, str) or not conf:
            return obj
        new_conf = comment_kubeconfig(conf)
        if new_conf == conf:
            return obj
        return {**obj, "data": {**data, KUBE_PROXY_DATA_KEY: new_conf}}
