"""Reading a List's items one at a time gives exactly what decoding it whole gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.hub.listjson import ListJSONError, split_list
from tests.property.strategies import JSON, JSON_OBJECT, SHORT_TEXT

TOP = st.dictionaries(SHORT_TEXT.filter(lambda k: k != "items"), JSON, max_size=4)
SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (",\n  ", " :\t")])


@settings(max_examples=300, deadline=None)
@given(
    before=TOP,
    after=TOP,
    items=st.lists(st.one_of(JSON_OBJECT, JSON), max_size=6),
    seps=SEPARATORS,
    indent=st.sampled_from([None, 1, 4]),
    ascii_only=st.booleans(),
)
def test_items_one_at_a_time_equal_the_whole_decode(
    before: dict[str, Any],
    after: dict[str, Any],
    items: list[Any],
    seps: tuple[str, str],
    indent: int | None,
    ascii_only: bool,
) -> None:
    doc = {**before, "items": items, **{k: v for k, v in after.items() if k not in before}}
    text = json.dumps(doc, separators=seps, indent=indent, ensure_ascii=ascii_only)
    head, it = split_list(text)
    assert head == before, "the members before items are decoded before the first item"
    got = list(it)
    assert got == items
    assert {**head, "items": got} == json.loads(text), "the members after items arrive once the items ran out"


@pytest.mark.parametrize(
    "text",
    ["[]", '"x"', "{}", '{"kind":"PodList"}', '{"items":{}}', '{"kind" "x","items":[]}', '{"items":[1 2]}'],
)
def test_not_a_list_is_refused(text: str) -> None:
    with pytest.raises(ListJSONError):
        _, it = split_list(text)
        list(it)


def test_malformed_item_is_reported_when_reached() -> None:
    head, it = split_list('{"kind":"PodList","items":[{"a":1},{"b":]}')
    assert head == {"kind": "PodList"}
    assert next(it) == {"a": 1}
    with pytest.raises(ListJSONError):
        next(it)
