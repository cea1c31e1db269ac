"""The audit trail's search page, for administrators and HQ directors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from accounts.types import AuthenticatedRequest
from audit import selectors
from audit.forms import AuditSearchForm
from audit.models import AuditEvent
from audit.services import audit_record


@login_required
@require_GET
def audit_event_list(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    # `before` is the trail's first links' cursor (a bare id, the next page's start).
    after = request.GET.get("after") or request.GET.get("before", "")
    page = selectors.audit_event_list_for(user=request.user, after=after, **filters)
    events = page.items
    if filters and not after:
        # A search is recorded once, on its first page.
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.AUDIT_SEARCHED,
            request=request,
            detail={k: str(v) for k, v in filters.items()},
        )
    next_query = None
    if page.next_cursor:
        query = request.GET.copy()
        query.pop("before", None)
        query["after"] = page.next_cursor
        next_query = query.urlencode()
    context = {"form": form, "events": events, "next_query": next_query}
    return TemplateResponse(request, "audit/auditevent_list.html", context)
