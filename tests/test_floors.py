"""No app reaches up: an app imports only the apps on the floors below it (docs/architecture.md).

Every Python file of every app is read (migrations and tests excepted) and every import in it,
at the top of the module or inside a function, is checked against the table of floors. So is every
`apps.get_model` naming another app's label: a model is imported from a lower app, and an upper
app's is reached through a hook (core.hooks), never looked up by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The floors, from the ground up (the same order as docs/architecture.md). An app may import the
# apps on a lower floor; two apps on one floor may import each other.
FLOORS = {
    "core": 0,
    "provinces": 1,
    "accounts": 2,
    "audit": 2,
    "residents": 3,
    "cards": 4,
    "imports": 5,
    "compilation": 6,
    "jobs": 7,
    "demo": 8,
    # The roof: the project's wiring (settings, URLs, navigation, Celery, the sweep of queued work).
    # It may import any app; no app imports it (what apps share lives in core).
    "gdi_ims": 9,
}


def _app_files() -> list[tuple[str, Path]]:
    files = []
    for app in FLOORS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            files.append((app, path))
    return files


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _reaches(app: str, source: str, where: str) -> list[str]:
    """Each place in the source that reaches above `app`, or into another app by its label."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=where)):
        line = getattr(node, "lineno", 0)
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            first = _string(node.args[0])
            if name == "import_module" and first:
                modules = [first]
            elif name == "get_model" and first:
                label = first.split(".")[0]
                if label != app and label in FLOORS:
                    found.append((line, f"{app} looks up a model of {label} by name"))
        for module in modules:
            top = module.split(".")[0]
            if top in FLOORS and FLOORS[top] > FLOORS[app]:
                found.append((line, f"{app} imports {module}, a floor above"))
    return [f"{where}:{line}: {what}" for line, what in sorted(found)]


def _reaches_of(app: str, path: Path) -> list[str]:
    return _reaches(app, path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def test_no_app_imports_an_app_above_it_or_names_another_apps_model():
    reaches = [reach for app, path in _app_files() for reach in _reaches_of(app, path)]

    assert reaches == []


def test_the_walk_finds_an_import_inside_a_function_and_a_model_named_by_label():
    source = (
        "from residents import hooks\n"
        "def f():\n"
        "    from jobs.tasks import notify_print_run_failed_task\n"
        "    import demo, provinces\n"
        "    apps.get_model('cards', 'ResidenceCard')\n"
        "    return apps.get_model('imports.ImportBatch')\n"
    )

    reaches = _reaches("cards", source, "cards/example.py")

    assert reaches == [
        "cards/example.py:3: cards imports jobs.tasks, a floor above",
        "cards/example.py:4: cards imports demo, a floor above",
        "cards/example.py:6: cards looks up a model of imports by name",
    ]


def test_the_floors_are_listed_in_the_contributors_page_in_the_same_order():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page[page.index("| floor |") :].split("\n\n")[0]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:]]
    listed = {name.strip(" `"): int(floor) for floor, names in rows for name in names.split(",")}

    assert listed == FLOORS
    assert list(listed) == list(FLOORS)


def test_the_project_package_is_the_roof_no_app_imports_it():
    source = "from gdi_ims import queue\nimport gdi_ims.celery\nfrom core import queue as outbox\n"

    reaches = _reaches("imports", source, "imports/example.py")

    assert reaches == [
        "imports/example.py:1: imports imports gdi_ims, a floor above",
        "imports/example.py:2: imports imports gdi_ims.celery, a floor above",
    ]
