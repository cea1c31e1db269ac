"""The rows list pages write in Python: the markup their templates wrote, in both languages.

Each renderer is compared with the template loop it replaced (kept here), on rows that take
every branch: flags, a claim by another verifier, a reason on two lines, each card status.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from audit.models import AuditEvent
from audit.services import audit_record
from cards.models import ResidenceCard
from residents import queues
from residents.models import Declaration, LikelyDuplicate
from tests.factories import UserFactory
from tests.residents.conftest import make_resident

Status = Declaration.Status

REPLACED = Path(__file__).parent / "replaced"  # the templates' loops, as they were


def _old(name: str, loads: str = "i18n ims_rows") -> str:
    return "{% load " + loads + " %}" + (REPLACED / f"{name}.html").read_text()


OLD_VERIFICATION = _old("verification_rows")
OLD_ACKNOWLEDGEMENT = _old("acknowledgement_rows")
OLD_RETURNED = _old("returned_rows")
OLD_CARDS = _old("card_rows", "i18n ims_rows expiry_badges")
OLD_AUDIT = _old("audit_rows")
OLD_EXPIRY_BADGE = (REPLACED / "expiry_badge.html").read_text()


def _squeeze(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


def _both(old: str, new: str, context: dict[str, object]) -> tuple[str, str]:
    """The old template loop and the new tag rendered on the same context, squeezed."""
    theirs = Template(old).render(Context(context))
    ours = Template(new).render(Context(context))
    return _squeeze(ours), _squeeze(theirs)


def _declarations(officer, verifier, status: str, count: int = 3) -> list[Declaration]:
    made = []
    for n in range(count):
        resident = make_resident(maker=officer, status=status, surname=f"<B>NAME {n}")
        made.append(resident.declarations.get())
    first, second = made[0], made[1]
    LikelyDuplicate.objects.create(resident=first.resident, other=second.resident, similarity=0.8)
    Declaration.objects.filter(pk=first.pk).update(
        claimed_by=UserFactory(username="other_v<", role="verifier", province_id="12"),
        claimed_until=timezone.now() + dt.timedelta(minutes=10),
        reviewed_by=verifier,
        reviewed_at=dt.datetime(2026, 11, 30, 18, 30, tzinfo=dt.UTC),
        status_reason="Line one <i>\nline two",
    )
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "km"])
def test_the_verification_rows_are_what_the_template_wrote(officer, verifier, language):
    _declarations(officer, verifier, Status.SUBMITTED)
    page = queues.VERIFICATION.page(user=verifier)
    context = {"page": page, "user": verifier, "now": timezone.now(), "query": "sort=name"}

    with translation.override(language):
        ours, theirs = _both(
            OLD_VERIFICATION, "{% load queue_rows %}{% verification_rows page.items %}", context
        )

    assert ours == theirs
    assert ours.count('data-testid="queue-row"') == 3
    assert ours.count('data-testid="held-badge"') == 1
    assert ours.count('data-testid="duplicate-badge"') == 1
    assert "&lt;B&gt;NAME 0" in ours
    assert "<B>" not in ours


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "km"])
def test_the_acknowledgement_rows_are_what_the_template_wrote(
    officer, verifier, director, language
):
    _declarations(officer, verifier, Status.VERIFIED)
    page = queues.ACKNOWLEDGEMENT.page(user=director)
    context = {"page": page, "user": director, "csrf_token": "the-token"}

    with translation.override(language):
        ours, theirs = _both(
            OLD_ACKNOWLEDGEMENT,
            "{% load queue_rows %}{% acknowledgement_rows page.items %}",
            context,
        )

    assert ours == theirs
    assert ours.count('value="the-token"') == 3


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "km"])
def test_the_returned_rows_are_what_the_template_wrote(officer, verifier, language):
    _declarations(officer, verifier, Status.RETURNED)
    page = queues.RETURNED.page(user=officer)

    with translation.override(language):
        ours, theirs = _both(
            OLD_RETURNED, "{% load queue_rows %}{% returned_rows page.items %}", {"page": page}
        )

    assert ours == theirs
    assert "Line one &lt;i&gt;<br>line two" in ours


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "km"])
def test_empty_queues_say_so_as_before(verifier, director, officer, language):
    empty = {"page": queues.VERIFICATION.page(user=verifier), "user": verifier,
             "now": timezone.now(), "query": ""}  # fmt: skip

    with translation.override(language):
        for old, tag in [
            (OLD_VERIFICATION, "verification_rows"),
            (OLD_ACKNOWLEDGEMENT, "acknowledgement_rows"),
            (OLD_RETURNED, "returned_rows"),
        ]:
            ours, theirs = _both(old, f"{{% load queue_rows %}}{{% {tag} page.items %}}", empty)
            assert ours == theirs, tag
            assert 'class="text-muted"' in ours


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "km"])
@pytest.mark.parametrize("can_print", [True, False])
def test_the_card_rows_are_what_the_template_wrote(officer, language, can_print):
    today = timezone.localdate()
    cards = []
    for n, status in enumerate(ResidenceCard.Status.values):
        resident = make_resident(maker=officer, status=Status.ACKNOWLEDGED, surname=f"<C{n}>")
        cards.append(
            ResidenceCard.objects.create(
                resident=resident, declaration=resident.declarations.get(), province_id="12",
                issued_by=officer, number=f"PP-{n:06d}", status=status,
                status_reason="lost" if status == "revoked" else "",
                issue_date=today - dt.timedelta(days=700),
                expiry_date=today + dt.timedelta(days=(n - 2) * 20),
            )
        )  # fmt: skip
    context = {"cards": cards, "can_print": can_print}

    with translation.override(language):
        ours, theirs = _both(
            OLD_CARDS, "{% load card_rows %}{% card_rows cards can_print %}", context
        )
        none, none_before = _both(OLD_CARDS, "{% load card_rows %}{% card_rows cards can_print %}",
                                  {"cards": [], "can_print": can_print})  # fmt: skip

    assert ours == theirs
    assert none == none_before
    assert ours.count("pick-box") == (len(cards) if can_print else 0)
    assert "&lt;C0&gt;" in ours


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "km"])
def test_the_audit_rows_are_what_the_template_wrote(officer, language):
    resident = make_resident(maker=officer, surname="<AUDIT>")
    audit_record(actor=officer, action=AuditEvent.Action.values[0], obj=resident,
                 detail={"reason": "<x>", "n": 2})  # fmt: skip
    audit_record(actor=None, action=AuditEvent.Action.values[-1])
    events = list(AuditEvent.objects.order_by("-id"))

    with translation.override(language):
        ours, theirs = _both(OLD_AUDIT, "{% load audit_rows %}{% audit_rows events %}",
                             {"events": events})  # fmt: skip
        none, none_before = _both(OLD_AUDIT, "{% load audit_rows %}{% audit_rows events %}",
                                  {"events": []})  # fmt: skip

    assert ours == theirs
    assert none == none_before
    assert "n=2, reason=&lt;x&gt;" in ours


@pytest.mark.parametrize("language", ["en", "km"])
@pytest.mark.parametrize("days", [-400, -1, 0, 1, 30, 89, 91, None])
@pytest.mark.parametrize("status", ["", "active", "expired", "replaced", "revoked"])
def test_the_expiry_badge_is_what_its_template_wrote(language, days, status):
    from cards import expiry as card_expiry

    today = timezone.localdate()
    expiry_date = None if days is None else today + dt.timedelta(days=days)
    alert = card_expiry.alert_for(expiry_date, today, status)
    left = 0 if expiry_date is None else (expiry_date - today).days
    old_context = {"alert": alert, "days_left": max(left, 0), "days_ago": max(-left, 0)}
    new = Template("{% load expiry_badges %}{% expiry_badge expiry status %}")

    with translation.override(language):
        theirs = Template(OLD_EXPIRY_BADGE).render(Context(old_context)) if alert else ""
        ours = new.render(Context({"expiry": expiry_date, "status": status}))

    assert _squeeze(ours) == _squeeze(theirs)


OLD_RENEWALS = _old("renewal_rows", "i18n ims_rows expiry_badges")


def _renewal_card(pk: int, state: str, days: int, *, renewed: bool = False) -> ResidenceCard:
    from provinces.models import Province
    from residents.models import Resident

    today = timezone.localdate()
    card = ResidenceCard(
        pk=pk,
        number=f"PP-<{pk}>",
        status=ResidenceCard.Status.REPLACED if renewed else ResidenceCard.Status.ACTIVE,
        expiry_date=today + dt.timedelta(days=days),
        resident=Resident(
            pk=pk + 100, surname="<R>", given_names=str(pk), name_km="ខ<>" * (pk % 2)
        ),
        province=Province(code="12", name_en="Phnom Penh", name_km="ភ្នំពេញ"),
    )
    card.renewal_state = state
    card.renewal_label = f"<{state}>"
    card.new_card = ResidenceCard(pk=pk + 1000) if renewed else None
    card.notified_at = dt.datetime(2026, 11, 1, 20, 0, tzinfo=dt.UTC) if pk % 2 else None
    return card


@pytest.mark.parametrize("language", ["en", "km"])
@pytest.mark.parametrize(("can_start", "can_renew"), [(True, True), (False, False)])
def test_the_renewal_rows_are_what_the_template_wrote(language, can_start, can_renew):
    cards = [
        _renewal_card(1, "renewed", -3, renewed=True),
        _renewal_card(2, "ready", 10),
        _renewal_card(3, "in_progress", 0),
        _renewal_card(4, "not_started", -40),
        _renewal_card(5, "not_started", 60),
    ]
    context = {"page": {"items": cards}, "can_start": can_start, "can_renew": can_renew,
               "csrf_token": "the-token"}  # fmt: skip
    new = "{% load renewal_rows %}{% renewal_rows page.items %}"

    with translation.override(language):
        ours, theirs = _both(OLD_RENEWALS, new, context)
        none, none_before = _both(OLD_RENEWALS, new, {**context, "page": {"items": []}})

    assert ours == theirs
    assert none == none_before
    assert ours.count('data-testid="start-renewal"') == (2 if can_start else 0)
    assert ours.count('data-testid="renew-card"') == (1 if can_renew else 0)
    assert "&lt;R&gt;" in ours
    assert "<R>" not in ours
