"""The IMS's URLs plus a trivial view: the baseline of the page and load benchmarks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    """Behind the same middleware and sign-in as every page, and nothing else."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench-trivial/", trivial, name="bench-trivial"),
    path("", include("gdi_ims.urls")),
]
