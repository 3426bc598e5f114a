"""The layer contract, checked from pytest too (scripts/test also runs import-linter).

core is pure: it may not import I/O, clock or randomness, nor the outer layers; adapters never import
runtime. A bad import anywhere fails here with the file and line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "openyurt"
CORE_BANNED = {
    "asyncio",
    "aiohttp",
    "kubernetes_asyncio",
    "httpx",
    "pyroute2",
    "socket",
    "subprocess",
    "time",
    "random",
    "openyurt.adapters",
    "openyurt.runtime",
    "threading",
    "sqlite3",
}
ADAPTERS_BANNED = {"openyurt.runtime"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _violations(layer: str, banned: set[str]) -> list[str]:
    bad = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for lineno, mod in _imports(path):
            if any(mod == b or mod.startswith(b + ".") for b in banned):
                bad.append(f"{path.relative_to(PKG.parent)}:{lineno}: imports {mod}")
    return bad


@pytest.mark.parametrize(("layer", "banned"), [("core", CORE_BANNED), ("adapters", ADAPTERS_BANNED)])
def test_layer_never_imports_upward_or_effects(layer: str, banned: set[str]) -> None:
    assert _violations(layer, banned) == []


def test_checker_sees_a_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom time import monotonic\n")
    assert [m for _, m in _imports(bad)] == ["os", "time"]


def test_core_imports_without_io_libraries() -> None:
    """openyurt.core works where aiohttp, kubernetes_asyncio and pyroute2 are absent."""
    code = (
        "import sys\n"
        "for name in ('aiohttp', 'kubernetes_asyncio', 'pyroute2', 'httpx'):\n"
        "    sys.modules[name] = None\n"
        "import openyurt.core.api as api\n"
        "assert api.registered_kinds()\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
