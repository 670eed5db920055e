"""Deadlines: some days after a moment, in calendar days or in the team's business days.

Without a ``calendar:`` in the configuration, a deadline is ``start + N x 24 h``, as it
always was. With one, it is the same local time of day on the N-th business day after
``start``, in the team's time zone: weekends (days not in ``workdays``) and ``holidays``
do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = timedelta(days=1)


class UnknownTimeZone(ValueError):
    """A time zone name the zone database does not know."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(name) from None


@dataclass(frozen=True)
class Calendar:
    """How the team counts days: ``business`` days in ``timezone``, or plain calendar days."""

    timezone: str = "UTC"
    workdays: frozenset[int] = frozenset(range(7))  # 0 is Monday, as date.weekday()
    holidays: frozenset[date] = frozenset()
    business: bool = False

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> Calendar:
        """The calendar a ``calendar:`` mapping describes; calendar days when there is none."""
        if not raw:
            return cls()
        days = raw.get("workdays") or WEEKDAYS[:5]
        holidays = raw.get("holidays") or ()
        calendar = cls(
            timezone=str(raw.get("timezone") or "UTC"),
            workdays=frozenset(WEEKDAYS.index(str(day)[:3].lower()) for day in days),
            holidays=frozenset(date.fromisoformat(str(day)) for day in holidays),
            business=True,
        )
        zone(calendar.timezone)
        return calendar

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` days after ``start``: business days when the team counts them."""
        if not self.business or not self.workdays:
            return start + days * _DAY
        local = start.astimezone(self.zone)
        day, counted = local.date(), 0
        while counted < days:
            day += _DAY
            counted += self.is_workday(day)
        moment = datetime.combine(day, local.time(), tzinfo=self.zone)
        return moment.astimezone(timezone.utc)

    def days_late(self, due: date, today: date) -> int:
        """Whole days ``today`` is past ``due`` (0 when it is not): business days when counted so."""
        if today <= due:
            return 0
        if not self.business:
            return (today - due).days
        count, day = 0, due
        while day < today:
            day += _DAY
            count += self.is_workday(day)
        return count

    @property
    def unit(self) -> str:
        return "business day" if self.business else "day"
