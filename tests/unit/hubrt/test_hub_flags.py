"""The OTA directories reach the hub from both command lines (`openyurt hub` and `python -m`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from openyurt.runtime import cli
from openyurt.runtime.hub import __main__ as hub_main
from openyurt.runtime.hub import main as hub_runtime


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_run(*args: Any, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(hub_runtime, "run", fake_run)
    monkeypatch.setattr(hub_main, "run", fake_run)
    return seen


BASE = ["--kubeconfig", "k", "--node-name", "n1", "--cache-dir", "c"]


def test_defaults_are_upstreams(captured: dict[str, Any]) -> None:
    assert hub_main.main(BASE) == 0
    assert captured["manifest_dir"] == Path("/etc/kubernetes/manifests")
    assert captured["ota_staging_dir"] == Path("/tmp/manifests")


def test_python_m_flags(captured: dict[str, Any], tmp_path: Path) -> None:
    args = [*BASE, "--static-pod-manifests-dir", str(tmp_path / "m"), "--ota-staging-dir", str(tmp_path / "s")]
    assert hub_main.main(args) == 0
    assert (captured["manifest_dir"], captured["ota_staging_dir"]) == (tmp_path / "m", tmp_path / "s")


def test_openyurt_hub_flags(captured: dict[str, Any], tmp_path: Path) -> None:
    args = ["hub", *BASE, "--static-pod-manifests-dir", str(tmp_path / "m"), "--ota-staging-dir", str(tmp_path / "s")]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert (captured["manifest_dir"], captured["ota_staging_dir"]) == (tmp_path / "m", tmp_path / "s")
