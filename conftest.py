"""Suite-wide rule: a skipped or xfailed test fails the run, so nothing is skipped silently."""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = len(reporter.stats.get("skipped", [])) + len(reporter.stats.get("xfailed", []))
    if skipped and session.exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"{skipped} test(s) skipped or xfailed: nothing may skip.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
