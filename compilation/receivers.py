"""What the compilation answers when residents and imports call their hooks (see ready())."""

from __future__ import annotations

from compilation import hold, services
from residents import hooks as residents_hooks


def register() -> None:
    # A signed-off list holds its province: residents' and imports' writes ask first.
    residents_hooks.province_edit_guard.register(hold.province_edit_refusal)
    # Residents who end or move change the dashboard's figures: refresh them after commit.
    residents_hooks.province_figures_changed.register(services.province_figures_refresh_on_commit)
