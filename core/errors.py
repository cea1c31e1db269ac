"""The IMS's one error vocabulary: an action the rules refuse, with a message for its person.

Services raise these (never PermissionError or ValueError for a refusal a user can meet); each
app's errors subclass them. A view may catch one to re-display its form; one left uncaught is
answered once, by `core.middleware.ApplicationErrorMiddleware`: the message, and the status below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Django's lazy translated string, as the stubs spell it (a type only: not needed at run time).
    from django_stubs_ext import StrOrPromise


class ApplicationError(Exception):
    """A refused action; `message` is meant for the person who tried it."""

    status = 400

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(str(message))
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(ApplicationError, PermissionDenied):
    """The actor may not do this (their scope was checked first: out of scope is a 404).

    Also Django's PermissionDenied, so that Django's own machinery (the admin, handler403) and code
    written against it read a refusal of ours as the 403 it is.
    """

    status = 403
    default_message = _(
        "Your role does not include this action. Ask your administrator if you need it."
    )

    def __init__(self, message: StrOrPromise | None = None) -> None:
        super().__init__(self.default_message if message is None else message)


class Conflict(ApplicationError):
    """The record is not in a state that allows this (a transition refused, a stale version)."""

    status = 409


class Invalid(ApplicationError, ValidationError):
    """What was asked breaks a rule of the record (a reason left out, nothing to print).

    Also Django's ValidationError, so that a form's clean() may raise it onto the form and
    `.messages` reads it as a form error's would.
    """
