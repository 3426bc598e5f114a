"""Label and field selectors, parsed and matched the way the Kubernetes API server does it.

Selectors arrive as query strings (``labelSelector=app in (web,db),!canary``) and as
``metav1.LabelSelector`` objects inside specs. Both turn into one expression type so the API server's
list/watch filter, YurtHub's cache and our controllers agree on what matches. The grammar follows
apimachinery's ``labels.Parse`` token by token (keywords only at the operator position, ``a=`` meaning
the empty value, trailing ``,`` rejected), and keys and values are checked with the same syntax rules,
because a selector we accept but the real server refuses would make kubectl behave differently against
us than against a cluster.

Field selectors are a much smaller language (``=``, ``==``, ``!=``, commas, backslash escapes) over a
per-resource whitelist of fields; ``SUPPORTED_FIELDS`` is that whitelist as data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

__all__ = [
    "SUPPORTED_FIELDS",
    "FieldRequirement",
    "FieldSelectorExpr",
    "LabelSelectorExpr",
    "Requirement",
    "SelectorError",
    "field_value",
    "format_field_selector",
    "format_label_selector",
    "label_selector_from_model",
    "parse_field_selector",
    "parse_label_selector",
    "supported_fields",
    "unsupported_fields",
]


class SelectorError(ValueError):
    """A selector that does not parse or holds an invalid key or value; the message names the part."""


# --------------------------------------------------------------------------------------------------
# Label selectors

#: Operators as they appear in query strings ("exists" and "!" have no symbol of their own).
Operator = Literal["=", "==", "!=", "in", "notin", "exists", "!", ">", "<"]

_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_INT64 = re.compile(r"^[+-]?[0-9]+$")


def _key_problem(key: str) -> str | None:
    """Why ``key`` is not a qualified name (``prefix/name``), as apimachinery words it, or None."""
    prefix, sep, name = key.rpartition("/")
    if key.count("/") > 1:
        return "a qualified name must consist of an optional DNS subdomain prefix and a name, separated by '/'"
    if sep:
        if not prefix:
            return "prefix part must be non-empty"
        if len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix):
            return "prefix part must be a lowercase RFC 1123 subdomain (at most 253 characters)"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


def _value_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _NAME.match(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


@attrs.frozen
class Requirement:
    """One term of a label selector: ``key``, an operator and the values it compares with."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key, "")
        op = self.operator
        if op in ("=", "==", "in"):
            return present and value in self.values
        if op in ("!=", "notin"):
            return not present or value not in self.values
        if op == "exists":
            return present
        if op == "!":
            return not present
        # ">" and "<": both sides must be integers, as upstream compares them numerically
        if not present or not _INT64.match(value) or not self.values:
            return False
        have, want = int(value), int(self.values[0])
        return have > want if op == ">" else have < want

    def __str__(self) -> str:
        op = self.operator
        if op == "exists":
            return self.key
        if op == "!":
            return "!" + self.key
        if op in ("in", "notin"):
            return f"{self.key} {op} ({','.join(self.values)})"
        return f"{self.key}{op}{self.values[0] if self.values else ''}"


def _requirement(key: str, op: Operator, values: Iterable[str], where: str) -> Requirement:
    """Validate one term the way ``labels.NewRequirement`` does and build it."""
    if problem := _key_problem(key):
        raise SelectorError(f"{where}: invalid label key {key!r}: {problem}")
    vals = tuple(values)
    if op in ("in", "notin") and not vals:
        raise SelectorError(f"{where}: for 'in', 'notin' operators, values set can't be empty")
    if op in ("=", "==", "!=") and len(vals) != 1:
        raise SelectorError(f"{where}: exact-match compatibility requires one single value")
    if op in ("exists", "!") and vals:
        raise SelectorError(f"{where}: values set must be empty for exists and does not exist")
    if op in (">", "<"):
        if len(vals) != 1:
            raise SelectorError(f"{where}: for 'Gt', 'Lt' operators, exactly one value is required")
        if not _INT64.match(vals[0]) or not -(2**63) <= int(vals[0]) < 2**63:
            raise SelectorError(f"{where}: for 'Gt', 'Lt' operators, the value must be an integer: {vals[0]!r}")
    else:
        for v in vals:
            if problem := _value_problem(v):
                raise SelectorError(f"{where}: invalid label value {v!r}: {problem}")
    if op in ("in", "notin"):
        vals = tuple(sorted(set(vals)))
    return Requirement(key, op, vals)


@attrs.frozen
class LabelSelectorExpr:
    """A parsed label selector: the AND of its requirements.

    ``nothing`` is the selector that matches no object (a nil ``metav1.LabelSelector``); it has no
    query-string form.
    """

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        have = labels or {}
        return all(r.matches(have) for r in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector matches every object."""
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelectorExpr()
NOTHING = LabelSelectorExpr(nothing=True)

_SPECIAL = set("=!(),<>")
_SYMBOLS = {"=", "==", "!=", "!", "(", ")", ",", ">", "<"}


def _lex(text: str) -> list[str]:
    """Split a label selector into tokens, longest special-symbol match first like upstream's lexer."""
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _SPECIAL:
            j = i + 1
            best = ch if ch in _SYMBOLS else ""
            while j < n and text[j] in _SPECIAL and text[i : j + 1] in _SYMBOLS:
                j += 1
                best = text[i:j]
            if not best:
                raise SelectorError(f"unable to parse requirement: unexpected {ch!r} at position {i}")
            tokens.append(best)
            i += len(best)
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            tokens.append(text[i:j])
            i = j
    return tokens


_TEXT_OPS: dict[str, Operator] = {"=": "=", "==": "==", "!=": "!=", ">": ">", "<": "<", "in": "in", "notin": "notin"}


def _is_ident(tok: str | None) -> bool:
    return tok is not None and tok not in _SYMBOLS


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def fail(self, found: str | None, expected: str) -> SelectorError:
        shown = "end of string" if found is None else found
        return SelectorError(f"unable to parse requirement {self.text!r}: found '{shown}', expected: {expected}")

    def parse(self) -> LabelSelectorExpr:
        reqs: list[Requirement] = []
        if self.peek() is None:
            return EVERYTHING
        while True:
            tok = self.peek()
            if not (_is_ident(tok) or tok == "!"):
                raise self.fail(tok, "!, identifier, or 'end of string'")
            reqs.append(self.requirement())
            tok = self.take()
            if tok is None:
                return LabelSelectorExpr(tuple(reqs))
            if tok != ",":
                raise self.fail(tok, "',' or 'end of string'")
            if not (_is_ident(self.peek()) or self.peek() == "!"):
                raise self.fail(self.peek(), "identifier after ','")

    def requirement(self) -> Requirement:
        negate = self.peek() == "!"
        if negate:
            self.take()
        key = self.take()
        if not _is_ident(key):
            raise self.fail(key, "identifier")
        assert key is not None
        where = f"requirement {key!r}"
        if negate:
            return _requirement(key, "!", (), where)
        nxt = self.peek()
        if nxt is None or nxt == ",":
            return _requirement(key, "exists", (), where)
        tok = self.take()
        op = _TEXT_OPS.get(tok or "")
        if op in ("=", "==", "!=", ">", "<"):
            # ``a=`` (nothing or a comma follows) selects the empty value
            nxt = self.peek()
            if nxt is None or nxt == ",":
                return _requirement(key, op, ("",), where)
            value = self.take()
            if not _is_ident(value):
                raise self.fail(value, "identifier")
            assert value is not None
            return _requirement(key, op, (value,), where)
        if op in ("in", "notin"):
            return _requirement(key, op, self.value_set(), where)
        raise self.fail(tok, "[!=, ==, =, <, >, in, notin] or ',' or 'end of string'")

    def value_set(self) -> list[str]:
        tok = self.take()
        if tok != "(":
            raise self.fail(tok, "'('")
        values: list[str] = []
        # ``()``, ``(a,)``, ``(,a)`` and ``(a,,b)`` hold the empty value, as upstream parses them
        expect_value = True
        while True:
            tok = self.take()
            if tok == ")":
                if expect_value:
                    values.append("")  # "()" and "(a,)" hold the empty value
                return values
            if tok == ",":
                if expect_value:
                    values.append("")
                expect_value = True
                continue
            if _is_ident(tok) and expect_value:
                assert tok is not None
                values.append(tok)
                expect_value = False
                continue
            raise self.fail(tok, "',', ')' or identifier")


def parse_label_selector(text: str) -> LabelSelectorExpr:
    """Parse the ``labelSelector`` query syntax; the empty string selects everything."""
    if not isinstance(text, str):
        raise SelectorError(f"label selector must be a string, got {type(text).__name__}")
    return _LabelParser(text).parse()


_MODEL_OPS: dict[str, Operator] = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def _get(sel: Any, wire: str, attr: str) -> Any:
    if isinstance(sel, Mapping):
        return sel.get(wire)
    return getattr(sel, attr, None)


def label_selector_from_model(sel: Any) -> LabelSelectorExpr:
    """Turn a ``metav1.LabelSelector`` (model or wire dict) into an expression.

    None selects nothing and an empty selector everything, as ``metav1.LabelSelectorAsSelector`` does:
    a controller with a nil selector must not adopt every pod in the namespace.
    """
    if isinstance(sel, LabelSelectorExpr):
        return sel
    if sel is None:
        return NOTHING
    match_labels = _get(sel, "matchLabels", "match_labels") or {}
    match_exprs = _get(sel, "matchExpressions", "match_expressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(match_exprs, list | tuple):
        raise SelectorError("matchLabels must be a map and matchExpressions a list")
    reqs: list[Requirement] = []
    for key, value in match_labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise SelectorError(f"matchLabels: {key!r}: keys and values must be strings")
        reqs.append(_requirement(key, "=", (value,), f"matchLabels[{key}]"))
    for i, expr in enumerate(match_exprs):
        where = f"matchExpressions[{i}]"
        key = _get(expr, "key", "key")
        op_name = _get(expr, "operator", "operator")
        values = _get(expr, "values", "values") or []
        if not isinstance(key, str) or not isinstance(values, list | tuple):
            raise SelectorError(f"{where}: key must be a string and values a list")
        if op_name not in _MODEL_OPS:
            raise SelectorError(f"{where}: {op_name!r} is not a valid label selector operator")
        if not all(isinstance(v, str) for v in values):
            raise SelectorError(f"{where}: values must be strings")
        reqs.append(_requirement(key, _MODEL_OPS[op_name], values, where))
    return LabelSelectorExpr(tuple(reqs))


def format_label_selector(sel: Any) -> str:
    """Render a selector (expression, model or wire dict) in the query-string syntax.

    The result parses back to an equivalent expression. A nil selector selects nothing and has no
    string form, so it is an error rather than the empty string (which would select everything).
    """
    expr = sel if isinstance(sel, LabelSelectorExpr) else label_selector_from_model(sel)
    if expr.nothing:
        raise SelectorError("a nil label selector selects nothing and has no query-string form")
    return str(expr)


# --------------------------------------------------------------------------------------------------
# Field selectors


@attrs.frozen
class FieldRequirement:
    """One term of a field selector: ``field`` compared with ``value`` as strings."""

    field: str
    operator: Literal["=", "==", "!="]
    value: str

    def matches(self, get: Callable[[str], str | None]) -> bool:
        have = get(self.field) or ""
        return (have == self.value) != (self.operator == "!=")

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{_escape_field_value(self.value)}"


@attrs.frozen
class FieldSelectorExpr:
    """A parsed field selector: the AND of its requirements; empty selects everything."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, get: Callable[[str], str | None]) -> bool:
        return all(r.matches(get) for r in self.requirements)

    def matches_object(self, obj: Mapping[str, Any]) -> bool:
        """Match a wire dict, extracting each field with :func:`field_value`."""
        return self.matches(lambda path: field_value(obj, path))

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(r.field for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _split_unescaped(text: str) -> list[str]:
    terms, cur, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur += text[i : i + 2]
            i += 2
            continue
        if ch == ",":
            terms.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    terms.append(cur)
    return terms


def _unescape_field_value(value: str, term: str) -> str:
    out, i = "", 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value) or value[i + 1] not in "\\,=":
                raise SelectorError(f"invalid field selector term {term!r}: invalid escape sequence in {value!r}")
            out += value[i + 1]
            i += 2
            continue
        if ch in ",=":
            # an unescaped operator character in the value: upstream refuses it
            raise SelectorError(f"invalid field selector term {term!r}: unescaped {ch!r} in value {value!r}")
        out += ch
        i += 1
    return out


def _split_term(term: str) -> tuple[str, Literal["=", "==", "!="], str] | None:
    """Find the first operator, trying ``!=`` then ``==`` then ``=`` at each position like upstream."""
    for i in range(len(term)):
        rest = term[i:]
        if rest.startswith("!="):
            return term[:i], "!=", rest[2:]
        if rest.startswith("=="):
            return term[:i], "==", rest[2:]
        if rest.startswith("="):
            return term[:i], "=", rest[1:]
    return None


def parse_field_selector(text: str) -> FieldSelectorExpr:
    """Parse the ``fieldSelector`` query syntax (``a=b,c!=d``); values escape ``\\``, ``,`` and ``=``."""
    if not isinstance(text, str):
        raise SelectorError(f"field selector must be a string, got {type(text).__name__}")
    reqs: list[FieldRequirement] = []
    for term in _split_unescaped(text):
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise SelectorError(f"invalid selector: {text!r}; can't understand {term!r}")
        field, op, raw = split
        if not field:
            raise SelectorError(f"invalid selector: {text!r}; field name is empty in {term!r}")
        reqs.append(FieldRequirement(field, op, _unescape_field_value(raw, term)))
    return FieldSelectorExpr(tuple(reqs))


def format_field_selector(expr: FieldSelectorExpr) -> str:
    """Render a field selector in the query-string syntax, escaping values."""
    return str(expr)


_COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})


def _fields(*names: str) -> frozenset[str]:
    return _COMMON_FIELDS | frozenset(names)


#: Field selectors the API server accepts per built-in resource, keyed by (group, plural); every
#: resource, custom ones included, also accepts ``metadata.name`` and ``metadata.namespace``.
SUPPORTED_FIELDS: Mapping[tuple[str, str], frozenset[str]] = {
    ("", "pods"): _fields(
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "events"): _fields(
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "secrets"): _fields("type"),
    ("", "nodes"): _fields("spec.unschedulable"),
    ("", "namespaces"): _fields("status.phase"),
    ("", "replicationcontrollers"): _fields("status.replicas"),
    ("apps", "replicasets"): _fields("status.replicas"),
    ("batch", "jobs"): _fields("status.successful"),
    ("certificates.k8s.io", "certificatesigningrequests"): _fields("spec.signerName"),
}


def supported_fields(group: str, resource: str) -> frozenset[str]:
    """Field selectors ``(group, resource)`` accepts; unknown resources get only the metadata pair."""
    return SUPPORTED_FIELDS.get((group, resource), _COMMON_FIELDS)


def unsupported_fields(expr: FieldSelectorExpr, group: str, resource: str) -> list[str]:
    """Fields in ``expr`` the resource does not declare, in selector order (the server answers 400)."""
    allowed = supported_fields(group, resource)
    return [r.field for r in expr.requirements if r.field not in allowed]


#: Typed zero values: a Go struct field that is absent on the wire still reads as its zero value.
_ZERO: Mapping[str, str] = {
    "spec.hostNetwork": "false",
    "spec.unschedulable": "false",
    "status.replicas": "0",
    "status.successful": "0",
}


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def field_value(obj: Mapping[str, Any], path: str) -> str | None:
    """The string a field selector compares for ``path`` in the wire object ``obj``.

    Missing fields read as their Go zero value ("" for strings, "false", "0"), because the server
    converts the typed object into a field set. Events' ``source`` falls back to the reporting
    controller (``reportingComponent`` on the core/v1 wire), as upstream maps it.
    Returns None only when the path names an object or a list, which no selector can compare.
    """
    if not isinstance(obj, Mapping) or not isinstance(path, str):
        return None
    if path == "source":
        # core/v1 Event: the source component, else the reporting controller (wire name reportingComponent)
        source = obj.get("source")
        component = source.get("component") if isinstance(source, Mapping) else None
        return _scalar_text(component or obj.get("reportingComponent"))
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return _ZERO.get(path, "")
        cur = cur[part]
    if cur is None:
        return _ZERO.get(path, "")
    return _scalar_text(cur)
