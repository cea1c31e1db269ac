"""The card's management commands."""

from __future__ import annotations

import math

from django.core.management import call_command
from PIL import Image


def test_the_specimen_image_shows_both_faces_side_by_side_at_the_asked_resolution(tmp_path):
    output = tmp_path / "docs" / "specimen.png"

    call_command("card_specimen_image", output=str(output), dpi=100)

    image = Image.open(output)
    face = (math.ceil(85.6 / 25.4 * 100), math.ceil(54 / 25.4 * 100))  # 338 x 213 pixels
    gap = face[0] // 20
    assert image.size == (face[0] * 2 + gap * 3, face[1] + gap * 2)
    # The front's blue band at the top left of the first face; the back's white zone below right.
    assert image.getpixel((gap + 5, gap + 5)) == (11, 61, 117)
    assert image.getpixel((face[0] + gap * 2 + 5, gap + face[1] - 5)) == (255, 255, 255)
