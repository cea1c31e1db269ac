"""Celery tasks of accounts: they take ids and send what a service decided."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@shared_task(autoretry_for=(SMTPException, ConnectionError, TimeoutError), retry_backoff=30,
             max_retries=5)  # fmt: skip
def send_otp_reset_notice_task(user_id: int) -> bool:
    """Tell a user, in Khmer and English, that their two-factor sign-in was reset."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    _send(
        user,
        subject=_("Your two-factor sign-in was reset"),
        template="accounts/email/otp_reset.txt",
        context={"user": user},
        languages=("km", "en"),
    )
    return True


def _languages_of(user: User) -> tuple[str, ...]:
    """The user's language, or both when it is not known."""
    return (user.language,) if user.language else ("km", "en")


def _send(user: User, *, subject: Promise, template: str, context: dict, languages: tuple) -> None:
    """One e-mail in each of `languages`, subjects joined and bodies one after the other."""
    subjects, bodies = [], []
    for language in languages:
        with translation.override(language):
            subjects.append(str(subject))
            bodies.append(render_to_string(template, context))
    EmailMessage(
        subject=" / ".join(subjects),
        body="\n\n".join(bodies),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    ).send()


# The shared sender, for the e-mails other apps send to a user (jobs' notifications).
send_to_user = _send
languages_of = _languages_of


@shared_task(autoretry_for=(SMTPException, ConnectionError, TimeoutError), retry_backoff=30,
             max_retries=5)  # fmt: skip
def send_invitation_task(user_id: int) -> bool:
    """E-mail an invited user their link, in their language (both when it is unknown).

    The link is made now, from the account as it is: a newer invitation or a password set in the
    meantime leaves nothing worth sending.
    """
    from accounts import invitations

    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or user.has_usable_password():
        return False
    context = {
        "user": user,
        "url": invitations.invitation_url(user),
        "hours": invitations.MAX_AGE_SECONDS // 3600,
    }
    _send(
        user,
        subject=_("Your GDI IMS account"),
        template="accounts/email/invitation.txt",
        context=context,
        languages=_languages_of(user),
    )
    return True


@shared_task(autoretry_for=(SMTPException, ConnectionError, TimeoutError), retry_backoff=30,
             max_retries=5)  # fmt: skip
def send_password_reset_task(user_id: int) -> bool:
    """E-mail a user a link to choose a new password, in their language (both when unknown)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return False
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "url": settings.JOBS_SITE_URL.rstrip("/") + path,
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    _send(
        user,
        subject=_("Choose a new GDI IMS password"),
        template="accounts/email/password_reset.txt",
        context=context,
        languages=_languages_of(user),
    )
    return True
