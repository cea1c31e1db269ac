"""The IMS's addresses plus three views that leave a refusal uncaught (core.middleware's tests)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from core.errors import ApplicationError, NotAllowed
from residents.services import IllegalTransition


def refuse_conflict(request: HttpRequest) -> HttpResponse:
    raise IllegalTransition("A verified declaration cannot be submitted again.")


def refuse_plain(request: HttpRequest) -> HttpResponse:
    raise ApplicationError("Refused for a reason the user can read.")


def refuse_role(request: HttpRequest) -> HttpResponse:
    raise NotAllowed()


urlpatterns = [
    path("refuse/role/", refuse_role),
    path("refuse/conflict/", refuse_conflict),
    path("refuse/plain/", refuse_plain),
    path("", include("gdi_ims.urls")),
]
