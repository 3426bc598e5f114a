"""The canonical Go form: the one-pass and model-reading versions against the two-pass definition.

``canonical(v, tp)`` must equal ``prune_materialized(go_normalize(v, tp), v)`` exactly: same keys in
the same order, same value types (``json.dumps`` tells ``1`` from ``1.0`` and ``true`` from ``1``).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openyurt.core.api.apps_v1 import Deployment, StatefulSet
from openyurt.core.planners import revision as rev

LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 2.5]),
    st.sampled_from(["", "x", "1000m", "1Gi", " 2 "]),
)
JUNK = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(["a", "name"]), inner, max_size=2),
    max_leaves=6,
)


def typed(tp: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like ``tp`` with wrong types, nulls and unknown keys mixed in."""
    if depth > 5:
        return JUNK
    if tp.startswith("*"):
        return st.none() | typed(tp[1:], depth)
    if tp.startswith("[]"):
        return st.lists(typed(tp[2:], depth + 1), max_size=2) | JUNK
    if tp in rev.GO_TYPES:
        fields = rev.GO_TYPES[tp]
        keys = st.lists(st.sampled_from([*fields, "unknownKey"]), max_size=6, unique=True)
        struct = keys.flatmap(
            lambda ks: st.fixed_dictionaries({k: typed(fields[k][0], depth + 1) if k in fields else JUNK for k in ks})
        )
        return struct | JUNK if depth else struct
    return LEAF | JUNK | st.dictionaries(st.sampled_from(["cpu", "k"]), LEAF, max_size=2)


def _dump(value: Any) -> str:
    return json.dumps(value)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(rev.GO_TYPES)).flatmap(lambda tp: st.tuples(st.just(tp), typed(tp))))
def test_canonical_equals_pruned_go_form(case: tuple[str, Any]) -> None:
    tp, value = case
    want = _dump(rev.prune_materialized(rev.go_normalize(value, tp), value))
    assert _dump(rev.canonical(value, tp)) == want
    memo: rev.NormalizeMemo = {}
    assert _dump(rev.canonical(value, tp, memo)) == want
    assert _dump(rev.canonical(value, tp, memo)) == want  # a memo hit gives the same


META = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["w", ""]),
        "generateName": st.sampled_from(["w-", ""]),
        "namespace": st.just("default"),
        "uid": st.just("u"),
        "resourceVersion": st.just("7"),
        "generation": st.sampled_from([0, 3]),
        "creationTimestamp": st.sampled_from([None, "2024-01-01T00:00:00Z"]),
        "labels": st.sampled_from([None, {}, {"a": "b"}]),
        "annotations": st.sampled_from([{}, {"x": "y"}]),
        "ownerReferences": st.sampled_from(
            [[], [{"apiVersion": "v1", "kind": "K", "name": "n", "uid": "u", "controller": None}]]
        ),
        "finalizers": st.sampled_from([[], ["f"]]),
        "managedFields": st.just([{"manager": "m", "fieldsV1": {"f:spec": {}}}]),
        "unknownMeta": st.sampled_from([1.0, None]),
    },
)
WORKLOADS = st.builds(
    lambda kind, meta, status, extra: {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta,
        **({"status": status} if status != "absent" else {}),
        **extra,
    },
    st.sampled_from(["Deployment", "StatefulSet"]),
    META,
    st.sampled_from(["absent", None, {}, {"replicas": 2, "conditions": [{"type": "A", "status": "True"}]}]),
    st.sampled_from([{}, {"zExtra": {"a": 1.0}}, {"spec": None}, {"spec": {"replicas": 1}}]),
)
RAW = st.fixed_dictionaries(
    {}, optional={"labels": st.sampled_from([{}, {"p": "1"}]), "namespace": st.sampled_from(["", "ns"])}
)


@settings(max_examples=400, deadline=None)
@given(WORKLOADS, RAW)
def test_canonical_model_equals_canonical_of_the_dump(data: dict[str, Any], raw: dict[str, Any]) -> None:
    model = (Deployment if data["kind"] == "Deployment" else StatefulSet).model_validate(data)
    meta_wire = {**model.metadata.to_wire(), **raw}
    assert _dump(rev.canonical_model(model.metadata, "ObjectMeta", raw)) == _dump(
        rev.canonical_struct(meta_wire, "ObjectMeta")
    )
    fixed = {"spec": {"given": True}}
    root = {**model.to_wire(), "spec": None}
    assert _dump(rev.canonical_model(model, data["kind"], {}, fixed)) == _dump(
        rev.canonical_struct(root, data["kind"], None, fixed)
    )
    for part in (model, model.metadata, model.status):
        if part is not None:
            assert _dump(rev.model_wire(part)) == _dump(part.to_wire())
