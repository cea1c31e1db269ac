"""Screens of residents and declarations: thin views over selectors (reads) and services (writes).

Every record is fetched through a selector scoped to the user first (another province: 404), then
the role is checked (the wrong role: 403).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.access import Capability
from accounts.reauth import recent_authentication_required
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from core.figures import figure
from core.validators import parse_id
from residents import (
    history_view,
    lifecycle_views,
    merge,
    queue_views,
    queues,
    selectors,
    services,
)
from residents.forms import (
    DeclarationForm,
    DocumentCheckForm,
    DocumentForm,
    ResidentForm,
    ResidentSearchForm,
    ReviewForm,
    search_data_from_url,
    search_query_for_url,
)
from residents.models import Declaration, LikelyDuplicate

Can = Capability


# --- List, detail, photo ---------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def resident_list(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.RESIDENT_READ)
    if request.method == "POST" or "passport" in request.GET:
        # The search is posted (or an old link typed the number): the number leaves the URL.
        source = request.POST if request.method == "POST" else request.GET
        query = search_query_for_url(source).urlencode()
        return redirect(f"{reverse('residents:list')}?{query}" if query else "residents:list")
    data, readable = search_data_from_url(request.GET)
    if not readable:
        messages.warning(
            request, _("This link's passport number cannot be read: type the number again.")
        )
    form = ResidentSearchForm(data or None, user=request.user)
    filters = form.filters() if form.is_bound else selectors.ResidentFilters()
    page = selectors.resident_list_for(
        user=request.user,
        filters=filters,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    paging = request.GET.copy()
    for key in ("after", "before"):
        paging.pop(key, None)
    return TemplateResponse(
        request,
        "residents/resident_list.html",
        {"form": form, "page": page, "query": paging.urlencode()},
    )


@login_required
@require_GET
def resident_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_READ)
    audit_record(
        actor=request.user, action=AuditEvent.Action.RESIDENT_VIEWED, obj=resident, request=request
    )
    declarations = selectors.declarations_of(resident=resident)
    cards = selectors.cards_of(resident=resident)
    can_edit = access.can(request.user, Can.RESIDENT_WRITE)
    # The next step once GDI acknowledged the declaration: the first card, for those who issue it.
    acknowledged = next((d for d in declarations if d.status == "acknowledged"), None)
    due_a_card = acknowledged if acknowledged is not None and not cards else None
    return TemplateResponse(
        request,
        "residents/resident_detail.html",
        {
            "resident": resident,
            "passport": resident.current_documents[0] if resident.current_documents else None,
            "declarations": declarations,
            "flags": selectors.duplicate_flags_of(user=request.user, resident=resident),
            "history": history_view.resident_history_for(resident=resident),
            "can_edit": can_edit,
            "document_form": DocumentForm() if can_edit else None,
            "can_acknowledge": access.can(request.user, Can.DECLARATION_ACKNOWLEDGE),
            "can_review": access.can(request.user, Can.DECLARATION_REVIEW),
            "cards": cards,
            "due_a_card": due_a_card,
            "can_issue_card": access.can(request.user, Can.CARD_WRITE),
            "needs_correction": services.needs_correction(resident),
            "corrections": selectors.corrections_of(resident=resident),
            "passports": selectors.passports_of(resident=resident),
            **lifecycle_views.detail_context(request.user, resident),
            # The reprintable cards (cards) and the passport flag (jobs).
            **selectors.resident_page_sections(user=request.user, resident=resident, cards=cards),
        },
    )


@login_required
@require_GET
def resident_photo(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The photo, after the same access check as the record (never a public media URL)."""
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    if not resident.photo:
        raise Http404
    audit_record(
        actor=request.user, action=AuditEvent.Action.PHOTO_VIEWED, obj=resident, request=request
    )
    response = FileResponse(resident.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


# --- Create and edit -------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def resident_create(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.RESIDENT_WRITE)
    form = ResidentForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_create(
                actor=request.user,
                fields=form.resident_fields(),
                passport=form.passport_input(),
                declaration=form.declaration_input(),
                photo=form.cleaned_data.get("photo_upload"),
                submit="submit" in request.POST,
            )
        except services.DuplicatePassport as error:
            form.add_error("passport_number", error.message)
        except services.ResidentsError as error:
            form.add_error(None, error.message)
        else:
            if "submit" in request.POST:
                messages.success(request, _("Resident saved and submitted for verification."))
            else:
                messages.success(request, _("Resident saved as a draft."))
            return redirect("residents:detail", pk=resident.pk)
    return TemplateResponse(request, "residents/resident_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    if services.needs_correction(resident):
        # What GDI acknowledged changes only through a correction another verifier approves.
        messages.info(
            request,
            _("This record is acknowledged: ask for a correction, which a verifier decides."),
        )
        return redirect("residents:correction-create", pk=resident.pk)
    form = ResidentForm(
        request.POST or None, request.FILES or None, instance=resident, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(
                resident=resident,
                actor=request.user,
                version=form.cleaned_data["version"] or 0,
                fields=form.resident_fields(),
                passport=form.passport_input(),
                photo=form.cleaned_data.get("photo_upload"),
            )
        except services.DuplicatePassport as error:
            form.add_error("passport_number", error.message)
        except services.ResidentsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("residents:detail", pk=resident.pk)
    return TemplateResponse(
        request, "residents/resident_form.html", {"form": form, "resident": resident}
    )


@login_required
@require_GET
def district_options(request: AuthenticatedRequest) -> HttpResponse:
    """<option>s of the chosen province's districts (htmx); the commune list is emptied."""
    districts = selectors.districts_of(request.GET.get("address_province", ""))
    return TemplateResponse(
        request, "residents/_address_options.html", {"options": districts, "reset_communes": True}
    )


@login_required
@require_GET
def commune_options(request: AuthenticatedRequest) -> HttpResponse:
    communes = selectors.communes_of(request.GET.get("address_district", ""))
    return TemplateResponse(request, "residents/_address_options.html", {"options": communes})


# --- Declarations: correct, submit, documents ------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def declaration_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    form = DeclarationForm(request.POST or None, instance=declaration)
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_update(
                declaration=declaration,
                actor=request.user,
                version=form.cleaned_data["version"],
                data=form.declaration_input(),
            )
        except services.ResidentsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Declaration saved."))
            return redirect("residents:detail", pk=declaration.resident_id)
    return TemplateResponse(
        request, "residents/declaration_form.html", {"form": form, "declaration": declaration}
    )


@login_required
@require_POST
def declaration_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    try:
        services.declaration_submit(declaration=declaration, actor=request.user)
    except services.ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Declaration submitted for verification."))
    return redirect("residents:detail", pk=declaration.resident_id)


@login_required
@require_POST
def document_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        content, content_type, name = form.cleaned_data["file"]
        try:
            services.document_add(
                declaration=declaration,
                actor=request.user,
                file=content,
                content_type=content_type,
                name=name,
            )
        except services.ResidentsError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Supporting document added."))
    else:
        for problem in form.errors.get("file", []):
            messages.error(request, str(problem))
    return redirect("residents:detail", pk=declaration.resident_id)


@login_required
@require_GET
def document_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    document = selectors.document_get_for(user=request.user, pk=pk)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.DOCUMENT_VIEWED,
        obj=document,
        request=request,
        detail={"declaration": document.declaration_id},
    )
    # `?inline=1`: shown inside the review page (an image, or a PDF in a same-origin frame).
    inline = request.GET.get("inline") == "1"
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=not inline,
        filename=document.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    if inline:
        # Only this response may be framed, by this site's own pages; Chromium's PDF viewer is
        # an embedded object of the framed document, hence object-src 'self' here alone.
        response["X-Frame-Options"] = "SAMEORIGIN"
        # django-csp reads this attribute of any response; its stubs know HttpResponse's only.
        response._csp_replace = {"frame-ancestors": ["'self'"], "object-src": ["'self'"]}  # type: ignore[attr-defined]
    return response


# --- Verification ----------------------------------------------------------------------------
def _queue_filters(request: AuthenticatedRequest) -> tuple[selectors.QueueFilters, str, bool]:
    """The queue's filters from the URL, the same filters as a query string, and readability."""
    return queue_views.queue_filters(request)


def _queue_url(query: str) -> str:
    return reverse("residents:verification-queue") + (f"?{query}" if query else "")


def _review_url(pk: int, query: str) -> str:
    return reverse("residents:review", args=[pk]) + (f"?{query}" if query else "")


@login_required
@require_http_methods(["GET", "POST"])
def verification_queue(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.DECLARATION_REVIEW)
    return queue_views.queue_response(
        request,
        queues.VERIFICATION,
        url_name="residents:verification-queue",
        template="residents/verification_queue.html",
    )


@login_required
@require_POST
def verification_next(request: AuthenticatedRequest) -> HttpResponse:
    """Claim the next declaration of the queue, in its filter and order, and open it."""
    access.require(request.user, Can.DECLARATION_REVIEW)
    filters, query, _readable = _queue_filters(request)
    current = request.POST.get("current", "")
    after = None
    if current.isdigit():
        declaration = selectors.declaration_get_for(user=request.user, pk=int(current))
        services.declaration_release(declaration=declaration, actor=request.user)
        after = declaration
    return _open_next(request, filters, query, after=after)


def _open_next(
    request: AuthenticatedRequest,
    filters: selectors.QueueFilters,
    query: str,
    *,
    after: Declaration | None = None,
) -> HttpResponse:
    """Claim the first free record of the queue past `after` (then from its start), and open it."""
    claimed = None
    for candidates in selectors.next_candidates_for(
        user=request.user, filters=filters, after=after
    ):
        claimed = services.declaration_claim_next(
            actor=request.user,
            candidates=candidates,
            ordered=lambda qs: selectors.queue_ordered(qs, filters),
        )
        if claimed is not None:
            return redirect(_review_url(claimed.pk, query))
    messages.info(request, _("Nothing else to verify in this queue."))
    return redirect(_queue_url(query))


@login_required
@require_http_methods(["GET", "POST"])
def declaration_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    resident = selectors.resident_get_for(user=request.user, pk=declaration.resident_id)
    filters, query, _readable = _queue_filters(request)
    own = declaration.created_by_id == request.user.pk
    if request.method == "GET":
        # The review page shows the whole record, passport included.
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.RESIDENT_VIEWED,
            obj=resident,
            request=request,
            detail={"declaration": declaration.pk},
        )
        if declaration.status == Declaration.Status.SUBMITTED and not own:
            services.declaration_claim(declaration=declaration, actor=request.user)
            declaration.refresh_from_db(fields=["claimed_by", "claimed_until"])
    form = ReviewForm(
        request.POST or None,
        initial={"version": declaration.version, "resident_version": resident.version},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions: dict[str, Callable[..., Declaration]] = {
            "verify": services.declaration_verify,
            "return": services.declaration_return,
            "reject": services.declaration_reject,
        }
        action = actions[data["action"]]
        kwargs = {"reason": data["reason"]} if data["action"] != "verify" else {}
        try:
            action(
                declaration=declaration,
                actor=request.user,
                version=data["version"],
                resident_version=data["resident_version"],
                **kwargs,
            )
        except services.ResidentsError as error:
            form.add_error(None, error.message)
        else:
            done = {
                "verify": _("Declaration verified."),
                "return": _("Declaration returned to the officer."),
                "reject": _("Declaration rejected."),
            }
            messages.success(request, done[data["action"]])
            # The next record opens by itself, in the queue's filter and order.
            return _open_next(request, filters, query, after=declaration)
    review = selectors.review_of(user=request.user, declaration=declaration, resident=resident)
    held_by_other = (
        declaration.claimed_by_id not in (None, request.user.pk)
        and declaration.claimed_until is not None
        and declaration.claimed_until >= timezone.now()
    )
    return TemplateResponse(
        request,
        "residents/declaration_review.html",
        {
            "declaration": declaration,
            "resident": resident,
            "passport": resident.current_documents[0] if resident.current_documents else None,
            "form": form,
            "own": own,
            "held_by_other": held_by_other,
            "query": query,
            "queue_url": _queue_url(query),
            "can_decide": declaration.status == Declaration.Status.SUBMITTED
            and not own
            and not held_by_other,
            **review,
        },
    )


@login_required
@require_POST
def document_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A verifier's mark on one supporting document; back to the review screen, same queue."""
    document = selectors.document_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    form = DocumentCheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose: accepted, illegible, or missing or incomplete."))
    else:
        try:
            services.document_check(
                document=document,
                actor=request.user,
                verdict=form.cleaned_data["verdict"],
                document_type=form.cleaned_data["document_type"],
            )
        except services.ResidentsError as error:
            messages.error(request, str(error.message))
    _filters, query, _readable = _queue_filters(request)
    return redirect(_review_url(document.declaration_id, query))


@login_required
@require_POST
def duplicate_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    flag = selectors.duplicate_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    decision = request.POST.get("decision")
    if decision not in (LikelyDuplicate.Status.NOT_DUPLICATE, LikelyDuplicate.Status.CONFIRMED):
        messages.error(request, _("Choose: not a duplicate, or confirmed duplicate."))
    else:
        try:
            services.duplicate_decide(
                flag=flag,
                actor=request.user,
                confirmed=decision == LikelyDuplicate.Status.CONFIRMED,
            )
        except services.ResidentsError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Decision on the likely duplicate recorded."))
    target = parse_id(request.POST.get("declaration"))
    if target is not None:
        return redirect("residents:review", pk=target)
    return redirect("residents:detail", pk=flag.resident_id)


@login_required
@require_POST
def duplicate_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Merge the flagged pair into the record the verifier keeps (they are the same person)."""
    flag = selectors.duplicate_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    keep = parse_id(request.POST.get("keep"))
    if keep not in (flag.resident_id, flag.other_id):
        messages.error(request, _("Choose the record to keep."))
        return redirect("residents:detail", pk=flag.resident_id)
    survivor = selectors.resident_get_for(user=request.user, pk=keep)
    try:
        merge.residents_merge(flag=flag, survivor=survivor, actor=request.user)
    except services.ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("Records merged: resident no. %(merged)s is now part of resident no. %(kept)s.")
            % {"merged": ({flag.resident_id, flag.other_id} - {keep}).pop(), "kept": keep},
        )
    target = parse_id(request.POST.get("declaration"))
    if target is not None:
        return redirect("residents:review", pk=target)
    return redirect("residents:detail", pk=keep)


# --- Acknowledgement (HQ) --------------------------------------------------------------------
# The queues of returned and verified declarations: residents.queue_views.
@login_required
@require_POST
def declaration_acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_ACKNOWLEDGE)
    try:
        services.declaration_acknowledge(declaration=declaration, actor=request.user)
    except services.ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Declaration acknowledged."))
    if request.POST.get("next") == "detail":
        return redirect("residents:detail", pk=declaration.resident_id)
    return redirect(f"{_acknowledgements_url()}?province={declaration.resident.province_id}")


@login_required
@recent_authentication_required
@require_POST
def province_acknowledge(request: AuthenticatedRequest, code: str) -> HttpResponse:
    province = selectors.province_get_for(user=request.user, code=code)
    access.require(request.user, Can.DECLARATION_ACKNOWLEDGE)
    expected = selectors.verified_count_of(province=province)
    if request.POST.get("confirmed") != str(expected):
        # Not confirmed, or the count changed since the director read it: nothing is done.
        messages.error(
            request,
            ngettext(
                "Nothing was acknowledged: %(province)s has %(count)s verified declaration. "
                "Check the list and confirm again.",
                "Nothing was acknowledged: %(province)s has %(count)s verified declarations. "
                "Check the list and confirm again.",
                expected,
            )
            % {"province": province.name, "count": figure(expected)},
        )
        return redirect(f"{_acknowledgements_url()}?province={province.code}")
    try:
        count = services.declaration_acknowledge_province(province=province, actor=request.user)
    except services.ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s verified declaration of %(province)s acknowledged.",
                "%(count)s verified declarations of %(province)s acknowledged.",
                count,
            )
            % {"count": figure(count), "province": province.name},
        )
    return redirect(f"{_acknowledgements_url()}?province={province.code}")


def _acknowledgements_url() -> str:
    return reverse("residents:acknowledgements")
