"""Celery tasks of accounts: they take ids and send what a service decided."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User


@shared_task(autoretry_for=(SMTPException, ConnectionError, TimeoutError), retry_backoff=30,
             max_retries=5)  # fmt: skip
def send_otp_reset_notice_task(user_id: int) -> bool:
    """Tell a user, in Khmer and English, that their two-factor sign-in was reset."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    subjects, bodies = [], []
    for language in ("km", "en"):
        with translation.override(language):
            subjects.append(_("Your two-factor sign-in was reset"))
            bodies.append(render_to_string("accounts/email/otp_reset.txt", {"user": user}))
    EmailMessage(
        subject=" / ".join(subjects),
        body="\n\n".join(bodies),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    ).send()
    return True
