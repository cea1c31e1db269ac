"""The geography is the ground floor: provinces imports no app of the IMS but core."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROJECT_APPS = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"gdi_ims"}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names & PROJECT_APPS


def test_provinces_imports_no_app_but_core():
    sources = [p for p in (ROOT / "provinces").rglob("*.py") if "migrations" not in p.parts]
    assert sources
    reached = {str(p.relative_to(ROOT)): imported_apps(p) - {"core", "provinces"} for p in sources}

    assert {path: apps for path, apps in reached.items() if apps} == {}
    assert "compilation" in PROJECT_APPS  # the scan knows the app the compilation moved to
