"""Write the README's samples from the example project: the audit issue and the meeting agenda.

    python docs/samples.py          # rewrites docs/sample-audit-issue.md and docs/sample-agenda.md

The audit issue is the one a second audit leaves, a week after the first (2026-06-01, then
2026-06-08: the post-mortem of #8 fell due in between), so it shows first-seen dates and the
history chart. The agenda is the one prepared on 2026-06-10 for the meeting of Thursday
2026-06-11. tests/test_docs_samples.py checks that the files are up to date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from inc_audit.audit import run_audit
from inc_audit.config import file as config_module
from inc_audit.formats import audit_issue, state
from inc_audit.formats.registry import Options
from inc_audit.publishing import agenda
from inc_audit.sources.export.source import ExportSource

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples"
FIRST, SECOND = datetime(2026, 6, 1, tzinfo=timezone.utc), datetime(2026, 6, 8, tzinfo=timezone.utc)
MEETING, PREPARED = date(2026, 6, 11), datetime(2026, 6, 10, 7, 0, tzinfo=timezone.utc)


def _source(config: config_module.Config) -> ExportSource:
    return ExportSource(EXAMPLE / "umami-export", project=config.gitlab_project, web_base=config.gitlab_url or "")


def sample_audit_issue() -> str:
    config = config_module.load(EXAMPLE / ".inc-audit.yml")
    first = state.advance(run_audit(_source(config), config, FIRST), None)
    kept = state.read(audit_issue.render(first.result, Options()), SECOND)
    second = state.advance(run_audit(_source(config), config, SECOND), kept)
    return audit_issue.render(second.result, Options())


def sample_agenda() -> str:
    config = config_module.load(EXAMPLE / ".inc-audit.yml")
    config = replace(config, meeting=replace(config.meeting, weekday=3, time="14:00"))
    return agenda.render(agenda.build(_source(config), config, PREPARED, MEETING), config)


SAMPLES = {"sample-audit-issue.md": sample_audit_issue, "sample-agenda.md": sample_agenda}


def main() -> None:
    for name, make in SAMPLES.items():
        (ROOT / "docs" / name).write_text(make(), encoding="utf-8")


if __name__ == "__main__":
    main()
