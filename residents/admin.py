from django.contrib import admin

from residents.models import DocumentType, ResidenceBasis


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_km", "is_active")
    search_fields = ("code", "name_en", "name_km")


@admin.register(ResidenceBasis)
class ResidenceBasisAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_km", "is_active")
    search_fields = ("code", "name_en", "name_km")
    filter_horizontal = ("required_documents",)
