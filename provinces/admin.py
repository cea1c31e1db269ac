from django.contrib import admin

from provinces.models import Commune, District, Province


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_km")
    search_fields = ("code", "name_en", "name_km")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_km", "province")
    list_filter = ("province",)
    search_fields = ("code", "name_en", "name_km")


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_km", "district")
    list_select_related = ("district",)
    search_fields = ("code", "name_en", "name_km")
