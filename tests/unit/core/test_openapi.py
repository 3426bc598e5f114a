"""Structural schema handling for custom resources: validation (one case per keyword, with the API
server's wording and cause reasons), pruning (unknown fields, preserve-unknown-fields, embedded
resources), defaulting (absent and null fields, nested defaults) and the structural check."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openyurt.core.openapi import SchemaError, apply_defaults, is_structural, prune, validate


def spec_schema(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": props}}}


def errors(value: Any, prop: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Validate ``{"spec": {"f": value}}`` against a one-property schema: (path, message, reason)."""
    out = validate({"spec": {"f": value}}, spec_schema(f=prop))
    return [(e.path, e.message, e.reason) for e in out]


def messages(value: Any, prop: dict[str, Any]) -> list[str]:
    return [m for _, m, _ in errors(value, prop)]


# --------------------------------------------------------------------------------------------------
# Types

TYPE_OK = [
    ("x", {"type": "string"}),
    (1, {"type": "integer"}),
    (3.0, {"type": "integer"}),
    (1, {"type": "number"}),
    (1.5, {"type": "number"}),
    (True, {"type": "boolean"}),
    ({}, {"type": "object"}),
    ([], {"type": "array", "items": {"type": "string"}}),
    (None, {"type": "string", "nullable": True}),
    (None, {"type": "object", "nullable": True, "required": ["a"]}),
    (7, {"x-kubernetes-int-or-string": True}),
    ("7%", {"x-kubernetes-int-or-string": True}),
    ({"any": [1]}, {"x-kubernetes-preserve-unknown-fields": True}),
    ("anything", {}),
]


@pytest.mark.parametrize(("value", "prop"), TYPE_OK)
def test_valid_types(value: Any, prop: dict[str, Any]) -> None:
    assert errors(value, prop) == []


TYPE_BAD = [
    ("string", {"type": "integer"}, "string", "integer"),
    (1.5, {"type": "integer"}, "number", "integer"),
    (True, {"type": "integer"}, "boolean", "integer"),
    (1, {"type": "string"}, "integer", "string"),
    ("1", {"type": "number"}, "string", "number"),
    ("true", {"type": "boolean"}, "string", "boolean"),
    ([], {"type": "object"}, "array", "object"),
    ({}, {"type": "array", "items": {}}, "object", "array"),
    (None, {"type": "string"}, "null", "string"),
    (1.5, {"x-kubernetes-int-or-string": True}, "number", "integer,string"),
    (None, {"x-kubernetes-int-or-string": True}, "null", "integer,string"),
]


@pytest.mark.parametrize(("value", "prop", "have", "want"), TYPE_BAD)
def test_type_errors_use_the_api_server_wording(value: Any, prop: dict[str, Any], have: str, want: str) -> None:
    assert errors(value, prop) == [
        (
            "spec.f",
            f'Invalid value: "{have}": spec.f in body must be of type {want}: "{have}"',
            "FieldValueTypeInvalid",
        )
    ]


def test_type_error_stops_further_checks() -> None:
    assert len(errors("x", {"type": "integer", "minimum": 3, "enum": [1]})) == 1


def test_brief_example_message() -> None:
    schema = spec_schema(replicas={"type": "integer"})
    (err,) = validate({"spec": {"replicas": "string"}}, schema)
    assert str(err) == 'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'


# --------------------------------------------------------------------------------------------------
# Keywords

KEYWORD_CASES: list[tuple[Any, dict[str, Any], list[tuple[str, str, str]]]] = [
    # enum
    ("a", {"type": "string", "enum": ["a", "b"]}, []),
    (
        "c",
        {"type": "string", "enum": ["a", "b"]},
        [("spec.f", 'Unsupported value: "c": supported values: "a", "b"', "FieldValueNotSupported")],
    ),
    (
        2,
        {"type": "integer", "enum": [1, True]},
        [("spec.f", "Unsupported value: 2: supported values: 1, true", "FieldValueNotSupported")],
    ),
    (
        1,
        {"type": "integer", "enum": [True]},
        [("spec.f", "Unsupported value: 1: supported values: true", "FieldValueNotSupported")],
    ),
    # numbers
    (
        0,
        {"type": "integer", "minimum": 1},
        [("spec.f", "Invalid value: 0: spec.f in body should be greater than or equal to 1", "FieldValueInvalid")],
    ),
    (1, {"type": "integer", "minimum": 1}, []),
    (
        1,
        {"type": "integer", "minimum": 1, "exclusiveMinimum": True},
        [("spec.f", "Invalid value: 1: spec.f in body should be greater than 1", "FieldValueInvalid")],
    ),
    (
        11,
        {"type": "integer", "maximum": 10},
        [("spec.f", "Invalid value: 11: spec.f in body should be less than or equal to 10", "FieldValueInvalid")],
    ),
    (
        10,
        {"type": "integer", "maximum": 10, "exclusiveMaximum": True},
        [("spec.f", "Invalid value: 10: spec.f in body should be less than 10", "FieldValueInvalid")],
    ),
    (
        0.5,
        {"type": "number", "maximum": 0.25},
        [("spec.f", "Invalid value: 0.5: spec.f in body should be less than or equal to 0.25", "FieldValueInvalid")],
    ),
    (
        7,
        {"type": "integer", "multipleOf": 2},
        [("spec.f", "Invalid value: 7: spec.f in body should be a multiple of 2", "FieldValueInvalid")],
    ),
    (8, {"type": "integer", "multipleOf": 2}, []),
    (2**40, {"type": "integer", "format": "int32"}, []),  # the server does not range-check int32
    # strings
    (
        "abcd",
        {"type": "string", "maxLength": 3},
        [("spec.f", "Too long: may not be more than 3 bytes", "FieldValueTooLong")],
    ),
    (
        "ab",
        {"type": "string", "minLength": 3},
        [("spec.f", 'Invalid value: "ab": spec.f in body should be at least 3 chars long', "FieldValueInvalid")],
    ),
    ("héé", {"type": "string", "maxLength": 3}, []),  # counted in characters
    (
        "a-b",
        {"type": "string", "pattern": "^[a-z]+$"},
        [("spec.f", "Invalid value: \"a-b\": spec.f in body should match '^[a-z]+$'", "FieldValueInvalid")],
    ),
    ("xaby", {"type": "string", "pattern": "ab"}, []),  # unanchored, like JSON schema
    # arrays
    (
        [],
        {"type": "array", "items": {}, "minItems": 1},
        [("spec.f", "Invalid value: []: spec.f in body should have at least 1 items", "FieldValueInvalid")],
    ),
    (
        [1, 2, 3],
        {"type": "array", "items": {}, "maxItems": 2},
        [("spec.f", "Too many: 3: must have at most 2 items", "FieldValueTooMany")],
    ),
    (
        [1, 1],
        {"type": "array", "items": {}, "uniqueItems": True},
        [("spec.f", "Invalid value: [1,1]: spec.f in body shouldn't contain duplicates", "FieldValueInvalid")],
    ),
    ([1, True], {"type": "array", "items": {}, "uniqueItems": True}, []),
    (
        ["a", "b", "a"],
        {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        [("spec.f[2]", 'Duplicate value: "a"', "FieldValueDuplicate")],
    ),
    (["a", "b"], {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}, []),
    (
        [{"name": "a", "p": 1}, {"name": "a", "p": 2}, {"name": "a", "p": 1, "x": 0}],
        {
            "type": "array",
            "items": {"type": "object"},
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name", "p"],
        },
        [("spec.f[2]", 'Duplicate value: {"name":"a","p":1}', "FieldValueDuplicate")],
    ),
    (
        ["a", 1],
        {"type": "array", "items": {"type": "string"}},
        [
            (
                "spec.f[1]",
                'Invalid value: "integer": spec.f[1] in body must be of type string: "integer"',
                "FieldValueTypeInvalid",
            )
        ],
    ),
    # objects
    (
        {},
        {"type": "object", "minProperties": 1},
        [("spec.f", "Invalid value: {}: spec.f in body should have at least 1 properties", "FieldValueInvalid")],
    ),
    (
        {"a": 1, "b": 2},
        {"type": "object", "maxProperties": 1},
        [("spec.f", "Too many: 2: must have at most 1 items", "FieldValueTooMany")],
    ),
    (
        {},
        {"type": "object", "required": ["a", "b"]},
        [("spec.f.a", "Required value", "FieldValueRequired"), ("spec.f.b", "Required value", "FieldValueRequired")],
    ),
    (
        {"a": 1},
        {"type": "object", "additionalProperties": {"type": "string"}},
        [
            (
                "spec.f.a",
                'Invalid value: "integer": spec.f.a in body must be of type string: "integer"',
                "FieldValueTypeInvalid",
            )
        ],
    ),
    ({"a": "x"}, {"type": "object", "additionalProperties": {"type": "string"}}, []),
    (
        {"a": 1},
        {"type": "object", "additionalProperties": False},
        [("spec.f.a", "Forbidden: spec.f.a in body is a forbidden property", "FieldValueForbidden")],
    ),
    ({"a": 1}, {"type": "object", "additionalProperties": True}, []),
    ({"unknown": 1}, {"type": "object", "properties": {}}, []),  # unknown fields are pruned, not rejected
    (
        {"known": "x", "other": 1},
        {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"known": {"type": "integer"}}},
        [
            (
                "spec.f.known",
                'Invalid value: "string": spec.f.known in body must be of type integer: "string"',
                "FieldValueTypeInvalid",
            )
        ],
    ),
]


@pytest.mark.parametrize(("value", "prop", "expected"), KEYWORD_CASES)
def test_keywords(value: Any, prop: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert errors(value, prop) == expected


FORMATS = [
    ("date-time", "2024-01-02T03:04:05Z", True),
    ("date-time", "2024-01-02T03:04:05.123456+02:00", True),
    ("date-time", "2024-13-02T03:04:05Z", False),
    ("date-time", "yesterday", False),
    ("date", "2024-01-02", True),
    ("date", "2024-1-2", False),
    ("uuid", "123e4567-e89b-12d3-a456-426614174000", True),
    ("uuid", "nope", False),
    ("uuid4", "123e4567-e89b-12d3-a456-426614174000", False),
    ("ipv4", "10.0.0.1", True),
    ("ipv4", "10.0.0.256", False),
    ("ipv6", "fd00::1", True),
    ("ipv6", "10.0.0.1", False),
    ("cidr", "10.0.0.0/8", True),
    ("cidr", "10.0.0.0", False),
    ("mac", "aa:bb:cc:dd:ee:ff", True),
    ("mac", "aa:bb", False),
    ("hostname", "edge-1.example.com", True),
    ("hostname", "-bad", False),
    ("byte", "aGVsbG8=", True),
    ("byte", "not base64!", False),
    ("duration", "1h30m", True),
    ("duration", "soon", False),
    ("email", "a@b.c", True),
    ("email", "nope", False),
    ("uri", "https://example.com/x", True),
    ("uri", "no scheme", False),
    ("password", "anything", True),
    ("int-or-string", "anything", True),
]


@pytest.mark.parametrize(("fmt", "value", "ok"), FORMATS)
def test_formats(fmt: str, value: str, ok: bool) -> None:
    errs = errors(value, {"type": "string", "format": fmt})
    if ok:
        assert errs == []
    else:
        assert errs == [
            (
                "spec.f",
                f'Invalid value: "{value}": spec.f in body must be of type {fmt}: "{value}"',
                "FieldValueTypeInvalid",
            )
        ]


# --------------------------------------------------------------------------------------------------
# Junctors, embedded resources, paths


def test_any_of() -> None:
    prop = {"type": "integer", "anyOf": [{"minimum": 10}, {"maximum": 0}]}
    assert errors(11, prop) == []
    assert errors(-1, prop) == []
    msgs = messages(5, prop)
    assert msgs[0] == "Invalid value: 5: spec.f in body must validate at least one schema (anyOf)"
    assert len(msgs) == 2  # plus the reason of the closest alternative


def test_all_of() -> None:
    prop = {"type": "string", "allOf": [{"minLength": 2}, {"pattern": "^a"}]}
    assert errors("ab", prop) == []
    msgs = messages("b", prop)
    assert "should be at least 2 chars long" in msgs[0]
    assert "should match '^a'" in msgs[1]
    assert msgs[-1] == 'Invalid value: "b": spec.f in body must validate all the schemas (allOf)'


def test_one_of() -> None:
    prop = {"type": "integer", "oneOf": [{"minimum": 5}, {"maximum": 10}]}
    assert errors(1, prop) == []
    assert errors(20, prop) == []
    assert messages(7, prop) == ["Invalid value: 7: spec.f in body must validate one and only one schema (oneOf)"]


def test_not() -> None:
    prop = {"type": "string", "not": {"enum": ["forbidden"]}}
    assert errors("ok", prop) == []
    assert messages("forbidden", prop) == [
        'Invalid value: "forbidden": spec.f in body must not validate the schema (not)'
    ]


def test_junctor_properties_validate_values() -> None:
    prop = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
    }
    assert errors({"a": "x"}, prop) == []
    assert messages({"a": "x", "b": "y"}, prop) == [
        'Invalid value: {"a":"x","b":"y"}: spec.f in body must validate one and only one schema (oneOf)'
    ]


def test_int_or_string_with_its_any_of() -> None:
    prop = {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert errors(3, prop) == []
    assert errors("25%", prop) == []


EMBEDDED = {"type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}


def test_embedded_resource_needs_type_meta() -> None:
    assert errors({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {}}, EMBEDDED) == []
    assert errors({}, EMBEDDED) == [
        ("spec.f.apiVersion", "Required value: must not be empty", "FieldValueRequired"),
        ("spec.f.kind", "Required value: must not be empty", "FieldValueRequired"),
    ]
    assert messages({"apiVersion": 1, "kind": ""}, EMBEDDED) == [
        "Invalid value: 1: must be a string",
        'Invalid value: "": must not be empty',
    ]
    assert errors({"apiVersion": "v1", "kind": "Pod", "metadata": "x"}, EMBEDDED)[0][2] == "FieldValueTypeInvalid"


def test_embedded_resource_with_properties_allows_type_meta() -> None:
    prop = {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": {"type": "object"}}}
    assert errors({"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {}}, prop) == []


def test_deep_paths_use_brackets_for_indices() -> None:
    schema = spec_schema(
        items={"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}
    )
    (err,) = validate({"spec": {"items": [{"name": "a"}, {"name": "b"}, {"name": 3}]}}, schema)
    assert err.path == "spec.items[2].name"
    assert "spec.items[2].name in body must be of type string" in err.message


def test_path_prefix_and_root() -> None:
    (err,) = validate(3, {"type": "string"}, path="data")
    assert err.path == "data"
    (err,) = validate(3, {"type": "string"})
    assert err.path == ""
    assert "body in body" not in err.message


def test_many_errors_are_all_reported() -> None:
    schema = spec_schema(a={"type": "integer"}, b={"type": "string"}, c={"type": "boolean"})
    errs = validate({"spec": {"a": "x", "b": 1, "c": "no"}}, schema)
    assert [e.path for e in errs] == ["spec.a", "spec.b", "spec.c"]


@pytest.mark.parametrize(
    "schema",
    [
        "not a schema",
        {"type": "object", "properties": []},
        {"type": "object", "properties": {"a": 3}},
        {"type": 3},
        {"type": "frob"},
        {"type": "string", "maxLength": "3"},
        {"type": "string", "pattern": "("},
        {"type": "integer", "minimum": "1"},
        {"enum": "a"},
        {"type": "object", "required": "a"},
        {"anyOf": {}},
        {"type": "array", "items": 3},
        {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": "name"},
    ],
)
def test_malformed_schema_raises_schema_error(schema: Any) -> None:
    value: Any = {"a": 1} if isinstance(schema, dict) and schema.get("type") == "object" else "x"
    if isinstance(schema, dict) and schema.get("type") == "array":
        value = [{"name": "x"}]
    if isinstance(schema, dict) and schema.get("type") == "integer":
        value = 1
    with pytest.raises(SchemaError):
        validate(value, schema)


def test_validate_does_not_mutate() -> None:
    obj = {"spec": {"f": [1, 1]}}
    before = copy.deepcopy(obj)
    validate(obj, spec_schema(f={"type": "array", "items": {}, "x-kubernetes-list-type": "set"}))
    assert obj == before


# --------------------------------------------------------------------------------------------------
# Pruning

CR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"typed": {"type": "object", "properties": {"a": {"type": "string"}}}},
                },
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}},
                },
                "opaque": {"type": "object"},
            },
        },
        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
    },
}


def test_prune_drops_unknown_fields_and_reports_paths() -> None:
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t", "labels": {"a": "b"}, "weird": 1},
        "spec": {
            "replicas": 1,
            "foo": "bar",
            "items": [{"name": "a"}, {"name": "b", "extra": 1}],
            "labels": {"x": "y"},
            "free": {"anything": {"goes": 1}, "typed": {"a": "x", "drop": 2}},
            "template": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"l": "v"}, "bogus": 1},
                "spec": {"x": "1", "y": "2"},
                "other": 1,
            },
            "opaque": {"a": 1},
        },
        "status": {"ready": True, "stale": 1},
        "extra": 1,
    }
    before = copy.deepcopy(obj)
    out, pruned = prune(obj, CR_SCHEMA)
    assert obj == before
    assert pruned == [
        "spec.foo",
        "spec.items[1].extra",
        "spec.free.typed.drop",
        "spec.template.metadata.bogus",
        "spec.template.spec.y",
        "spec.template.other",
        "spec.opaque.a",
        "status.stale",
        "extra",
    ]
    assert out == {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t", "labels": {"a": "b"}, "weird": 1},  # root metadata is the ObjectMeta codec's
        "spec": {
            "replicas": 1,
            "items": [{"name": "a"}, {"name": "b"}],
            "labels": {"x": "y"},
            "free": {"anything": {"goes": 1}, "typed": {"a": "x"}},
            "template": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"l": "v"}},
                "spec": {"x": "1"},
            },
            "opaque": {},
        },
        "status": {"ready": True},
    }


def test_prune_keeps_type_meta_even_without_schema_for_it() -> None:
    out, pruned = prune({"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "x"}}, {"type": "object"})
    assert out == {"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "x"}}
    assert pruned == []


def test_prune_preserve_at_root() -> None:
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    obj = {"apiVersion": "a/v1", "kind": "K", "anything": [1, {"x": 1}]}
    assert prune(obj, schema) == (obj, [])


def test_prune_arrays_without_item_schema_drop_object_contents() -> None:
    schema = {"type": "object", "properties": {"l": {"type": "array"}}}
    assert prune({"l": [1, {"a": 1}]}, schema) == ({"l": [1, {}]}, ["l[1].a"])


def test_prune_scalars_pass_through() -> None:
    assert prune({"spec": "not an object"}, CR_SCHEMA) == ({"spec": "not an object"}, [])


def test_prune_additional_properties_true_keeps_everything() -> None:
    schema = {"type": "object", "properties": {"m": {"type": "object", "additionalProperties": True}}}
    assert prune({"m": {"a": {"b": 1}}}, schema) == ({"m": {"a": {"b": 1}}}, [])


def test_prune_malformed_schema() -> None:
    with pytest.raises(SchemaError):
        prune({"a": 1}, {"type": "object", "properties": {"a": "nope"}})


# --------------------------------------------------------------------------------------------------
# Defaulting

DEFAULTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "default": {},
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "mode": {"type": "string", "default": "auto", "nullable": True},
                "strategy": {
                    "type": "object",
                    "default": {"type": "Rolling"},
                    "properties": {"type": {"type": "string"}, "maxSurge": {"type": "integer", "default": 25}},
                },
                "ports": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"protocol": {"type": "string", "default": "TCP"}}},
                },
                "env": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "properties": {"v": {"type": "string", "default": "x"}}},
                },
                "name": {"type": "string"},
            },
        }
    },
}


@pytest.mark.parametrize(
    ("obj", "expected_spec"),
    [
        ({}, {"replicas": 1, "mode": "auto", "strategy": {"type": "Rolling", "maxSurge": 25}}),
        ({"spec": {"replicas": 3}}, {"replicas": 3, "mode": "auto", "strategy": {"type": "Rolling", "maxSurge": 25}}),
        (
            {"spec": {"replicas": None}},
            {"replicas": 1, "mode": "auto", "strategy": {"type": "Rolling", "maxSurge": 25}},
        ),
        ({"spec": {"mode": None}}, {"replicas": 1, "mode": None, "strategy": {"type": "Rolling", "maxSurge": 25}}),
        ({"spec": {"name": None}}, {"replicas": 1, "mode": "auto", "strategy": {"type": "Rolling", "maxSurge": 25}}),
        (
            {"spec": {"ports": [{}, {"protocol": "UDP"}], "env": {"A": {}}, "strategy": {"type": "Recreate"}}},
            {
                "replicas": 1,
                "mode": "auto",
                "strategy": {"type": "Recreate", "maxSurge": 25},
                "ports": [{"protocol": "TCP"}, {"protocol": "UDP"}],
                "env": {"A": {"v": "x"}},
            },
        ),
    ],
)
def test_apply_defaults(obj: dict[str, Any], expected_spec: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    out = apply_defaults(obj, DEFAULTS)
    assert obj == before
    assert out["spec"] == expected_spec


def test_defaults_are_copied() -> None:
    a = apply_defaults({}, DEFAULTS)
    a["spec"]["strategy"]["type"] = "changed"
    assert apply_defaults({}, DEFAULTS)["spec"]["strategy"]["type"] == "Rolling"
    assert DEFAULTS["properties"]["spec"]["properties"]["strategy"]["default"] == {"type": "Rolling"}


def test_defaults_ignore_unknown_and_scalars() -> None:
    assert apply_defaults({"other": {"x": None}}, DEFAULTS)["other"] == {"x": None}
    assert apply_defaults("scalar", DEFAULTS) == "scalar"


# --------------------------------------------------------------------------------------------------
# Structural check


def test_structural_schema_passes() -> None:
    assert is_structural(CR_SCHEMA) == []
    assert is_structural(DEFAULTS) == []
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
            "spec": {
                "type": "object",
                "properties": {
                    "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "a": {"type": "string"},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "keys": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["a"],
                        "items": {"type": "object", "properties": {"a": {"type": "string"}}},
                    },
                },
                "oneOf": [{"required": ["a"]}, {"properties": {"a": {"minLength": 1}}}],
            },
        },
    }
    assert is_structural(schema) == []


NOT_STRUCTURAL = [
    ({"type": "string"}, "type: Invalid value: must be object at the root"),
    ({"type": "object", "properties": {"a": {}}}, "properties[a].type: Required value"),
    ({"type": "object", "properties": {"a": {"type": "array"}}}, "properties[a].items: Required value"),
    (
        {
            "type": "object",
            "properties": {"a": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}}},
        },
        "mutual exclusive",
    ),
    ({"type": "object", "properties": {"a": {"$ref": "#/x", "type": "object"}}}, "$ref: Forbidden"),
    ({"type": "object", "additionalProperties": False}, "additionalProperties: Forbidden"),
    (
        {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}}},
        "uniqueItems cannot be set to true",
    ),
    (
        {"type": "object", "properties": {"a": {"type": "string", "x-kubernetes-int-or-string": True}}},
        "must be empty if x-kubernetes-int-or-string",
    ),
    ({"type": "object", "x-kubernetes-preserve-unknown-fields": False}, "must be true or undefined"),
    (
        {
            "type": "object",
            "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}},
        },
        "other than name and generateName",
    ),
    (
        {"type": "object", "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "integer"}}}}},
        "must be string",
    ),
    (
        {"type": "object", "properties": {"a": {"type": "object", "anyOf": [{"type": "string"}]}}},
        "anyOf[0].type: Forbidden",
    ),
    (
        {"type": "object", "properties": {"a": {"type": "object", "allOf": [{"properties": {"b": {"minLength": 1}}}]}}},
        "counterpart in the structural schema",
    ),
    ({"type": "object", "properties": {"a": {"type": "object", "not": {"default": 1}}}}, "not.default: Forbidden"),
    ({"type": "object", "properties": {"a": {"type": "frob"}}}, 'Unsupported value: "frob"'),
    (
        {"type": "object", "properties": {"a": {"type": "array", "items": [{"type": "string"}]}}},
        "must be a schema object and not an array",
    ),
    (
        {"type": "object", "properties": {"a": {"type": "object", "x-kubernetes-embedded-resource": True}}},
        "requires type object and properties",
    ),
    (
        {
            "type": "object",
            "properties": {"a": {"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "map"}},
        },
        "must be specified when x-kubernetes-list-type is map",
    ),
    (
        {
            "type": "object",
            "properties": {"a": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-map-keys": ["a"]}},
        },
        "requires x-kubernetes-list-type map",
    ),
    (
        {
            "type": "object",
            "properties": {"a": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "bag"}},
        },
        'Unsupported value: "bag"',
    ),
    ({"type": "object", "properties": {"a": 3}}, "properties[a]: must be a schema object"),
    ({"type": "object", "properties": []}, "properties: must be an object"),
    ("nope", "must be a schema object"),
    (
        {"type": "object", "properties": {"a": {"type": "string", "maxLength": "3"}}},
        "maxLength: Invalid value: must be a non-negative integer",
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer", "minimum": "1"}}},
        "minimum: Invalid value: must be a number",
    ),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}, "pattern: Invalid value"),
    ({"type": "object", "properties": {"a": {"type": "string", "enum": "a"}}}, "enum: Invalid value: must be a list"),
    ({"type": "object", "required": [1]}, "required: Invalid value: must be a list of strings"),
    (
        {"type": "object", "properties": {"a": {"type": "string", "nullable": "yes"}}},
        "nullable: Invalid value: must be a boolean",
    ),
    (
        {"type": "object", "properties": {"a": {"type": "object", "additionalProperties": 3}}},
        "must be a schema or a boolean",
    ),
    ({"type": ["object"]}, "type: Invalid value: must be a string"),
]


@pytest.mark.parametrize(("schema", "fragment"), NOT_STRUCTURAL)
def test_not_structural(schema: Any, fragment: str) -> None:
    reasons = is_structural(schema)
    assert any(fragment in r for r in reasons), reasons


@pytest.mark.parametrize("schema", [s for s, _ in NOT_STRUCTURAL] + [CR_SCHEMA, DEFAULTS])
def test_structural_schemas_never_trip_the_walkers(schema: Any) -> None:
    obj = {"spec": {"a": "x", "replicas": "1", "items": [{"name": 1}]}, "a": {"b": 1}, "l": [1]}
    try:
        validate(obj, schema)
        prune(obj, schema)
        apply_defaults(obj, schema)
    except SchemaError:
        assert is_structural(schema), "a schema that passes is_structural must not raise"
