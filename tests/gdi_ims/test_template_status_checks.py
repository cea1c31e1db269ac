"""Templates ask the view or the model what may be done, never compare a status themselves.

A `{% if declaration.status == "verified" %}` copies the transition table into markup, where it
drifts from the services' checks; the pages read `can_*` flags from the view or properties of the
model (`declaration.awaits_review`, `batch.is_committed`), and badge colours come from Python.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Outside this check: the geography's pages.
OUTSIDE = {TEMPLATES / "provinces"}

_TAG = re.compile(r"{%-?\s*(?:if|elif)\b(.*?)-?%}", re.DOTALL)
_NAME = r"[\w.]*status\w*"
_LITERAL = r"""(?:"[^"]*"|'[^']*')"""
_COMPARISON = re.compile(
    rf"{_NAME}\s*(?:==|!=|\bnot\s+in\b|\bin\b)\s*{_LITERAL}"
    rf"|{_LITERAL}\s*(?:==|!=|\bnot\s+in\b|\bin\b)\s*{_NAME}"
)


def status_comparisons(text: str) -> list[str]:
    """The `{% if %}`/`{% elif %}` conditions of a template that compare a status to a literal."""
    return [
        match.group(0)
        for tag in _TAG.finditer(text)
        for match in _COMPARISON.finditer(tag.group(1))
    ]


def test_the_check_finds_each_way_a_template_compares_a_status_to_a_literal():
    assert status_comparisons('{% if declaration.status == "draft" %}') == [
        'declaration.status == "draft"'
    ]
    assert status_comparisons("{% elif 'failed' != run.status %}") == ["'failed' != run.status"]
    assert status_comparisons('{% if status in "draft,returned" %}') == [
        'status in "draft,returned"'
    ]
    assert status_comparisons('{%if log.status!="ready"%}') == ['log.status!="ready"']
    assert status_comparisons('{% if batch.is_committed %}{{ "status" }}') == []
    assert status_comparisons("{% if declaration.status_reason %}") == []


def test_no_template_compares_a_status_to_a_string_literal():
    found = {
        str(path.relative_to(TEMPLATES)): comparisons
        for path in sorted(TEMPLATES.rglob("*.html"))
        if not any(path.is_relative_to(outside) for outside in OUTSIDE)
        if (comparisons := status_comparisons(path.read_text(encoding="utf-8")))
    }

    assert found == {}
