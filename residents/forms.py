"""Forms of the residents screens: explicit fields only, checked on the server, crispy layout."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import TYPE_CHECKING, Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row
from cryptography.exceptions import InvalidTag
from django import forms
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

# Defined by django-countries but missing from its stubs (fields.pyi).
from django_countries.fields import LazyTypedChoiceField  # type: ignore[attr-defined]

from accounts.models import User
from core import crypto
from core import fields as ims_fields
from core.widgets import FixedChoicesSelect, keep_choices
from provinces.models import District, Province
from residents import rules, selectors, services
from residents.models import (
    SEARCH_NAME_MAX,
    Declaration,
    DeclarationDocument,
    DocumentType,
    ResidenceBasis,
    Resident,
)
from residents.uploads import clean_photo, sniff_document

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _date_field(
    label: StrOrPromise, *, required: bool = True, **kwargs: Any
) -> ims_fields.DateField:
    return ims_fields.DateField(label=label, required=required, **kwargs)


# A valid photo attached to a form that comes back with an error is kept (encrypted, for an hour,
# for the same user) so that it need not be chosen again; the form carries only a random token.
KEPT_PHOTO_SECONDS = 3600
_KEPT_PHOTO_CONTEXT = "residents.kept-photo"


def _kept_photo_key(user: User, token: str) -> str:
    return f"residents:kept-photo:{user.pk}:{token}"


def keep_photo(*, user: User, photo: ContentFile) -> str:
    """Keep a cleaned photo for the next submission of the form; return its token."""
    token = secrets.token_urlsafe(24)
    photo.seek(0)
    sealed = crypto.encrypt_bytes(photo.read(), context=_KEPT_PHOTO_CONTEXT)
    cache.set(_kept_photo_key(user, token), sealed, KEPT_PHOTO_SECONDS)
    return token


def kept_photo(*, user: User, token: str) -> ContentFile | None:
    """The photo kept under `token` for this user, or None (expired, someone else's, tampered)."""
    sealed = cache.get(_kept_photo_key(user, token)) if token else None
    if sealed is None:
        return None
    try:
        data = crypto.decrypt_bytes(sealed, context=_KEPT_PHOTO_CONTEXT)
    except (InvalidTag, ImproperlyConfigured, ValueError):
        return None
    return ContentFile(data, name="photo.jpg")


def _country_choices() -> list[tuple[str, str]]:
    """Every country, named in the reader's language (choices are built as each form is)."""
    return list(countries)


def _nationality_filter_choices() -> list[tuple[str, str]]:
    return [("", _("Any nationality")), *countries]


def names_too_long_message(length: int) -> str:
    return _(
        "The names together are %(length)s characters long; the register holds at most "
        "%(limit)s. Shorten this name."
    ) % {"length": length, "limit": SEARCH_NAME_MAX}


class ResidentForm(forms.ModelForm):
    """Identity, address and passport of a resident; on creation also the first declaration.

    The province office, status, maker and version are never fields: extra POST data is ignored.
    """

    passport_number = forms.CharField(label=_("Passport number"), max_length=30)
    passport_country = LazyTypedChoiceField(label=_("Issuing country"), choices=_country_choices)
    passport_issue_date = _date_field(_("Passport issue date"), required=False)
    passport_expiry_date = _date_field(_("Passport expiry date"), required=False)
    declared_on = _date_field(_("Date of declaration"))
    basis = forms.ModelChoiceField(
        label=_("Basis of residence"), queryset=ResidenceBasis.objects.filter(is_active=True)
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo_upload = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG or PNG, at most 5 MB. It is re-encoded and its metadata removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    photo_kept = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm_duplicates = forms.BooleanField(
        label=_("I checked the likely duplicates listed above: this is a different person."),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Resident
        # Exactly the fields a person may set, as the services define them.
        fields = list(services.RESIDENT_FIELDS)
        field_classes = {
            "date_of_birth": ims_fields.DateField,
            "arrival_date": ims_fields.DateField,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.creating = self.instance.pk is None
        self.passport_holder: selectors.PassportHolder | None = None
        self.photo_is_kept = False
        self.likely_duplicates: list[selectors.LikelyMatch] = []
        self.fields["surname"].help_text = _("As in the passport, in Latin letters.")
        cast(
            forms.ModelChoiceField, self.fields["address_province"]
        ).queryset = Province.objects.order_by("code")
        if not self.creating:
            for name in ("declared_on", "basis", "notes"):
                del self.fields[name]
            document = self.instance.documents.filter(is_current=True).first()
            if document is not None:
                self.initial.update(
                    passport_number=document.number,
                    passport_country=document.issuing_country.code,
                    passport_issue_date=document.issue_date,
                    passport_expiry_date=document.expiry_date,
                )
            self.initial["version"] = self.instance.version
        else:
            self.initial.setdefault("address_province", user.province_id)
            self.initial.setdefault("declared_on", timezone.localdate())
        self._limit_address_choices()
        province_url = reverse_lazy("residents:district-options")
        district_url = reverse_lazy("residents:commune-options")
        self.fields["address_province"].widget.attrs.update(
            {"hx-get": province_url, "hx-target": "#id_address_district", "hx-trigger": "change"}
        )
        self.fields["address_district"].widget.attrs.update(
            {"hx-get": district_url, "hx-target": "#id_address_commune", "hx-trigger": "change"}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self._layout()

    def _bound_or_initial(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "") or ""
        value = self.initial.get(name) or getattr(self.instance, f"{name}_id", None)
        return str(value or "")

    def _limit_address_choices(self) -> None:
        province = self._bound_or_initial("address_province")
        district = self._bound_or_initial("address_district")
        cast(
            forms.ModelChoiceField, self.fields["address_district"]
        ).queryset = selectors.districts_of(province)
        cast(
            forms.ModelChoiceField, self.fields["address_commune"]
        ).queryset = selectors.communes_of(district)

    def _layout(self) -> Layout:
        identity = Fieldset(
            _("Identity"),
            Row(Column("surname"), Column("given_names")),
            Row(Column("name_km"), Column("name_native")),
            Row(Column("sex"), Column("date_of_birth"), Column("nationality")),
            Row(Column("place_of_birth"), Column("arrival_date")),
            Row(Column("phone"), Column("occupation"), Column("employer")),
            "photo_upload",
            "photo_kept",
        )
        passport = Fieldset(
            _("Passport"),
            Row(Column("passport_number"), Column("passport_country")),
            Row(Column("passport_issue_date"), Column("passport_expiry_date")),
            HTML("{% include 'residents/_passport_holder.html' %}"),
        )
        address = Fieldset(
            _("Address in Cambodia"),
            Row(Column("address_province"), Column("address_district"), Column("address_commune")),
            Row(Column("address_village"), Column("address_street")),
        )
        parts: list[Any] = [identity, passport, address]
        if self.creating:
            parts.append(
                Fieldset(_("Declaration"), Row(Column("declared_on"), Column("basis")), "notes")
            )
        parts += [HTML("{% include 'residents/_likely_duplicates.html' %}"), "version"]
        return Layout(*parts)

    # --- cleaning --------------------------------------------------------------------------
    # The rules of residents.rules, as an import applies them to the same columns.
    def clean_surname(self) -> str:
        surname = rules.normalise_name(self.cleaned_data["surname"])
        if not rules.is_a_name(surname):
            raise ValidationError(_("The surname must contain letters."))
        return surname

    def clean_given_names(self) -> str:
        return rules.normalise_name(self.cleaned_data["given_names"])

    def clean_name_km(self) -> str:
        return rules.normalise_script_name(self.cleaned_data["name_km"])

    def clean_name_native(self) -> str:
        return rules.normalise_script_name(self.cleaned_data["name_native"])

    def clean_passport_number(self) -> str:
        number = rules.passport_number(self.cleaned_data["passport_number"])
        if number is None:
            raise ValidationError(_("A passport number has 5 to 20 letters and digits."))
        return number

    def clean_photo_upload(self) -> Any:
        upload = self.cleaned_data.get("photo_upload")
        if not upload:
            # No new file: the photo kept from a previous attempt, if any.
            return kept_photo(
                user=self.user, token=self.data.get(self.add_prefix("photo_kept"), "")
            )
        return clean_photo(upload)

    def full_clean(self) -> None:
        super().full_clean()
        photo = getattr(self, "cleaned_data", {}).get("photo_upload")
        self.photo_is_kept = bool(self.is_bound and self.errors and photo is not None)
        if self.photo_is_kept and photo is not None:
            data = cast(QueryDict, self.data).copy()  # a bound form's data: the request's
            data[self.add_prefix("photo_kept")] = keep_photo(user=self.user, photo=photo)
            self.data = data
            self.fields["photo_upload"].help_text = _(
                "Your photo is kept and will be saved with the record. Choose another file only "
                "to replace it."
            )

    def clean_date_of_birth(self) -> dt.date:
        value = self.cleaned_data["date_of_birth"]
        if value > timezone.localdate():
            raise ValidationError(_("The date of birth cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        province, district, commune = (
            data.get("address_province"),
            data.get("address_district"),
            data.get("address_commune"),
        )
        if province and district and district.province_id != province.code:
            self.add_error("address_district", _("This district is not in the chosen province."))
        if district and commune and commune.district_id != district.code:
            self.add_error("address_commune", _("This commune is not in the chosen district."))
        if overlong := rules.overlong_name_field(data):
            name, length = overlong
            self.add_error(name, names_too_long_message(length))
        issue, expiry = data.get("passport_issue_date"), data.get("passport_expiry_date")
        if issue and expiry and expiry <= issue:
            self.add_error(
                "passport_expiry_date", _("The expiry date must be after the issue date.")
            )
        if data.get("passport_number") and data.get("passport_country"):
            self._check_passport(data)
        if data.get("date_of_birth") and data.get("nationality") and data.get("surname"):
            self._check_likely_duplicates(data)
        return data

    def _check_passport(self, data: dict[str, Any]) -> None:
        self.passport_holder = selectors.passport_holder_for(
            user=self.user,
            issuing_country=data["passport_country"],
            number=data["passport_number"],
            exclude_resident_id=self.instance.pk,
        )
        holder = self.passport_holder
        if holder is None:
            return
        if holder.in_scope:
            message: StrOrPromise = _(
                "This passport is already recorded for %(name)s (resident no. %(id)s)."
            ) % {
                "name": holder.resident.full_name,
                "id": holder.resident.pk,
            }
        else:
            message = _("This passport is already recorded by another province's office.")
        self.add_error("passport_number", message)

    def _check_likely_duplicates(self, data: dict[str, Any]) -> None:
        if not self.creating and not (
            {"surname", "given_names", "name_native", "name_km", "date_of_birth", "nationality"}
            & set(self.changed_data)
        ):
            return
        self.likely_duplicates = selectors.likely_duplicates_for_entry(
            user=self.user,
            names=[data.get(n, "") for n in ("surname", "given_names", "name_native", "name_km")],
            date_of_birth=data["date_of_birth"],
            nationality=str(data["nationality"]),
            exclude_resident_id=self.instance.pk,
        )
        if self.likely_duplicates and not data.get("confirm_duplicates"):
            self.add_error(
                "confirm_duplicates",
                _("Check the likely duplicates, then tick this box to save anyway."),
            )

    # --- what the services receive ---------------------------------------------------------
    def resident_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in services.RESIDENT_FIELDS}

    def passport_input(self) -> services.PassportInput:
        data = self.cleaned_data
        return services.PassportInput(
            number=data["passport_number"],
            issuing_country=str(data["passport_country"]),
            issue_date=data.get("passport_issue_date"),
            expiry_date=data.get("passport_expiry_date"),
        )

    def declaration_input(self) -> services.DeclarationInput:
        data = self.cleaned_data
        return services.DeclarationInput(
            declared_on=data["declared_on"], basis=data["basis"], notes=data.get("notes", "")
        )


class DeclarationForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Declaration
        fields = ["declared_on", "basis", "notes"]
        field_classes = {"declared_on": ims_fields.DateField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["basis"]).queryset = ResidenceBasis.objects.filter(
            is_active=True
        )
        self.initial["version"] = self.instance.version
        self.helper = FormHelper()
        self.helper.form_tag = False

    def declaration_input(self) -> services.DeclarationInput:
        data = self.cleaned_data
        return services.DeclarationInput(
            declared_on=data["declared_on"], basis=data["basis"], notes=data["notes"]
        )


class ReviewForm(forms.Form):
    """A verifier's decision; a reason is required to return or reject (the service checks too)."""

    ACTIONS = ("verify", "return", "reject")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason (required to return or reject)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    resident_version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("action") in ("return", "reject") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason: the officer will read it."))
        return data


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Supporting document"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def clean_file(self) -> tuple[Any, str, str]:
        upload = self.cleaned_data["file"]
        content, content_type = sniff_document(upload)
        return content, content_type, upload.name


SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("name", _("Name (A to Z)")),
    ("relevance", _("Best match (with a name search)")),
]


# A passport number never travels in a URL (access logs, browser history, Referer headers keep
# URLs): the search form is posted, and the list's address carries the number encrypted instead.
SEALED_PASSPORT = "passport_sealed"
_SEALED_PASSPORT_CONTEXT = "residents.search.passport"


def search_query_for_url(data: QueryDict) -> QueryDict:
    """The search as a query string: every filter as typed, the passport number encrypted."""
    query = data.copy()
    for key in ("csrfmiddlewaretoken", "after", "before", SEALED_PASSPORT):
        query.pop(key, None)
    number = (query.pop("passport", None) or [""])[-1].strip()
    if number:
        query[SEALED_PASSPORT] = crypto.encrypt(number, context=_SEALED_PASSPORT_CONTEXT)
    return query


def search_data_from_url(query: QueryDict) -> tuple[QueryDict, bool]:
    """The search form's data from a list URL, and whether its sealed passport could be read."""
    data = query.copy()
    sealed = (data.pop(SEALED_PASSPORT, None) or [""])[-1]
    if not sealed:
        return data, True
    try:
        data["passport"] = crypto.decrypt(sealed, context=_SEALED_PASSPORT_CONTEXT)
    except (InvalidTag, ImproperlyConfigured, ValueError):  # tampered, truncated, old key
        return data, False
    return data, True


# How long a process offers the same options in the search forms: divisions change with a new
# release of the official codes, bases of residence when an administrator edits one.
DIVISIONS_KEPT_SECONDS = 600
BASES_KEPT_SECONDS = 60
PROVINCE_CODE = re.compile(r"\d{2}")


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    passport = forms.CharField(label=_("Passport number"), required=False, max_length=30)
    card = forms.CharField(label=_("Card number"), required=False, max_length=30)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            *Declaration.Status.choices,
            ("compiled", _("Verified or acknowledged")),
            ("pending", _("Not verified yet")),
        ],
        widget=FixedChoicesSelect(cache_key="residents.search.status"),
    )
    nationality = LazyTypedChoiceField(
        label=_("Nationality"),
        required=False,
        choices=_nationality_filter_choices,
        widget=FixedChoicesSelect(cache_key="residents.search.nationality"),
    )
    province = forms.ModelChoiceField(
        label=_("Province"), required=False, queryset=Province.objects.order_by("code"),
        to_field_name="code", empty_label=_("All provinces"),
    )  # fmt: skip
    district = forms.ModelChoiceField(
        label=_("District"), required=False, queryset=District.objects.none(),
        to_field_name="code", empty_label=_("All districts"),
    )  # fmt: skip
    entered_from = _date_field(_("Entered from"), required=False)
    entered_to = _date_field(_("Entered until"), required=False)
    residence = forms.ChoiceField(
        label=_("Residence"),
        required=False,
        choices=[
            ("", _("Current residents")),
            ("ended", _("Ended residence")),
            ("all", _("All, ended included")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=SORT_CHOICES,
        widget=FixedChoicesSelect(cache_key="residents.search.sort"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.is_provincial:
            del self.fields["province"]
            province = user.province_id or ""
        else:
            province = str(self.data.get("province") or "") if self.is_bound else ""
            provinces = cast(forms.ModelChoiceField, self.fields["province"])
            keep_choices(provinces, key="residents.provinces", seconds=DIVISIONS_KEPT_SECONDS)
        district = cast(forms.ModelChoiceField, self.fields["district"])
        if PROVINCE_CODE.fullmatch(province):
            district.queryset = selectors.districts_of(province)
            keep_choices(
                district, key=f"residents.districts:{province}", seconds=DIVISIONS_KEPT_SECONDS
            )

    def clean_card(self) -> str:
        card = self.cleaned_data["card"].strip()
        if card and not selectors.card_number_of(card):
            raise forms.ValidationError(
                _("This card number is mistyped: check it against the card.")
            )
        return card

    def filters(self) -> selectors.ResidentFilters:
        if not self.is_valid():
            return selectors.ResidentFilters()
        data = self.cleaned_data
        return selectors.ResidentFilters(
            q=data.get("q") or "",
            passport=data.get("passport") or "",
            card=data.get("card") or "",
            status=data.get("status") or "",
            nationality=str(data.get("nationality") or ""),
            province=data["province"].code if data.get("province") else "",
            district=data["district"].code if data.get("district") else "",
            entered_from=data.get("entered_from"),
            entered_to=data.get("entered_to"),
            sort=data.get("sort") or ("relevance" if data.get("q") else "newest"),
            residence=data.get("residence") or "",
        )


QUEUE_SORT_CHOICES = [
    ("oldest", _("Oldest first")),
    ("newest", _("Newest first")),
    ("name", _("Name")),
]


class QueueFilterForm(forms.Form):
    """A work queue's search and filters, read from the URL (a link can be shared)."""

    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    passport = forms.CharField(label=_("Passport number"), required=False, max_length=30)
    card = forms.CharField(label=_("Card number"), required=False, max_length=30)
    district = forms.ModelChoiceField(
        label=_("District"), required=False, queryset=District.objects.none(),
        to_field_name="code", empty_label=_("All districts"),
    )  # fmt: skip
    commune = forms.RegexField(label=_("Commune"), required=False, regex=r"^\d{6}$")
    batch = forms.IntegerField(label=_("Import batch"), required=False, min_value=1)
    maker = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # National users' queues (acknowledgement, cards due) narrow to one province first.
    province = forms.RegexField(required=False, regex=r"^\d{2}$", widget=forms.HiddenInput)
    basis = forms.ModelChoiceField(
        label=_("Basis of residence"), required=False,
        queryset=ResidenceBasis.objects.filter(is_active=True), empty_label=_("Any basis"),
    )  # fmt: skip
    flags = forms.ChoiceField(
        label=_("Likely duplicates"), required=False,
        choices=[("", _("With or without")), ("open", _("To decide")),
                 ("none", _("No likely duplicate"))],
    )  # fmt: skip
    # Any number of days (the province page's backlog links to its buckets); the choices offered.
    older_than = forms.IntegerField(
        label=_("Time in the queue"), required=False, min_value=1, max_value=3650,
        widget=forms.Select(choices=[("", _("Any time")), ("7", _("More than 7 days")),
                                     ("30", _("More than 30 days"))]),
    )  # fmt: skip
    newer_than = forms.IntegerField(
        required=False, min_value=1, max_value=3650, widget=forms.HiddenInput
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=QUEUE_SORT_CHOICES)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province = user.province_id or str(self.data.get("province", ""))[:2]
        district = cast(forms.ModelChoiceField, self.fields["district"])
        if PROVINCE_CODE.fullmatch(province):
            district.queryset = selectors.districts_of(province)
            keep_choices(
                district, key=f"queues.districts:{province}", seconds=DIVISIONS_KEPT_SECONDS
            )
        basis = cast(forms.ModelChoiceField, self.fields["basis"])
        keep_choices(basis, key="queues.bases", seconds=BASES_KEPT_SECONDS)

    def filters(self) -> selectors.QueueFilters:
        """The filters typed; a bad value (a tampered link) drops that filter only."""
        if not self.is_bound:
            return selectors.QueueFilters()
        self.is_valid()
        data = self.cleaned_data
        return selectors.QueueFilters(
            q=data.get("q") or "",
            passport=data.get("passport") or "",
            card=data.get("card") or "",
            district=data["district"].code if data.get("district") else "",
            commune=data.get("commune") or "",
            province=data.get("province") or "",
            batch=data.get("batch"),
            maker=data.get("maker"),
            basis=data["basis"].pk if data.get("basis") else None,
            flags=data.get("flags") or "",
            older_than=data.get("older_than"),
            newer_than=data.get("newer_than"),
            sort=data.get("sort") or "",
        )


class DocumentCheckForm(forms.Form):
    """What a supporting document is, and whether it holds; on the review screen."""

    document_type = forms.ModelChoiceField(
        label=_("document type"), required=False,
        queryset=DocumentType.objects.filter(is_active=True), empty_label=_("Type not set"),
    )  # fmt: skip
    verdict = forms.ChoiceField(
        label=_("check"),
        choices=[
            (value, label)
            for value, label in DeclarationDocument.Check.choices
            if value != DeclarationDocument.Check.UNCHECKED
        ],
    )
