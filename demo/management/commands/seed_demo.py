from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import otp
from accounts.models import User
from demo import users as demo
from demo.compilation import seed_compilation
from demo.residents import seed_residents
from provinces.geography import load_geography_now


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo data. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default="",
            help="Password of every demo user (default: DEMO_PASSWORD from the environment).",
        )
        parser.add_argument(
            "--residents",
            type=int,
            default=3000,
            help="How many synthetic residents to have (default 3000; existing ones are kept).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["password"] and not settings.DEMO_PASSWORD:
            raise CommandError("Set DEMO_PASSWORD (or pass --password) to seed demo users.")
        password = options["password"] or settings.DEMO_PASSWORD or secrets.token_urlsafe(12)
        with transaction.atomic():
            load_geography_now()
            users = demo.seed_users(password=password)
        self.stdout.write(self.style.SUCCESS("Demo users (all share one password):"))
        for user in users:
            scope = user.province.name_en if user.province else "national"
            self.stdout.write(f"  {user.username:<14} {user.get_role_display():<22} {scope}")
        self.stdout.write(f"  password: {password}")
        added = seed_residents(count=options["residents"])
        self.stdout.write(f"Demo residents: {added} added, {options['residents']} wanted.")
        from demo.cards import seed_cards

        self.stdout.write(f"Demo cards: {seed_cards()} issued.")
        director = next(user for user in users if user.role == User.Role.DIRECTOR)
        provinces = seed_compilation(director=director)
        self.stdout.write(f"Dashboard: estimates set, figures refreshed for {provinces} provinces.")
        pairs = [(user, otp.confirmed_device(user)) for user in users]
        devices = [(user, device) for user, device in pairs if device is not None]
        if devices:
            self.stdout.write(
                "Two-factor sign-in: add each address to an authenticator app, "
                "or run `manage.py otp_code <user name>` (development only) for the current code."
            )
            for user, device in devices:
                self.stdout.write(f"  {user.username:<14} {device.config_url}")
