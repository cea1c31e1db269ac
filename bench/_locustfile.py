"""The end-of-year rush, for locust (started by bench/load.py, which serves the IMS and signs in).

Each simulated person holds a session of their own, made by bench/load.py (a file of
{"role": [[cookie, resident ids of their scope], ...]} named by BENCH_LOAD_SESSIONS); the host is
always 127.0.0.1. Think times are an officer's at a desk: a few to tens of seconds per page.
"""

from __future__ import annotations

import json
import os
import random
from itertools import cycle

from locust import HttpUser, between, task

with open(os.environ["BENCH_LOAD_SESSIONS"]) as handle:
    SESSIONS: dict[str, list[list[object]]] = json.load(handle)
_next = {role: cycle(sessions) for role, sessions in SESSIONS.items()}
SEARCHES = ["wang", "nguyen", "kim", "chen", "li", "smith", "tran", "zhang", "park", "sok"]


class _Person(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        cookie, residents = next(_next[self.role])
        self.client.cookies.set("sessionid", str(cookie), domain="127.0.0.1")
        self.residents: list[int] = list(residents)  # type: ignore[arg-type]

    def _resident(self) -> int:
        return random.choice(self.residents)


class Officer(_Person):
    """Enters and searches residents of the province."""

    role = "officer"
    weight = 300
    wait_time = between(5, 25)

    @task(4)
    def search(self) -> None:
        self.client.get(
            f"/residents/?q={random.choice(SEARCHES)}",
            name="residents list: search",
        )

    @task(3)
    def list_page(self) -> None:
        self.client.get("/residents/", name="residents list")

    @task(3)
    def detail(self) -> None:
        self.client.get(f"/residents/{self._resident()}/", name="resident detail")

    @task(1)
    def entry_form(self) -> None:
        self.client.get("/residents/new/", name="resident entry form")


class Verifier(_Person):
    """Reviews the province's submitted declarations."""

    role = "verifier"
    weight = 50
    wait_time = between(10, 40)

    @task(3)
    def queue(self) -> None:
        self.client.get("/residents/verification/", name="verification queue")

    @task(2)
    def detail(self) -> None:
        self.client.get(f"/residents/{self._resident()}/", name="resident detail")


class Director(_Person):
    """Watches the provinces and exports."""

    role = "director"
    weight = 5
    wait_time = between(10, 40)

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/provinces/", name="dashboard")

    @task(1)
    def export_page(self) -> None:
        self.client.get("/imports/export/", name="export page")

    @task(1)
    def export_csv(self) -> None:
        with self.client.get(
            "/imports/export/download/?format=csv&nationality=VN",
            name="export CSV (one nationality, streamed)",
            stream=True,
        ) as response:
            for _chunk in response.iter_content(65536):
                pass


class Clerk(_Person):
    """Prints cards."""

    role = "clerk"
    weight = 10
    wait_time = between(10, 30)

    @task(3)
    def cards(self) -> None:
        self.client.get("/cards/", name="cards list")

    @task(1)
    def print_runs(self) -> None:
        self.client.get("/cards/print-runs/", name="print runs")
