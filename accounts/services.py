"""State changes of accounts that matter: users created, changed, deactivated and invited;
second factors reset; passwords set or changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import access, invitations, otp
from accounts.access import Capability
from accounts.models import User
from accounts.sessions import end_sessions_of
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import ApplicationError, NotAllowed
from provinces.models import Province

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Action = AuditEvent.Action
# Fields an administrator edits on the users page; role and province are the user's scope.
DETAIL_FIELDS = ("first_name", "last_name", "email", "phone", "language")
SCOPE_FIELDS = ("role", "province_id")
username_validator = UnicodeUsernameValidator()


class AccountsError(ApplicationError):
    """A refused action on an account (core.errors)."""


def _require_user_manager(actor: User) -> None:
    if not access.can(actor, Capability.USER_MANAGE):
        raise NotAllowed()


def _lock_administrators() -> list[int]:
    """Lock every active administrator (in primary-key order) and return their ids.

    Two administrators demoting each other at once would otherwise both see "another is left".
    """
    return list(
        User.objects.select_for_update()
        .filter(role=User.Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _refuse_losing_last_administrator(user: User, administrators: list[int]) -> None:
    if user.role == User.Role.ADMIN and user.is_active and administrators == [user.pk]:
        raise AccountsError(_("This is the last active administrator: appoint another one first."))


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    if not email:
        return False
    users = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


def _queue_invitation(user: User) -> bool:
    """Queue the invitation e-mail after commit; False when the administrator must pass the
    link on (no address, or no mail server)."""
    if not user.email or not invitations.mail_is_delivered():
        return False
    from accounts.tasks import send_invitation_task

    transaction.on_commit(lambda: send_invitation_task.delay(user.pk))
    return True


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    role: str,
    province: Province | None,
    language: str = "",
) -> tuple[User, bool]:
    """Create a user without a password and invite them to set one and their second factor.

    Returns the user and whether the invitation went by e-mail (if not, the administrator is
    shown the link once). The user never has a password an administrator knew.
    """
    _require_user_manager(actor)
    if User.objects.filter(username__iexact=username).exists():
        raise AccountsError(_("A user with this user name already exists."))
    if _email_taken(email):
        raise AccountsError(_("Another user already has this e-mail address."))
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        role=role,
        province=province,
        language=language,
        invited_at=timezone.now(),
    )
    user.set_unusable_password()
    user.clean()  # the role-province rule, with a message on the province
    # bulk_create: no post_save receiver, this service records the event itself.
    (user,) = User.objects.bulk_create([user])
    emailed = _queue_invitation(user)
    audit_record(
        actor=actor,
        action=Action.USER_CREATED,
        obj=user,
        detail={"role": role, "province": user.province_id, "invitation_emailed": emailed},
    )
    return user, emailed


@transaction.atomic
def user_invite(*, actor: User, user: User) -> bool:
    """Send a new invitation; the links sent before it stop working.

    Only for a user who has not set a password yet (the others use "forgotten password").
    Returns whether it went by e-mail.
    """
    _require_user_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise AccountsError(_("This account is deactivated: reactivate it first."))
    if user.has_usable_password():
        raise AccountsError(
            _("This user has already set a password; they can use “Forgotten password”.")
        )
    user.invited_at = timezone.now()
    User.objects.filter(pk=user.pk).update(invited_at=user.invited_at)
    emailed = _queue_invitation(user)
    audit_record(actor=actor, action=Action.USER_INVITED, obj=user, detail={"emailed": emailed})
    return emailed


@transaction.atomic
def invitation_accept(*, user: User, raw_password: str) -> User:
    """Set the invited user's first password, which uses up the invitation; returns the user
    as stored now (to sign them in with)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active or user.has_usable_password():
        raise AccountsError(_("This invitation was already used."))
    user.set_password(raw_password)
    User.objects.filter(pk=user.pk).update(password=user.password, must_change_password=False)
    audit_record(
        actor=user,
        action=Action.USER_CHANGED,
        obj=user,
        detail={"fields": ["password"], "own": True, "invitation": True},
    )
    password_validation.password_changed(raw_password, user)
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    language: str,
    role: str,
    province: Province | None,
) -> list[str]:
    """Change a user's details and scope; a new role or province ends their sessions.

    A session carries what its user may see; ending it makes the new scope apply at once.
    Returns the names of the fields changed.
    """
    _require_user_manager(actor)
    # The administrators first, always in the same order, then the user: no deadlock between
    # two administrators changing each other.
    administrators = _lock_administrators()
    user = User.objects.select_for_update().get(pk=user.pk)
    new = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "language": language,
        "role": role,
        "province_id": province.pk if province else None,
    }
    changed = [name for name, value in new.items() if getattr(user, name) != value]
    scope_changed = [name for name in SCOPE_FIELDS if name in changed]
    if "email" in changed and _email_taken(email, exclude_pk=user.pk):
        raise AccountsError(_("Another user already has this e-mail address."))
    if scope_changed:
        if user.pk == actor.pk:
            raise AccountsError(
                _("You cannot change your own role or province: ask another administrator.")
            )
        if role != User.Role.ADMIN:
            _refuse_losing_last_administrator(user, administrators)
    before = {name: getattr(user, name) for name in changed}
    for name, value in new.items():
        setattr(user, name, value)
    user.clean()
    if not changed:
        return []
    User.objects.filter(pk=user.pk).update(**{name: new[name] for name in changed})
    if scope_changed:
        ended = end_sessions_of(user)
        audit_record(
            actor=actor,
            action=Action.ROLE_CHANGED,
            obj=user,
            detail={
                **{name.removesuffix("_id"): [before[name], new[name]] for name in scope_changed},
                "sessions_ended": ended,
            },
        )
    details = [name for name in changed if name not in SCOPE_FIELDS]
    if details:
        audit_record(actor=actor, action=Action.USER_CHANGED, obj=user, detail={"fields": details})
    return changed


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> int:
    """Deactivate a user and end their sessions; returns how many sessions were ended."""
    _require_user_manager(actor)
    administrators = _lock_administrators()  # first, in order: see user_update
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise AccountsError(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise AccountsError(_("This account is already deactivated."))
    _refuse_losing_last_administrator(user, administrators)
    User.objects.filter(pk=user.pk).update(is_active=False)
    ended = end_sessions_of(user)
    audit_record(
        actor=actor, action=Action.USER_DEACTIVATED, obj=user, detail={"sessions_ended": ended}
    )
    return ended


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> None:
    """Let a deactivated user sign in again (with the password and second factor they had)."""
    _require_user_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise AccountsError(_("This account is already active."))
    User.objects.filter(pk=user.pk).update(is_active=True)
    # Sessions ended at deactivation; any left from before it must not come back to life.
    ended = end_sessions_of(user)
    audit_record(
        actor=actor, action=Action.USER_REACTIVATED, obj=user, detail={"sessions_ended": ended}
    )


def _require_administrator(actor: User, user: User) -> None:
    # Another administrator resets an administrator's: nobody vouches for their own account.
    if not actor.is_active or actor.role != User.Role.ADMIN or actor.pk == user.pk:
        raise NotAllowed()


@transaction.atomic
def otp_reset(*, actor: User, user: User) -> int:
    """Remove every two-factor device of `user`, end their sessions and tell them by e-mail.

    The way back in for someone who lost their phone, and the only way a device is removed: the
    user sets up a new one (with a new secret, shown to them alone) at their next sign-in.
    Returns how many devices were removed.
    """
    _require_administrator(actor, user)
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    # The recovery codes go too: they belong to the second factor being replaced.
    StaticDevice.objects.filter(user=user).delete()
    ended = end_sessions_of(user)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.OTP_RESET,
        obj=user,
        detail={"devices": removed, "sessions_ended": ended},
    )
    if user.email:
        from accounts.tasks import send_otp_reset_notice_task

        transaction.on_commit(lambda: send_otp_reset_notice_task.delay(user.pk))
    return removed


@transaction.atomic
def password_set_by_administrator(*, actor: User, user: User, raw_password: str | None) -> None:
    """Set (or, with None, disable) another user's password; they must change it at sign-in.

    An administrator who sets a password knows it; the forced change makes that knowledge
    worthless after the user's next sign-in, and the audit trail says who set it.
    """
    _require_administrator(actor, user)
    if raw_password is None:
        user.set_unusable_password()
    else:
        user.set_password(raw_password)
    user.must_change_password = raw_password is not None
    # A queryset update: the one audit row below says who set it (no anonymous "user changed").
    User.objects.filter(pk=user.pk).update(
        password=user.password, must_change_password=user.must_change_password
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.USER_CHANGED,
        obj=user,
        detail={
            "fields": ["password"],
            "set_by_administrator": True,
            "usable": raw_password is not None,
            "must_change_password": user.must_change_password,
        },
    )
    if raw_password is not None:
        password_validation.password_changed(raw_password, user)


@transaction.atomic
def password_change_own(*, user: User, raw_password: str) -> None:
    """Change the signed-in user's own password, which lifts a forced change."""
    if not user.is_active:
        raise NotAllowed()
    forced = user.must_change_password
    user.set_password(raw_password)
    user.must_change_password = False
    User.objects.filter(pk=user.pk).update(password=user.password, must_change_password=False)
    audit_record(
        actor=user,
        action=AuditEvent.Action.USER_CHANGED,
        obj=user,
        detail={"fields": ["password"], "own": True, "was_forced": forced},
    )
    password_validation.password_changed(raw_password, user)


@transaction.atomic
def password_reset_request(*, email: str, ip: str | None, throttled: bool) -> int:
    """E-mail a reset link to the active user(s) of `email` who have a password.

    The caller answers the same whatever this finds: whether an address is on file is not
    told. Invited users (no password yet) are not sent a link: their invitation is the way in.
    Returns how many e-mails were queued.
    """
    users = [] if throttled else [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True).exclude(email="")
        if user.has_usable_password()
    ]  # fmt: skip
    from accounts.tasks import send_password_reset_task

    for user in users:
        transaction.on_commit(partial(send_password_reset_task.delay, user.pk))
    audit_record(
        actor=None,
        action=Action.PASSWORD_RESET_REQUESTED,
        obj=users[0] if len(users) == 1 else None,
        detail={"matched": len(users), "throttled": throttled, "ip": ip or ""},
    )
    return len(users)


@transaction.atomic
def password_reset_complete(*, user: User, raw_password: str) -> None:
    """Set the password of a user who followed a reset link, which uses up the link."""
    if not user.is_active:
        raise NotAllowed()
    user.set_password(raw_password)
    User.objects.filter(pk=user.pk).update(password=user.password, must_change_password=False)
    audit_record(
        actor=user,
        action=Action.USER_CHANGED,
        obj=user,
        detail={"fields": ["password"], "own": True, "reset_by_email": True},
    )
    password_validation.password_changed(raw_password, user)


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """Give the user ten new one-time recovery codes; the previous ones stop working.

    Only for a user with a confirmed authenticator: the codes stand in for it when the phone is
    lost. Returned once, to be shown once: they are stored as django-otp keeps them.
    """
    if not user.is_active or otp.confirmed_device(user) is None:
        raise AccountsError(_("Set up two-factor sign-in first."))
    device, _created = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=otp.RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    replaced, _per_model = device.token_set.all().delete()
    codes: list[str] = []
    while len(codes) < otp.RECOVERY_CODE_COUNT:
        token = StaticToken.random_token()  # 40 random bits, base32
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit_record(
        actor=user,
        action=Action.RECOVERY_CODES_GENERATED,
        obj=user,
        detail={"count": len(codes), "replaced": replaced},
    )
    return codes


@transaction.atomic
def recovery_code_use(*, user: User, code: str) -> StaticDevice | None:
    """Spend one recovery code of `user`; the device when it was good, else None.

    The device row is locked, so one code cannot sign in twice at once; repeated failures are
    throttled by django-otp like wrong authenticator codes.
    """
    device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None or not device.verify_is_allowed()[0]:
        return None
    used, _per_model = device.token_set.filter(token=otp.normalise_recovery_code(code)).delete()
    if not used:
        device.throttle_increment()
        return None
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return device


@transaction.atomic
def sessions_end_others(*, user: User, keep: str | None) -> int:
    """Sign the user out of every session but `keep` (the one asking); returns how many."""
    if not user.is_active:
        raise NotAllowed()
    ended = end_sessions_of(user, keep=keep)
    audit_record(
        actor=user, action=Action.OTHER_SESSIONS_ENDED, obj=user, detail={"sessions_ended": ended}
    )
    return ended


@dataclass
class UserRow:
    """One user of an onboarding file, as read (cells as text)."""

    number: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    province: str
    phone: str = ""
    language: str = ""
    errors: list[StrOrPromise] = field(default_factory=list)


def _valid_username(username: str) -> bool:
    try:
        username_validator(username)
    except ValidationError:
        return False
    max_length = User._meta.get_field("username").max_length
    return max_length is None or len(username) <= max_length


def _role_of(value: str) -> str | None:
    """The role a cell names: its code, or its name in English or Khmer."""
    wanted = value.strip().lower()
    for code, label in User.Role.choices:
        names = {code}
        for language in ("en", "km"):
            with translation.override(language):
                names.add(str(label).lower())
        if wanted in names:
            return code
    return None


def _check_rows(rows: list[UserRow]) -> None:
    """Fill each row's `errors`; three queries whatever the number of rows."""
    names = [row.username.lower() for row in rows]
    emails = [row.email.lower() for row in rows if row.email]
    taken_names = set(
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=names)
        .values_list("lower", flat=True)
    )
    taken_emails = set(
        User.objects.annotate(lower=Lower("email"))
        .filter(lower__in=emails)
        .values_list("lower", flat=True)
    )
    provinces = set(Province.objects.values_list("code", flat=True))
    seen_names: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    languages = {code for code, _label in settings.LANGUAGES}
    for row in rows:
        errors = row.errors
        name = row.username.lower()
        if not name:
            errors.append(_("The user name is missing."))
        elif not _valid_username(row.username):
            errors.append(_("The user name may have letters, digits and @ . + - _ only."))
        elif name in taken_names:
            errors.append(_("The user name %(name)s is already taken.") % {"name": row.username})
        elif name in seen_names:
            errors.append(
                _("The user name %(name)s is also on row %(row)d.")
                % {"name": row.username, "row": seen_names[name]}
            )
        seen_names.setdefault(name, row.number)
        if not row.first_name and not row.last_name:
            errors.append(_("The name is missing."))
        try:
            validate_email(row.email)
        except ValidationError:
            errors.append(_("The e-mail address is missing or not valid."))
        else:
            if row.email.lower() in taken_emails:
                errors.append(_("Another user already has the e-mail address %(email)s.")
                              % {"email": row.email})  # fmt: skip
            elif row.email.lower() in seen_emails:
                errors.append(
                    _("The e-mail address %(email)s is also on row %(row)d.")
                    % {"email": row.email, "row": seen_emails[row.email.lower()]}
                )
            seen_emails.setdefault(row.email.lower(), row.number)
        role = _role_of(row.role)
        if role is None:
            errors.append(_("Unknown role “%(role)s”.") % {"role": row.role})
        else:
            row.role = role
        if row.province and row.province.zfill(2) not in provinces:
            errors.append(_("Unknown province code “%(code)s”.") % {"code": row.province})
        elif row.province:
            row.province = row.province.zfill(2)
        if role in User.PROVINCIAL_ROLES and not row.province:
            errors.append(_("A provincial user needs a province."))
        if role in User.NATIONAL_ROLES and row.province:
            errors.append(_("A national user has no province."))
        if row.language and row.language not in languages:
            errors.append(_("Unknown language “%(language)s” (en or km).")
                          % {"language": row.language})  # fmt: skip


@transaction.atomic
def users_import(*, actor: User, rows: list[UserRow], commit: bool) -> list[User]:
    """Check every row of an onboarding file and, on commit with no errors, create them all.

    All or nothing: a file with one bad row creates nobody, so it can be fixed and sent again
    whole. Each created user is invited like one created by hand. Returns the users created.
    """
    _require_user_manager(actor)
    _check_rows(rows)
    if not commit or any(row.errors for row in rows):
        return []
    now = timezone.now()
    users = []
    for row in rows:
        user = User(
            username=row.username, first_name=row.first_name, last_name=row.last_name,
            email=row.email, phone=row.phone, role=row.role, province_id=row.province or None,
            language=row.language, invited_at=now,
        )  # fmt: skip
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    emailed = invitations.mail_is_delivered()
    for user in users:
        audit_record(
            actor=actor,
            action=Action.USER_CREATED,
            obj=user,
            detail={"role": user.role, "province": user.province_id,
                    "invitation_emailed": emailed, "imported": True},
        )  # fmt: skip
        _queue_invitation(user)
    return users
