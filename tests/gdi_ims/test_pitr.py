"""Point-in-time recovery: a base backup and the archived WAL give back exactly what was written
before the chosen moment, in a new data directory, with the primary left running."""

from __future__ import annotations

import re
import time

import pytest

from tests.gdi_ims.pg_drill import Server, drill_primary
from tests.gdi_ims.servers import free_port


@pytest.mark.parametrize("by", ["name", "time"])
def test_recovery_to_a_moment_finds_exactly_the_records_written_before_it(
    by: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with drill_primary() as drill:
        primary = drill.primary
        primary.sql("CREATE TABLE entry (id int PRIMARY KEY, batch text NOT NULL)")
        base = drill.run("pitr.sh", "base-backup", str(drill.base / "base"))
        primary.sql("INSERT INTO entry SELECT i, 'A' FROM generate_series(1, 500) AS i")
        moment = primary.sql("SELECT now()")
        drill.run("pitr.sh", "restore-point", "before_b")
        time.sleep(0.05)
        primary.sql("INSERT INTO entry SELECT i, 'B' FROM generate_series(501, 700) AS i")
        drill.run("pitr.sh", "archive-now")
        target = "name:before_b" if by == "name" else f"time:{moment}"
        restored = Server(port=free_port(), data=drill.base / "restored")

        output = drill.run(
            "pitr.sh", "restore", base, str(drill.archive), target, str(restored.data),
            str(restored.port),
        )  # fmt: skip

        assert re.fullmatch(rf"restored to {re.escape(target)} on port \d+ in \d+ ms", output)
        assert restored.sql(
            "SELECT batch, count(*), min(id), max(id) FROM entry GROUP BY batch"
        ) == ("A|500|1|500")
        assert primary.sql("SELECT count(*) FROM entry") == "700"  # the primary is untouched
        restored.sql("INSERT INTO entry VALUES (501, 'written after the recovery')")
        with capsys.disabled():
            print(f"\nPITR drill ({by}): {output}")
