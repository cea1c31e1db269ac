"""The work queues' pages: one way to read a queue's filters from the URL, page it and count it.

Verification (in `views`), acknowledgement, returned-to-me, likely duplicates, and the cards app's
cards due all render through `queue_response`: search, filters, sorts, counts per filter (each a
link keeping the other filters), keyset pages and jumps, the passport number sealed in the URL.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.access import Capability
from accounts.types import AuthenticatedRequest
from residents import queues, selectors
from residents.forms import QueueFilterForm, search_data_from_url, search_query_for_url

Can = Capability
PAGING_KEYS = ("after", "before", "last", "start")


def queue_filters(request: AuthenticatedRequest) -> tuple[queues.QueueFilters, str, bool]:
    """The queue's filters from the URL, the same filters as a query string, and readability."""
    form, query, readable = _filter_form(request)
    return form.filters(), query, readable


def _filter_form(request: AuthenticatedRequest) -> tuple[QueueFilterForm, str, bool]:
    """The queue's search form bound to the URL, its filters as a query string, and readability."""
    data, readable = search_data_from_url(request.GET)
    for key in PAGING_KEYS:
        data.pop(key, None)
    form = QueueFilterForm(data or None, user=request.user)
    return form, search_query_for_url(data).urlencode(), readable


def queue_response(
    request: AuthenticatedRequest,
    queue: queues.Queue,
    *,
    url_name: str,
    template: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The queue's page (a posted search comes back as a URL, its passport number sealed)."""
    base = reverse(url_name)
    if request.method == "POST":
        query = search_query_for_url(request.POST).urlencode()
        return redirect(base + (f"?{query}" if query else ""))
    # One form reads the filters and is shown: its choices are built once per request.
    form, query, readable = _filter_form(request)
    filters = form.filters()
    if not readable:
        messages.warning(
            request, _("This link's passport number cannot be read: type the number again.")
        )
    page = queue.page(
        user=request.user,
        filters=filters,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        last=request.GET.get("last") == "1",
        start=request.GET.get("start", "")[:100],
    )

    def url(**changes: object) -> str:
        """This queue's URL with one filter changed, the others kept."""
        changed = QueryDict(query, mutable=True)
        for key, value in changes.items():
            changed[key] = str(value)
        return base + (f"?{changed.urlencode()}" if changed else "")

    counts = page.counts
    links = {
        "districts": [(row, url(district=row["value"])) for row in counts["districts"]],
        "bases": [(row, url(basis=row["value"])) for row in counts["bases"]],
        "makers": [(row, url(maker=row["value"])) for row in counts["makers"]],
        "flags_open": url(flags="open"),
        "flags_none": url(flags="none"),
        "older_than_7": url(older_than=7),
        "older_than_30": url(older_than=30),
        "all": base + (f"?province={filters.province}" if filters.province else ""),
    }
    return TemplateResponse(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query,
            "prefix": f"{query}&" if query else "",
            "links": links,
            "queue_url": base,
            "queue": queue,
            "sort": queue.sort_of(filters),
            "now": timezone.now(),
            "kept": QueryDict(query).lists(),
            **(context or {}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def duplicates_queue(request: AuthenticatedRequest) -> HttpResponse:
    """The open likely-duplicate flags of the province, to decide (or merge) one by one."""
    access.require(request.user, Can.DECLARATION_REVIEW)
    return queue_response(
        request,
        queues.DUPLICATES,
        url_name="residents:duplicates",
        template="residents/duplicate_queue.html",
    )


@login_required
@require_http_methods(["GET", "POST"])
def returned_list(request: AuthenticatedRequest) -> HttpResponse:
    """The declarations verifiers returned to this officer, with their reasons."""
    access.require(request.user, Can.RESIDENT_WRITE)
    return queue_response(
        request,
        queues.RETURNED,
        url_name="residents:returned",
        template="residents/returned_list.html",
    )


@login_required
@require_http_methods(["GET", "POST"])
def acknowledgements(request: AuthenticatedRequest) -> HttpResponse:
    """Verified declarations waiting for HQ: per province, then the chosen province's queue."""
    access.require(request.user, Can.DECLARATION_ACKNOWLEDGE)
    code = request.GET.get("province", "")
    # The summary holds every province in the user's scope and its count: the chosen one is
    # found there (or is out of scope: 404), with no query of its own.
    summary = selectors.acknowledgement_summary_for(user=request.user)
    chosen = next((row for row in summary if row["province"].code == code), None)
    if code and chosen is None:
        raise Http404
    return queue_response(
        request,
        queues.ACKNOWLEDGEMENT,
        url_name="residents:acknowledgements",
        template="residents/acknowledgements.html",
        context={
            "summary": summary,
            "province": chosen["province"] if chosen else None,
            "verified_count": chosen["verified"] if chosen else 0,
        },
    )
