"""Visual regression of the PDFs the IMS makes: pages rendered to images, compared with reviewed
reference images, so that a change of layout, font or shaping is seen and has to be looked at.

Pages are rendered by poppler's pdftoppm at a fixed resolution. A pixel differs when one of its
channels moved by more than PIXEL_THRESHOLD (anti-aliasing noise stays below); a page matches its
reference when at most TOLERANCE of its pixels differ. A field moved by a millimetre or a line in
another font changes far more than that.

To accept a reviewed change, run the tests with UPDATE_REFERENCE_IMAGES=1: they write the new
references (look at them before committing) and pass. On a mismatch the rendered page and a
difference image are left beside the test's temporary folder for review.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from PIL import Image, ImageChops

PIXEL_THRESHOLD = 48
TOLERANCE = 0.002


def page_images(content: bytes, *, dpi: int, folder: Path) -> list[Image.Image]:
    """Every page of a PDF as an RGB image at `dpi`, in order."""
    source = folder / "pages.pdf"
    source.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(source), str(folder / "page")], check=True
    )
    return [Image.open(path).convert("RGB") for path in sorted(folder.glob("page*.png"))]


def differing_share(image: Image.Image, reference: Image.Image) -> float:
    """The share of pixels that differ visibly (1.0 when the sizes differ)."""
    if image.size != reference.size:
        return 1.0
    difference = ImageChops.difference(image, reference).convert("L")
    histogram = difference.point(lambda v: 255 if v > PIXEL_THRESHOLD else 0).histogram()
    return histogram[255] / (image.width * image.height)


def updating() -> bool:
    return os.environ.get("UPDATE_REFERENCE_IMAGES") == "1"


def mismatches(images: dict[str, Image.Image], *, references: Path, folder: Path) -> list[str]:
    """Compare each named image with `references/<name>.png`; describe every mismatch.

    With UPDATE_REFERENCE_IMAGES=1 the references are written instead, and nothing mismatches.
    """
    found = []
    for name, image in images.items():
        reference_file = references / f"{name}.png"
        if updating():
            references.mkdir(parents=True, exist_ok=True)
            image.save(reference_file, optimize=True)
            continue
        if not reference_file.exists():
            found.append(f"{name}: no reference image {reference_file.name}")
            continue
        reference = Image.open(reference_file).convert("RGB")
        share = differing_share(image, reference)
        if share > TOLERANCE:
            image.save(folder / f"{name}-actual.png")
            if image.size == reference.size:
                ImageChops.difference(image, reference).save(folder / f"{name}-difference.png")
            found.append(f"{name}: {share:.2%} of pixels differ (saved in {folder})")
    return found
