"""Limits of the import, overridable in settings (IMPORTS_<NAME>)."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # 100,000 rows of a provincial list are about 20 MB of CSV.
    "MAX_BYTES": 40 * 1024 * 1024,
    "MAX_ROWS": 200_000,
    # What an XLSX may unpack to, and how tightly a big member may be packed, before we open it.
    "MAX_UNPACKED_BYTES": 400 * 1024 * 1024,
    "MAX_PACKING_RATIO": 150,
    # Rows checked and written per set of queries: the number of queries grows with the number
    # of chunks only, never with the number of rows of a chunk.
    "CHUNK_ROWS": 2000,
    # Staged rows written by one statement of the commit, at most; the progress bar moves per
    # statement, so a file is written in about COMMIT_PROGRESS_STEPS statements of at least
    # COMMIT_MIN_ROWS rows (fewer statements cost less; more let the bar move).
    "COMMIT_CHUNK_ROWS": 20_000,
    "COMMIT_PROGRESS_STEPS": 10,
    "COMMIT_MIN_ROWS": 500,
    # Checked rows of a file nobody imported are dropped after this many days (importing it
    # later checks the file again).
    "STAGED_DAYS": 7,
    # Files up to this size are checked during the upload request; bigger ones by the worker.
    "INLINE_MAX_BYTES": 256 * 1024,
    "PREVIEW_ISSUES": 200,
    # Days an uploaded file is kept (encrypted) after its import, or after its upload when it was
    # never imported; then it is deleted and only the batch's record and issues remain.
    "FILE_RETENTION_DAYS": 30,
    # Days the file of an XLSX export is kept for its maker to download; then it is deleted and
    # the export's record (who, when, filters, rows) remains.
    "EXPORT_RETENTION_DAYS": 2,
    # Minutes an XLSX export may stay building without writing a chunk of rows before it is
    # taken for abandoned (its worker died) and built again, at most EXPORT_MAX_ATTEMPTS times.
    "EXPORT_STALLED_MINUTES": 10,
    "EXPORT_MAX_ATTEMPTS": 3,
}


def get(name: str) -> int:
    return int(getattr(settings, f"IMPORTS_{name}", DEFAULTS[name]))
