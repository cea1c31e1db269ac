"""When a province's list will be verified at the pace of the last 7 days, against the deadline.

The figures, and how they are read:

- *remaining*: the records still to decide. The province expects `max(estimate, entered)` records;
  every record verified, acknowledged or rejected is decided. Records not entered yet count as
  remaining, so a province that has entered little is not shown as nearly done.
- *rate*: final decisions (verified or rejected) in the last 7 days (168 hours up to now), per day.
  A return is work, but it does not bring the list closer to its end.
- *projected finish*: today plus the days the remaining records take at that rate, counted from
  tomorrow. No rate, no date: the page says so instead of inventing one.
- *verifier-days*: a verifier deciding on a day is one verifier-day (any decision, returns
  included). A verifier-day decides `rate * 7 / verifier-days` records; the province gives
  `verifier-days / 7` of them a day. The extra verifier-days are those needed to decide the
  remaining records by the deadline on top of what the province gives at its current pace.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

WINDOW_DAYS = 7


class State:
    DONE = "done"  # nothing remaining
    NO_RATE = "no_rate"  # records remaining, no decision in the window: no finish date
    ON_TIME = "on_time"  # the projected finish is on or before the deadline
    LATE = "late"  # the projected finish is after the deadline
    PAST_DEADLINE = "past_deadline"  # the deadline has passed with records remaining


@dataclass(frozen=True)
class Forecast:
    remaining: int
    decided: int  # final decisions in the window
    verifier_days: int  # (verifier, day) pairs with a decision in the window
    today: dt.date
    deadline: dt.date

    @property
    def rate(self) -> float:
        """Final decisions per day over the window."""
        return self.decided / WINDOW_DAYS

    @property
    def days_left(self) -> int:
        """Working days from tomorrow through the deadline (0 once it is today or past)."""
        return max((self.deadline - self.today).days, 0)

    @property
    def days_needed(self) -> int | None:
        if self.remaining <= 0:
            return 0
        if not self.decided:
            return None
        return math.ceil(self.remaining / self.rate)

    @property
    def finish(self) -> dt.date | None:
        """The projected day the last record is decided (today when nothing remains)."""
        days = self.days_needed
        return None if days is None else self.today + dt.timedelta(days=days)

    @property
    def state(self) -> str:
        if self.remaining <= 0:
            return State.DONE
        if self.today > self.deadline:
            return State.PAST_DEADLINE
        finish = self.finish
        if finish is None:
            return State.NO_RATE
        return State.ON_TIME if finish <= self.deadline else State.LATE

    # The page's verdict, one flag per state (the template restates no state's name).
    @property
    def is_done(self) -> bool:
        return self.state == State.DONE

    @property
    def is_past_deadline(self) -> bool:
        return self.state == State.PAST_DEADLINE

    @property
    def is_on_time(self) -> bool:
        return self.state == State.ON_TIME

    @property
    def is_late(self) -> bool:
        return self.state == State.LATE

    @property
    def per_verifier_day(self) -> float:
        """Records a verifier decides in a day, at the window's pace (0 without a measure)."""
        return self.decided / self.verifier_days if self.verifier_days else 0.0

    @property
    def extra_verifier_days(self) -> int | None:
        """More verifier-days, by the deadline, that would decide every remaining record.

        0 when the current pace is enough; None when it cannot be said (nothing measured in the
        window, or the deadline has passed).
        """
        if self.remaining <= 0:
            return 0
        if self.today > self.deadline or not self.decided:
            return None
        needed = math.ceil(self.remaining / self.per_verifier_day)
        given = math.floor(self.verifier_days / WINDOW_DAYS * self.days_left)
        return max(needed - given, 0)


def combined(forecasts: list[Forecast], *, today: dt.date, deadline: dt.date) -> Forecast:
    """The country's forecast: the provinces' figures added up."""
    return Forecast(
        remaining=sum(f.remaining for f in forecasts),
        decided=sum(f.decided for f in forecasts),
        verifier_days=sum(f.verifier_days for f in forecasts),
        today=today,
        deadline=deadline,
    )
