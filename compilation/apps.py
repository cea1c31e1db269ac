from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompilationConfig(AppConfig):
    name = "compilation"
    verbose_name = _("Compilation")

    def ready(self) -> None:
        from compilation import hold, services
        from residents import hooks as residents_hooks

        # A signed-off list holds its province: residents' and imports' writes ask first.
        residents_hooks.province_edit_guard.register(hold.province_edit_refusal)
        # Residents who end or move change the dashboard's figures: refresh them after commit.
        residents_hooks.province_figures_changed.register(
            services.province_figures_refresh_on_commit
        )
