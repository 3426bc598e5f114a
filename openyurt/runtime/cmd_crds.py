"""``openyurt crds``: print or write the CRD manifests generated from the models.

With ``--out DIR`` it writes one ``<group>_<plural>.yaml`` per CRD (upstream's layout, so the files can
replace upstream's in a Helm chart) and deletes files it generated earlier for kinds that are gone,
recognised by the generated-file header, so the directory never keeps a stale CRD. Files that are
already up to date are not rewritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openyurt.core import crdgen


def run(out: Path | None) -> int:
    crds = crdgen.generate_crds()
    if out is None:
        sys.stdout.write("---\n".join(crdgen.crd_yaml(crd) for crd in crds))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    wanted = {crdgen.crd_filename(crd): crdgen.crd_yaml(crd) for crd in crds}
    for name, text in wanted.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for path in sorted(out.glob("*.yaml")):
        if path.name not in wanted and _generated_by_us(path):
            path.unlink()
            print(f"removed stale {path}", file=sys.stderr)
    return 0


def _generated_by_us(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            return fh.readline().rstrip("\n") == crdgen.GENERATED_HEADER
    except OSError:
        return False
