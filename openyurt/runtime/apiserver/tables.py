"""Server-side printing: ``meta.k8s.io/v1 Table`` answers for ``kubectl get``.

kubectl no longer prints built-in kinds itself, so without these columns every type would show only
NAME and AGE. Built-ins get the columns a real server prints; custom resources get their CRD's
``additionalPrinterColumns`` (evaluated with a small JSONPath subset) or a single Age column.
Every cell is computed defensively: a malformed object prints ``<unknown>``, never fails the request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from openyurt.runtime.apiserver.registry import ResourceType

Row = Callable[[dict[str, Any]], list[Any]]
_NONE = "<none>"


def _col(name: str, type_: str = "string", priority: int = 0, fmt: str = "", desc: str = "") -> dict[str, Any]:
    return {"name": name, "type": type_, "format": fmt, "description": desc or name, "priority": priority}


_NAME = _col("Name", fmt="name", desc="Name must be unique within a namespace.")
_AGE = _col("Age", desc="CreationTimestamp is a timestamp representing the server time when this object was created.")


def _d(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def age(obj: dict[str, Any], now: dt.datetime | None = None) -> str:
    ts = _d(obj, "metadata", "creationTimestamp")
    if not isinstance(ts, str):
        return "<unknown>"
    try:
        t = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    secs = int(((now or dt.datetime.now(dt.UTC)) - t).total_seconds())
    return human_duration(secs)


def human_duration(secs: int) -> str:
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    mins = secs // 60
    if mins < 10:
        s = secs % 60
        return f"{mins}m{s}s" if s else f"{mins}m"
    if mins < 180:
        return f"{mins}m"
    hours = secs // 3600
    if hours < 8:
        m = mins % 60
        return f"{hours}h{m}m" if m else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        h = hours % 24
        return f"{days}d{h}h" if h else f"{days}d"
    if days < 730:
        return f"{days}d"
    return f"{days // 365}y{days % 365}d"


def _name(o: dict[str, Any]) -> str:
    return str(_d(o, "metadata", "name") or "")


def _pod_row(o: dict[str, Any]) -> list[Any]:
    cs = _list(_d(o, "spec", "containers"))
    statuses = _list(_d(o, "status", "containerStatuses"))
    ready = sum(1 for s in statuses if isinstance(s, dict) and s.get("ready") is True)
    restarts = sum(
        int(s.get("restartCount") or 0)
        for s in statuses
        if isinstance(s, dict) and isinstance(s.get("restartCount"), int)
    )
    reason = _d(o, "status", "reason") or _d(o, "status", "phase") or "Unknown"
    for s in statuses:
        waiting = _d(s, "state", "waiting", "reason")
        if isinstance(waiting, str) and waiting:
            reason = waiting
    if _d(o, "metadata", "deletionTimestamp"):
        reason = "Terminating"
    node = _d(o, "spec", "nodeName") or _NONE
    ip = _d(o, "status", "podIP") or _NONE
    return [
        _name(o),
        f"{ready}/{len(cs)}",
        str(reason),
        str(restarts),
        age(o),
        str(ip),
        str(node),
        str(_d(o, "status", "nominatedNodeName") or _NONE),
        _NONE,
    ]


def _node_row(o: dict[str, Any]) -> list[Any]:
    status = "Unknown"
    for c in _list(_d(o, "status", "conditions")):
        if isinstance(c, dict) and c.get("type") == "Ready":
            status = "Ready" if c.get("status") == "True" else "NotReady"
    if _d(o, "spec", "unschedulable") is True:
        status += ",SchedulingDisabled"
    labels = _d(o, "metadata", "labels") or {}
    roles = sorted(
        k.split("/", 1)[1]
        for k in labels
        if isinstance(k, str) and k.startswith("node-role.kubernetes.io/") and "/" in k
    )
    addrs = {a.get("type"): a.get("address") for a in _list(_d(o, "status", "addresses")) if isinstance(a, dict)}
    info = _d(o, "status", "nodeInfo") or {}
    return [
        _name(o),
        status,
        ",".join(roles) or _NONE,
        age(o),
        str(_d(info, "kubeletVersion") or ""),
        str(addrs.get("InternalIP") or _NONE),
        str(addrs.get("ExternalIP") or _NONE),
        str(_d(info, "osImage") or "<unknown>"),
        str(_d(info, "kernelVersion") or "<unknown>"),
        str(_d(info, "containerRuntimeVersion") or "<unknown>"),
    ]


def _containers(o: dict[str, Any]) -> tuple[str, str]:
    cs = [c for c in _list(_d(o, "spec", "template", "spec", "containers")) if isinstance(c, dict)]
    return ",".join(str(c.get("name", "")) for c in cs), ",".join(str(c.get("image", "")) for c in cs)


def _selector(o: dict[str, Any]) -> str:
    ml = _d(o, "spec", "selector", "matchLabels")
    if isinstance(ml, dict) and ml:
        return ",".join(f"{k}={v}" for k, v in ml.items())
    return _NONE


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _deploy_row(o: dict[str, Any]) -> list[Any]:
    c, i = _containers(o)
    want = _d(o, "spec", "replicas")
    want = 1 if want is None else _int(want)
    return [
        _name(o),
        f"{_int(_d(o, 'status', 'readyReplicas'))}/{want}",
        _int(_d(o, "status", "updatedReplicas")),
        _int(_d(o, "status", "availableReplicas")),
        age(o),
        c,
        i,
        _selector(o),
    ]


def _sts_row(o: dict[str, Any]) -> list[Any]:
    c, i = _containers(o)
    want = _d(o, "spec", "replicas")
    want = 1 if want is None else _int(want)
    return [_name(o), f"{_int(_d(o, 'status', 'readyReplicas'))}/{want}", age(o), c, i]


def _ds_row(o: dict[str, Any]) -> list[Any]:
    c, i = _containers(o)
    s = _d(o, "status") or {}
    ns = _d(o, "spec", "template", "spec", "nodeSelector")
    nsel = ",".join(f"{k}={v}" for k, v in ns.items()) if isinstance(ns, dict) and ns else _NONE
    return [
        _name(o),
        _int(_d(s, "desiredNumberScheduled")),
        _int(_d(s, "currentNumberScheduled")),
        _int(_d(s, "numberReady")),
        _int(_d(s, "updatedNumberScheduled")),
        _int(_d(s, "numberAvailable")),
        nsel,
        age(o),
        c,
        i,
        _selector(o),
    ]


def _rs_row(o: dict[str, Any]) -> list[Any]:
    c, i = _containers(o)
    want = _d(o, "spec", "replicas")
    want = 1 if want is None else _int(want)
    return [
        _name(o),
        want,
        _int(_d(o, "status", "replicas")),
        _int(_d(o, "status", "readyReplicas")),
        age(o),
        c,
        i,
        _selector(o),
    ]


def _svc_row(o: dict[str, Any]) -> list[Any]:
    ports = []
    for p in _list(_d(o, "spec", "ports")):
        if isinstance(p, dict):
            s = f"{p.get('port')}"
            if p.get("nodePort"):
                s += f":{p.get('nodePort')}"
            ports.append(f"{s}/{p.get('protocol') or 'TCP'}")
    sel = _d(o, "spec", "selector")
    return [
        _name(o),
        str(_d(o, "spec", "type") or "ClusterIP"),
        str(_d(o, "spec", "clusterIP") or _NONE),
        _NONE,
        ",".join(ports) or _NONE,
        age(o),
        ",".join(f"{k}={v}" for k, v in sel.items()) if isinstance(sel, dict) and sel else _NONE,
    ]


def _lease_row(o: dict[str, Any]) -> list[Any]:
    return [_name(o), str(_d(o, "spec", "holderIdentity") or ""), age(o)]


def _ns_row(o: dict[str, Any]) -> list[Any]:
    return [_name(o), str(_d(o, "status", "phase") or "Active"), age(o)]


def _cm_row(o: dict[str, Any]) -> list[Any]:
    data = _d(o, "data")
    bdata = _d(o, "binaryData")
    n = (len(data) if isinstance(data, dict) else 0) + (len(bdata) if isinstance(bdata, dict) else 0)
    return [_name(o), n, age(o)]


def _secret_row(o: dict[str, Any]) -> list[Any]:
    data = _d(o, "data")
    return [_name(o), str(_d(o, "type") or "Opaque"), len(data) if isinstance(data, dict) else 0, age(o)]


def _crd_row(o: dict[str, Any]) -> list[Any]:
    return [_name(o), str(_d(o, "metadata", "creationTimestamp") or "")]


def _event_row(o: dict[str, Any]) -> list[Any]:
    io = _d(o, "involvedObject") or {}
    return [
        str(_d(o, "lastTimestamp") or _d(o, "eventTime") or ""),
        str(_d(o, "type") or ""),
        str(_d(o, "reason") or ""),
        f"{str(_d(io, 'kind') or '').lower()}/{_d(io, 'name') or ''}",
        str(_d(o, "message") or ""),
    ]


_S, _I = "string", "integer"
_BUILTIN: dict[tuple[str, str], tuple[list[dict[str, Any]], Row]] = {
    ("", "pods"): (
        [
            _NAME,
            _col("Ready"),
            _col("Status"),
            _col("Restarts"),
            _AGE,
            _col("IP", priority=1),
            _col("Node", priority=1),
            _col("Nominated Node", priority=1),
            _col("Readiness Gates", priority=1),
        ],
        _pod_row,
    ),
    ("", "nodes"): (
        [
            _NAME,
            _col("Status"),
            _col("Roles"),
            _AGE,
            _col("Version"),
            _col("Internal-IP", priority=1),
            _col("External-IP", priority=1),
            _col("OS-Image", priority=1),
            _col("Kernel-Version", priority=1),
            _col("Container-Runtime", priority=1),
        ],
        _node_row,
    ),
    ("apps", "deployments"): (
        [
            _NAME,
            _col("Ready"),
            _col("Up-to-date", _I),
            _col("Available", _I),
            _AGE,
            _col("Containers", priority=1),
            _col("Images", priority=1),
            _col("Selector", priority=1),
        ],
        _deploy_row,
    ),
    ("apps", "statefulsets"): (
        [_NAME, _col("Ready"), _AGE, _col("Containers", priority=1), _col("Images", priority=1)],
        _sts_row,
    ),
    ("apps", "daemonsets"): (
        [
            _NAME,
            _col("Desired", _I),
            _col("Current", _I),
            _col("Ready", _I),
            _col("Up-to-date", _I),
            _col("Available", _I),
            _col("Node Selector"),
            _AGE,
            _col("Containers", priority=1),
            _col("Images", priority=1),
            _col("Selector", priority=1),
        ],
        _ds_row,
    ),
    ("apps", "replicasets"): (
        [
            _NAME,
            _col("Desired", _I),
            _col("Current", _I),
            _col("Ready", _I),
            _AGE,
            _col("Containers", priority=1),
            _col("Images", priority=1),
            _col("Selector", priority=1),
        ],
        _rs_row,
    ),
    ("", "services"): (
        [
            _NAME,
            _col("Type"),
            _col("Cluster-IP"),
            _col("External-IP"),
            _col("Port(s)"),
            _AGE,
            _col("Selector", priority=1),
        ],
        _svc_row,
    ),
    ("coordination.k8s.io", "leases"): ([_NAME, _col("Holder"), _AGE], _lease_row),
    ("", "namespaces"): ([_NAME, _col("Status"), _AGE], _ns_row),
    ("", "configmaps"): ([_NAME, _col("Data", _I), _AGE], _cm_row),
    ("", "secrets"): ([_NAME, _col("Type"), _col("Data", _I), _AGE], _secret_row),
    ("apiextensions.k8s.io", "customresourcedefinitions"): ([_NAME, _col("Created At", "date")], _crd_row),
    ("", "events"): ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")], _event_row),
}


# -- JSONPath subset for additionalPrinterColumns ---------------------------------------------------
_TOKEN = re.compile(
    r"\.([A-Za-z0-9_\-/$]+)|\[(\d+|\*)\]|\['([^']*)'\]|\[\?\(@\.([A-Za-z0-9_.\-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]"
)


def jsonpath(obj: Any, expr: str) -> list[Any]:
    """Evaluate ``.a.b[0]``, ``.a[*].b``, ``.a['x.y']`` and ``[?(@.k=="v")]`` against ``obj``."""
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    if expr.startswith("$"):
        expr = expr[1:]
    if expr and not expr.startswith((".", "[")):
        expr = "." + expr
    cur = [obj]
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            return []
        pos = m.end()
        nxt: list[Any] = []
        for v in cur:
            if m.group(1) is not None or m.group(3) is not None:
                k = m.group(1) if m.group(1) is not None else m.group(3)
                if isinstance(v, dict) and k in v:
                    nxt.append(v[k])
            elif m.group(2) is not None:
                if isinstance(v, list):
                    if m.group(2) == "*":
                        nxt.extend(v)
                    elif int(m.group(2)) < len(v):
                        nxt.append(v[int(m.group(2))])
            else:
                if isinstance(v, list):
                    for item in v:
                        got = jsonpath(item, "." + m.group(4))
                        if got and str(got[0]) == m.group(5):
                            nxt.append(item)
        cur = nxt
    return cur


def _cell(obj: dict[str, Any], col: dict[str, Any]) -> Any:
    vals = jsonpath(obj, str(col.get("jsonPath", "")))
    if not vals:
        return None
    v = vals[0] if len(vals) == 1 else ",".join(str(x) for x in vals)
    t = col.get("type")
    if t == "integer":
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if t == "number":
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None
    if t == "boolean":
        return v if isinstance(v, bool) else None
    if t == "date":
        return age({"metadata": {"creationTimestamp": v}}) if isinstance(v, str) else None
    if isinstance(v, dict | list):
        import json

        return json.dumps(v, separators=(",", ":"))
    return v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)


def columns_and_rows(rt: ResourceType, version: str) -> tuple[list[dict[str, Any]], Row]:
    hit = _BUILTIN.get((rt.group, rt.plural)) if rt.builtin else None
    if hit is not None:
        return hit
    if rt.builtin:
        return [_NAME, _AGE], lambda o: [_name(o), age(o)]
    cols = rt.printer_columns.get(version) or []
    if not cols:
        defs = [_NAME, _col("Age", "date", desc=_AGE["description"])]
        return defs, lambda o: [_name(o), age(o)]
    defs = [_NAME] + [
        _col(
            str(c["name"]),
            str(c.get("type", "string")),
            int(c.get("priority") or 0),
            str(c.get("format") or ""),
            str(c.get("description") or c["name"]),
        )
        for c in cols
    ]
    return defs, lambda o: [_name(o)] + [_cell(o, c) for c in cols]


def partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def make_row(row_fn: Row, obj: dict[str, Any], include: str) -> dict[str, Any]:
    try:
        cells = row_fn(obj)
    except Exception:  # a malformed object prints as unknown, never fails the list
        cells = [_name(obj)]
    row: dict[str, Any] = {"cells": cells}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = partial_metadata(obj)
    return row


def table(
    rt: ResourceType,
    version: str,
    objs: list[dict[str, Any]],
    rv: str,
    cont: str = "",
    include: str = "Metadata",
    headers: bool = True,
    remaining: int | None = None,
) -> dict[str, Any]:
    defs, row_fn = columns_and_rows(rt, version)
    meta: dict[str, Any] = {"resourceVersion": rv}
    if cont:
        meta["continue"] = cont
    if remaining is not None:
        meta["remainingItemCount"] = remaining
    out: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    out["columnDefinitions"] = defs if headers else None
    out["rows"] = [make_row(row_fn, o, include) for o in objs]
    return out
