"""The IMS's settings with the benchmarks' URLs (a trivial view beside every page)."""

from gdi_ims.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench._urls"
