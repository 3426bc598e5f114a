"""What the per-group model tests share: loading our YAML fixtures, walking wire data, round trips."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from openyurt.core.api._resource import Resource, parse_object

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def fixture_loader(group: str) -> Callable[[str], dict[str, Any]]:
    """``load(name)``: the one YAML document ``tests/fixtures/<group>/<name>`` holds, as wire data."""

    def load(name: str) -> dict[str, Any]:
        with (FIXTURES / group / name).open() as fh:
            data = yaml.safe_load(fh)
        assert isinstance(data, dict)
        return data

    return load


def assert_fixtures_covered(group: str, names: Iterable[str]) -> None:
    """Every YAML file of the group is one a test names, and the other way round."""
    assert {p.name for p in (FIXTURES / group).glob("*.yaml")} == set(names)


def at(data: Any, path: list[Any]) -> Any:
    """The value at ``path`` (keys and list indexes) inside wire data."""
    for p in path:
        data = data[p]
    return data


def assert_round_trips(data: dict[str, Any], cls: type[Resource]) -> Resource:
    """``data`` parses as ``cls`` and comes back unchanged; returns the parsed object."""
    obj = parse_object(data)
    assert type(obj) is cls
    assert obj.to_wire() == data
    return obj
