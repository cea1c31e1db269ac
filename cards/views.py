"""Card screens: lists and details (scoped), the clerks' actions, print runs, validity checks."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.access import Capability
from accounts.models import User
from accounts.reauth import recent_authentication_required
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from cards import forms, pdf, ratelimit, selectors, services
from cards.models import PrintRun, ResidenceCard
from core.figures import figure
from core.validators import parse_id
from residents import queue_views
from residents.models import Resident

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_Form = TypeVar("_Form", bound=BaseForm)

Role = User.Role
Can = Capability


# --- Cards -----------------------------------------------------------------------------------
@login_required
@require_GET
def card_list(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.CardFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"],
            "province": data["province"].code if data["province"] else "",
            "number": data["number"],
            "district": data["district"],
        }
    # `before` is the list's first links' cursor (a bare id, the next page's start).
    after = request.GET.get("after") or request.GET.get("before", "")
    page = selectors.card_list_for(user=request.user, after=after, **filters)
    cards = page.items
    query = request.GET.copy()
    query.pop("before", None)
    query.pop("after", None)
    next_url = ""
    if page.next_cursor:
        query["after"] = page.next_cursor
        next_url = f"?{query.urlencode()}"
    return TemplateResponse(
        request,
        "cards/card_list.html",
        {
            "form": form,
            "cards": cards,
            "next_url": next_url,
            "can_print": access.can(request.user, Can.CARD_PRINT),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def card_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    card = selectors.card_get_for(user=request.user, pk=pk)
    today = timezone.localdate()
    events = selectors.card_events_for(card=card)
    for event in events:
        result = event.data.get("result")
        event.result_label = ResidenceCard.Validity(result).label if result else ""
    validity = card.validity_on(today)
    return TemplateResponse(
        request,
        "cards/card_detail.html",
        {
            "card": card,
            "events": events,
            "history": selectors.card_history_for(card=card),
            "validity_label": ResidenceCard.Validity(validity).label,
            "can_write": access.can(request.user, Can.CARD_WRITE),
            "can_renew": card.is_renewable_on(today),
            "can_replace": card.status in ResidenceCard.REPLACEABLE_STATUSES,
            "can_revoke": card.can_move_to(ResidenceCard.Status.REVOKED),
            "can_hand_over": card.status == ResidenceCard.Status.PRINTED
            and access.can(request.user, Can.CARD_PRINT),
            "can_spoil": card.status == ResidenceCard.Status.PRINTED
            and access.can(request.user, Can.CARD_PRINT),
            "can_print": access.can(request.user, Can.CARD_PRINT),
            # The live address is the card's secret: shown to those who print cards only.
            "verify_url": pdf.verify_url(card) if access.can(request.user, Can.CARD_PRINT) else "",
        },
    )


def _card_pdf(
    request: HttpRequest, card: ResidenceCard, content: bytes, *, detail: dict, disposition: str
) -> HttpResponse:
    """Send a card's PDF, recorded in the audit trail (who downloaded which card, which kind)."""
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.PDF_DOWNLOADED,
        obj=card,
        request=request,
        detail=detail,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = disposition
    return response


@login_required
@require_GET
def card_preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The card as it will look, marked SPECIMEN and without its live QR token."""
    card = selectors.card_get_for(user=request.user, pk=pk)
    return _card_pdf(
        request,
        card,
        pdf.render_specimen(card),
        detail={"preview": True},
        disposition=f'inline; filename="{card.number}-specimen.pdf"',
    )


@login_required
@require_GET
def card_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The printable card, with the QR code that opens its validity page: card clerks only."""
    card = selectors.card_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.CARD_PRINT)
    return _card_pdf(
        request,
        card,
        pdf.render_card(card),
        detail={"printable": True},
        disposition=f'attachment; filename="{card.number}.pdf"',
    )


def _card_action(
    request: AuthenticatedRequest,
    pk: int,
    *,
    form_class: type[_Form],
    title: str,
    submit: str,
    act: Callable[[ResidenceCard, _Form], ResidenceCard],
    done: str,
    danger: bool = False,
    capability: Capability = Can.CARD_WRITE,
) -> HttpResponse:
    """GET shows the form, POST runs the service; a refusal keeps what was typed."""
    card = selectors.card_get_for(user=request.user, pk=pk)
    access.require(request.user, capability)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = act(card, form)
        except services.CardsError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done % {"number": result.number})
            return redirect("cards:card-detail", pk=result.pk)
    return TemplateResponse(
        request,
        "cards/card_action.html",
        {"card": card, "form": form, "title": title, "submit": submit, "danger": danger},
    )


@login_required
@require_http_methods(["GET", "POST"])
def card_renew(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _card_action(
        request,
        pk,
        form_class=forms.RenewForm,
        title=_("Renew card"),
        submit=_("Renew"),
        act=lambda card, form: services.card_renew(card=card, actor=request.user),
        done=_("New card %(number)s issued; the old card is replaced."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def card_replace(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _card_action(
        request,
        pk,
        form_class=forms.ReplaceForm,
        title=_("Replace a lost or damaged card"),
        submit=_("Replace"),
        act=lambda card, form: services.card_replace(
            card=card, actor=request.user, reason=form.full_reason()
        ),
        done=_("Replacement card %(number)s issued; the old card is no longer valid."),
    )


@login_required
@require_POST
def card_reprint_transfer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The receiving province reprints the card of a resident transferred to it."""
    card = selectors.card_of_transferred_resident_for(user=request.user, pk=pk)
    access.require(request.user, Capability.CARD_WRITE)
    try:
        new = services.card_reprint_after_transfer(card=card, actor=request.user)
    except services.CardsError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Card %(number)s issued by your province; the old card is no longer valid.")
            % {"number": new.number},
        )
    return redirect("residents:detail", pk=card.resident_id)


@login_required
@recent_authentication_required
@require_http_methods(["GET", "POST"])
def card_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _card_action(
        request,
        pk,
        form_class=forms.RevokeForm,
        title=_("Revoke card"),
        submit=_("Revoke"),
        act=lambda card, form: services.card_revoke(
            card=card, actor=request.user, reason=form.full_reason()
        ),
        done=_("Card %(number)s revoked."),
        danger=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
def card_hand_over(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _card_action(
        request,
        pk,
        form_class=forms.HandOverForm,
        title=_("Record hand-over"),
        submit=_("Record hand-over"),
        act=lambda card, form: services.card_hand_over(
            card=card, actor=request.user, handed_to=form.cleaned_data["handed_to"]
        ),
        done=_("Hand-over of card %(number)s recorded."),
        capability=Can.CARD_HAND_OVER,
    )


@login_required
@require_http_methods(["GET", "POST"])
def card_spoil(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _card_action(
        request,
        pk,
        form_class=forms.ReasonForm,
        title=_("Record a spoiled card"),
        submit=_("Record spoiled card"),
        act=lambda card, form: services.card_spoil(
            card=card, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        done=_("Card %(number)s recorded as spoiled; it will be printed again."),
        danger=True,
        capability=Can.CARD_HAND_OVER,
    )


# --- Issuing ---------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def cards_due(request: AuthenticatedRequest) -> HttpResponse:
    """Acknowledged residents without a card: the clerks' work queue, and issue-for-a-province."""
    access.require(request.user, Can.CARD_WRITE)
    province = request.user.province_id or request.GET.get("province", "")
    provinces = selectors.provinces_for(user=request.user)
    chosen = provinces.filter(code=province).first() if province else None
    return queue_views.queue_response(
        request,
        selectors.CARDS_DUE,
        url_name="cards:due",
        template="cards/cards_due.html",
        context={
            "province": province,
            "chosen_province": chosen,
            "due_count": selectors.due_count_for(user=request.user, province=chosen.code)
            if chosen
            else 0,
            "provinces": provinces,
        },
    )


@login_required
@require_POST
def card_issue(request: AuthenticatedRequest, declaration_pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, pk=declaration_pk)
    access.require(request.user, Can.CARD_WRITE)
    try:
        card = services.card_issue(declaration=declaration, actor=request.user)
    except services.CardsError as error:
        messages.error(request, error.message)
        return redirect("cards:due")
    messages.success(request, _("Card %(number)s issued.") % {"number": card.number})
    return redirect("cards:card-detail", pk=card.pk)


@login_required
@recent_authentication_required
@require_POST
def cards_issue_province(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.CARD_WRITE)
    code = request.user.province_id or request.POST.get("province", "")
    if not selectors.provinces_for(user=request.user).filter(code=code).exists():
        messages.error(request, _("Choose a province."))
        return redirect("cards:due")
    due = selectors.due_count_for(user=request.user, province=code)
    if request.POST.get("confirmed") != str(due):
        # Not confirmed, or the list changed since the clerk read it: nothing is issued.
        messages.error(
            request,
            ngettext(
                "No card was issued: %(count)s resident of this province is due a card. "
                "Check the list and confirm again.",
                "No card was issued: %(count)s residents of this province are due a card. "
                "Check the list and confirm again.",
                due,
            )
            % {"count": figure(due)},
        )
        return HttpResponseRedirect(reverse("cards:due") + f"?province={code}")
    count = services.cards_issue_for_province(province_code=code, actor=request.user)
    messages.success(request, _("%(count)d cards issued.") % {"count": count})
    return HttpResponseRedirect(reverse("cards:card-list") + f"?province={code}&status=issued")


# --- Print runs ------------------------------------------------------------------------------
@login_required
@require_GET
def print_run_list(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.PRINT_RUN_READ)
    return TemplateResponse(
        request,
        "cards/print_run_list.html",
        {
            "runs": selectors.print_run_list_for(user=request.user),
            "can_print": access.can(request.user, Can.CARD_PRINT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def print_run_create(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.CARD_PRINT)
    picked_ids = [i for i in map(parse_id, request.POST.getlist("card")) if i is not None]
    if request.method == "POST" and picked_ids and "selection" not in request.POST:
        # Coming from the card list's check boxes: show the form with the cards picked.
        cards = selectors.cards_by_ids_for(user=request.user, ids=picked_ids)
        form = forms.PrintRunForm(
            initial={
                "selection": PrintRun.Selection.PICKED,
                "cards": "\n".join(c.number for c in cards),
            },
            user=request.user,
        )
        return TemplateResponse(request, "cards/print_run_form.html", {"form": form})
    form = forms.PrintRunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        province = data.get("province")
        try:
            run = services.print_run_create(
                actor=request.user,
                selection=data["selection"],
                province_code=province.code if province else None,
                card_ids=selectors.card_ids_for_numbers(
                    user=request.user, numbers=data.get("cards") or []
                ),
                reprint_reason=data["reprint_reason"],
            )
        except services.CardsError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Print run %(run)s created with %(count)s card; its PDF is being rendered.",
                    "Print run %(run)s created with %(count)s cards; its PDF is being rendered.",
                    run.total,
                )
                % {"run": run.pk, "count": figure(run.total)},
            )
            return redirect("cards:print-run-detail", pk=run.pk)
    return TemplateResponse(request, "cards/print_run_form.html", {"form": form})


@login_required
@require_GET
def print_run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.print_run_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.PRINT_RUN_READ)
    context = {"run": run, "can_print": access.can(request.user, Can.CARD_PRINT)}
    if request.htmx:
        return TemplateResponse(request, "cards/_print_run_progress.html", context)
    context["cards"] = selectors.print_run_cards(run=run)
    context["can_retry"] = access.can(
        request.user, Can.CARD_PRINT
    ) and services.print_run_can_retry(run)
    return TemplateResponse(request, "cards/print_run_detail.html", context)


@login_required
@require_POST
def print_run_retry(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Hand a failed or stuck run to the workers again."""
    run = selectors.print_run_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.CARD_PRINT)
    try:
        services.print_run_retry(actor=request.user, print_run=run)
    except services.CardsError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("The print run was sent to the workers again."))
    return redirect("cards:print-run-detail", pk=run.pk)


@login_required
@require_GET
def print_run_pdf(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The run's printable cards (live QR tokens): card clerks only, as for a single card."""
    run = selectors.print_run_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.CARD_PRINT)
    if run.status != PrintRun.Status.DONE or not run.pdf:
        raise Http404
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.PDF_DOWNLOADED,
        obj=run,
        request=request,
        detail={"print_run": run.pk},
    )
    return FileResponse(
        run.pdf.open("rb"),
        as_attachment=True,
        filename=f"print-run-{run.pk}.pdf",
        content_type="application/pdf",
    )


# --- Validity checks -------------------------------------------------------------------------
def _photo_data_uri(resident: Resident) -> str:
    """The photo inlined in the page: the public check never exposes a media address."""
    if not resident.photo:
        return ""
    try:
        with resident.photo.open("rb") as handle:
            content = handle.read(2 * 1024 * 1024 + 1)
    except OSError:
        return ""
    if len(content) > 2 * 1024 * 1024:
        return ""
    kind = mimetypes.guess_type(resident.photo.name or "")[0] or "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


# What a check answers, in three words a checker acts on: valid, not yet handed over, not valid.
_VALID = (ResidenceCard.Validity.VALID, ResidenceCard.Validity.EXPIRING)
ANSWER_VALID, ANSWER_NOT_HANDED_OVER, ANSWER_NOT_VALID = "valid", "not_handed_over", "not_valid"


def _validity_context(
    card: ResidenceCard, validity: str, *, staff: bool = False
) -> dict[str, object]:
    """Only what a checker may see: validity, and for a valid card name, photo and expiry.

    A card that is not valid (not yet handed over, expired, replaced, revoked) shows nothing
    about its holder to the public: whoever holds it has no right to it, and the page must not
    tell a stranger whose residence ended. Signed-in staff of the card's province also see the
    precise status and the holder, as on the card's record.
    """
    is_valid = validity in _VALID
    headline: StrOrPromise
    if is_valid:
        answer, headline = ANSWER_VALID, ResidenceCard.Validity(validity).label
    elif validity == ResidenceCard.Validity.NOT_HANDED_OVER:
        answer, headline = ANSWER_NOT_HANDED_OVER, ResidenceCard.Validity(validity).label
    else:
        answer, headline = ANSWER_NOT_VALID, _("Not valid")
    context: dict[str, object] = {
        "validity": validity,
        "answer": answer,
        "headline": headline,
        "is_valid": is_valid,
        "show_identity": is_valid or staff,
        "today": timezone.localdate(),
    }
    if staff:
        context["validity_label"] = ResidenceCard.Validity(validity).label
    if is_valid or staff:
        context.update(
            {
                "name": card.resident.full_name,
                "name_km": card.resident.name_km,
                "photo": _photo_data_uri(card.resident),
                "nationality": card.resident.nationality.name,  # type: ignore[attr-defined]  # a Country (django-countries); the plugin types a CharField's str
                "expiry_date": card.expiry_date,
                "province": card.province.name,
                "number": card.number,
            }
        )
    return context


@never_cache
@require_GET
def card_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The public page a card's QR code opens: is this card valid today? No sign-in."""
    if not ratelimit.allow(
        scope="verify", request=request, limit=settings.CARDS_CHECK_RATE_PER_MINUTE
    ):
        response = TemplateResponse(request, "cards/card_verify_limited.html", {}, status=429)
        response["Retry-After"] = "60"
        return response
    card = selectors.card_get_by_token(token=token)
    validity = services.card_record_check(card=card, actor=None, channel="qr")
    response = TemplateResponse(
        request, "cards/card_verify.html", _validity_context(card, validity)
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
@never_cache
@require_GET
def card_check(request: AuthenticatedRequest) -> HttpResponse:
    """Officers type (or scan) a card number and see the same answer as the public page."""
    form = forms.CardNumberForm(request.GET or None)
    context: dict[str, object] = {"form": form, "checked": False}
    if form.is_valid():
        if not ratelimit.allow(
            scope="lookup",
            request=request,
            limit=settings.CARDS_LOOKUP_RATE_PER_MINUTE,
            per_user=True,
        ):
            context["limited"] = True
            response = TemplateResponse(request, "cards/card_check.html", context, status=429)
            response["Retry-After"] = "60"
            return response
        # Scoped: another province's card answers exactly like a wrong number.
        card, validity = services.card_check_by_number(
            actor=request.user, number=form.cleaned_data["number"]
        )
        context["checked"] = True
        if card is not None:
            context.update(_validity_context(card, validity, staff=True))
            context["card_found"] = True
            context["detail_pk"] = card.pk
    return TemplateResponse(request, "cards/card_check.html", context)
