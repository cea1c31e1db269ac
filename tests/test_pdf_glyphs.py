"""The glyph check itself: it must see glyph 0 anywhere in a text run, not only first."""

from __future__ import annotations

import pytest

from tests.pdf_glyphs import _shows_glyph_zero


@pytest.mark.parametrize(
    ("stream", "shown"),
    [
        (b"BT [<00120047>] TJ ET", False),
        (b"BT [<0012> -20 <00470000>] TJ ET", True),
        (b"BT <0000> Tj ET", True),
        # 0x0100 followed by 0x0020: the zeros straddle two ids, no glyph 0.
        (b"BT [<01000020>] TJ ET", False),
    ],
)
def test_glyph_zero_is_found_in_any_position_of_a_text_run(stream, shown):
    assert _shows_glyph_zero(stream) is shown
