"""The configuration's ``waivers:``: a finding known and accepted until a date.

Each waiver names one incident and one rule, says why, who approved it (a member of an
approver role) and when it ends: no further than ``rules.waiver_max_days`` (90 by default)
from the day the configuration is read. What a waiver does to the findings is
``inc_audit.rules.waiving``'s; here it is only read and checked, so that `inc-audit check`, the
template gate and every audit refuse a malformed one with one line (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from inc_audit.config.yamlfile import Lines
from inc_audit.errors import ConfigError

DEFAULT_MAX_DAYS = 90
_REFERENCE = re.compile(r"^(?P<project>[A-Za-z0-9_.\-/]*)#(?P<iid>[0-9]{1,9})$")


@dataclass(frozen=True, order=True)
class Waiver:
    project: str
    iid: int
    rule: str
    reason: str
    approved_by: str
    expires: date
    """The last day the waiver holds, in the team's time zone."""
    index: int = 0  # its place in the file's list
    line: int | None = None  # where the file writes it

    @property
    def incident(self) -> str:
        return f"{self.project}#{self.iid}"


def read(
    raw: list[dict[str, Any]],
    project: str | None,
    members: dict[str, tuple[str, ...]],
    max_days: int,
    lines: Lines,
    today: date,
) -> tuple[Waiver, ...]:
    """The waivers of the file, checked; the first mistake raises ``ConfigError`` naming the key.

    ``members`` maps each approver role to its members' user names; ``project`` is gitlab.project,
    which a reference without a project (``#12``) points into.
    """
    waivers = []
    for index, entry in enumerate(raw):
        key = f"waivers[{index}]"
        match = _REFERENCE.match(str(entry["incident"]))
        if match is None:
            raise ConfigError(
                f"{lines.at(('waivers', index, 'incident'))}: {key}.incident {entry['incident']!r} is not an "
                "incident reference", "write it like group/project#12, or #12 with gitlab.project set",
            )
        named = match["project"] or project
        if not named:
            raise ConfigError(
                f"{lines.at(('waivers', index, 'incident'))}: {key}.incident {entry['incident']!r} names no project",
                "write the project (group/project#12) or set gitlab.project",
            )
        approver = str(entry["approved_by"])
        roles = sorted(role for role, names in members.items() if approver in names)
        if not roles:
            known = ", ".join(sorted({name for names in members.values() for name in names})) or "none (no roles)"
            raise ConfigError(
                f"{lines.at(('waivers', index, 'approved_by'))}: {key}.approved_by {approver!r} is not a member "
                "of an approver role", f"post_mortem.approvers' members: {known}",
            )
        expires = date.fromisoformat(str(entry["expires"]))
        if expires > today + timedelta(days=max_days):
            raise ConfigError(
                f"{lines.at(('waivers', index, 'expires'))}: {key}.expires {expires.isoformat()} is more than "
                f"{max_days} days away (from {today.isoformat()})",
                "waive for a shorter time, renew it when it ends, or raise rules.waiver_max_days",
            )
        waivers.append(Waiver(
            project=named, iid=int(match["iid"]), rule=str(entry["rule"]), reason=str(entry["reason"]).strip(),
            approved_by=approver, expires=expires, index=index, line=lines.line(("waivers", index)),
        ))
    _check_twice(waivers, lines)
    return tuple(waivers)


def _check_twice(waivers: list[Waiver], lines: Lines) -> None:
    seen: dict[tuple[str, int, str], int] = {}
    for waiver in waivers:
        name = (waiver.project, waiver.iid, waiver.rule)
        if name in seen:
            raise ConfigError(
                f"{lines.at(('waivers', waiver.index))}: waivers[{waiver.index}] waives {waiver.rule} on "
                f"{waiver.incident} again (as waivers[{seen[name]}] does)", "keep one waiver per incident and rule",
            )
        seen[name] = waiver.index

