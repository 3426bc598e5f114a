"""``openyurt validate``: the verdicts an API server with OpenYurt's webhooks would give, on our own fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from openyurt.runtime.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"
REPO = Path(__file__).resolve().parents[2]


def validate(path: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", "-f", path], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_valid_multi_document_file_prints_defaulted_objects() -> None:
    path = str(EXAMPLES / "valid-multi.yaml")
    code, out, err = validate(path)
    assert (code, err) == (0, "")
    docs = list(yaml.safe_load_all(out))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("NodePool", "hangzhou"), ("Gateway", "gw-hangzhou")]
    pool, gateway = docs
    # the NodePool mutating webhook: default strategy, type label, pool-scope metadata, zeroed status
    assert pool["spec"]["leaderElectionStrategy"] == "random"
    assert pool["metadata"]["labels"] == {"nodepool.openyurt.io/type": "edge"}
    assert pool["status"]["readyNodeNum"] == 0
    # timestamps stay the strings they were (YAML would otherwise make datetimes of them)
    assert pool["spec"]["taints"][0]["timeAdded"] == "2024-01-02T03:04:05Z"
    assert gateway["spec"]["endpoints"][0]["port"] == 4500


def test_json_input_and_stdin() -> None:
    text = (EXAMPLES / "valid.json").read_text()
    for code, out, err in (validate(str(EXAMPLES / "valid.json")), validate("-", stdin=text)):
        assert (code, err) == (0, "")
        assert yaml.safe_load(out) == json.loads(text)


def test_stdin_errors_are_labelled_stdin() -> None:
    code, out, err = validate("-", stdin=(EXAMPLES / "type-error.yaml").read_text())
    assert code == 1
    assert out == ""
    assert err.startswith("<stdin>: NodePool/shanghai: spec.taints:")


def test_unknown_field_is_a_warning_and_pruned() -> None:
    path = str(EXAMPLES / "pruned-field.yaml")
    code, out, err = validate(path)
    assert code == 0
    assert err == f'{path}: NodePool/beijing: warning: unknown field "spec.addresses"\n'
    assert "addresses" not in yaml.safe_load(out)["spec"]


def test_type_error_names_the_field() -> None:
    path = str(EXAMPLES / "type-error.yaml")
    code, out, err = validate(path)
    assert (code, out) == (1, "")
    assert err == f"{path}: NodePool/shanghai: spec.taints: Invalid value: expected array, got string\n"


def test_webhook_error() -> None:
    path = str(EXAMPLES / "webhook-error.yaml")
    code, out, err = validate(path)
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}: NodePool/shenzhen: spec.type: ")
    assert '"Fog"' in err and "Edge" in err and len(err.splitlines()) == 1


def test_unknown_kind() -> None:
    path = str(EXAMPLES / "unknown-kind.yaml")
    code, _, err = validate(path)
    assert code == 1
    assert err == f'{path}: Widget/w1: kind: no kind "Widget" is registered for version "example.com/v1"\n'


def test_yaml_syntax_error_reports_the_line() -> None:
    path = str(EXAMPLES / "syntax-error.yaml")
    code, out, err = validate(path)
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}: line 5, column 2: invalid YAML: ")


def test_non_object_document() -> None:
    path = str(EXAMPLES / "not-an-object.yaml")
    code, _, err = validate(path)
    assert code == 1
    assert err == f"{path}: document 1: expected a Kubernetes object (a mapping), got array\n"


def test_missing_kind_is_an_error() -> None:
    code, _, err = validate("-", stdin="apiVersion: v1\n")
    assert code == 1
    assert err == "<stdin>: document 1: kind: Required value\n"


def test_duplicate_keys_warn_and_the_last_wins() -> None:
    text = (EXAMPLES / "valid.json").read_text()
    doc = yaml.safe_dump(json.loads(text), sort_keys=False) + "spec:\n  loadBalancerClass: other\n"
    code, out, err = validate("-", stdin=doc)
    assert code == 0
    assert err == "<stdin>: PoolService/web-hangzhou: warning: line 8: duplicate key 'spec'; the last value is used\n"
    assert yaml.safe_load(out)["spec"] == {"loadBalancerClass": "other"}


def test_empty_documents_are_skipped_and_lists_expanded() -> None:
    pool = {"apiVersion": "apps.openyurt.io/v1beta1", "kind": "NodePool", "metadata": {"name": "a"}}
    text = "---\n---\n" + yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [pool, pool | {"spec": 1}]})
    code, out, err = validate("-", stdin=text)
    assert (code, out) == (1, "")
    assert err == "<stdin>: NodePool/a: spec: Invalid value: expected object, got integer\n"
    assert validate("-", stdin="---\n# nothing\n") == (0, "", "")


def test_missing_file() -> None:
    code, _, err = validate("/nonexistent/manifest.yaml")
    assert code == 1
    assert err.startswith("/nonexistent/manifest.yaml: error: cannot read:")


def test_real_process() -> None:
    """The installed console script (or the CLI's main in a fresh interpreter), stdin and exit codes."""
    script = shutil.which("openyurt")
    cmd = [script] if script else [sys.executable, "-c", "from openyurt.runtime.cli import main; main()"]
    ok = subprocess.run(
        [*cmd, "validate", "-f", str(EXAMPLES / "valid-multi.yaml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert (ok.returncode, ok.stderr) == (0, "")
    assert len(list(yaml.safe_load_all(ok.stdout))) == 2
    bad = subprocess.run(
        [*cmd, "validate", "-f", "-"],
        input=(EXAMPLES / "webhook-error.yaml").read_text(),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.startswith("<stdin>: NodePool/shenzhen: spec.type: ")
