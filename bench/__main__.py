"""Run the benchmarks: `python -m bench` runs them all, `python -m bench residents cards` some.

Each benchmark is a module of this package with a `main()`; it prints its own figures, each next to
a baseline measured in the same run, and uses a database of its own on 127.0.0.1.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gdi_ims.settings.base")
    # Measure what production runs: a development .env turns DEBUG on, which logs every query
    # and renders Django's technical error pages.
    os.environ["DJANGO_DEBUG"] = "false"
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"=== bench.{name}: {time.perf_counter() - started:.1f} s ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
