"""Label and field selectors: the grammar edge cases of apimachinery's parsers, matching, the
model conversion (nil selects nothing, empty selects everything) and the per-resource field table."""

from __future__ import annotations

import pytest

from openyurt.core.api import meta_v1
from openyurt.core.selectors import (
    SUPPORTED_FIELDS,
    FieldRequirement,
    LabelSelectorExpr,
    Requirement,
    SelectorError,
    field_value,
    format_field_selector,
    format_label_selector,
    label_selector_from_model,
    parse_field_selector,
    parse_label_selector,
    supported_fields,
    unsupported_fields,
)

# --------------------------------------------------------------------------------------------------
# Label selector grammar

PARSES = [
    ("", ()),
    ("   ", ()),
    ("a=b", (Requirement("a", "=", ("b",)),)),
    ("a==b", (Requirement("a", "==", ("b",)),)),
    ("a!=b", (Requirement("a", "!=", ("b",)),)),
    ("a", (Requirement("a", "exists"),)),
    ("!a", (Requirement("a", "!"),)),
    ("! a", (Requirement("a", "!"),)),
    ("a in (x,y)", (Requirement("a", "in", ("x", "y")),)),
    ("a in (y, x, y)", (Requirement("a", "in", ("x", "y")),)),
    ("a notin (x)", (Requirement("a", "notin", ("x",)),)),
    ("a notin(x)", (Requirement("a", "notin", ("x",)),)),
    ("a in ()", (Requirement("a", "in", ("",)),)),
    ("a in (x,)", (Requirement("a", "in", ("", "x")),)),
    ("a in (,x)", (Requirement("a", "in", ("", "x")),)),
    ("a in (x,,y)", (Requirement("a", "in", ("", "x", "y")),)),
    ("a=", (Requirement("a", "=", ("",)),)),
    ("a=,b", (Requirement("a", "=", ("",)), Requirement("b", "exists"))),
    ("a>5", (Requirement("a", ">", ("5",)),)),
    ("a<-5", (Requirement("a", "<", ("-5",)),)),
    (
        "  a = b ,  c != d ,e ",
        (Requirement("a", "=", ("b",)), Requirement("c", "!=", ("d",)), Requirement("e", "exists")),
    ),
    ("in=in", (Requirement("in", "=", ("in",)),)),
    ("notin in (in, notin)", (Requirement("notin", "in", ("in", "notin")),)),
    ("example.com/app=web", (Requirement("example.com/app", "=", ("web",)),)),
    ("a=b.c-d_e", (Requirement("a", "=", ("b.c-d_e",)),)),
    ("x,!y,z in (1)", (Requirement("x", "exists"), Requirement("y", "!"), Requirement("z", "in", ("1",)))),
]


@pytest.mark.parametrize(("text", "requirements"), PARSES)
def test_label_selector_parses(text: str, requirements: tuple[Requirement, ...]) -> None:
    assert parse_label_selector(text).requirements == requirements


ERRORS = [
    ("a,", "identifier after ','"),
    (",a", "expected: !, identifier"),
    ("a b", "found 'b'"),
    ("a=b=c", "found '='"),
    ("a=b c", "found 'c'"),
    ("!a=b", "found '='"),
    ("!", "found 'end of string', expected: identifier"),
    ("a in x", "expected: '('"),
    ("a in (x y)", "found 'y'"),
    ("a in (x", "found 'end of string'"),
    ("a in", "found 'end of string'"),
    ("a=(b)", "found '('"),
    ("a===b", "found '='"),
    ("a=!b", "found '!'"),
    ("a>b", "must be an integer"),
    ("a>", "must be an integer"),
    ("a/b/c=d", "invalid label key 'a/b/c'"),
    ("-a=b", "invalid label key '-a'"),
    ("Upper.Case/a=b", "prefix part"),
    ("a=" + "v" * 64, "no more than 63 characters"),
    ("a=-v", "invalid label value '-v'"),
    ("k" * 64, "no more than 63 characters"),
    ("/a", "prefix part must be non-empty"),
    ("a/", "name part must be non-empty"),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_label_selector_errors_name_the_part(text: str, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_label_selector(text)
    assert fragment in str(info.value)


def test_label_selector_rejects_non_strings() -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Matching

MATCHES = [
    ("", None, True),
    ("", {"a": "b"}, True),
    ("a=b", {"a": "b"}, True),
    ("a=b", {"a": "c"}, False),
    ("a=b", {}, False),
    ("a=b", None, False),
    ("a==b", {"a": "b"}, True),
    ("a!=b", {"a": "c"}, True),
    ("a!=b", {}, True),  # != matches objects lacking the key
    ("a!=b", {"a": "b"}, False),
    ("a in (x,y)", {"a": "y"}, True),
    ("a in (x,y)", {"a": "z"}, False),
    ("a in (x,y)", {}, False),
    ("a notin (x,y)", {"a": "z"}, True),
    ("a notin (x,y)", {}, True),
    ("a notin (x,y)", {"a": "x"}, False),
    ("a", {"a": ""}, True),
    ("a", {"b": "a"}, False),
    ("!a", {}, True),
    ("!a", {"a": "x"}, False),
    ("a=", {"a": ""}, True),
    ("a=", {}, False),
    ("a in ()", {"a": ""}, True),
    ("a>5", {"a": "6"}, True),
    ("a>5", {"a": "5"}, False),
    ("a>5", {"a": "x"}, False),
    ("a>5", {}, False),
    ("a<5", {"a": "-1"}, True),
    ("a=b,c", {"a": "b"}, False),
    ("a=b,c", {"a": "b", "c": "1"}, True),
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCHES)
def test_label_selector_matches(text: str, labels: dict[str, str] | None, expected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is expected


# --------------------------------------------------------------------------------------------------
# Model conversion and formatting


def test_nil_selector_matches_nothing_and_empty_everything() -> None:
    assert label_selector_from_model(None).matches({"a": "b"}) is False
    assert label_selector_from_model(None).nothing
    assert label_selector_from_model(meta_v1.LabelSelector()).matches({"a": "b"}) is True
    assert label_selector_from_model({}).empty


def test_model_conversion_covers_match_labels_and_expressions() -> None:
    model = meta_v1.LabelSelector.model_validate(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "NotIn", "values": ["x"]},
                {"key": "ready", "operator": "Exists"},
            ],
        }
    )
    expr = label_selector_from_model(model)
    assert expr.requirements == (
        Requirement("app", "=", ("web",)),
        Requirement("tier", "in", ("be", "fe")),
        Requirement("canary", "!"),
        Requirement("zone", "notin", ("x",)),
        Requirement("ready", "exists"),
    )
    assert expr.matches({"app": "web", "tier": "fe", "ready": "1"})
    assert not expr.matches({"app": "web", "tier": "fe", "ready": "1", "canary": "y"})
    assert format_label_selector(model) == "app=web,tier in (be,fe),!canary,zone notin (x),ready"
    assert label_selector_from_model(model.model_dump(by_alias=True, exclude_none=True)) == expr


@pytest.mark.parametrize(
    ("sel", "fragment"),
    [
        ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}, "'Gt' is not a valid"),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, "can't be empty"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, "must be empty"),
        ({"matchExpressions": [{"key": "a b", "operator": "Exists"}]}, "invalid label key"),
        ({"matchLabels": {"a": "b c"}}, "invalid label value"),
        ({"matchLabels": ["a"]}, "must be a map"),
        ({"matchExpressions": [{"key": 3, "operator": "Exists"}]}, "key must be a string"),
    ],
)
def test_model_conversion_errors(sel: object, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        label_selector_from_model(sel)
    assert fragment in str(info.value)


def test_format_of_nil_selector_is_an_error() -> None:
    with pytest.raises(SelectorError, match="selects nothing"):
        format_label_selector(None)


@pytest.mark.parametrize("text", [t for t, _ in PARSES])
def test_format_parse_round_trip(text: str) -> None:
    expr = parse_label_selector(text)
    assert parse_label_selector(format_label_selector(expr)) == expr


def test_expression_is_a_value() -> None:
    assert parse_label_selector("a=b") == LabelSelectorExpr((Requirement("a", "=", ("b",)),))
    assert hash(parse_label_selector("a=b")) == hash(parse_label_selector("a=b"))


# --------------------------------------------------------------------------------------------------
# Field selectors

FIELD_PARSES = [
    ("", ()),
    ("metadata.name=x", (FieldRequirement("metadata.name", "=", "x"),)),
    ("metadata.name==x", (FieldRequirement("metadata.name", "==", "x"),)),
    ("spec.nodeName!=n1", (FieldRequirement("spec.nodeName", "!=", "n1"),)),
    ("a=1,b!=2", (FieldRequirement("a", "=", "1"), FieldRequirement("b", "!=", "2"))),
    ("a=1,", (FieldRequirement("a", "=", "1"),)),
    ("a=", (FieldRequirement("a", "=", ""),)),
    (r"a=x\,y", (FieldRequirement("a", "=", "x,y"),)),
    (r"a=x\=y", (FieldRequirement("a", "=", "x=y"),)),
    (r"a=x\\y", (FieldRequirement("a", "=", "x\\y"),)),
    ("a=x!y", (FieldRequirement("a", "=", "x!y"),)),
    ("a!=b!", (FieldRequirement("a", "!=", "b!"),)),
]


@pytest.mark.parametrize(("text", "requirements"), FIELD_PARSES)
def test_field_selector_parses(text: str, requirements: tuple[FieldRequirement, ...]) -> None:
    expr = parse_field_selector(text)
    assert expr.requirements == requirements
    assert parse_field_selector(format_field_selector(expr)) == expr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("metadata.name", "can't understand 'metadata.name'"),
        ("=x", "field name is empty"),
        ("a=b=c", "unescaped '='"),
        ("a!==b", "unescaped '='"),
        (r"a=x\y", "invalid escape"),
        ("a=x\\", "invalid escape"),
    ],
)
def test_field_selector_errors(text: str, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_field_selector(text)
    assert fragment in str(info.value)


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"nodeName": "edge-1", "hostNetwork": True, "restartPolicy": "Always"},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        (POD, "metadata.name", "web"),
        (POD, "metadata.namespace", "default"),
        (POD, "spec.nodeName", "edge-1"),
        (POD, "spec.hostNetwork", "true"),
        (POD, "status.phase", "Running"),
        (POD, "status.podIP", ""),
        (POD, "spec.schedulerName", ""),
        ({"spec": {}}, "spec.hostNetwork", "false"),
        ({}, "spec.unschedulable", "false"),
        ({"status": {"replicas": 3}}, "status.replicas", "3"),
        ({}, "status.replicas", "0"),
        ({}, "status.successful", "0"),
        ({"type": "kubernetes.io/tls"}, "type", "kubernetes.io/tls"),
        ({"involvedObject": {"kind": "Pod", "name": "web"}}, "involvedObject.kind", "Pod"),
        ({"source": {"component": "kubelet"}}, "source", "kubelet"),
        ({"source": {}, "reportingComponent": "ctrl"}, "source", "ctrl"),
        ({"reportingComponent": "ctrl"}, "reportingComponent", "ctrl"),
        ({"spec": {"x": None}}, "spec.x", ""),
        (POD, "spec", None),
        ({"a": [1]}, "a", None),
        ({"metadata": "oops"}, "metadata.name", ""),
    ],
)
def test_field_value(obj: dict[str, object], path: str, expected: str | None) -> None:
    assert field_value(obj, path) == expected


def test_field_value_is_total() -> None:
    assert field_value("not a dict", "a") is None  # type: ignore[arg-type]
    assert field_value({}, 3) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("spec.nodeName=edge-1", True),
        ("spec.nodeName=edge-2", False),
        ("spec.nodeName!=edge-2", True),
        ("metadata.name=web,status.phase=Running", True),
        ("metadata.name=web,status.phase!=Running", False),
        ("status.podIP=", True),
        ("status.podIP!=", False),
    ],
)
def test_field_selector_matches(text: str, expected: bool) -> None:
    expr = parse_field_selector(text)
    assert expr.matches_object(POD) is expected
    assert expr.matches(lambda p: field_value(POD, p)) is expected


def test_missing_value_reads_as_empty() -> None:
    assert parse_field_selector("a=").matches(lambda _p: None)
    assert parse_field_selector("a!=x").matches(lambda _p: None)


def test_supported_fields_table() -> None:
    pods = SUPPORTED_FIELDS[("", "pods")]
    assert {"spec.nodeName", "status.phase", "metadata.name", "metadata.namespace"} <= pods
    for fields in SUPPORTED_FIELDS.values():
        assert {"metadata.name", "metadata.namespace"} <= fields
    assert SUPPORTED_FIELDS[("", "secrets")] >= {"type"}
    assert "involvedObject.uid" in SUPPORTED_FIELDS[("", "events")]
    assert supported_fields("apps.openyurt.io", "nodepools") == {"metadata.name", "metadata.namespace"}
    assert supported_fields("", "configmaps") == {"metadata.name", "metadata.namespace"}


def test_unsupported_fields_are_reported_in_order() -> None:
    expr = parse_field_selector("spec.foo=1,metadata.name=x,status.bar!=2")
    assert unsupported_fields(expr, "", "pods") == ["spec.foo", "status.bar"]
    assert unsupported_fields(parse_field_selector("spec.nodeName=n"), "", "pods") == []
    assert unsupported_fields(parse_field_selector("spec.nodeName=n"), "", "configmaps") == ["spec.nodeName"]
