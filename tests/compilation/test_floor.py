"""The compilation sits above residents, cards and imports: none of them imports it."""

from __future__ import annotations

from tests.provinces.test_floor import ROOT, imported_apps


def test_no_app_below_the_compilation_imports_it_not_even_inside_a_function():
    below = ["provinces", "accounts", "audit", "residents", "cards", "imports", "core"]
    sources = [
        p for app in below for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts
    ]
    assert len(sources) > 50

    reaching_up = [str(p.relative_to(ROOT)) for p in sources if "compilation" in imported_apps(p)]

    assert reaching_up == []
