"""The IMS's addresses plus two views that leave a refusal uncaught (core.middleware's tests)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from core.errors import ApplicationError
from residents.services import IllegalTransition


def refuse_conflict(request: HttpRequest) -> HttpResponse:
    raise IllegalTransition("A verified declaration cannot be submitted again.")


def refuse_plain(request: HttpRequest) -> HttpResponse:
    raise ApplicationError("Refused for a reason the user can read.")


urlpatterns = [
    path("refuse/conflict/", refuse_conflict),
    path("refuse/plain/", refuse_plain),
    path("", include("gdi_ims.urls")),
]
