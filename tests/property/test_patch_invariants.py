"""Properties of the pure API-machinery libraries (patches, selectors, structural schemas).

- merge_patch_reproduces_target: applying ``create_merge_patch(a, b)`` to ``a`` gives ``b`` (b without nulls).
- merge_patch_idempotent: applying the same merge patch twice changes nothing more.
- merge_patch_of_identity_is_empty: the diff of an object with itself is ``{}``.
- patches_never_mutate_inputs: JSON, merge and strategic patches leave their arguments alone.
- json_patch_add_remove_inverse: ``add`` of a new member then ``remove`` of it restores the document.
- json_patch_test_after_add: after ``add``/``replace`` at a path, ``test`` of that value passes.
- json_patch_move_inverse: moving a member away and back restores the document.
- json_patch_pointer_escapes: any key, ``~`` and ``/`` included, is addressable through its escaped pointer.
- strategic_equals_merge_without_lists: on a kind without list rules a directive-free strategic patch is a merge patch.
- strategic_keyed_merge_unions_keys: merging containers by name keeps one element per name, old and new.
- strategic_never_stores_directives: no ``$`` key survives a strategic merge.
- label_selector_round_trip: ``parse(format(s)) == s`` and both match the same label sets.
- field_selector_round_trip: values with ``, = \\`` survive format and parse.
- prune_idempotent: pruning a pruned object changes nothing and reports nothing.
- prune_leaves_no_unknown_fields: ``validate(prune(x))`` never reports a forbidden (unknown) property.
- defaults_idempotent: defaulting a defaulted object changes nothing; inputs are not mutated.
- patch_functions_are_total / schema_functions_are_total / selector_parsers_are_total: any input either
  works or raises the module's own error (PatchError, SchemaError, SelectorError); a schema that passes
  ``is_structural`` never makes validate/prune/apply_defaults raise.
"""

from __future__ import annotations

import contextlib
import copy
import os
import string
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from openyurt.core.openapi import SchemaError, apply_defaults, is_structural, prune, validate
from openyurt.core.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    create_merge_patch,
)
from openyurt.core.selectors import (
    FieldRequirement,
    FieldSelectorExpr,
    LabelSelectorExpr,
    Requirement,
    SelectorError,
    format_field_selector,
    format_label_selector,
    parse_field_selector,
    parse_label_selector,
)

SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

KEYS = st.sampled_from(["a", "b", "c", "d", "e"])
ANY_KEY = st.text(max_size=6)
SCALAR = st.one_of(st.booleans(), st.integers(-1000, 1000), st.text(string.ascii_letters, max_size=4))
SCALAR_OR_NULL = st.one_of(st.none(), SCALAR)


def json_values(leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str] = KEYS) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12,
    )


JSON = json_values(SCALAR_OR_NULL)
JSON_NO_NULL = json_values(SCALAR)
OBJECT = st.dictionaries(KEYS, JSON, max_size=4)


# --------------------------------------------------------------------------------------------------
# Merge patch


@SETTINGS
@given(a=JSON, b=JSON_NO_NULL)
def test_merge_patch_reproduces_target(a: Any, b: Any) -> None:
    assert apply_merge_patch(a, create_merge_patch(a, b)) == b


@SETTINGS
@given(a=JSON, patch=JSON)
def test_merge_patch_idempotent(a: Any, patch: Any) -> None:
    once = apply_merge_patch(a, patch)
    assert apply_merge_patch(once, patch) == once


@SETTINGS
@given(a=OBJECT)
def test_merge_patch_of_identity_is_empty(a: dict[str, Any]) -> None:
    assert create_merge_patch(a, copy.deepcopy(a)) == {}


@SETTINGS
@given(a=OBJECT, patch=OBJECT)
def test_patches_never_mutate_inputs(a: dict[str, Any], patch: dict[str, Any]) -> None:
    a_before, patch_before = copy.deepcopy(a), copy.deepcopy(patch)
    apply_merge_patch(a, patch)
    create_merge_patch(a, patch)
    apply_strategic_merge_patch(a, patch, "ConfigMap", "v1")
    for key in a:
        apply_json_patch(a, [{"op": "remove", "path": f"/{key}"}])
    assert a == a_before and patch == patch_before


# --------------------------------------------------------------------------------------------------
# JSON patch


def pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


@SETTINGS
@given(doc=OBJECT, key=ANY_KEY, value=JSON)
def test_json_patch_add_remove_inverse(doc: dict[str, Any], key: str, value: Any) -> None:
    assume(key not in doc)
    added = apply_json_patch(doc, [{"op": "add", "path": pointer(key), "value": value}])
    assert apply_json_patch(added, [{"op": "remove", "path": pointer(key)}]) == doc


@SETTINGS
@given(items=st.lists(JSON, max_size=5), value=JSON, data=st.data())
def test_json_patch_add_remove_inverse_in_arrays(items: list[Any], value: Any, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(items)))
    doc = {"l": items}
    added = apply_json_patch(doc, [{"op": "add", "path": f"/l/{index}", "value": value}])
    assert added["l"][index] == value
    assert apply_json_patch(added, [{"op": "remove", "path": f"/l/{index}"}]) == doc


@SETTINGS
@given(doc=OBJECT, key=KEYS, value=JSON, op=st.sampled_from(["add", "replace"]))
def test_json_patch_test_after_add(doc: dict[str, Any], key: str, value: Any, op: str) -> None:
    assume(op == "add" or key in doc)
    ops = [{"op": op, "path": f"/{key}", "value": value}, {"op": "test", "path": f"/{key}", "value": value}]
    assert apply_json_patch(doc, ops)[key] == value


@SETTINGS
@given(doc=OBJECT, data=st.data())
def test_json_patch_move_inverse(doc: dict[str, Any], data: st.DataObject) -> None:
    assume(doc)
    src = data.draw(st.sampled_from(sorted(doc)))
    dst = data.draw(ANY_KEY.filter(lambda k: k not in doc))
    there = apply_json_patch(doc, [{"op": "move", "from": pointer(src), "path": pointer(dst)}])
    assert src not in there and there[dst] == doc[src]
    assert apply_json_patch(there, [{"op": "move", "from": pointer(dst), "path": pointer(src)}]) == doc


@SETTINGS
@given(key=st.text(alphabet="a~/01", max_size=8), value=SCALAR)
def test_json_patch_pointer_escapes(key: str, value: Any) -> None:
    out = apply_json_patch({}, [{"op": "add", "path": pointer(key), "value": value}])
    assert out == {key: value}
    apply_json_patch(out, [{"op": "test", "path": pointer(key), "value": value}])


# --------------------------------------------------------------------------------------------------
# Strategic merge patch

NO_LIST_RULES = st.dictionaries(st.sampled_from(["data", "binaryData", "immutable", "x"]), JSON, max_size=3)
NULL_FREE_PATCH = st.dictionaries(
    st.sampled_from(["data", "binaryData", "immutable", "x"]), st.one_of(st.none(), JSON_NO_NULL), max_size=3
)


@SETTINGS
@given(doc=NO_LIST_RULES, patch=NULL_FREE_PATCH)
def test_strategic_equals_merge_without_lists(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    # (nulls below the top level differ on purpose: strategic merge drops them even inside lists)
    assert apply_strategic_merge_patch(doc, patch, "ConfigMap", "v1") == apply_merge_patch(doc, patch)


CONTAINER = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c", "d"])},
    optional={"image": st.sampled_from(["x", "y"]), "args": st.lists(st.sampled_from(["-v", "-q"]), max_size=2)},
)
CONTAINERS = st.lists(CONTAINER, max_size=4, unique_by=lambda c: c["name"])


@SETTINGS
@given(live=CONTAINERS, patch=CONTAINERS)
def test_strategic_keyed_merge_unions_keys(live: list[dict[str, Any]], patch: list[dict[str, Any]]) -> None:
    out = apply_strategic_merge_patch({"spec": {"containers": live}}, {"spec": {"containers": patch}}, "Pod", "v1")
    got = [c["name"] for c in out["spec"]["containers"]]
    assert sorted(got) == sorted({c["name"] for c in live + patch})
    by_name = {c["name"]: c for c in out["spec"]["containers"]}
    for c in patch:
        for k, v in c.items():
            assert by_name[c["name"]][k] == v
    # patch items keep their relative order
    assert [n for n in got if n in {c["name"] for c in patch}] == [c["name"] for c in patch]


DIRECTIVE_PATCH = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "finalizers": st.lists(st.sampled_from(["f1", "f2", "f3"]), max_size=3),
                "$deleteFromPrimitiveList/finalizers": st.lists(st.sampled_from(["f1", "f2"]), max_size=2),
                "labels": st.dictionaries(KEYS, st.one_of(st.none(), st.just("v")), max_size=2),
            },
        ),
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "containers": st.lists(
                    st.one_of(CONTAINER, st.builds(lambda n: {"name": n, "$patch": "delete"}, st.sampled_from("abcd"))),
                    max_size=3,
                    unique_by=lambda c: c["name"],
                ),
                "nodeSelector": st.one_of(
                    st.just({"$patch": "replace", "k": "v"}), st.dictionaries(KEYS, st.just("v"), max_size=2)
                ),
            },
        ),
    },
)


def has_directive(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k.startswith("$") or has_directive(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_directive(v) for v in value)
    return False


@SETTINGS
@given(live=CONTAINERS, patch=DIRECTIVE_PATCH, finalizers=st.lists(st.sampled_from(["f1", "f2", "f3"]), max_size=3))
def test_strategic_never_stores_directives(
    live: list[dict[str, Any]], patch: dict[str, Any], finalizers: list[str]
) -> None:
    doc = {
        "metadata": {"name": "p", "finalizers": finalizers},
        "spec": {"containers": live, "nodeSelector": {"z": "1"}},
    }
    before = copy.deepcopy(patch)
    out = apply_strategic_merge_patch(doc, patch, "Pod", "v1")
    assert not has_directive(out)
    assert patch == before
    deleted = set(patch.get("metadata", {}).get("$deleteFromPrimitiveList/finalizers", []))
    added = patch.get("metadata", {}).get("finalizers", [])
    fins = out["metadata"].get("finalizers", [])
    assert len(fins) == len(set(fins)) or fins == [f for f in finalizers if f not in deleted]
    assert set(added) <= set(fins) | deleted


# --------------------------------------------------------------------------------------------------
# Selectors

NAME = st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?\Z", fullmatch=True)
PREFIX = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,4}[a-z0-9])?(\.[a-z0-9]{1,4})?\Z", fullmatch=True)
LABEL_KEY = st.one_of(NAME, st.builds(lambda p, n: f"{p}/{n}", PREFIX, NAME))
LABEL_VALUE = st.one_of(st.just(""), NAME)


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    key = draw(LABEL_KEY)
    op = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!", ">", "<"]))
    if op in ("exists", "!"):
        return Requirement(key, op)
    if op in (">", "<"):
        return Requirement(key, op, (str(draw(st.integers(-(10**6), 10**6))),))
    if op in ("in", "notin"):
        values = draw(st.lists(LABEL_VALUE, min_size=1, max_size=3))
        return Requirement(key, op, tuple(sorted(set(values))))
    return Requirement(key, op, (draw(LABEL_VALUE),))


SELECTORS = st.builds(lambda rs: LabelSelectorExpr(tuple(rs)), st.lists(requirements(), max_size=4))
LABELS = st.dictionaries(st.one_of(LABEL_KEY, KEYS), st.one_of(LABEL_VALUE, st.integers(-5, 5).map(str)), max_size=4)


@SETTINGS
@given(expr=SELECTORS, labels=LABELS)
def test_label_selector_round_trip(expr: LabelSelectorExpr, labels: dict[str, str]) -> None:
    text = format_label_selector(expr)
    again = parse_label_selector(text)
    assert again == expr
    assert again.matches(labels) == expr.matches(labels)
    assert parse_label_selector(text.replace(",", " , ")) == expr


FIELD_VALUES = st.text(alphabet=string.ascii_letters + ",=\\!. -", max_size=8)


@SETTINGS
@given(
    reqs=st.lists(
        st.builds(
            FieldRequirement,
            st.sampled_from(["metadata.name", "spec.nodeName", "status.phase"]),
            st.sampled_from(["=", "==", "!="]),
            FIELD_VALUES,
        ),
        max_size=3,
    )
)
def test_field_selector_round_trip(reqs: list[FieldRequirement]) -> None:
    expr = FieldSelectorExpr(tuple(reqs))
    assert parse_field_selector(format_field_selector(expr)) == expr


# --------------------------------------------------------------------------------------------------
# Structural schemas

LEAF_SCHEMAS = st.one_of(
    st.just({"type": "string"}),
    st.just({"type": "integer", "default": 1}),
    st.just({"type": "boolean"}),
    st.just({"x-kubernetes-int-or-string": True}),
    st.just({"type": "string", "nullable": True, "default": "d"}),
)


def object_schemas(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    props = st.dictionaries(KEYS, inner, max_size=3).map(lambda p: {"type": "object", "properties": p})
    mapped = inner.map(lambda s: {"type": "object", "additionalProperties": s})
    preserved = st.dictionaries(KEYS, inner, max_size=2).map(
        lambda p: {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": p}
    )
    closed = st.just({"type": "object", "additionalProperties": False})
    embedded = st.dictionaries(KEYS, inner, max_size=2).map(
        lambda p: {"type": "object", "x-kubernetes-embedded-resource": True, "properties": p}
    )
    arrays = inner.map(lambda s: {"type": "array", "items": s})
    return st.one_of(props, mapped, preserved, closed, embedded, arrays)


SCHEMAS = st.recursive(LEAF_SCHEMAS, object_schemas, max_leaves=8)
ROOT_SCHEMAS = st.dictionaries(KEYS, SCHEMAS, max_size=3).map(lambda p: {"type": "object", "properties": p})
OBJECTS = st.dictionaries(
    st.one_of(KEYS, st.sampled_from(["apiVersion", "kind", "metadata"])),
    json_values(SCALAR_OR_NULL, st.one_of(KEYS, st.sampled_from(["apiVersion", "kind", "metadata", "name"]))),
    max_size=4,
)


@SETTINGS
@given(schema=ROOT_SCHEMAS, obj=OBJECTS)
def test_prune_idempotent(schema: dict[str, Any], obj: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    once, _ = prune(obj, schema)
    twice, pruned_again = prune(once, schema)
    assert twice == once
    assert pruned_again == []
    assert obj == before


@SETTINGS
@given(schema=ROOT_SCHEMAS, obj=OBJECTS)
def test_prune_leaves_no_unknown_fields(schema: dict[str, Any], obj: dict[str, Any]) -> None:
    pruned, _ = prune(obj, schema)
    errors = validate(pruned, schema)
    assert not [e for e in errors if e.reason == "FieldValueForbidden"], errors


@SETTINGS
@given(schema=ROOT_SCHEMAS, obj=OBJECTS)
def test_defaults_idempotent(schema: dict[str, Any], obj: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    once = apply_defaults(obj, schema)
    assert apply_defaults(once, schema) == once
    assert obj == before


# --------------------------------------------------------------------------------------------------
# Totality: bad input raises the module's own error, never KeyError/TypeError/...

WILD_KEYS = st.one_of(
    KEYS,
    st.sampled_from(
        ["$patch", "$retainKeys", "$setElementOrder/containers", "$deleteFromPrimitiveList/finalizers", "spec"]
    ),
    st.sampled_from(["containers", "finalizers", "metadata", "name", "op", "path", "from", "value"]),
)
WILD = json_values(
    st.one_of(SCALAR_OR_NULL, st.sampled_from(["replace", "delete", "merge", "/a", "/-", ""])), WILD_KEYS
)
SCHEMA_KEYS = st.sampled_from(
    [
        "type", "properties", "items", "additionalProperties", "required", "enum", "minimum", "maxLength",
        "pattern", "format", "nullable", "default", "anyOf", "not", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
        "x-kubernetes-int-or-string", "a",
    ]
)  # fmt: skip
WILD_SCHEMA = json_values(
    st.one_of(SCALAR_OR_NULL, st.sampled_from(["object", "array", "string", "integer", "set", "map", "(", "date"])),
    SCHEMA_KEYS,
)


@SETTINGS
@given(doc=WILD, patch=WILD)
def test_patch_functions_are_total(doc: Any, patch: Any) -> None:
    for call in (
        lambda: apply_json_patch(doc, patch),
        lambda: apply_json_patch(doc, [patch]),
        lambda: apply_strategic_merge_patch(doc, patch, "Pod", "v1"),
        lambda: apply_strategic_merge_patch({"spec": doc, "metadata": doc}, {"spec": patch, "metadata": patch}, "Pod"),
    ):
        with contextlib.suppress(PatchError):
            call()


@SETTINGS
@given(obj=WILD, schema=WILD_SCHEMA)
def test_schema_functions_are_total(obj: Any, schema: Any) -> None:
    structural = not is_structural(schema)
    for call in (lambda: validate(obj, schema), lambda: prune(obj, schema), lambda: apply_defaults(obj, schema)):
        try:
            call()
        except SchemaError:
            # a schema the CRD check accepts never trips the walkers
            assert not structural


@SETTINGS
@given(text=st.text(alphabet="ab=!,()<> \\in-/.~", max_size=20))
def test_selector_parsers_are_total(text: str) -> None:
    for parse in (parse_label_selector, parse_field_selector):
        with contextlib.suppress(SelectorError):
            parse(text)
