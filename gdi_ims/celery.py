"""Celery application of GDI IMS: broker and results on Redis, configured from Django settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gdi_ims.settings.base")

app = Celery("gdi_ims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
