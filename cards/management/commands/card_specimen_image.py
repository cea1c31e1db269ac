from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import override_settings
from PIL import Image

from cards import pdf, samples


class Command(BaseCommand):
    help = (
        "Write a PNG of both faces of the sample card's specimen (the README's image), rendered by "
        "the card renderer itself and rasterised by poppler's pdftoppm."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="docs/card-specimen.png")
        parser.add_argument("--dpi", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        with tempfile.TemporaryDirectory() as folder, override_settings(MEDIA_ROOT=folder):
            source = Path(folder) / "specimen.pdf"
            source.write_bytes(pdf.render_specimen(samples.sample_card()))
            prefix = Path(folder) / "face"
            pdftoppm = shutil.which("pdftoppm")
            if pdftoppm is None:
                raise CommandError("pdftoppm (poppler-utils) is needed to rasterise the PDF.")
            # Our own arguments only: an integer resolution and paths in our temporary folder.
            subprocess.run(  # noqa: S603
                [pdftoppm, "-r", str(options["dpi"]), "-png", str(source), str(prefix)],
                check=True,
            )
            front, back = (
                Image.open(p).convert("RGB") for p in sorted(Path(folder).glob("face*.png"))
            )
            gap = front.width // 20
            # A grey sheet, so the edges of each face (and the back's white zone) show.
            size = (front.width * 2 + gap * 3, front.height + gap * 2)
            sheet = Image.new("RGB", size, (214, 220, 228))
            sheet.paste(front, (gap, gap))
            sheet.paste(back, (front.width + gap * 2, gap))
        output.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(output, optimize=True)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({sheet.width} x {sheet.height})."))
