"""The sign-in backend: Django's model backend, loading the user with their province."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import AllowAllUsersModelBackend


class UserBackend(AllowAllUsersModelBackend):
    """Lets the sign-in form say "this account is inactive" instead of a vague failure (inactive
    users reach the password check; sign-in refuses them), and reads the signed-in user of each
    request together with their province: the menu bar names it on every page."""

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.select_related("province").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
