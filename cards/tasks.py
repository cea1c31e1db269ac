"""Celery tasks of the cards app: load by id, call a service."""

from __future__ import annotations

from celery import shared_task

from cards import services


@shared_task(acks_late=True)
def render_print_run_task(print_run_id: int) -> dict[str, object]:
    """Render a print run's PDF; safe to deliver twice (a finished run is left alone)."""
    run = services.print_run_render(print_run_id=print_run_id)
    return {"print_run": run.pk, "status": run.status, "progress": run.progress}
