"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from provinces.models import Commune, District, Province
from residents import rules
from residents.models import Declaration, ResidenceBasis, Resident, TravelDocument
from residents.reference import load_residence_bases

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    role = User.Role.OFFICER
    province = factory.LazyAttribute(
        lambda o: Province.objects.get(code="12") if o.role in User.PROVINCIAL_ROLES else None
    )

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


def _code(o: object, name: str) -> str:
    """The code a test gave for a division (`<name>_id`), else the code of the object."""
    code = getattr(o, f"{name}_id", None)
    return code if code is not None else getattr(o, name).code


class ResidentFactory(DjangoModelFactory):
    class Meta:
        model = Resident
        skip_postgeneration_save = True

    surname = factory.Sequence(lambda n: f"WANG{n}")
    given_names = "LI"
    sex = Resident.Sex.FEMALE
    date_of_birth = dt.date(1980, 5, 17)
    nationality = "CN"
    province = factory.LazyFunction(lambda: Province.objects.get(code="12"))
    address_province = factory.SelfAttribute("province")
    # An address is one place (the database checks it): the district is one of the address
    # province's, the commune one of the district's, whether a test passes objects or codes.
    address_district = factory.LazyAttribute(
        lambda o: (
            District.objects.filter(province_id=_code(o, "address_province"))
            .order_by("code")
            .first()
        )
    )
    address_commune = factory.LazyAttribute(
        lambda o: (
            Commune.objects.filter(district_id=_code(o, "address_district"))
            .order_by("code")
            .first()
        )
    )
    created_by = factory.SubFactory(UserFactory)
    search_name = ""

    @classmethod
    def _create(cls, model_class: type[Resident], *args: object, **kwargs: object) -> Resident:
        resident = model_class(*args, **kwargs)
        resident.surname = resident.surname.upper()
        rules.refresh_search_name(resident)
        resident.save()
        return resident


class TravelDocumentFactory(DjangoModelFactory):
    class Meta:
        model = TravelDocument
        # `number` is not a model field: _create encrypts it through set_number().

    resident = factory.SubFactory(ResidentFactory)
    number = factory.Sequence(lambda n: f"E{n:08d}")
    issuing_country = factory.SelfAttribute("resident.nationality")
    issue_date = dt.date(2020, 1, 1)
    expiry_date = dt.date(2030, 1, 1)

    @classmethod
    def _create(cls, model_class: type[TravelDocument], *args: object, **kwargs: object):
        number = kwargs.pop("number")
        document = model_class(*args, **kwargs)
        document.set_number(number)
        document.save()
        return document

    @classmethod
    def _adjust_kwargs(cls, **kwargs: object) -> dict[str, object]:
        return kwargs


def _basis(code: str) -> ResidenceBasis:
    """A basis from the migration's list, reloaded when a transactional test flushed it."""
    load_residence_bases()
    return ResidenceBasis.objects.get(code=code)


class DeclarationFactory(DjangoModelFactory):
    class Meta:
        model = Declaration

    resident = factory.SubFactory(ResidentFactory)
    declared_on = dt.date(2026, 11, 1)
    basis = factory.LazyFunction(lambda: _basis("marriage"))
    created_by = factory.SelfAttribute("resident.created_by")
    status = Declaration.Status.DRAFT
