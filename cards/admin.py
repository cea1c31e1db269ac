"""Read-only admin for cards: every change goes through the services (and their event rows)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cards.models import CardEvent, PrintRun, ResidenceCard


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


EVENT_FIELDS = ("at", "kind", "actor", "reason", "data")


class CardEventInline(admin.TabularInline):
    model = CardEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ResidenceCard)
class ResidenceCardAdmin(ReadOnlyAdmin):
    list_display = ["number", "resident", "province", "status", "issue_date", "expiry_date"]
    list_filter = ["status", "province"]
    search_fields = ["number"]
    list_select_related = ["resident", "province"]
    exclude = ["token"]
    inlines = [CardEventInline]


@admin.register(PrintRun)
class PrintRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "created_by", "province", "total", "status"]
    list_filter = ["status"]
    list_select_related = ["created_by", "province"]
