"""Project-level views: home page per role, health, language switch, error pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, gettext
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.types import AuthenticatedRequest
from gdi_ims import health

logger = logging.getLogger(__name__)

HOME_TEMPLATES = {
    "officer": "home/officer.html",
    "verifier": "home/verifier.html",
    "director": "home/director.html",
    "clerk": "home/clerk.html",
    "admin": "home/admin.html",
}


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    return TemplateResponse(request, HOME_TEMPLATES[request.user.role], {})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Say which parts are up; the reasons go to the log, never to this public page.

    An error text can name hosts, ports or database users.
    """
    checks = health.run_checks()
    down = sorted(name for name, error in checks.items() if error)
    for name in down:
        logger.error("health check failed: %s: %s", name, checks[name])
    body = {
        "status": "ok" if not down else "down",
        "down": down,
        "checks": {name: ("down" if error else "ok") for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if not down else 503)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language, saying so when the code is not one the IMS speaks."""
    code = request.POST.get("language", "")
    known = {code for code, _name in settings.LANGUAGES}
    if code not in known or not check_for_language(code):
        messages.error(request, gettext("Unknown language. Choose English or Khmer."))
        target = request.POST.get("next", "/")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        return HttpResponseRedirect(target)
    return i18n.set_language(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return TemplateResponse(request, "errors/403_csrf.html", {}, status=403).render()


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return TemplateResponse(request, "errors/404.html", {}, status=404).render()


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return TemplateResponse(request, "errors/403.html", {}, status=403).render()


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return TemplateResponse(request, "errors/400.html", {}, status=400).render()


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors here: the database may be what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render({}), status=500)
