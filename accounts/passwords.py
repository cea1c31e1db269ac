"""The password strength check: zxcvbn's estimate of how many guesses a password takes.

Django's validators catch short, common, numeric and name-like passwords; this one also catches
the predictable ones they let through ("Passw0rd2026!"), and says how to do better. zxcvbn's
feedback is English: every sentence it can say is listed here, so the catalog translates it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from zxcvbn import zxcvbn

# zxcvbn reads at most this many characters (longer ones are not weaker).
MAX_CHECKED_LENGTH = 72
FEEDBACK = {
    text: gettext_lazy(text)
    for text in (
        "Use a few words, avoid common phrases.",
        "No need for symbols, digits, or uppercase letters.",
        "Add another word or two. Uncommon words are better.",
        "Straight rows of keys are easy to guess.",
        "Short keyboard patterns are easy to guess.",
        "Use a longer keyboard pattern with more turns.",
        'Repeats like "aaa" are easy to guess.',
        "Avoid repeated words and characters.",
        'Sequences like "abc" or "6543" are easy to guess.',
        "Avoid sequences.",
        "Recent years are easy to guess.",
        "Avoid recent years.",
        "Avoid years that are associated with you.",
        "Dates are often easy to guess.",
        "Avoid dates and years that are associated with you.",
        "This is a top-10 common password.",
        "This is a top-100 common password.",
        "This is a very common password.",
        "This is similar to a commonly used password.",
        "A word by itself is easy to guess.",
        "Names and surnames by themselves are easy to guess.",
        "Common names and surnames are easy to guess.",
        "Capitalization doesn't help very much.",
        "All-uppercase is almost as easy to guess as all-lowercase.",
        "Reversed words aren't much harder to guess.",
        "Predictable substitutions like '@' instead of 'a' don't help very much.",
    )
}


def _translated(text: str) -> str:
    return str(FEEDBACK.get(text, text))


class StrengthValidator:
    """Refuse a password zxcvbn scores below `min_score` (0-4), with its advice."""

    def __init__(self, min_score: int = 3) -> None:
        self.min_score = min_score

    def validate(self, password: str, user: Any = None) -> None:
        inputs = [
            value
            for value in (
                getattr(user, "username", ""),
                getattr(user, "first_name", ""),
                getattr(user, "last_name", ""),
                getattr(user, "email", ""),
                "gdi", "ims", "immigration", "cambodia",
            )
            if value
        ]  # fmt: skip
        result = zxcvbn(password[:MAX_CHECKED_LENGTH], user_inputs=inputs)
        if result["score"] >= self.min_score:
            return
        feedback = result["feedback"]
        advice = [feedback["warning"], *feedback["suggestions"]]
        messages = [_("This password is too easy to guess.")]
        messages += [_translated(text) for text in advice if text]
        raise ValidationError(" ".join(messages), code="password_too_guessable")

    def get_help_text(self) -> str:
        return _("Your password must be hard to guess: a few uncommon words work well.")
