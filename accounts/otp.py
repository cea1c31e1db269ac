"""Two-factor sign-in with time-based one-time codes (django-otp's TOTP devices).

Who must use it: HQ directors, card clerks and administrators always; provincial staff once they
have set it up, or everyone when OTP_REQUIRED_FOR_ALL is on.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import segno
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

ROLES_REQUIRING_OTP = frozenset({"director", "clerk", "admin"})
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"
RECOVERY_CODE_COUNT = 10
# A digest of the pending secret this session was shown (accounts.views.otp_enrol); never the
# secret itself, as sessions are stored.
ENROLMENT_SESSION_KEY = "ims_otp_enrolment_secret"


def requires_second_factor(user: Any) -> bool:
    """True when the user may not work without a verified second factor."""
    if not user.is_authenticated:
        return False
    if settings.OTP_REQUIRED_FOR_ALL or user.role in ROLES_REQUIRING_OTP:
        return True
    return confirmed_device(user) is not None


def owes_second_factor(user: Any) -> bool:
    """Signed in with the password but not yet with a code, though one is required."""
    is_verified = getattr(user, "is_verified", None)
    return is_verified is not None and not is_verified() and requires_second_factor(user)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user: Any) -> TOTPDevice:
    """The user's unconfirmed device, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def enrolment_device(user: Any, session: Any) -> TOTPDevice:
    """The pending device of this enrolment, with a secret no other session was ever shown.

    The secret is shown only while the user sets up their app, in the session doing it: another
    session (another sign-in, another browser) opening the set-up gets a fresh secret, which
    voids the one shown before, so a secret glimpsed earlier or elsewhere never becomes a
    working second factor. Once the device is confirmed its secret is never shown again.
    """
    device = pending_device(user)
    if session.get(ENROLMENT_SESSION_KEY) != _digest(device):
        device.key = default_key()
        device.save(update_fields=["key"])
        session[ENROLMENT_SESSION_KEY] = _digest(device)
    return device


def _digest(device: TOTPDevice) -> str:
    return hashlib.sha256(f"{device.pk}:{device.key}".encode()).hexdigest()


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address of `device` as an inline SVG QR code (no external fetch)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret_base32(device: TOTPDevice) -> str:
    """The secret for typing into an authenticator app by hand, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def ensure_confirmed_device(user: Any) -> TOTPDevice:
    """A confirmed device for `user` (demo users and tests), created if missing."""
    device = confirmed_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return device


def recovery_device(user: Any) -> StaticDevice | None:
    """The user's recovery codes (a django-otp static device), if they made any."""
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def recovery_codes_left(user: Any) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device is not None else 0


def normalise_recovery_code(code: str) -> str:
    """What the user typed, as stored: codes are shown in two groups of four, in lower case."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def format_recovery_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"
