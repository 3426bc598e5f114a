"""Hypothesis strategies derived from the wire models themselves.

Walking the pydantic fields (aliases, Optional, lists, maps, Literal enums, Int32 bounds, RFC 3339
times, schemaless trees) gives valid wire data for every registered kind without a hand-written
strategy per kind, so a new kind is property-tested the moment it is registered.
"""

from __future__ import annotations

import string
import types
import typing
from typing import Any, Literal, Union

import annotated_types
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from openyurt.core.api._base import OpenAPI, WireModel
from openyurt.core.api._resource import Resource

DNS_LABEL = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?\Z", fullmatch=True)
LABEL_KEY = st.one_of(DNS_LABEL, st.builds(lambda p, n: f"{p}.io/{n}", DNS_LABEL, DNS_LABEL))
TIME = st.builds(
    lambda y, mo, d, h, mi, s: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
    st.integers(2000, 2099),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
SHORT_TEXT = st.text(string.ascii_letters + string.digits + "-_./ ", max_size=12)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**31), 2**31 - 1), SHORT_TEXT)
JSON = st.recursive(
    JSON_SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(SHORT_TEXT, inner, max_size=3)),
    max_leaves=8,
)
JSON_OBJECT = st.dictionaries(SHORT_TEXT, JSON, max_size=3)


def _openapi_keys(metadata: list[Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for m in metadata:
        if isinstance(m, OpenAPI):
            keys.update(m.keys)
    return keys


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp, metadata = args[0], metadata + list(args[1:])
    return tp, metadata


def _flatten_metadata(metadata: list[Any]) -> list[Any]:
    out: list[Any] = []
    for m in metadata:
        if isinstance(m, FieldInfo):
            out.extend(m.metadata)
        else:
            out.append(m)
    return out


def for_type(tp: Any, metadata: list[Any] | None = None, *, name: str = "") -> st.SearchStrategy[Any]:
    tp, inner = _unwrap(tp)
    metadata = _flatten_metadata((metadata or []) + inner)
    oa = _openapi_keys(metadata)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(tp))
        if oa.get("x-kubernetes-int-or-string"):
            base: st.SearchStrategy[Any] = st.one_of(st.integers(0, 1000), SHORT_TEXT)
        else:
            base = st.one_of(*(for_type(a, metadata, name=name) for a in args))
        return st.one_of(base, st.none()) if nullable else base
    if oa.get("x-kubernetes-preserve-unknown-fields"):
        return JSON_OBJECT if (tp is dict or origin is dict) else JSON
    if origin is Literal:
        return st.sampled_from(typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp)
        return st.lists(for_type(item, name=name), max_size=3)
    if origin is dict:
        _, val = typing.get_args(tp)
        keys = LABEL_KEY if name in ("labels", "annotations", "matchLabels", "nodeSelector") else SHORT_TEXT
        return st.dictionaries(keys, for_type(val), max_size=3)
    if isinstance(tp, type) and issubclass(tp, WireModel):
        return model_data(tp)
    if tp is bool:
        return st.booleans()
    if tp is int:
        lo, hi = -(2**31), 2**31 - 1
        for m in metadata:
            if isinstance(m, annotated_types.Ge):
                lo = max(lo, int(m.ge))  # type: ignore[call-overload]
            elif isinstance(m, annotated_types.Le):
                hi = min(hi, int(m.le))  # type: ignore[call-overload]
            elif isinstance(m, annotated_types.Gt):
                lo = max(lo, int(m.gt) + 1)  # type: ignore[call-overload]
            elif isinstance(m, annotated_types.Lt):
                hi = min(hi, int(m.lt) - 1)  # type: ignore[call-overload]
        return st.integers(lo, hi)
    if tp is float:
        return st.floats(-1e6, 1e6, allow_nan=False)
    if tp is str:
        if oa.get("format") == "date-time":
            return TIME
        pattern = next((m.pattern for m in metadata if hasattr(m, "pattern") and m.pattern), None)
        if pattern:
            return st.from_regex(pattern, fullmatch=True).filter(lambda s: 0 < len(s) <= 60)
        min_len = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), 0)
        text = DNS_LABEL if name in ("name", "namespace", "nodeName") else SHORT_TEXT
        return text.filter(lambda s: len(s) >= min_len) if min_len else text
    if tp is Any or tp is object:
        return JSON
    raise NotImplementedError(f"no strategy for {tp!r}")


_CACHE: dict[type[WireModel], st.SearchStrategy[dict[str, Any]]] = {}


def model_data(cls: type[WireModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid wire data for ``cls``: required fields always, optional ones sometimes."""
    if cls in _CACHE:
        return _CACHE[cls]

    def build() -> st.SearchStrategy[dict[str, Any]]:
        required: dict[str, st.SearchStrategy[Any]] = {}
        optional: dict[str, st.SearchStrategy[Any]] = {}
        for fname, f in cls.model_fields.items():
            alias = f.alias or fname
            if issubclass(cls, Resource) and alias in ("apiVersion", "kind"):
                continue
            strat = for_type(f.annotation, list(f.metadata), name=alias)
            (required if f.is_required() else optional)[alias] = strat
        fixed: dict[str, Any] = {}
        if issubclass(cls, Resource) and hasattr(cls, "info"):
            fixed = {"apiVersion": cls.info.api_version, "kind": cls.info.kind}
        return st.fixed_dictionaries(required, optional=optional).map(lambda d: {**fixed, **d})

    strat = st.deferred(build)
    _CACHE[cls] = strat
    return strat


def resource_data(cls: type[Resource]) -> st.SearchStrategy[dict[str, Any]]:
    """Wire data for a top-level kind with a valid name (and namespace when namespaced)."""
    meta = st.fixed_dictionaries(
        {"name": DNS_LABEL},
        optional={
            "labels": st.dictionaries(LABEL_KEY, DNS_LABEL, max_size=3),
            "annotations": st.dictionaries(LABEL_KEY, SHORT_TEXT, max_size=3),
            "resourceVersion": st.integers(1, 10**6).map(str),
            "uid": st.uuids().map(str),
            "creationTimestamp": TIME,
        },
    )
    if cls.info.namespaced:
        meta = meta.map(lambda m: {**m, "namespace": "default"})
    return st.tuples(model_data(cls), meta).map(lambda t: {**t[0], "metadata": t[1]})


# --------------------------------------------------------------------------------------------------
# Invalid mutations: put a value of the wrong JSON type at a typed path and expect that path named

_WRONG = {"string": 12345, "integer": "not-a-number", "boolean": "yes", "array": "not-a-list", "object": ["x"]}


def typed_leaves(cls: type[WireModel], data: dict[str, Any], prefix: str = "") -> list[tuple[list[Any], str, str]]:
    """(location, rendered path, json type) of every set field whose type is checked."""
    out: list[tuple[list[Any], str, str]] = []
    for fname, f in cls.model_fields.items():
        alias = f.alias or fname
        if alias not in data or data[alias] is None:
            continue
        if issubclass(cls, Resource) and alias in ("apiVersion", "kind"):
            continue
        tp, meta = _unwrap(f.annotation)
        meta = _flatten_metadata(list(f.metadata) + meta)
        if _openapi_keys(meta).get("x-kubernetes-preserve-unknown-fields") or _openapi_keys(meta).get(
            "x-kubernetes-int-or-string"
        ):
            continue
        args = (
            [a for a in typing.get_args(tp) if a is not type(None)]
            if typing.get_origin(tp) in (Union, types.UnionType)
            else [tp]
        )
        if len(args) != 1:
            continue
        tp, more = _unwrap(args[0])
        if _openapi_keys(_flatten_metadata(more)).get("x-kubernetes-int-or-string"):
            continue
        path = f"{prefix}.{alias}" if prefix else alias
        origin = typing.get_origin(tp)
        if tp is str:
            out.append(([alias], path, "string"))
        elif tp is bool:
            out.append(([alias], path, "boolean"))
        elif tp is int:
            out.append(([alias], path, "integer"))
        elif origin is list:
            out.append(([alias], path, "array"))
            (item,) = typing.get_args(tp)
            item, _ = _unwrap(item)
            if isinstance(item, type) and issubclass(item, WireModel):
                for i, elem in enumerate(data[alias]):
                    if isinstance(elem, dict):
                        for loc, p, t in typed_leaves(item, elem, f"{path}[{i}]"):
                            out.append(([alias, i, *loc], p, t))
        elif isinstance(tp, type) and issubclass(tp, WireModel):
            out.append(([alias], path, "object"))
            for loc, p, t in typed_leaves(tp, data[alias], path):
                out.append(([alias, *loc], p, t))
    return out


def mutate(data: dict[str, Any], loc: list[Any], json_type: str) -> dict[str, Any]:
    """A deep copy of ``data`` with the value at ``loc`` replaced by one of the wrong JSON type."""
    import copy

    out = copy.deepcopy(data)
    node: Any = out
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = _WRONG[json_type]
    return out
