"""The fakes package is dev-only: no service's runtime dependencies may name it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_no_service_depends_on_fakes_at_runtime() -> None:
    offenders = []
    for pyproject in ROOT.glob("*/pyproject.toml"):
        deps = tomllib.loads(pyproject.read_text())["project"].get("dependencies", [])
        if any(d.split("[")[0].split(">")[0].strip() == "vt-fakes" for d in deps):
            offenders.append(str(pyproject.relative_to(ROOT)))
    for pyproject in (ROOT / "packages").glob("*/pyproject.toml"):
        if pyproject.parent.name == "fakes":
            continue
        deps = tomllib.loads(pyproject.read_text())["project"].get("dependencies", [])
        if any(d.strip().startswith("vt-fakes") for d in deps):
            offenders.append(str(pyproject.relative_to(ROOT)))
    assert offenders == [], f"runtime dependency on the dev-only vt-fakes: {offenders}"


def test_no_service_source_imports_fakes() -> None:
    hits = [
        str(p.relative_to(ROOT))
        for p in ROOT.glob("*/src/**/*.py")
        if "vt_fakes" in p.read_text(encoding="utf-8")
    ]
    assert hits == [], f"service code imports the dev-only fakes: {hits}"
