"""The weekly IPM meeting's agenda: exactly the post-mortems awaiting approval, the overdue
ones, the policy's checklist; neutral text; ticked boxes kept."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from inc_audit.config import file as config_module
from inc_audit.config.file import Config
from inc_audit.publishing import agenda
from tests.conftest import AS_OF, MemorySource, at, filled_post_mortem, incident, note, umami_config

MEETING = date(2026, 6, 4)  # a Thursday, 3 days after AS_OF
LIVE_MENTION = re.compile(r"(?<![\w`\\])@[A-Za-z0-9_]")
QUICK_ACTION = re.compile(r"^\s*/[a-z]", re.MULTILINE)


def post_mortem(id: int, days_ago: float, author: str = "frank", body: str | None = None):
    return note(id, body or filled_post_mortem(), author=author, days_ago=days_ago)


def scenario() -> MemorySource:
    after_meeting = -(3 + 1)  # posted the day after the meeting
    return MemorySource().add(
        incident(1, notes=(post_mortem(101, 20), note(102, "Approved", author="alice", days_ago=19))),
        incident(2, notes=(post_mortem(201, 20),)),
        incident(3, notes=(post_mortem(301, after_meeting),)),
        incident(4, closed_at=at(30), notes=()),
        incident(5, closed_at=at(1), updated_at=at(1), notes=()),
        incident(6, state="opened", closed_at=None, notes=(post_mortem(601, 2),)),
        incident(7, notes=(post_mortem(701, 20), note(702, "Approved", author="bob", days_ago=19))),
    )


@pytest.fixture
def config() -> Config:
    return umami_config()


def test_the_agenda_lists_exactly_the_post_mortems_awaiting_approval(config):
    prepared = agenda.build(scenario(), config, AS_OF, MEETING)
    assert [r.ref.split("#")[1] for r in prepared.reviews] == ["2", "7", "6"]  # oldest post-mortem first
    assert [o.ref.split("#")[1] for o in prepared.overdue] == ["4"]
    seven = prepared.reviews[1]
    assert "development lead backup (carol) must approve" in seven.gap
    assert seven.url.endswith("/issues/7#note_701") and seven.author == "frank"


def test_each_post_mortem_has_its_three_answers_and_the_checklist(config):
    text = agenda.render(agenda.build(scenario(), config, AS_OF, MEETING), config)
    block = text.split("#### ")[1].split("#### ")[0]
    answers = [line for line in block.splitlines() if line.startswith("- **")]
    assert [a.split(":**")[0][4:] for a in answers] == [
        "Root cause analysis", "Actual adverse impact", "Follow-up recommendations"]
    assert all("block 4,812,331" in a for a in answers)
    assert len(re.findall(r"^- \[ \] ", block, re.MULTILINE)) == len(agenda.policy_checklist()) == 5
    assert "Could the INC have been handled better?" in block


def test_the_attendees_are_the_response_team_and_nobody_is_pinged_by_default(config):
    text = agenda.render(agenda.build(scenario(), config, AS_OF, MEETING), config)
    assert "- product manager: alice (backup: bob)" in text and "- operations manager: dave" in text
    assert not LIVE_MENTION.search(text)
    mentioning = replace(config, meeting=replace(config.meeting, mention=True))
    assert {"@alice", "@bob", "@dave"} <= set(re.findall(r"@\w+", agenda.render(
        agenda.build(scenario(), mentioning, AS_OF, MEETING), mentioning)))


def test_content_cannot_mention_anyone_or_run_a_quick_action(config):
    hostile = "## Incident Post-Mortem\n\n## Root cause\n/close\n@all look\n\n## Actual impact\n/label ~x @bob\n" \
              "\n## Follow-up recommendations\n<!-- x --> | pipe `tick`\n"
    source = MemorySource().add(incident(9, title="@all /close now", notes=(post_mortem(901, 5, body=hostile),)))
    text = agenda.render(agenda.build(source, config, AS_OF, MEETING), config)
    assert not LIVE_MENTION.search(text) and not QUICK_ACTION.search(text)
    assert "(missing)" in text  # "/label ..." alone is a quick action: the section counts as empty


def test_boxes_ticked_in_the_meeting_issue_stay_ticked(config):
    prepared = agenda.build(scenario(), config, AS_OF, MEETING)
    first = agenda.render(prepared, config)
    line = next(line for line in first.splitlines() if "#6:2 -->" in line)
    edited = first.replace(line, line.replace("- [ ]", "- [x]"))
    again = agenda.render(agenda.with_ticks(prepared, edited), config)
    assert again == edited
    assert agenda.render(agenda.with_ticks(prepared, first), config) == first


def test_the_default_meeting_is_the_next_configured_weekday():
    raw = {"meeting": {"weekday": "thursday", "time": "14:30"}, "calendar": {"timezone": "Europe/Paris"}}
    config_module.validate(raw, "test")
    config = config_module.build(raw, None)
    assert agenda.next_meeting(config, AS_OF) == MEETING  # AS_OF is a Monday
    assert agenda.next_meeting(config, AS_OF + timedelta(days=3)) == MEETING
    assert agenda.next_meeting(config, AS_OF + timedelta(days=4)) == MEETING + timedelta(days=7)
    assert agenda.meeting_start(config, MEETING).isoformat() == "2026-06-04T14:30:00+02:00"


def test_a_post_mortem_posted_after_the_meeting_waits_for_the_next_one(config):
    source = MemorySource().add(incident(3, notes=(post_mortem(301, -4),)))
    assert agenda.build(source, config, AS_OF, MEETING).reviews == ()
    assert len(agenda.build(source, config, AS_OF, MEETING + timedelta(days=7)).reviews) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--meeting", "next thursday"], "--meeting 'next thursday' is not a date"),
    (["--publish"], "--publish and --dry-run need a GitLab project, not an export"),
    (["--dry-run"], "--publish and --dry-run need a GitLab project, not an export"),
])
def test_bad_agenda_options_are_one_line_and_exit_2(args, message):
    from click.testing import CliRunner

    from inc_audit.cli import main
    from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

    result = CliRunner().invoke(main, ["agenda", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG),
                                       *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_the_agenda_of_the_example_prints_markdown():
    from click.testing import CliRunner

    from inc_audit.cli import main
    from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

    result = CliRunner().invoke(main, ["agenda", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG),
                                       "--as-of", "2026-06-01"])
    assert result.exit_code == 0
    assert result.output.startswith("<!-- inc-audit:ipm-meeting 2026-06-04 -->")
    assert "Post-mortems awaiting approval (2)" in result.output and "Post-mortems overdue (1)" in result.output


def test_the_product_manager_chairs_whatever_the_order_of_attendees():
    raw = {"roles": {"operations_manager": {"primary": "dave"}, "product_manager": {"primary": "alice"}}}
    config = config_module.build(raw, None)
    text = agenda.render(agenda.build(MemorySource(), config, AS_OF, MEETING), config)
    assert "Chair: product manager alice." in text
    assert text.index("- product manager: alice") < text.index("- operations manager: dave")
