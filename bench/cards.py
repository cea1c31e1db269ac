"""Card PDFs: a print run's cost per card and a single-card preview, against a trivial document.

Baseline, measured in the same process and run: WeasyPrint rendering a trivial one-page document
(a heading and a paragraph, no web fonts). Goals: a print run costs at most 1.5 times the trivial
document per card (each card is two pages, front and back, with the embedded Khmer face, a photo
of its own and a QR code: 500 distinct photos at the size the IMS stores them, so that no image
is decoded or embedded once for many cards); a single-card preview at most 4 times. Also
reported: the peak memory (RSS) the run added to the process.

A second run gives every card a name in its holder's own script (Chinese, Korean, Japanese, Thai,
Arabic, Vietnamese; many different Chinese characters, so the run draws from many pieces of the
Chinese face), first in a fresh thread (the pieces declared, their TrueType already decoded on
this machine) and again in the same thread: the cost of the own-script faces against the same
baseline.

The cards are built in memory (unsaved model instances) and rendered by the same code the print-run
task calls (`cards.pdf.render_cards`: chunks of cards, each laid out and written to PDF, then the
chunks' PDFs joined), so the figures are the renderer's, without database noise. The goals are
judged on wall time; the same ratio in CPU time is printed too, as a check when the machine is
shared. Size: BENCH_CARDS (default 500). Needs no database.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gdi_ims.settings.base")
    django.setup()


def _photos(folder: Path, count: int) -> list[str]:
    """`count` distinct photos at the size the IMS stores them (residents.uploads), one file each.

    Each is a portrait of its own: a background, a head and shoulders of their own colours and
    place, and grain, saved as the upload cleaner saves them (JPEG, quality 85), so every card of
    the run embeds and draws an image of its own, as a real print run does.
    """
    from PIL import Image, ImageDraw, ImageFilter

    from residents.uploads import PHOTO_PRINT_SIZE

    width, height = PHOTO_PRINT_SIZE
    folder.mkdir(parents=True, exist_ok=True)
    grain = Image.effect_noise((width, height), 24).convert("RGB")
    names = []
    for n in range(count):
        image = Image.new("RGB", (width, height), (150 + n % 90, 170 + n % 70, 190 + n % 50))
        draw = ImageDraw.Draw(image)
        shift = n % 40 - 20
        draw.ellipse(
            (110 + shift, 90, 300 + shift, 330), fill=(200 - n % 60, 160 - n % 50, 130 - n % 40)
        )
        draw.rectangle((60 + shift, 360, 350 + shift, height), fill=(40 + n % 80, 50, 90 + n % 60))
        image = Image.blend(image.filter(ImageFilter.GaussianBlur(3)), grain, 0.12)
        name = f"photos/bench-{n:04d}.jpg"
        image.save(folder.parent / name, quality=85)
        names.append(name)
    return names


# Names in own script per nationality; the Chinese ones combine many characters.
CHINESE_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘"
CHINESE_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"


def _native_name(nationality: str, n: int) -> str:
    if nationality == "CN":
        surname = CHINESE_SURNAMES[n % len(CHINESE_SURNAMES)]
        given = CHINESE_GIVEN[(n * 7) % len(CHINESE_GIVEN)] + CHINESE_GIVEN[(n * 11) % 29]
        return surname + given
    return {
        "VN": "Nguyễn Thị Minh Anh",
        "KR": "김민준",
        "JP": "山田さくら",
        "TH": "สมชาย ใจดี",
        "EG": "محمد علي",
    }.get(nationality, "")


def _cards(count: int, photos: list[str], *, native: bool = False) -> list[object]:
    from cards import numbers
    from cards.models import ResidenceCard, expiry_date_for, new_token
    from provinces.models import Province
    from residents.models import Resident

    province = Province(code="12", name_en="Phnom Penh", name_km="រាជធានីភ្នំពេញ")
    nationalities = ["CN", "VN", "KR", "JP", "TH", "FR", "US"]
    if native:  # more Chinese, and an Arabic name
        nationalities += ["CN", "EG", "CN"]
    cards = []
    for n in range(count):
        resident = Resident(
            surname=f"WANG{n}",
            given_names="XIAO LI",
            name_km="វ៉ាង សៀវលី",
            sex="F" if n % 2 else "M",
            date_of_birth=dt.date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
            nationality=nationalities[n % len(nationalities)],
            province=province,
            photo=photos[n % len(photos)],
            name_native=_native_name(nationalities[n % len(nationalities)], n) if native else "",
        )
        issued = dt.date(2026, 11, 26)
        cards.append(
            ResidenceCard(
                number=numbers.format_number(province_code="12", serial=n + 1),
                resident=resident,
                province=province,
                issue_date=issued,
                expiry_date=expiry_date_for(issued),
                token=new_token(),
            )
        )
    return cards


def _samples(fn: Callable[[], object], repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of `repeat` calls, after one warm-up call (their CPU times go to `cpu`)."""
    fn()
    times = []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return times


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    count = int(os.environ.get("BENCH_CARDS", "500"))
    with tempfile.TemporaryDirectory() as media:
        os.environ["MEDIA_ROOT"] = media
        _setup()
        from django.conf import settings
        from weasyprint import HTML

        from cards import pdf
        from residents.uploads import PHOTO_PRINT_SIZE

        settings.MEDIA_ROOT = Path(media)
        photos = _photos(Path(media) / "photos", count)
        sizes = [(Path(media) / p).stat().st_size for p in photos]
        print(
            f"photos    {len(photos)} distinct, {PHOTO_PRINT_SIZE[0]} x {PHOTO_PRINT_SIZE[1]} px, "
            f"{statistics.mean(sizes) / 1000:.0f} kB on average"
        )
        cards = _cards(count, photos)

        trivial = "<h1>Residence card</h1><p>Card PR-12-0000001-2, valid until 25-11-2028.</p>"

        def trivial_pdf() -> bytes:
            return HTML(string=trivial).write_pdf()

        # The machine may be shared: baseline samples are taken before and after the run, and
        # the preview's interleaved with them, so that all see the same load.
        baseline_cpu: list[float] = []
        before = _samples(trivial_pdf, repeat=20, cpu=baseline_cpu)
        preview_times = []
        for _ in range(10):
            preview_times += _samples(lambda: pdf.render_specimen(cards[0]), repeat=1)
            before += _samples(trivial_pdf, repeat=1, cpu=baseline_cpu)
        preview = statistics.median(preview_times)

        rss_before = _peak_rss_mib()
        started, started_cpu = time.perf_counter(), time.process_time()
        done: list[int] = []
        content = pdf.render_cards(cards, progress=done.append)
        run = time.perf_counter() - started
        run_cpu = time.process_time() - started_cpu
        rss_after = _peak_rss_mib()
        after = _samples(trivial_pdf, repeat=20, cpu=baseline_cpu)
        baseline = statistics.median(before + after)
        print(f"load      average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"baseline  trivial one-page WeasyPrint document: {baseline * 1000:8.1f} ms"
            f" (median before the run {statistics.median(before) * 1000:.1f},"
            f" after {statistics.median(after) * 1000:.1f})"
        )
        print(
            f"preview   single card (2 pages):                {preview * 1000:8.1f} ms"
            f"   = {preview / baseline:4.2f} x baseline (goal <= 4)"
        )

        per_card = run / count
        print(
            f"run       {count} cards ({2 * count} pages, chunks of {pdf.CHUNK_SIZE}, "
            f"{len(content) / 1e6:.1f} MB PDF): "
            f"{run:6.1f} s, {per_card * 1000:6.1f} ms per card"
            f" = {per_card / baseline:4.2f} x baseline (goal <= 1.5)"
        )
        cpu_baseline = statistics.median(baseline_cpu)
        print(
            f"cpu       the same in CPU time, less sensitive to other load: trivial "
            f"{cpu_baseline * 1000:.1f} ms, run {run_cpu / count * 1000:.1f} ms per card"
            f" = {run_cpu / count / cpu_baseline:4.2f} x"
        )
        print(
            f"memory    peak RSS {rss_after:.0f} MiB after the run "
            f"(+{rss_after - rss_before:.0f} MiB over the peak before it)"
        )

        started = time.perf_counter()
        pdf.render_cards(cards, chunk_size=None)
        one = time.perf_counter() - started
        print(
            f"run       {count} cards in one HTML document (no progress): {one:6.1f} s, "
            f"{one / count * 1000:6.1f} ms per card = {one / count / baseline:4.2f} x baseline"
        )

        native = _cards(count, photos, native=True)
        for label, fresh in (("a fresh thread", True), ("the same thread", False)):
            if fresh:
                pdf._local.renderer = None
            started, started_cpu = time.perf_counter(), time.process_time()
            pdf.render_cards(native)
            took, took_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            print(
                f"own       {count} cards with names in own script, {label}: {took:6.1f} s, "
                f"{took / count * 1000:6.1f} ms per card"
                f" = {took / count / baseline:4.2f} x baseline; CPU {took_cpu / count * 1000:.1f}"
                f" ms per card = {took_cpu / count / cpu_baseline:4.2f} x"
            )
