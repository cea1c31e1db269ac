"""Random and hostile input into every URL, as every role and anonymous: never a server error.

Every URL pattern of the urlconf is walked. Path parameters are filled with real objects of
Phnom Penh and of Siem Reap (so each provincial persona meets one of its own and one of another
province) and with ids and codes that exist nowhere. Each example is one request: a GET whose
query holds the page's own form fields and common list parameters, or a POST filling every field
of the page's forms; values are real ones taken from the page (options, hidden values), random
text or known-hostile strings. Each request runs in a savepoint that is rolled back, so every
example meets the same data and a POST that signs out or revokes changes nothing for the next.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from cards import services as card_services
from cards.models import PrintRun, ResidenceCard
from demo import users as accounts_demo
from demo.cards import seed_cards
from demo.compilation import seed_compilation
from demo.residents import seed_residents
from imports import services as import_services
from imports.models import ImportBatch
from jobs.models import JobRun, Notification
from provinces.geography import load_geography_now
from residents.models import Declaration, DeclarationDocument, LikelyDuplicate, Resident
from residents.reference import load_residence_bases
from tests.cards.conftest import acknowledged
from tests.conftest import client_for
from tests.imports.conftest import csv_bytes, person
from tests.residents.conftest import make_resident, pdf_bytes
from tests.residents.test_hostile_uploads import open_action_javascript, png_declaring

pytestmark = pytest.mark.django_db
PHNOM_PENH, SIEM_REAP = "12", "17"

# --- Values ---------------------------------------------------------------------------------
HOSTILE = [
    "", " ", "0", "-1", "1.5", "1e309", "NaN", "9" * 30, "²", "٣", "12", "17", "99", "1201",
    "'", '"', "' OR 1=1 --", "\\", "%", "%(x)s", "{{7*7}}", "${7*7}", "<script>alert(1)</script>",
    "../../etc/passwd", "\u202eevil", "\x01\x1b[31m", "\t\n\r", "null", "true", "[]", "{}",
    "WyJhYmMiXQ", "eyJhIjogMX0", "2026-02-30", "0000-00-00", "9999-12-31", "31/12/9999",
    "1900-01-01", "ÀÉÎÕÜ", "សួស្តី", "王丽", "\ufdfa" * 20, "A" * 301, "X" * 5000, "on", "off",
    "verify", "return", "reject", "confirmed", "dismissed", "csv", "xlsx", "desc", "name",
    "\x7f", "\u2028", "\uffff", "\U0010ffff", "%ff", "0x10", " 12 ", "12\n", "1,5", "+1", "1_000",
    "١٢", "𝟙", "Ⅻ", "-0", "1" * 5000, "ß" * 100, "ß" * 150,
]  # fmt: skip
COMMON_QUERY = ["q", "page", "after", "before", "province", "status", "sort", "dir", "format",
                "next", "code", "district", "state", "number"]  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
HOSTILE_VALUE = st.sampled_from(HOSTILE)
VALUE = st.one_of(HOSTILE_VALUE, TEXT, st.integers(-(2**70), 2**70).map(str))
UPLOADS = [
    ("scan.pdf", pdf_bytes()),
    ("page.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>"),
    ("me.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
    ("list.csv", csv_bytes([person(1), person(2, Sex="?")])),
    ("list.csv", b"\xff\xfe\x00garbage"),
    ("empty.txt", b""),
    ("bomb.png", png_declaring(20_000, 20_000)),
    ("script.pdf", pdf_bytes(open_action_javascript)),
]
# Rendering a card or report PDF takes WeasyPrint a second: fewer examples for these.
SLOW = {"cards:card-preview", "cards:print-run-pdf", "provinces:report-pdf"}


# --- The URLs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    name: str
    regex: str  # the pattern with every parameter as a named group
    params: tuple[str, ...]


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, prefix + _regex(pattern), inner)
        elif isinstance(pattern, URLPattern):
            regex = prefix + _regex(pattern)
            params = tuple(re.findall(r"\(\?P<(\w+)>", regex))
            yield Route(f"{namespace}{pattern.name or ''}", regex, params)


def _regex(pattern: URLPattern | URLResolver) -> str:
    return pattern.pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")


ROUTES = list(_routes(get_resolver().url_patterns))


def _path(route: Route, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(values[match.group(1)], safe="")

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", fill, route.regex)
    return "/" + path.replace("\\", "")


# --- The world: demo data of two provinces, and one of everything a URL can name ---------------
@dataclass
class World:
    clients: dict[str, Client]
    ids: dict[str, list[str]]  # route name -> values for its path parameter
    # (persona, path) -> the fields of the forms sent there, from whatever page showed them:
    # a POST-only URL (an upload, a decision) gets the fields of the form on another page.
    forms: dict[tuple[str, str], Fields] = field(default_factory=dict)


def _pair(model: type, **province: str) -> list[str]:
    """The id of one object in Phnom Penh and one in Siem Reap, where there are."""
    found = []
    for code in (PHNOM_PENH, SIEM_REAP):
        key, value = next(iter(province.items()))
        obj = model.objects.filter(**{key: value.format(code=code)}).order_by("pk").first()
        if obj is not None:
            found.append(str(obj.pk))
    return found


def _build_world() -> World:
    load_geography_now()
    load_residence_bases()
    users = {u.username: u for u in accounts_demo.seed_users(password="walk-password-123")}
    seed_residents(count=40, history=False)
    seed_cards()
    seed_compilation(director=users["director"])
    officer, clerk = users["officer_pp"], users["clerk"]
    for code, maker in ((PHNOM_PENH, officer), (SIEM_REAP, users["officer_sr"])):
        # Whatever the demo spread where: each province has a resident, a declaration and a card.
        make_resident(maker=maker, surname=f"WALK{code}", number=f"W{code}000001")
        card_services.card_issue(declaration=acknowledged(province_id=code), actor=clerk)
    resident = Resident.objects.filter(province_id=PHNOM_PENH).order_by("pk").first()
    declaration = resident.declarations.order_by("pk").first()
    DeclarationDocument.objects.create(
        declaration=declaration,
        file=SimpleUploadedFile("a.pdf", pdf_bytes()),
        original_name="a.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=officer,
    )
    twin = Resident.objects.filter(province_id=PHNOM_PENH).exclude(pk=resident.pk).first()
    LikelyDuplicate.objects.create(resident=resident, other=twin, similarity=0.9)
    import_services.import_batch_create(
        actor=officer,
        province=officer.province,
        upload=SimpleUploadedFile("list.csv", csv_bytes([person(1), person(2, Sex="?")])),
    )
    for code in (PHNOM_PENH, SIEM_REAP):
        card_services.print_run_create(
            actor=clerk, selection=PrintRun.Selection.PROVINCE, province_code=code
        )
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY, status=JobRun.Status.SUCCEEDED)
    Notification.objects.create(recipient=officer, province_id=PHNOM_PENH, threshold=30,
                                count=2, run=run)  # fmt: skip
    clients = {name: client_for(user) for name, user in users.items()}  # with a TOTP device each
    clients["anonymous"] = Client()

    nowhere = ["0", "9" * 25]
    residents = _pair(Resident, province_id="{code}")
    declarations = _pair(Declaration, resident__province_id="{code}")
    acknowledged_ids = [
        str(d.pk)
        for d in Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).order_by("pk")[
            :2
        ]
    ]
    cards = _pair(ResidenceCard, province_id="{code}")
    per_name = {
        "residents:detail": residents,
        "residents:edit": residents,
        "residents:photo": residents,
        "residents:declaration-edit": declarations,
        "residents:declaration-submit": declarations,
        "residents:document-upload": declarations,
        "residents:review": declarations,
        "residents:declaration-acknowledge": declarations,
        "residents:document": _pair(
            DeclarationDocument, declaration__resident__province_id="{code}"
        ),
        "residents:duplicate-decide": _pair(LikelyDuplicate, resident__province_id="{code}"),
        "residents:province-acknowledge": [PHNOM_PENH, SIEM_REAP, "99", "<b>"],
        "cards:card-issue": acknowledged_ids + declarations,
        "cards:verify": [c.token for c in ResidenceCard.objects.order_by("pk")[:2]] + ["x" * 64],
        "imports:": _pair(ImportBatch, province_id="{code}"),
        "jobs:run-detail": [str(run.pk)],
        "jobs:notification-read": [str(n.pk) for n in Notification.objects.all()],
        "jobs:run-now": [JobRun.Job.FLAG_CARD_EXPIRY, "nothing", "<b>"],
        "provinces:": [PHNOM_PENH, SIEM_REAP, "99", "mine", "<b>"],
        "cards:print-run": _pair(PrintRun, province_id="{code}"),
        "cards:card": cards,
    }
    ids: dict[str, list[str]] = {}
    for route in ROUTES:
        if not route.params:
            continue
        values = next((v for prefix, v in per_name.items() if route.name.startswith(prefix)), None)
        if values is None and route.name.startswith("admin:"):
            values = _admin_ids(route)
        ids[route.name or route.regex] = [*(values or []), *nowhere]
    return World(clients=clients, ids=ids)


def _admin_ids(route: Route) -> list[str]:
    """For an admin URL naming an object: the pk of the first object of its model."""
    match = re.match(r"admin:(\w+?)_(\w+)_\w+$", route.name)
    candidates = []
    if match:
        for label in (f"{match.group(1)}.{match.group(2)}",):
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                continue
            first = model.objects.order_by("pk").first()
            if first is not None:
                candidates.append(str(first.pk))
    if route.name == "admin:auth_user_password_change":
        candidates.append(str(User.objects.order_by("pk").first().pk))
    if route.name.startswith("admin:otp_totp"):
        candidates.append(str(TOTPDevice.objects.order_by("pk").first().pk))
    return candidates or ["1", "accounts", "auth"]


# --- The form fields of a page --------------------------------------------------------------
Fields = tuple[dict[str, list[str]], set[str]]  # name -> values seen; names of file inputs


class _Fields(HTMLParser):
    """The fields of every form of a page, by the path each form is sent to."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: dict[str, tuple[dict[str, set[str]], set[str]]] = {}
        self._action = page
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "form":
            action = (a.get("action") or self.page).split("?")[0]
            self._action = action if action.startswith("/") else self.page
            return
        values, files = self.forms.setdefault(self._action, ({}, set()))
        if tag in ("input", "textarea", "select", "button") and name:
            values.setdefault(name, set())
            if a.get("type") == "file":
                files.add(name)
            elif a.get("value") is not None:
                values[name].add(a["value"] or "")
            self._select = name if tag == "select" else self._select
        elif tag == "option" and self._select and a.get("value") is not None:
            values.setdefault(self._select, set()).add(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._action = self.page


def _forms_of(path: str, response: Any) -> dict[str, Fields]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}
    parser = _Fields(path)
    parser.feed(response.content.decode(errors="replace"))
    return {
        action: ({k: sorted(v)[:30] for k, v in values.items()}, files)
        for action, (values, files) in parser.forms.items()
    }


# --- The walk -------------------------------------------------------------------------------
ANSWERS: Counter[tuple[str, int]] = Counter()


def _send(client: Client, method: str, path: str, data: Any) -> tuple[int, str, Any]:
    """One request in a savepoint rolled back afterwards: status, traceback of a 500, response."""
    cookies = client.cookies
    client.cookies = copy.deepcopy(cookies)  # signing out must not last beyond this request
    sid = transaction.savepoint()
    try:
        if method == "GET":
            response = client.get(f"{path}?{urlencode(data, doseq=True)}" if data else path)
        else:
            response = client.post(path, data)
        ANSWERS[(method, response.status_code)] += 1
        return response.status_code, "(answered 500 without raising)", response
    except Exception:
        return 500, traceback.format_exc(limit=-6), None
    finally:
        transaction.savepoint_rollback(sid)
        client.cookies = cookies


def _walk(world: World, route: Route) -> list[str]:
    found: list[str] = []
    personas = sorted(world.clients)
    examples = 12
    if route.name == "healthz":
        # The same public page for everyone; it waits a second for a worker the tests do not run.
        personas, examples = ["anonymous"], 2
    elif route.name in SLOW:
        examples = 3
    elif route.name.startswith("admin:"):
        # Django's admin: every non-staff persona is sent to its sign-in page alike.
        personas, examples = ["admin", "officer_pp", "anonymous"], 3

    seen: set[tuple[str, str]] = set()

    def page(persona: str, path: str) -> Fields:
        """The form fields the persona can send to the path (its plain GET is checked too)."""
        if (persona, path) not in seen:
            seen.add((persona, path))
            status, error, response = _send(world.clients[persona], "GET", path, {})
            if status == 500:
                found.append(f"GET {path} as {persona}\n{error}")
            for action, (values, files) in (_forms_of(path, response) if response else {}).items():
                known, known_files = world.forms.setdefault((persona, action), ({}, set()))
                for name, options in values.items():
                    known[name] = sorted({*known.get(name, []), *options})[:30]
                known_files |= files
        return world.forms.get((persona, path), ({}, set()))

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one_request(data: st.DataObject) -> None:
        known = st.sampled_from(world.ids[route.name or route.regex]) if route.params else None
        values = {
            param: data.draw(st.one_of(known, known, known, TEXT), param) for param in route.params
        }
        path = _path(route, values)
        method = data.draw(st.sampled_from(["GET", "POST", "POST"]), "method")
        known_path = all(v in world.ids[route.name or route.regex] for v in values.values())
        # Finding who has the form costs a GET per persona: only for paths of real objects.
        with_forms = []
        if method == "POST" and known_path:
            with_forms = [p for p in personas if page(p, path)[0]]
        if with_forms and data.draw(st.sampled_from([True, True, True, False]), "has the form"):
            persona = data.draw(st.sampled_from(with_forms), "persona")
        else:
            persona = data.draw(st.sampled_from(personas), "persona")
        fields, files = page(persona, path)
        names = sorted(fields) if method == "POST" else sorted({*fields, *COMMON_QUERY})
        # One field gets the hostile value, the others real ones (or none): the page gets
        # past its other checks to the one value that could break it.
        target = data.draw(st.sampled_from(names), "target") if names else None
        form: dict[str, Any] = {}
        for name in names:
            real = st.sampled_from(fields.get(name) or [""])
            if name == target:
                hostile = st.one_of(
                    HOSTILE_VALUE, HOSTILE_VALUE, VALUE, st.lists(VALUE, min_size=2, max_size=3)
                )
                choice = data.draw(hostile, name)
            else:
                choice = data.draw(st.one_of(st.none(), real, real, VALUE), name)
            if choice is not None:
                form[name] = choice
        if method == "POST":
            for name in files:
                file_name, content = data.draw(st.sampled_from(UPLOADS), name)
                form[name] = SimpleUploadedFile(file_name, content)
        status, error, _response = _send(world.clients[persona], method, path, form)
        if status == 500:
            shown = {k: (v if not hasattr(v, "name") else v.name) for k, v in form.items()}
            found.append(f"{method} {path} as {persona} with {shown!r}\n{error}")

    one_request()
    return found


def _upload_sweep(world: World) -> list[str]:
    """Every hostile file into every file field the walk met, the other fields real."""
    found = []
    for (persona, path), (values, files) in sorted(world.forms.items()):
        for name in sorted(files):
            for file_name, content in UPLOADS:
                form: dict[str, Any] = {k: v[-1] for k, v in values.items() if v and k not in files}
                form[name] = SimpleUploadedFile(file_name, content)
                status, error, _response = _send(world.clients[persona], "POST", path, form)
                if status == 500:
                    found.append(f"POST {path} as {persona} with {file_name} as {name}\n{error}")
    return found


def test_no_url_answers_random_or_hostile_input_with_a_server_error():
    started = dt.datetime.now(tz=dt.UTC)
    world = _build_world()
    built = dt.datetime.now(tz=dt.UTC) - started

    found: list[str] = []
    for route in ROUTES:
        found += _walk(world, route)
    found += _upload_sweep(world)

    took = dt.datetime.now(tz=dt.UTC) - started
    print(
        f"data in {built.total_seconds():.0f} s, {len(ROUTES)} URL patterns walked in "
        f"{(took - built).total_seconds():.0f} s:",
        sorted(ANSWERS.items()),
    )
    # One example per URL and error: the same cause is found many times over.
    unique = {(f.split(" ", 2)[1].split("?")[0], f.rstrip().splitlines()[-1]): f for f in found}
    assert list(unique) == [], "\n\n".join(list(unique.values())[:15])
