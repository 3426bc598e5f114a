"""Properties every registered kind keeps, whatever data a client sends.

- model_round_trip: valid wire data parses, and ``to_wire`` gives back exactly the same data.
- unknown_fields_survive: keys we do not model survive a round trip (and are reported as prunable).
- invalid_type_names_field: a value of the wrong JSON type is rejected with that field's path.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openyurt.core.api import ObjectInvalid, parse_object, registered_kinds, unknown_fields
from tests.property.strategies import mutate, resource_data, typed_leaves

KINDS = sorted(registered_kinds().items(), key=lambda kv: kv[0])
IDS = [f"{av}/{k}" for (av, k), _ in KINDS]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("cls", [c for _, c in KINDS], ids=IDS)
@SETTINGS
@given(data=st.data())
def test_model_round_trip(cls: Any, data: st.DataObject) -> None:
    wire = data.draw(resource_data(cls))
    obj = parse_object(wire)
    assert type(obj) is cls
    assert obj.to_wire() == wire
    assert parse_object(obj.to_wire()) == obj


@pytest.mark.parametrize("cls", [c for _, c in KINDS], ids=IDS)
@SETTINGS
@given(data=st.data())
def test_unknown_fields_survive(cls: Any, data: st.DataObject) -> None:
    wire = data.draw(resource_data(cls))
    wire["metadata"] = {**wire["metadata"], "zzUnknown": {"kept": [1, 2]}}
    wire["zzTopLevel"] = "x"
    obj = parse_object(wire)
    assert obj.to_wire() == wire
    if not cls.open_schema:
        assert "zzTopLevel" in unknown_fields(obj)


@pytest.mark.parametrize("cls", [c for _, c in KINDS], ids=IDS)
@SETTINGS
@given(data=st.data())
def test_invalid_type_names_field(cls: Any, data: st.DataObject) -> None:
    wire = data.draw(resource_data(cls))
    leaves = typed_leaves(cls, wire)
    loc, path, json_type = data.draw(st.sampled_from(leaves))
    bad = mutate(wire, loc, json_type)
    with pytest.raises(ObjectInvalid) as info:
        parse_object(bad)
    assert path in [e.path for e in info.value.errors], info.value.errors
