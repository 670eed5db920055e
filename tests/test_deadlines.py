"""Deadlines: calendar days as before, or business days in the team's time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from inc_audit.config import file as config_module
from inc_audit.errors import ConfigError
from inc_audit.rules import check_issue
from inc_audit.workdays import Calendar
from tests.conftest import MemorySource, incident, umami_config

PARIS = Calendar.from_config({"timezone": "Europe/Paris", "holidays": ["2026-12-25"]})


def test_without_a_calendar_a_deadline_is_plain_days_later():
    start = datetime(2026, 12, 18, 16, 0, tzinfo=timezone.utc)  # a Friday
    assert Calendar().add(start, 7) == datetime(2026, 12, 25, 16, 0, tzinfo=timezone.utc)
    assert Calendar().days_late(date(2026, 12, 24), date(2026, 12, 28)) == 4


def test_business_days_skip_the_weekend():
    friday = datetime(2026, 6, 5, 14, 0, tzinfo=timezone.utc)  # 16:00 in Paris
    due = PARIS.add(friday, 2)
    assert due == datetime(2026, 6, 9, 14, 0, tzinfo=timezone.utc)  # Tuesday, same local time
    assert PARIS.add(friday, 0) == friday


def test_business_days_skip_a_weekend_and_a_holiday():
    thursday = datetime(2026, 12, 24, 9, 0, tzinfo=timezone.utc)
    # Friday 25 is a holiday, then the weekend: the first business day after is Monday 28.
    assert PARIS.local_date(PARIS.add(thursday, 1)) == date(2026, 12, 28)
    assert PARIS.local_date(PARIS.add(thursday, 3)) == date(2026, 12, 30)
    assert PARIS.days_late(date(2026, 12, 24), date(2026, 12, 29)) == 2


def test_the_local_day_decides_near_midnight():
    late_evening = datetime(2026, 6, 5, 22, 30, tzinfo=timezone.utc)  # Saturday 00:30 in Paris
    assert PARIS.local_date(late_evening) == date(2026, 6, 6)
    assert PARIS.local_date(PARIS.add(late_evening, 1)) == date(2026, 6, 8)


def _ipm001(due_days: int, moment: datetime) -> bool:
    raw = {"calendar": {"timezone": "Europe/Paris", "holidays": ["2026-12-25"]}, "post_mortem": {"due_days": due_days}}
    config_module.validate(raw, "test")
    closed = datetime(2026, 12, 17, 10, 0, tzinfo=timezone.utc)  # a Thursday, no post-mortem yet
    issue = incident(closed_at=closed, updated_at=closed, created_at=closed)
    findings = check_issue(issue, config_module.build(raw, None), MemorySource([issue]), moment)
    return "IPM001" in [f.rule for f in findings]


def test_the_post_mortem_deadline_counts_business_days():
    # 5 business days after Thu 17 Dec: 18, 21, 22, 23, 24: due Thu 24 at the same time.
    assert not _ipm001(5, datetime(2026, 12, 24, 9, 59, tzinfo=timezone.utc))
    assert _ipm001(5, datetime(2026, 12, 24, 10, 1, tzinfo=timezone.utc))
    # The 6th crosses the holiday (Fri 25) and the weekend: due Mon 28, not Wed 23 as with 6 calendar days.
    assert not _ipm001(6, datetime(2026, 12, 27, 12, 0, tzinfo=timezone.utc))
    assert _ipm001(6, datetime(2026, 12, 28, 10, 1, tzinfo=timezone.utc))


def test_calendar_days_stay_the_default(umami):
    assert umami.calendar == Calendar() and not umami.calendar.business


def test_an_unknown_time_zone_is_a_config_error(tmp_path: Path):
    path = tmp_path / ".inc-audit.yml"
    path.write_text("calendar:\n  timezone: Mars/Olympus\n")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        config_module.load(path)


def test_unquoted_yaml_dates_are_read_as_holidays(tmp_path: Path):
    path = tmp_path / ".inc-audit.yml"
    path.write_text("calendar:\n  timezone: Europe/Paris\n  workdays: [mon, tue, wed, thu]\n  holidays: [2026-12-25]\n")
    loaded = config_module.load(path)
    assert loaded.calendar.holidays == frozenset({date(2026, 12, 25)})
    assert loaded.calendar.workdays == frozenset({0, 1, 2, 3}) and loaded.calendar.business


@pytest.mark.parametrize("bad", ["calendar: {workdays: [funday]}", "calendar: {holidays: [christmas]}",
                                 "meeting: {time: '25:00'}", "audit_issue: {mention: maybe}"])
def test_bad_calendar_or_meeting_keys_are_config_errors(tmp_path: Path, bad: str):
    path = tmp_path / ".inc-audit.yml"
    path.write_text(bad + "\n")
    with pytest.raises(ConfigError):
        config_module.load(path)


def test_meeting_attendees_must_be_configured_roles():
    raw = {**_roles(), "meeting": {"attendees": ["product_manager", "janitor"]}}
    with pytest.raises(ConfigError, match="unknown role 'janitor'"):
        config_module.build(raw, None)


def _roles() -> dict[str, object]:
    return {"roles": {name: {"primary": role.primary, "backups": list(role.backups)}
                      for name, role in umami_config().roles.items()}}
