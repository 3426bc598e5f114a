"""Small builders for Nodes and Gateways used by the raven tests."""

from __future__ import annotations

from typing import Any

from openyurt.core.api.core_v1 import Node
from openyurt.core.api.raven_v1beta1 import Gateway


def node(name: str, gw: str | None, ip: str, cidr: str | None, ready: bool = True, **extra: Any) -> Node:
    labels = {"raven.openyurt.io/gateway": gw} if gw else {}
    data: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, **extra.get("metadata", {})},
        "spec": {"podCIDR": cidr} if cidr is not None else {},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "addresses": [{"type": "InternalIP", "address": ip}],
        },
    }
    return Node.model_validate(data)


def gateway(
    name: str,
    endpoints: list[str],
    *,
    tunnel: int = 1,
    proxy: int = 0,
    proxy_endpoints: list[str] = (),  # type: ignore[assignment]
    status: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
) -> Gateway:
    eps = [{"nodeName": n, "type": "tunnel", "port": 4500, "underNAT": False} for n in endpoints]
    eps += [{"nodeName": n, "type": "proxy", "port": 10262} for n in proxy_endpoints]
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return Gateway.model_validate(
        {
            "apiVersion": "raven.openyurt.io/v1beta1",
            "kind": "Gateway",
            "metadata": meta,
            "spec": {"tunnelConfig": {"Replicas": tunnel}, "proxyConfig": {"Replicas": proxy}, "endpoints": eps},
            "status": status or {},
        }
    )
