from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from accounts import otp
from accounts.models import User


class Command(BaseCommand):
    help = "Development only: print a demo user's current two-factor code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("otp_code only works with DJANGO_DEBUG=true (development).")
        user = User.objects.filter(username=options["username"]).first()
        device = otp.confirmed_device(user) if user else None
        if device is None:
            raise CommandError(f"{options['username']!r} has no two-factor device.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
