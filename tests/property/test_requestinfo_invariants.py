"""Properties of yurthub's request path: RequestInfo resolution and the cache's write rule.

- resolve_never_raises: ``resolve`` and ``make_request`` return for any method, path, query and headers.
- resolve_round_trips_canonical_paths: resolving ``resource_path(group, version, resource, ns, name,
  sub)`` gives back exactly those parts, with verb get/list/watch/create/update/patch/delete as the
  apiserver assigns them.
- component_is_normalised: a component is lower-case, contains no ``/`` and prefixes the lower-cased UA.
- should_replace_is_monotonic: an older numeric resourceVersion never replaces a newer one; an equal
  or newer one always does.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openyurt.core.hub.cachepolicy import should_replace
from openyurt.core.hub.requestinfo import (
    NAMESPACE_SUBRESOURCES,
    SPECIAL_VERBS,
    component_of,
    make_request,
    resolve,
    resource_path,
)

METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "BREW"])
SEGMENT_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ANY_PATH = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.one_of(SEGMENT_TEXT, st.sampled_from(["api", "apis", "v1", "watch", "proxy", "namespaces", "status", ""])),
        max_size=9,
    ).map(lambda parts: "/" + "/".join(parts)),
)
QUERY_KEYS = st.sampled_from(["watch", "fieldSelector", "labelSelector", "timeoutSeconds", "limit", "timeout", "x"])
QUERY = st.dictionaries(QUERY_KEYS, st.text(max_size=20), max_size=5)


@given(
    METHODS,
    ANY_PATH,
    QUERY,
    st.dictionaries(st.sampled_from(["User-Agent", "accept", "Content-Type", "X"]), st.text(max_size=30)),
)
def test_resolve_never_raises(method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> None:
    info = resolve(method, path, query)
    assert info.path == path
    req = make_request(method, path, query, headers)
    assert req.info == info


SEG = st.from_regex(r"\A[a-z0-9]([-a-z0-9.]{0,8}[a-z0-9])?\Z", fullmatch=True)
RESOURCE = SEG.filter(lambda s: s not in SPECIAL_VERBS and s != "namespaces" and s not in NAMESPACE_SUBRESOURCES)


@st.composite
def canonical(draw: st.DrawFn) -> tuple[str, str, str, str, str, str, str]:
    group = draw(st.one_of(st.just(""), SEG.map(lambda s: s + ".io")))
    version = draw(SEG)
    resource = draw(RESOURCE)
    namespace = draw(st.one_of(st.just(""), SEG))
    name = draw(st.one_of(st.just(""), SEG))
    sub = draw(st.one_of(st.just(""), SEG)) if name else ""
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    return group, version, resource, namespace, name, sub, method


@given(canonical(), st.booleans())
def test_resolve_round_trips_canonical_paths(parts: tuple[str, str, str, str, str, str, str], watch: bool) -> None:
    group, version, resource, namespace, name, sub, method = parts
    path = resource_path(group, version, resource, namespace, name, sub)
    query = {"watch": "true"} if watch else {}
    info = resolve(method, path, query)
    assert info.is_resource_request
    assert (info.api_group, info.api_version, info.resource) == (group, version, resource)
    assert (info.namespace, info.name, info.subresource) == (namespace, name, sub)
    assert info.api_prefix == ("apis" if group else "api")
    expected = {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if name else "deletecollection",
        "GET": "get" if name else ("watch" if watch else "list"),
    }[method]
    assert info.verb == expected


@given(st.text(max_size=40))
def test_component_is_normalised(ua: str) -> None:
    comp = component_of(ua)
    assert "/" not in comp
    assert comp == comp.lower()
    assert ua.lower().startswith(comp)


RV = st.integers(min_value=0, max_value=2**64 - 1)


@given(RV, RV)
def test_should_replace_is_monotonic(a: int, b: int) -> None:
    old, new = str(max(a, b)), str(min(a, b))
    if a != b:
        assert not should_replace(old, new)
    assert should_replace(new, old)
    assert should_replace(old, old)
    assert should_replace(None, new)
