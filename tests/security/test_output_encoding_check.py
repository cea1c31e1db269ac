"""The lint step that forbids unreviewed `|safe` and `mark_safe` finds them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_checker():
    spec = importlib.util.spec_from_file_location(
        "check_output_encoding", ROOT / "scripts" / "check_output_encoding.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_project_has_no_unreviewed_unescaped_output():
    assert load_checker().offences() == []


def test_the_checker_flags_safe_filters_autoescape_off_and_mark_safe(tmp_path, monkeypatch):
    checker = load_checker()
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        "{{ resident.surname|safe }}\n{% autoescape off %}{{ x }}{% endautoescape %}\n{{ ok }}\n"
    )
    (tmp_path / "views.py").write_text(
        "from django.utils.safestring import mark_safe\nmark_safe(name)\n"
    )
    monkeypatch.setattr(checker, "ROOT", tmp_path)

    assert checker.offences() == [
        "templates/page.html:1: {{ resident.surname|safe }}",
        "templates/page.html:2: {% autoescape off %}{{ x }}{% endautoescape %}",
        "views.py:2: mark_safe(name)",
    ]
    assert checker.main() == 1
