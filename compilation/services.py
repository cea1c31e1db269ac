"""State changes of the province lists, and the set-based refresh of the dashboard's figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from cards.models import ResidenceCard
from compilation import hooks, selectors
from compilation.models import (
    DailySnapshot,
    DistrictSummary,
    NationalitySummary,
    ProvinceCompilation,
    ProvinceListEvent,
    ProvinceSummary,
)
from core.errors import Conflict
from provinces.models import District, Province
from residents.models import Declaration, Resident

Status = ProvinceCompilation.Status
Kind = ProvinceListEvent.Kind

# Serialises refreshes: two at once would only wait on each other's row locks.
REFRESH_LOCK_KEY = 7_000_701


class ProvinceListError(Conflict):
    """A step of the province list that the rules refuse (core.errors)."""


# --- Province list steps -----------------------------------------------------------------------


def _compilation_locked(province: Province) -> ProvinceCompilation:
    """The province's compilation row, created on first use and locked for this transaction."""
    ProvinceCompilation.objects.get_or_create(province=province)
    return ProvinceCompilation.objects.select_for_update().get(province=province)


def _record(
    *,
    compilation: ProvinceCompilation,
    kind: str,
    actor: User,
    from_status: str,
    reason: str = "",
    details: dict[str, object] | None = None,
) -> ProvinceListEvent:
    return ProvinceListEvent.objects.create(
        province_id=compilation.province_id,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=compilation.status,
        reason=reason,
        details=details or {},
    )


def _audit(
    actor: User, action: str, compilation: ProvinceCompilation, before: str, **detail: object
) -> None:
    """The step in the audit trail too, inside the step's transaction (refused: no event)."""
    audit_record(
        actor=actor,
        action=action,
        obj=compilation.province,
        detail={"from": before, "to": compilation.status, **detail},
    )


def _require_hq(actor: User) -> None:
    access.require(actor, Capability.PROVINCE_SIGN_OFF)


def _refresh_after_commit() -> None:
    from compilation.tasks import refresh_province_summary_task

    transaction.on_commit(refresh_province_summary_task.delay)


def province_figures_refresh_on_commit(*, province_ids: list[str | None]) -> None:
    """The figures of residents who moved between provinces are refreshed once that commits.

    Registered on `residents.hooks.province_figures_changed` (the end of a residence, a
    transfer); one refresh rewrites every province, so `province_ids` needs no filtering.
    """
    _refresh_after_commit()


def province_estimate_set(
    *, province: Province, estimated_residents: int, actor: User
) -> ProvinceCompilation:
    """Set HQ's target of residents for a province; the old value goes in the event."""
    _require_hq(actor)
    with transaction.atomic():
        compilation = _compilation_locked(province)
        before = compilation.estimated_residents
        if before == estimated_residents:
            return compilation
        compilation.estimated_residents = estimated_residents
        compilation.save(update_fields=["estimated_residents", "updated_at"])
        _record(
            compilation=compilation,
            kind=Kind.ESTIMATE_SET,
            actor=actor,
            from_status=compilation.status,
            details={"from": before, "to": estimated_residents},
        )
    return compilation


def province_list_submit(*, province: Province, actor: User) -> ProvinceCompilation:
    """The province's chief sends its list to HQ, once every record is through verification."""
    access.require_in_scope(actor, province.code)
    access.require(actor, Capability.PROVINCE_SUBMIT)
    with transaction.atomic():
        compilation = _compilation_locked(province)
        if not compilation.can_move_to(Status.SUBMITTED):
            raise ProvinceListError(
                _("The list cannot be submitted: it is %(status)s.")
                % {"status": compilation.get_status_display().lower()}
            )
        pending = selectors.pending_records_in(province)
        if pending:
            raise ProvinceListError(
                _(
                    "The list cannot be submitted: %(count)s record(s) are not verified yet "
                    "(draft, submitted, returned or without a declaration)."
                )
                % {"count": pending}
            )
        before = compilation.status
        compilation.status = Status.SUBMITTED
        compilation.submitted_by = actor
        compilation.submitted_at = timezone.now()
        compilation.save()
        _record(compilation=compilation, kind=Kind.SUBMITTED, actor=actor, from_status=before)
        _audit(actor, AuditEvent.Action.PROVINCE_LIST_SUBMITTED, compilation, before)
    return compilation


def province_list_start_review(*, province: Province, actor: User) -> ProvinceCompilation:
    """HQ takes a submitted list under review."""
    _require_hq(actor)
    with transaction.atomic():
        compilation = _compilation_locked(province)
        if not compilation.can_move_to(Status.UNDER_REVIEW):
            raise ProvinceListError(_("Only a list submitted to HQ can be taken under review."))
        before = compilation.status
        compilation.status = Status.UNDER_REVIEW
        compilation.save(update_fields=["status", "updated_at"])
        _record(compilation=compilation, kind=Kind.REVIEW_STARTED, actor=actor, from_status=before)
    return compilation


def province_list_sign_off(
    *, province: Province, actor: User, override_reason: str = ""
) -> ProvinceCompilation:
    """HQ signs a province's list off: the province counts as finished.

    A list that was not submitted, or that has records not through verification, is refused unless
    HQ gives an override reason, which is recorded with the step.
    """
    _require_hq(actor)
    override_reason = override_reason.strip()
    with transaction.atomic():
        compilation = _compilation_locked(province)
        if compilation.status == Status.FINISHED:
            raise ProvinceListError(_("This province's list is already signed off."))
        pending = selectors.pending_records_in(province)
        regular = compilation.can_move_to(Status.FINISHED) and not pending
        if not regular and not override_reason:
            if pending:
                message = _(
                    "The list cannot be signed off: %(count)s record(s) are not verified yet. "
                    "Return it to the province, or give a reason to override."
                ) % {"count": pending}
            else:
                message = _(
                    "The list cannot be signed off: the province has not submitted it. "
                    "Give a reason to override."
                )
            raise ProvinceListError(message)
        before = compilation.status
        compilation.status = Status.FINISHED
        compilation.signed_off_by = actor
        compilation.signed_off_at = timezone.now()
        compilation.override_reason = "" if regular else override_reason
        compilation.save()
        _record(
            compilation=compilation,
            kind=Kind.SIGNED_OFF if regular else Kind.SIGNED_OFF_OVERRIDE,
            actor=actor,
            from_status=before,
            reason=compilation.override_reason,
            details={"pending_records": pending},
        )
        _audit(
            actor,
            AuditEvent.Action.PROVINCE_LIST_SIGNED_OFF,
            compilation,
            before,
            override=not regular,
            pending_records=pending,
        )
        _refresh_after_commit()
    return compilation


def province_list_return(*, province: Province, actor: User, reason: str) -> ProvinceCompilation:
    """HQ returns a submitted list (or one under review) to the province, with a reason.

    A signed-off list is not returned but reopened (`province_list_reopen`).
    """
    _require_hq(actor)
    reason = reason.strip()
    if not reason:
        raise ProvinceListError(_("Give the reason for returning the list."))
    with transaction.atomic():
        compilation = _compilation_locked(province)
        if not compilation.can_move_to(Status.RETURNED):
            raise ProvinceListError(
                _("The list cannot be returned: it is %(status)s.")
                % {"status": compilation.get_status_display().lower()}
            )
        before = compilation.status
        compilation.status = Status.RETURNED
        compilation.returned_by = actor
        compilation.returned_at = timezone.now()
        compilation.return_reason = reason
        compilation.save()
        _record(
            compilation=compilation,
            kind=Kind.RETURNED,
            actor=actor,
            from_status=before,
            reason=reason,
        )
        _audit(actor, AuditEvent.Action.PROVINCE_LIST_RETURNED, compilation, before)
        _refresh_after_commit()
        _notify_after_commit(province.code)
    return compilation


def province_list_reopen(*, province: Province, actor: User, reason: str) -> ProvinceCompilation:
    """HQ reopens a signed-off list, with a reason: its records may be changed and imported again.

    The only way out of the hold (compilation.hold); the province then submits the list again.
    """
    _require_hq(actor)
    reason = reason.strip()
    if not reason:
        raise ProvinceListError(_("Give the reason for reopening the list."))
    with transaction.atomic():
        compilation = _compilation_locked(province)
        if not compilation.can_move_to(Status.REOPENED):
            raise ProvinceListError(
                _("Only a signed-off list can be reopened; this one is %(status)s.")
                % {"status": compilation.get_status_display().lower()}
            )
        before = compilation.status
        compilation.status = Status.REOPENED
        compilation.reopened_by = actor
        compilation.reopened_at = timezone.now()
        compilation.reopen_reason = reason
        compilation.save()
        _record(
            compilation=compilation,
            kind=Kind.REOPENED,
            actor=actor,
            from_status=before,
            reason=reason,
        )
        _audit(actor, AuditEvent.Action.PROVINCE_LIST_REOPENED, compilation, before, reason=reason)
        _refresh_after_commit()
    return compilation


def _notify_after_commit(province_code: str) -> None:
    """The province's officers and verifiers are told of the return (app and e-mail, by jobs)."""
    hooks.province_list_returned(province_code=province_code)


# --- The summary: one set-based statement ------------------------------------------------------


COUNT_COLUMNS = [
    "residents",
    "draft",
    "submitted",
    "returned",
    "verified",
    "rejected",
    "acknowledged",
    "cards_issued",
    "cards_printed",
    "cards_active",
    "cards_expiring",
    "cards_expired",
    "cards_total",
]
CARD_COLUMNS = {
    "cards_issued": "ISSUED",
    "cards_printed": "PRINTED",
    "cards_active": "ACTIVE",
    "cards_expiring": "EXPIRING",
    "cards_expired": "EXPIRED",
}


def _source(column: str) -> str:
    """Which CTE of `_figures_ctes` carries a count column."""
    if column == "residents":
        return "res"
    return "card" if column.startswith("cards") else "decl"


def _figures_ctes(*, by_district: bool) -> tuple[str, list[Any]]:
    """SQL of the `res`, `decl` and `card` CTEs (and `nat` by district): counts per province.

    By district, the keys are (province_id, address_district_id), and `nat` counts the residents
    per (province_id, nationality). The same text serves the refresh and the live aggregate it is
    measured against.
    """
    r, d = Resident._meta.db_table, Declaration._meta.db_table
    c = ProvinceCompilation._meta.db_table
    keys = "r.province_id, r.address_district_id" if by_district else "r.province_id"
    params: list[Any] = []
    # A resident whose residence ended, or a record merged into another (the same person), is
    # no longer counted (nor their declarations); they stay in the register, and a change to
    # them after sign-off still shows as a change.
    current = "r.residence_ended_on IS NULL AND r.merged_into_id IS NULL"
    status_counts = ",\n".join(
        f"count(*) FILTER (WHERE d.status = %s AND {current}) AS {s.value}"
        for s in Declaration.Status
    )
    params += [s.value for s in Declaration.Status]
    statuses = ResidenceCard.Status
    card_counts = ",\n".join(
        f"count(*) FILTER (WHERE k.status = %s) AS {column}" for column in CARD_COLUMNS
    )
    params += [getattr(statuses, name).value for name in CARD_COLUMNS.values()]
    card_sql = f"""
        SELECT {keys}, {card_counts}, count(*) AS cards_total
          FROM {ResidenceCard._meta.db_table} k
          JOIN {r} r ON r.id = k.resident_id
         GROUP BY {keys}"""  # noqa: S608 - only names from model meta; values are params
    nationality = f"""
    nat AS (
        SELECT r.province_id, r.nationality, count(*) AS residents
          FROM {r} r
         WHERE {current}
         GROUP BY r.province_id, r.nationality
    ),"""  # noqa: S608 - only names from model meta
    sql = f"""{nationality if by_district else ""}
    res AS (
        SELECT {keys}, count(*) FILTER (WHERE {current}) AS residents,
               count(*) FILTER (WHERE c.status = 'finished' AND r.updated_at > c.signed_off_at)
                   AS changed
          FROM {r} r LEFT JOIN {c} c ON c.province_id = r.province_id
         GROUP BY {keys}
    ),
    decl AS (
        SELECT {keys}, {status_counts},
               count(*) FILTER (WHERE c.status = 'finished' AND d.updated_at > c.signed_off_at)
                   AS changed
          FROM {d} d
          JOIN {r} r ON r.id = d.resident_id
          LEFT JOIN {c} c ON c.province_id = r.province_id
         GROUP BY {keys}
    ),
    card AS ({card_sql})"""  # noqa: S608 - only names from model meta; values are params
    return sql, params


FIGURES_TABLE = "provinces_refresh_figures"


def _figures_table_sql() -> tuple[str, list[Any]]:
    """Aggregate every record into a temporary table of figures per district and nationality.

    A SELECT (and CREATE TABLE AS) may run on several cores; PostgreSQL never parallelises a
    data-modifying statement, so aggregating inside the upsert itself would run on one core only.
    Rows: kind 'd' per (province, district) from each of res/decl/card, 'n' per nationality.
    """
    ctes, params = _figures_ctes(by_district=True)
    others = [col for col in COUNT_COLUMNS if col != "residents"]

    def branch(source: str, columns: list[str], changed: bool) -> str:
        values = ", ".join(
            f"{source}.{col}" if col in columns else f"0::bigint AS {col}" for col in COUNT_COLUMNS
        )
        change = f"{source}.changed" if changed else "0::bigint"
        # Only CTE and column names of this module go into the text.
        select = f"SELECT 'd'::text AS kind, {source}.province_id, "
        return (
            f"{select}{source}.address_district_id AS district_id, "
            f"NULL::varchar AS nationality, {values}, {change} AS changed FROM {source}"
        )

    decl_columns = [col for col in others if not col.startswith("cards")]
    card_columns = [col for col in others if col.startswith("cards")]
    zeros = ", ".join(f"0::bigint AS {col}" for col in others)
    sql = f"""
    CREATE TEMPORARY TABLE {FIGURES_TABLE} ON COMMIT DROP AS
    WITH {ctes}
    {branch("res", ["residents"], True)}
    UNION ALL {branch("decl", decl_columns, True)}
    UNION ALL {branch("card", card_columns, False)}
    UNION ALL SELECT 'n', nat.province_id, NULL, nat.nationality, nat.residents, {zeros}, 0
      FROM nat
    """  # noqa: S608 - only names from model meta; values are params
    return sql, params


def province_summary_refresh(*, now: dt.datetime | None = None) -> int:
    """Rewrite the dashboard's figures from the records, set-based; return the provinces written.

    Two statements in one transaction: the aggregate over every record (in parallel, into a
    temporary table, see `_figures_table_sql`), then ONE statement writing the three summary
    tables: INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE for the districts, the
    nationalities and the provinces (sums of their districts), chained as data-modifying CTEs.
    Rows whose records disappeared are rewritten with zeros, so nothing stale remains.
    """
    now = now or timezone.now()
    figures_sql, params = _figures_table_sql()
    ds, ns, ps = (
        DistrictSummary._meta.db_table,
        NationalitySummary._meta.db_table,
        ProvinceSummary._meta.db_table,
    )
    district_table, province_table = District._meta.db_table, Province._meta.db_table
    counts = ", ".join(COUNT_COLUMNS)
    sums = ", ".join(f"sum({col}) AS {col}" for col in COUNT_COLUMNS)
    coalesced = ", ".join(f"COALESCE(f.{col}, 0)" for col in COUNT_COLUMNS)
    updates = ", ".join(f"{col} = EXCLUDED.{col}" for col in [*COUNT_COLUMNS, "refreshed_at"])
    province_sums = ", ".join(f"COALESCE(sum(dsr.{col}), 0)" for col in COUNT_COLUMNS)
    t = FIGURES_TABLE
    upsert = f"""
    WITH per_district AS (
        SELECT province_id, district_id, {sums}, sum(changed) AS changed
          FROM {t} WHERE kind = 'd' GROUP BY province_id, district_id
    ),
    district_keys AS (
        SELECT province_id, code AS district_id FROM {district_table}
        UNION SELECT province_id, district_id FROM {ds}
        UNION SELECT province_id, district_id FROM per_district
    ),
    dsr AS (
        INSERT INTO {ds} (province_id, district_id, {counts}, refreshed_at)
        SELECT k.province_id, k.district_id, {coalesced}, %s
          FROM district_keys k
          LEFT JOIN per_district f
            ON f.province_id = k.province_id AND f.district_id = k.district_id
        ON CONFLICT (province_id, district_id) DO UPDATE SET {updates}
        RETURNING *
    ),
    nsr AS (
        INSERT INTO {ns} (province_id, nationality, residents, refreshed_at)
        SELECT k.province_id, k.nationality, COALESCE(n.residents, 0), %s
          FROM (SELECT province_id, nationality FROM {ns}
                UNION SELECT province_id, nationality FROM {t} WHERE kind = 'n') k
          LEFT JOIN {t} n
            ON n.kind = 'n' AND n.province_id = k.province_id AND n.nationality = k.nationality
        ON CONFLICT (province_id, nationality) DO UPDATE
           SET residents = EXCLUDED.residents, refreshed_at = EXCLUDED.refreshed_at
        RETURNING 1
    ),
    changes AS (
        SELECT province_id, sum(changed) AS changed FROM per_district GROUP BY province_id
    )
    INSERT INTO {ps} (province_id, {counts}, changed_since_sign_off, refreshed_at)
    SELECT p.code, {province_sums}, COALESCE(max(ch.changed), 0), %s
      FROM {province_table} p
      LEFT JOIN dsr ON dsr.province_id = p.code
      LEFT JOIN changes ch ON ch.province_id = p.code
     GROUP BY p.code
    ON CONFLICT (province_id) DO UPDATE
       SET {updates}, changed_since_sign_off = EXCLUDED.changed_since_sign_off
    """  # noqa: S608 - only names from model meta; values are params
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
        cursor.execute(figures_sql, params)
        cursor.execute(upsert, [now, now, now])
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {t}")
        return written


def live_province_figures() -> dict[str, dict[str, int]]:
    """The same figures per province, aggregated live over every record (never used by a page).

    The benchmark's baseline, and what the tests compare the summary against.
    """
    ctes, params = _figures_ctes(by_district=False)
    p = Province._meta.db_table
    columns = ", ".join(f"COALESCE({_source(col)}.{col}, 0)" for col in COUNT_COLUMNS)
    sql = f"""
    WITH {ctes}
    SELECT p.code, {columns}
      FROM {p} p
      LEFT JOIN res ON res.province_id = p.code
      LEFT JOIN decl ON decl.province_id = p.code
      LEFT JOIN card ON card.province_id = p.code
     ORDER BY p.code
    """  # noqa: S608 - only names from model meta; values are params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: dict(zip(COUNT_COLUMNS, row[1:], strict=True)) for row in cursor.fetchall()}


def daily_snapshot_take(*, day: dt.date | None = None) -> int:
    """Copy today's province figures into the day's snapshot; taking it again rewrites that day.

    Refreshes the summary first, so the snapshot is the state of the records when it is taken.
    """
    now = timezone.now()
    day = day or timezone.localdate(now)
    province_summary_refresh(now=now)
    counts = ", ".join(COUNT_COLUMNS)
    updates = ", ".join(f"{col} = EXCLUDED.{col}" for col in [*COUNT_COLUMNS, "taken_at"])
    sql = f"""
    INSERT INTO {DailySnapshot._meta.db_table} (day, province_id, {counts}, taken_at)
    SELECT %s, province_id, {counts}, %s FROM {ProvinceSummary._meta.db_table}
    ON CONFLICT (day, province_id) DO UPDATE SET {updates}
    """  # noqa: S608 - only names from model meta; values are params
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [day, now])
        return cursor.rowcount
