"""The three patch algorithms of the Kubernetes API server, as pure functions over JSON values.

``PATCH`` picks its algorithm from the Content-Type: RFC 6902 JSON patch, RFC 7386 merge patch, or
Kubernetes' strategic merge patch, which is a merge patch that merges some lists by a key instead of
replacing them and understands a few ``$``-directives. kubectl sends strategic patches for every
``apply``/``edit``/``patch`` on a built-in kind, so getting its list rules right is what keeps
``kubectl apply`` from wiping a container's env or a pod's other containers.

Upstream derives the list rules from Go struct tags (``patchStrategy``/``patchMergeKey``). We keep them
as data: one table per kind family, keyed by field path relative to the object, where list elements
are transparent (``spec.template.spec.containers.env``). Pod templates are mounted into every workload
table from one pod-spec table, so a rule is written once.

Every function is pure: inputs are never mutated, and a patch that cannot be applied raises
:class:`PatchError` naming the operation and the path, which the API server turns into a 422.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "STRATEGIC_KINDS",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "create_merge_patch",
    "json_equal",
    "patch_table",
]


class PatchError(ValueError):
    """A patch that cannot be applied; the message says what failed and where (the path)."""


# --------------------------------------------------------------------------------------------------
# JSON helpers


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1`` and ``1`` equals ``1.0``, unlike Python's ``==``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


# --------------------------------------------------------------------------------------------------
# RFC 6902 JSON patch

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_MAX_OPS = 10000


def _parse_pointer(pointer: Any, where: str) -> list[str]:
    """RFC 6901: ``""`` is the whole document, otherwise ``/``-separated tokens with ``~1``/``~0``."""
    if not isinstance(pointer, str):
        raise PatchError(f"{where}: path must be a string, got {type(pointer).__name__}")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"{where}: path {pointer!r} must start with '/'")
    tokens = []
    for raw in pointer[1:].split("/"):
        if re.search(r"~(?![01])", raw):
            raise PatchError(f"{where}: path {pointer!r} has an invalid '~' escape")
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tokens


def _list_index(container: list[Any], token: str, where: str, *, for_add: bool) -> int:
    if for_add and token == "-":
        return len(container)
    if not _INDEX.match(token):
        raise PatchError(f"{where}: {token!r} is not a valid array index")
    idx = int(token)
    limit = len(container) if for_add else len(container) - 1
    if idx > limit:
        raise PatchError(f"{where}: array index {idx} is out of bounds (length {len(container)})")
    return idx


def _resolve_parent(doc: Any, tokens: list[str], where: str) -> Any:
    """The container holding the last token; every step before it must exist."""
    cur = doc
    for depth, token in enumerate(tokens[:-1]):
        here = "/" + "/".join(tokens[: depth + 1])
        if isinstance(cur, dict):
            if token not in cur:
                raise PatchError(f"{where}: {here!r} does not exist")
            cur = cur[token]
        elif isinstance(cur, list):
            cur = cur[_list_index(cur, token, where, for_add=False)]
        else:
            raise PatchError(f"{where}: {here!r} does not exist (parent is not an object or array)")
    return cur


def _get(doc: Any, tokens: list[str], where: str) -> Any:
    if not tokens:
        return doc
    parent = _resolve_parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{where}: key {last!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_list_index(parent, last, where, for_add=False)]
    raise PatchError(f"{where}: parent of {last!r} is not an object or array")


def _add(doc: Any, tokens: list[str], value: Any, where: str) -> Any:
    if not tokens:
        return value
    parent = _resolve_parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_list_index(parent, last, where, for_add=True), value)
    else:
        raise PatchError(f"{where}: parent of {last!r} is not an object or array")
    return doc


def _remove(doc: Any, tokens: list[str], where: str) -> tuple[Any, Any]:
    """Remove the target and return ``(doc, removed value)``."""
    if not tokens:
        raise PatchError(f"{where}: cannot remove the whole document")
    parent = _resolve_parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{where}: key {last!r} does not exist")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_list_index(parent, last, where, for_add=False))
    raise PatchError(f"{where}: parent of {last!r} is not an object or array")


def apply_json_patch(doc: Any, ops: Any) -> Any:
    """Apply an RFC 6902 operation list to a copy of ``doc`` (the input is never changed).

    The whole list is validated for shape before any operation runs, so a malformed tenth op does not
    leave the caller guessing which earlier ones "happened" (none did: the result is all or nothing).
    """
    if not isinstance(ops, list):
        raise PatchError(f"json patch must be a list of operations, got {type(ops).__name__}")
    if len(ops) > _MAX_OPS:
        raise PatchError(f"json patch has {len(ops)} operations, more than the limit of {_MAX_OPS}")
    parsed: list[tuple[str, list[str], Any, list[str], str]] = []
    for i, op in enumerate(ops):
        where = f"json patch op {i}"
        if not isinstance(op, dict):
            raise PatchError(f"{where}: must be an object, got {type(op).__name__}")
        name = op.get("op")
        if name not in ("add", "remove", "replace", "move", "copy", "test"):
            raise PatchError(f"{where}: unknown or missing 'op' {name!r}")
        where = f"{where} ({name} {op.get('path')!r})"
        if "path" not in op:
            raise PatchError(f"{where}: missing 'path'")
        path = _parse_pointer(op["path"], where)
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"{where}: missing 'value'")
        src: list[str] = []
        if name in ("move", "copy"):
            if "from" not in op:
                raise PatchError(f"{where}: missing 'from'")
            src = _parse_pointer(op["from"], where)
            if name == "move" and len(src) < len(path) and path[: len(src)] == src:
                raise PatchError(f"{where}: cannot move {op['from']!r} into its own child")
        parsed.append((name, path, op.get("value"), src, where))

    out = _copy(doc)
    for name, path, value, src, where in parsed:
        if name == "add":
            out = _add(out, path, _copy(value), where)
        elif name == "remove":
            out, _ = _remove(out, path, where)
        elif name == "replace":
            if path:
                _get(out, path, where)  # the target must exist
                out, _ = _remove(out, path, where)
            out = _add(out, path, _copy(value), where)
        elif name == "move":
            if src == path:
                _get(out, src, where)
                continue
            if not src:
                raise PatchError(f"{where}: cannot move the whole document")
            out, moved = _remove(out, src, where)
            out = _add(out, path, moved, where)
        elif name == "copy":
            out = _add(out, path, _copy(_get(out, src, where)), where)
        else:  # test
            have = _get(out, path, where)
            if not json_equal(have, value):
                raise PatchError(f"{where}: test failed: value is {have!r}, expected {value!r}")
    return out


# --------------------------------------------------------------------------------------------------
# RFC 7386 merge patch


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes a key, everything else replaces."""
    if not isinstance(patch, dict):
        return _copy(patch)
    out = {k: _copy(v) for k, v in doc.items()} if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = apply_merge_patch(out.get(key), value)
        else:
            out[key] = _copy(value)
    return out


def create_merge_patch(original: Any, target: Any) -> Any:
    """The smallest RFC 7386 patch turning ``original`` into ``target``.

    Exact for targets without ``null`` values (a merge patch cannot set a key to null): then
    ``apply_merge_patch(original, create_merge_patch(original, target)) == target``.
    """
    if not isinstance(original, dict) or not isinstance(target, dict):
        return _copy(target)
    out: dict[str, Any] = {}
    for key in original:
        if key not in target:
            out[key] = None
    for key, value in target.items():
        if key not in original:
            out[key] = _copy(value)
        elif not json_equal(original[key], value):
            if isinstance(original[key], dict) and isinstance(value, dict):
                out[key] = create_merge_patch(original[key], value)
            else:
                out[key] = _copy(value)
    return out


# --------------------------------------------------------------------------------------------------
# Strategic merge patch: the per-kind list rules

#: (patchStrategy, patchMergeKey) as in the Go struct tags. Strategies: "merge" (lists merge by the
#: key; primitive lists merge as ordered sets), "merge,retainKeys", "retainKeys" (a map whose patch
#: may carry ``$retainKeys``). Paths not listed replace lists wholesale (tolerations, taints, args).
Rule = tuple[str, str]

_CONTAINER: dict[str, Rule] = {
    "ports": ("merge", "containerPort"),
    "env": ("merge", "name"),
    "volumeMounts": ("merge", "mountPath"),
    "volumeDevices": ("merge", "devicePath"),
}

_POD_SPEC: dict[str, Rule] = {
    "volumes": ("merge,retainKeys", "name"),
    "imagePullSecrets": ("merge", "name"),
    "hostAliases": ("merge", "ip"),
    "topologySpreadConstraints": ("merge", "topologyKey"),
    "resourceClaims": ("merge,retainKeys", "name"),
    "schedulingGates": ("merge", "name"),
    **{
        f"{containers}{sub}": rule
        for containers in ("containers", "initContainers", "ephemeralContainers")
        for sub, rule in {"": ("merge", "name"), **{f".{k}": v for k, v in _CONTAINER.items()}}.items()
    },
}

_OBJECT_META: dict[str, Rule] = {
    "finalizers": ("merge", ""),
    "ownerReferences": ("merge", "uid"),
}

_CONDITIONS: dict[str, Rule] = {"status.conditions": ("merge", "type")}


def _mount(prefix: str, table: Mapping[str, Rule]) -> dict[str, Rule]:
    return {f"{prefix}.{path}": rule for path, rule in table.items()}


def _with_meta(*tables: Mapping[str, Rule]) -> dict[str, Rule]:
    out = _mount("metadata", _OBJECT_META)
    for t in tables:
        out.update(t)
    return out


def _pod_template(prefix: str) -> dict[str, Rule]:
    return {**_mount(f"{prefix}.metadata", _OBJECT_META), **_mount(f"{prefix}.spec", _POD_SPEC)}


_POD = _with_meta(
    _mount("spec", _POD_SPEC),
    _CONDITIONS,
    {"status.podIPs": ("merge", "ip"), "status.hostIPs": ("merge", "ip")},
    {"status.resourceClaimStatuses": ("merge,retainKeys", "name")},
)
_WORKLOAD = _with_meta(_pod_template("spec.template"), _CONDITIONS)
_DEPLOYMENT = {**_WORKLOAD, "spec.strategy": ("retainKeys", "")}
_STATEFULSET = {**_WORKLOAD, **_mount("spec.volumeClaimTemplates.metadata", _OBJECT_META)}
_JOB = _WORKLOAD
_CRONJOB = _with_meta(
    _pod_template("spec.jobTemplate.spec.template"), _mount("spec.jobTemplate.metadata", _OBJECT_META)
)
_NODE = _with_meta(
    {"spec.podCIDRs": ("merge", ""), "status.conditions": ("merge", "type"), "status.addresses": ("merge", "type")}
)
_SERVICE = _with_meta({"spec.ports": ("merge", "port"), "status.conditions": ("merge", "type")})
_CONDITIONED = _with_meta(_CONDITIONS)
_PLAIN = _with_meta()

_TABLES: dict[tuple[str, str], dict[str, Rule]] = {
    ("v1", "Pod"): _POD,
    ("v1", "PodTemplate"): _with_meta(_pod_template("template")),
    ("v1", "ReplicationController"): _WORKLOAD,
    ("apps/v1", "Deployment"): _DEPLOYMENT,
    ("apps/v1", "StatefulSet"): _STATEFULSET,
    ("apps/v1", "DaemonSet"): _WORKLOAD,
    ("apps/v1", "ReplicaSet"): _WORKLOAD,
    ("apps/v1", "ControllerRevision"): _PLAIN,
    ("batch/v1", "Job"): _JOB,
    ("batch/v1", "CronJob"): _CRONJOB,
    ("v1", "Node"): _NODE,
    ("v1", "Service"): _SERVICE,
    ("v1", "Namespace"): _CONDITIONED,
    ("v1", "PersistentVolumeClaim"): _CONDITIONED,
    ("v1", "PersistentVolume"): _PLAIN,
    ("v1", "ConfigMap"): _PLAIN,
    ("v1", "Secret"): _PLAIN,
    ("v1", "ServiceAccount"): _with_meta({"secrets": ("merge", "name")}),
    ("v1", "Endpoints"): _PLAIN,
    ("v1", "Event"): _PLAIN,
    ("v1", "LimitRange"): _PLAIN,
    ("v1", "ResourceQuota"): _PLAIN,
    ("events.k8s.io/v1", "Event"): _PLAIN,
    ("coordination.k8s.io/v1", "Lease"): _PLAIN,
    ("discovery.k8s.io/v1", "EndpointSlice"): _PLAIN,
    ("rbac.authorization.k8s.io/v1", "Role"): _PLAIN,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): _PLAIN,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): _PLAIN,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): _PLAIN,
}

#: (apiVersion, kind) pairs strategic merge patch is defined for; anything else (custom resources)
#: gets 415 from the API server.
STRATEGIC_KINDS: frozenset[tuple[str, str]] = frozenset(_TABLES)


def patch_table(kind: str, api_version: str = "") -> Mapping[str, Rule]:
    """The list-rule table for a kind; without ``api_version`` the first kind of that name is used."""
    if api_version:
        table = _TABLES.get((api_version, kind))
    else:
        table = next((t for (_, k), t in _TABLES.items() if k == kind), None)
    if table is None:
        shown = f"{api_version}, Kind={kind}" if api_version else kind
        raise PatchError(f"strategic merge patch is not supported for {shown}")
    return table


# --------------------------------------------------------------------------------------------------
# Strategic merge patch: the algorithm

_PATCH = "$patch"
_RETAIN = "$retainKeys"
_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Strategic:
    """One strategic merge: the rule table plus the recursive merge of maps and lists."""

    def __init__(self, table: Mapping[str, Rule]) -> None:
        self.table = table

    def rule(self, path: str) -> Rule:
        return self.table.get(path, ("", ""))

    # maps -----------------------------------------------------------------------------------------

    def merge_map(self, original: dict[str, Any] | None, patch: dict[str, Any], path: str) -> dict[str, Any] | None:
        """Merge ``patch`` into a copy of ``original``; None means the patch said ``$patch: delete``."""
        where = path or "<root>"
        if _PATCH in patch:
            directive = patch[_PATCH]
            if directive == "replace":
                replaced: dict[str, Any] = self.clean({k: v for k, v in patch.items() if k != _PATCH}, path)
                return replaced
            if directive == "delete":
                return None
            # upstream accepts only replace and delete on a map; "merge" is refused there too
            raise PatchError(f"{where}: unknown $patch directive {directive!r} in a map (want replace or delete)")
        out: dict[str, Any] = _copy(original) if isinstance(original, dict) else {}
        rest = {k: v for k, v in patch.items() if k != _PATCH}

        if _RETAIN in rest:
            keep = rest.pop(_RETAIN)
            if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
                raise PatchError(f"{where}: $retainKeys must be a list of field names")
            for key in list(out):
                if key not in keep:
                    del out[key]

        # $setElementOrder first (it merges its list), then deletions from primitive lists, then the rest
        for key in [k for k in rest if k.startswith(_ORDER)]:
            field = key[len(_ORDER) :]
            order = rest.pop(key)
            self.set_element_order(out, rest, field, order, _child(path, field))
        for key in [k for k in rest if k.startswith(_DELETE_PRIMITIVE)]:
            field = key[len(_DELETE_PRIMITIVE) :]
            self.delete_from_primitive_list(out, field, rest.pop(key), _child(path, field))

        for key, value in rest.items():
            if key.startswith("$"):
                raise PatchError(f"{_child(path, key)}: unknown patch directive {key!r}")
            sub = _child(path, key)
            if value is None:
                out.pop(key, None)
                continue
            merged = self.merge_value(out.get(key), value, sub)
            if merged is _DROP:
                out.pop(key, None)
            else:
                out[key] = merged
        return out

    def merge_value(self, original: Any, patch: Any, path: str) -> Any:
        if isinstance(patch, dict):
            merged = self.merge_map(original if isinstance(original, dict) else None, patch, path)
            if merged is None:
                # "$patch: delete" empties an existing map (as upstream) and adds nothing for a missing one
                return {} if isinstance(original, dict) else _DROP
            return merged
        if isinstance(patch, list):
            return self.merge_list(original if isinstance(original, list) else [], patch, path)
        return _copy(patch)

    def clean(self, value: Any, path: str) -> Any:
        """A value taken as is: still strip nulls and directives, which must never be stored."""
        if isinstance(value, dict):
            merged = self.merge_map(None, value, path)
            return {} if merged is None else merged
        if isinstance(value, list):
            return [self.clean(v, path) for v in value if not (isinstance(v, dict) and _PATCH in v)]
        return _copy(value)

    # lists ----------------------------------------------------------------------------------------

    def merge_list(self, original: list[Any], patch: list[Any], path: str) -> list[Any]:
        strategy, key = self.rule(path)
        if "merge" not in strategy.split(","):
            return [self.clean(v, path) for v in patch if not (isinstance(v, dict) and _PATCH in v)]
        if not original and not patch:
            return []
        if key == "":
            return self.merge_primitives(original, patch, path)
        return self.merge_keyed(original, patch, key, path)

    def merge_primitives(self, original: list[Any], patch: list[Any], path: str) -> list[Any]:
        specials = [v for v in patch if isinstance(v, dict) and _PATCH in v]
        items = [v for v in patch if not (isinstance(v, dict) and _PATCH in v)]
        if any(isinstance(v, dict | list) for v in items + original):
            raise PatchError(f"{path}: a list merged as a set must hold only primitive values")
        for s in specials:
            if s.get(_PATCH) == "replace":
                return _dedupe(items)
            raise PatchError(f"{path}: unsupported $patch {s.get(_PATCH)!r} in a list of primitives")
        merged = _dedupe(original + items)
        return _order(merged, items, original, "")

    def merge_keyed(self, original: list[Any], patch: list[Any], key: str, path: str) -> list[Any]:
        for i, v in enumerate(patch):
            if not isinstance(v, dict):
                raise PatchError(f"{path}[{i}]: element of a list merged by {key!r} must be an object")
        current = [_copy(v) for v in original]
        plain: list[dict[str, Any]] = []
        replace = False
        for i, v in enumerate(patch):
            if _PATCH not in v:
                plain.append(v)
                continue
            directive = v[_PATCH]
            if directive == "delete":
                if key not in v:
                    raise PatchError(f"{path}[{i}]: $patch: delete needs the merge key {key!r}")
                current = [c for c in current if not (isinstance(c, dict) and json_equal(c.get(key), v[key]))]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                raise PatchError(f"{path}[{i}]: merging lists cannot yet be specified in the patch")
            else:
                raise PatchError(f"{path}[{i}]: unknown $patch directive {directive!r}")
        if replace:
            return [self.clean(v, path) for v in plain]
        for i, v in enumerate(plain):
            if key not in v:
                raise PatchError(f"{path}[{i}]: element does not contain the merge key {key!r}")
            at = next(
                (j for j, c in enumerate(current) if isinstance(c, dict) and json_equal(c.get(key), v[key])), None
            )
            if at is None:
                current.append(self.clean(v, path))
            else:
                merged = self.merge_map(current[at], v, path)
                current[at] = {} if merged is None else merged
        return _order(current, plain, original, key)

    # directives -----------------------------------------------------------------------------------

    def set_element_order(self, out: dict[str, Any], rest: dict[str, Any], field: str, order: Any, path: str) -> None:
        """``$setElementOrder/<field>``: merge the list, then sort it into the order given."""
        if not isinstance(order, list):
            raise PatchError(f"{path}: $setElementOrder must be a list")
        _, key = self.rule(path)
        patch_list = rest.pop(field, None)
        if patch_list is not None and not isinstance(patch_list, list):
            raise PatchError(f"{path}: expected a list next to $setElementOrder, got {type(patch_list).__name__}")
        original = out.get(field)
        if original is not None and not isinstance(original, list):
            original = None
        if key:
            for i, o in enumerate(order):
                if not isinstance(o, dict) or key not in o:
                    raise PatchError(f"{path}: $setElementOrder[{i}] must be an object with the merge key {key!r}")
        if patch_list is not None:
            wanted = [v for v in patch_list if not (isinstance(v, dict) and _PATCH in v)]
            at = 0
            for v in wanted:
                while at < len(order) and not _same(v, order[at], key):
                    at += 1
                if at == len(order):
                    raise PatchError(f"{path}: the patch list's order does not match $setElementOrder")
                at += 1
        if original is None and patch_list is None:
            return
        merged = _copy(original) if patch_list is None else self.merge_list(original or [], patch_list, path)
        out[field] = _order(merged, order, original or [], key)

    def delete_from_primitive_list(self, out: dict[str, Any], field: str, values: Any, path: str) -> None:
        if not isinstance(values, list):
            raise PatchError(f"{path}: $deleteFromPrimitiveList must be a list")
        current = out.get(field)
        if not isinstance(current, list):
            return
        out[field] = [v for v in current if not any(json_equal(v, d) for d in values)]


class _Drop:
    """Marker: the merged value vanished (a ``$patch: delete`` map)."""


_DROP: Any = _Drop()


def _same(a: Any, b: Any, key: str) -> bool:
    if key:
        return isinstance(a, dict) and isinstance(b, dict) and key in a and json_equal(a.get(key), b.get(key))
    return json_equal(a, b)


def _index(items: list[Any], item: Any, key: str) -> int:
    return next((i for i, v in enumerate(items) if _same(v, item, key)), -1)


def _dedupe(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in items:
        if not any(json_equal(v, o) for o in out):
            out.append(_copy(v))
    return out


def _order(merged: list[Any], patch_order: list[Any], server_order: list[Any], key: str) -> list[Any]:
    """Upstream's element ordering: patch items in patch order, server-only items in server order.

    The two runs are interleaved so that a server-only item stays ahead of a patch item it preceded
    in the live list; items new to the server come where the patch puts them.
    """
    in_patch = [v for v in merged if _index(patch_order, v, key) >= 0]
    server_only = [v for v in merged if _index(patch_order, v, key) < 0]
    in_patch.sort(key=lambda v: _index(patch_order, v, key))
    server_only.sort(key=lambda v: _index(server_order, v, key))
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(in_patch[j])
            j += 1
        else:
            si = _index(server_order, server_only[i], key)
            pi = _index(server_order, in_patch[j], key)
            if si >= 0 and pi >= 0 and si < pi:
                out.append(server_only[i])
                i += 1
            else:
                out.append(in_patch[j])
                j += 1
    return out


def apply_strategic_merge_patch(
    doc: dict[str, Any], patch: dict[str, Any], kind: str, api_version: str = ""
) -> dict[str, Any]:
    """Apply a Kubernetes strategic merge patch to a copy of a built-in object.

    Lists the kind's table marks ``merge`` are merged by their key (or as ordered sets of primitives);
    all other lists are replaced. Directives: ``$patch`` (replace/delete) in maps and list elements
    (``merge`` is refused, as upstream refuses it), ``$retainKeys``, ``$setElementOrder/<field>``,
    ``$deleteFromPrimitiveList/<field>``; ``null`` deletes a key. Nulls inside newly added values are
    dropped and no directive is ever left in the result.
    """
    table = patch_table(kind, api_version)
    if not isinstance(doc, dict):
        raise PatchError(f"strategic merge patch: the object must be a JSON object, got {type(doc).__name__}")
    if not isinstance(patch, dict):
        raise PatchError(f"strategic merge patch must be a JSON object, got {type(patch).__name__}")
    merged = _Strategic(table).merge_map(doc, patch, "")
    return {} if merged is None else merged
