"""Demo cards for the demo residents: a realistic mix of new, printed, handed-over and old cards."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cards import services
from cards.models import CardEvent, ResidenceCard
from residents.models import Declaration

# Share of carded residents whose card is older: issued 640-760 days ago, so that the demo shows
# cards expiring soon and cards expired (by date) awaiting the nightly job and renewal.
OLD_SHARE = 0.08
# Share of today's cards already printed, and of those handed over.
PRINTED_SHARE = 0.5
HANDED_OVER_SHARE = 0.6


def _clerk() -> User | None:
    return (
        User.objects.filter(is_active=True, role=User.Role.CLERK).order_by("id").first()
        or User.objects.filter(is_active=True, role=User.Role.DIRECTOR).order_by("id").first()
    )


def seed_cards(*, limit: int | None = None) -> int:
    """Card the demo's acknowledged residents who have no card; return how many cards were issued.

    Safe to run again (residents with a card are skipped) and a no-op when there are no
    acknowledged declarations yet.
    """
    actor = _clerk()
    if actor is None:
        return 0
    due = list(services.declarations_due_a_card().values_list("pk", flat=True))
    if limit is not None:
        due = due[:limit]
    if not due:
        return 0
    rng = random.Random(2026)  # noqa: S311 -- reproducible demo data, not a secret
    today = timezone.localdate()
    started = timezone.now()
    old_ids = set(rng.sample(due, k=int(len(due) * OLD_SHARE)))
    issued = 0
    with transaction.atomic():
        for declaration in Declaration.objects.filter(pk__in=old_ids).select_related("resident"):
            services.card_issue(
                declaration=declaration,
                actor=actor,
                issue_date=today - dt.timedelta(days=rng.randint(640, 760)),
            )
            issued += 1
        # order_by() drops the model's default ordering, which DISTINCT would otherwise include.
        provinces = (
            Declaration.objects.filter(pk__in=set(due) - old_ids)
            .order_by()
            .values_list("resident__province_id", flat=True)
            .distinct()
        )
        for code in sorted(provinces):
            issued += services.cards_issue_for_province(province_code=code, actor=actor)
        _advance(actor, rng, issued_since=started)
    return issued


def _advance(actor: User, rng: random.Random, *, issued_since: dt.datetime) -> None:
    """Move part of the new cards along as if printed and handed over, with matching events.

    Demo data only: printing thousands of demo cards through real print runs would take minutes,
    so the statuses are set in bulk and each step gets its event row.
    """
    now = timezone.now()
    new = ResidenceCard.objects.filter(
        status=ResidenceCard.Status.ISSUED, created_at__gte=issued_since
    ).order_by("id")
    old_since = timezone.localdate() - dt.timedelta(days=600)
    fresh = list(new.filter(issue_date__gte=old_since).values_list("pk", flat=True))
    old = set(new.filter(issue_date__lt=old_since).values_list("pk", flat=True))
    printed = set(rng.sample(fresh, k=int(len(fresh) * PRINTED_SHARE))) | old
    handed = {pk for pk in printed if pk in old or rng.random() < HANDED_OVER_SHARE}
    ResidenceCard.objects.filter(pk__in=printed - handed).update(
        status=ResidenceCard.Status.PRINTED, printed_at=now
    )
    ResidenceCard.objects.filter(pk__in=handed).update(
        status=ResidenceCard.Status.ACTIVE,
        printed_at=now,
        handed_over_at=now,
        handed_over_to="holder (demo)",
    )
    events = [
        CardEvent(card_id=pk, kind=CardEvent.Kind.PRINTED, actor=actor, at=now, data={"demo": True})
        for pk in sorted(printed)
    ] + [
        CardEvent(
            card_id=pk,
            kind=CardEvent.Kind.HANDED_OVER,
            actor=actor,
            at=now,
            data={"handed_to": "holder (demo)", "demo": True},
        )
        for pk in sorted(handed)
    ]
    CardEvent.objects.bulk_create(events, batch_size=5000)
