"""Upstream's published example manifests through ``openyurt validate`` and the models.

The one test that reads ``<repo>/../shared/reference/examples`` (upstream data, not ours): the verdict
recorded for each file in its SOURCES.md must be ours too. Valid examples pass and round-trip byte for
byte; "expected array" ones are rejected naming the field; "unknown field" ones warn about each field
the API server would prune. SOURCES.md checked the schema only, so the few examples a real API server
or OpenYurt webhook would still refuse are listed below with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from openyurt.core.api import parse_object
from openyurt.core.crdgen import load_api_modules
from openyurt.runtime.cli import app
from openyurt.runtime.cmd_validate import KubeLoader

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "examples"

if not (EXAMPLES / "SOURCES.md").is_file():
    pytest.skip(f"upstream examples not present at {EXAMPLES}", allow_module_level=True)

#: Schema-valid examples that the API server or a webhook still rejects, with the error we expect.
REJECTED_BEYOND_SCHEMA = {
    # docs placeholder: a shell variable is not a DNS-1123 name
    "NodePool-21.yaml": "NodePool/$WORKER_NODEPOOL: metadata.name: Invalid value: '$WORKER_NODEPOOL'",
    # docs placeholder IPs ("120.79.xxx.xxx"): the Gateway webhook parses publicIP
    "Gateway-9.yaml": 'spec.endpoints[0].publicIP: Invalid value: "120.79.xxx.xxx"',
    # the YurtAppSet webhook validates the template as a Deployment, and it has no selector
    "YurtAppSet-3.yaml": "deploymentTemplate.spec.selector: Required value",
    "YurtAppSet-5.yaml": "deploymentTemplate.spec.selector: Required value",
}


def sources() -> dict[str, str]:
    """File name -> the "check" column of SOURCES.md."""
    out = {}
    for line in (EXAMPLES / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].endswith(".yaml"):
            out[cells[0]] = cells[5]
    return out


def fields(check: str, verdict: str) -> list[str]:
    return [m.lstrip(".") for m in re.findall(r"(\.[\w.\[\]]+): " + verdict, check)]


load_api_modules()  # registers every kind, as the CLI does
SOURCES = sources()
VALID = sorted(f for f, check in SOURCES.items() if check.startswith("valid"))
TYPE_ERRORS = sorted(f for f, check in SOURCES.items() if "expected array" in check)
PRUNED = sorted(f for f, check in SOURCES.items() if "unknown field" in check and "expected array" not in check)


def load(name: str) -> Any:
    return yaml.load((EXAMPLES / name).read_text(), Loader=KubeLoader)


def validate(name: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", "-f", str(EXAMPLES / name)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_sources_md_was_understood() -> None:
    assert len(SOURCES) == len(list(EXAMPLES.glob("*.yaml")))
    assert set(VALID) | set(TYPE_ERRORS) | set(PRUNED) == set(SOURCES)
    assert TYPE_ERRORS and PRUNED and VALID


@pytest.mark.parametrize("name", VALID)
def test_valid_examples_pass_and_round_trip(name: str) -> None:
    data = load(name)
    assert parse_object(data).to_wire() == data
    code, out, err = validate(name)
    assert "unknown field" not in err
    if name in REJECTED_BEYOND_SCHEMA:
        assert code == 1
        assert REJECTED_BEYOND_SCHEMA[name] in err
        return
    assert code == 0, err
    assert all(": warning: " in line for line in err.splitlines()), err
    (obj,) = yaml.safe_load_all(out)
    assert (obj["apiVersion"], obj["kind"]) == (data["apiVersion"], data["kind"])


@pytest.mark.parametrize("name", TYPE_ERRORS)
def test_type_errors_are_rejected_naming_the_field(name: str) -> None:
    code, out, err = validate(name)
    assert (code, out) == (1, "")
    for field in fields(SOURCES[name], "expected array"):
        assert f": {field}: Invalid value: expected array" in err, err


@pytest.mark.parametrize("name", PRUNED)
def test_unknown_fields_are_pruned_with_a_warning(name: str) -> None:
    data = load(name)
    assert parse_object(data).to_wire() == data
    code, out, err = validate(name)
    for field in fields(SOURCES[name], "unknown field"):
        assert f': warning: unknown field "{field}"' in err, err
    if name in REJECTED_BEYOND_SCHEMA:
        assert code == 1
        assert REJECTED_BEYOND_SCHEMA[name] in err
        return
    assert code == 0, err
    (obj,) = yaml.safe_load_all(out)
    for field in fields(SOURCES[name], "unknown field"):
        node: Any = obj
        *parents, leaf = re.split(r"\.|(?=\[)", field)
        for part in parents:
            node = node[int(part[1:-1])] if part.startswith("[") else node[part]
        assert leaf not in node, f"{field} was not pruned"
