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

PAGE_SIZE = 50


@login_required
@require_GET
def audit_event_list(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    events = list(selectors.audit_event_list_for(user=request.user, **filters)[: PAGE_SIZE + 1])
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    searched = {k: v for k, v in filters.items() if k != "before_id"}
    if searched and "before_id" not in filters:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.AUDIT_SEARCHED,
            request=request,
            detail={k: str(v) for k, v in searched.items()},
        )
    next_query = None
    if more:
        query = request.GET.copy()
        query["before"] = str(events[-1].pk)
        next_query = query.urlencode()
    context = {"form": form, "events": events, "next_query": next_query}
    return TemplateResponse(request, "audit/auditevent_list.html", context)
