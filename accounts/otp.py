"""Two-factor sign-in with time-based one-time codes (django-otp's TOTP devices).

Who must use it: HQ directors, card clerks and administrators always; provincial staff once they
have set it up, or everyone when OTP_REQUIRED_FOR_ALL is on.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

ROLES_REQUIRING_OTP = frozenset({"director", "clerk", "admin"})
DEVICE_NAME = "authenticator"


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
    return bool(is_verified) and not is_verified() and requires_second_factor(user)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user: Any) -> TOTPDevice:
    """The user's unconfirmed device, created on first use: its secret is shown once, as a QR."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


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
