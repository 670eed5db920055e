"""The chat digest (notify.webhook): Slack's and Mattermost's payloads as each documents
them, checked by a local receiver; nothing sent when nothing changed; confidential
incidents by reference; a failing webhook retried, then a warning that never fails the
audit or stops the publication; the URL never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakegitlab import PROJECT

from tests.conftest import EXAMPLE_CONFIG
from tests.test_cli_live import audit, audit_issues, edit, fake  # noqa: F401 (fake is a fixture)
from tests.webhook_receiver import Receiver, mattermost_problems, slack_problems

VARIABLE = "INC_AUDIT_CHAT_WEBHOOK"


def chatting(tmp_path: Path, service: str = "slack", titles: bool = False) -> Path:
    path = tmp_path / "chat.yml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    path.write_text(text + f"notify:\n  webhook: {VARIABLE}\n  service: {service}\n  titles: {str(titles).lower()}\n"
                    "  deadline_days: 7\n", encoding="utf-8")
    return path


def everything(payload: dict) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False)


@pytest.mark.parametrize("service", ["slack", "mattermost"])
def test_the_digest_has_the_documented_shape_and_nothing_is_sent_when_nothing_changed(
    fake, tmp_path, monkeypatch, service  # noqa: F811
):
    with Receiver(service) as hook:
        monkeypatch.setenv(VARIABLE, hook.url)
        first = audit(fake, "--publish", config=chatting(tmp_path, service))
        assert first.returncode == 1, first.stderr
        assert hook.refused == [] and len(hook.payloads) == 1
        assert f"chat digest sent to {service} (${VARIABLE})" in first.stderr
        payload = hook.payloads[0]
        text = everything(payload)
        assert "New violations" in text and "Overdue" in text and "umami-wallet/umami#7" in text
        assert "/-/issues/" in text  # the link to the audit issue
        if service == "slack":
            assert payload["blocks"][0]["type"] == "header" and payload["text"].startswith("Incident policy audit")
        else:
            assert payload["attachments"][0]["fallback"] and payload["text"].startswith("**Incident policy audit")
        second = audit(fake, "--publish", config=chatting(tmp_path, service))
        assert second.returncode == 1 and len(hook.payloads) == 1
        assert "no change since the last audit: no chat digest sent" in second.stderr
        edit(fake.issue(PROJECT, 18), fake.issue(PROJECT, 1).description)  # #18's findings resolved
        third = audit(fake, "--publish", config=chatting(tmp_path, service))
        assert len(hook.payloads) == 2 and "Resolved since the last audit" in everything(hook.payloads[1])
        assert third.returncode == 1
        for run in (first, second, third):
            assert hook.url not in run.stdout + run.stderr and "secret-part" not in run.stdout + run.stderr


def test_confidential_incidents_appear_by_reference_unless_titles_are_allowed(fake, tmp_path, monkeypatch):  # noqa: F811
    fake.issue(PROJECT, 7).confidential = True
    title = fake.issue(PROJECT, 7).title
    with Receiver("slack") as hook:
        monkeypatch.setenv(VARIABLE, hook.url)
        audit(fake, "--publish", config=chatting(tmp_path))
        assert "umami-wallet/umami#7" in everything(hook.payloads[0])
        assert title not in everything(hook.payloads[0])
        assert fake.issue(PROJECT, 5).title in everything(hook.payloads[0])  # not confidential
    with Receiver("slack") as hook:
        monkeypatch.setenv(VARIABLE, hook.url)
        for issue in audit_issues(fake):
            issue.description = ""  # a first audit again
        audit(fake, "--publish", config=chatting(tmp_path, titles=True))
        assert title in everything(hook.payloads[0])


def test_a_webhook_that_fails_once_is_retried(fake, tmp_path, monkeypatch):  # noqa: F811
    with Receiver("mattermost", fail=1, status=503) as hook:
        monkeypatch.setenv(VARIABLE, hook.url)
        result = audit(fake, "--publish", config=chatting(tmp_path, "mattermost"))
        assert hook.calls == 2 and len(hook.payloads) == 1
        assert "chat digest sent" in result.stderr


def test_a_failing_webhook_is_a_warning_and_the_audit_issue_is_still_published(fake, tmp_path, monkeypatch):  # noqa: F811
    with Receiver("slack", fail=1000, status=500) as hook:
        monkeypatch.setenv(VARIABLE, hook.url)
        result = audit(fake, "--publish", config=chatting(tmp_path))
        assert result.returncode == 1  # the findings' exit code, not a failure of the webhook
        assert "audit issue created" in result.stderr
        assert f"warning: the chat digest could not be sent to ${VARIABLE}: HTTP 500; the audit stands" in result.stderr
        assert hook.calls >= 2 and len(audit_issues(fake)) == 1
        assert hook.url not in result.stderr + result.stdout


def test_an_unset_variable_is_a_warning(fake, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv(VARIABLE, raising=False)
    result = audit(fake, "--publish", config=chatting(tmp_path))
    assert result.returncode == 1 and f"notify.webhook names ${VARIABLE}, which is not set" in result.stderr


def test_the_receiver_refuses_what_the_services_refuse():
    assert slack_problems({"text": "x"}) == ["blocks: 1 to 50 blocks"]
    assert slack_problems({"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]})
    assert slack_problems({"text": "x", "blocks": [{"type": "bogus"}]})
    assert mattermost_problems({"attachments": [{"text": "no fallback"}]}) == ["attachments[0]: fallback is required"]
    assert mattermost_problems({}) == ["text or attachments is required"]
    assert mattermost_problems({"text": "ok", "attachments": [{"fallback": "f", "color": "red"}]})


def test_a_webhook_url_in_the_file_is_refused(tmp_path):
    from click.testing import CliRunner

    from inc_audit.cli import main

    path = tmp_path / "bad.yml"
    path.write_text("notify:\n  webhook: https://hooks.slack.com/services/T0/B0/secret\n")
    result = CliRunner().invoke(main, ["check", str(EXAMPLE_CONFIG), "--config", str(path)])
    assert result.exit_code == 2 and "notify.webhook" in result.output
    assert "secret" not in result.output


def test_the_digest_links_the_next_ipm_agenda_when_inc_audit_prepared_it(fake, tmp_path, monkeypatch):  # noqa: F811
    from datetime import datetime, timezone

    from inc_audit.config.file import load
    from inc_audit.publishing.agenda import MARKER, next_meeting

    day = next_meeting(load(EXAMPLE_CONFIG), datetime(2026, 6, 1, tzinfo=timezone.utc))
    meeting = fake.add_issue(PROJECT, title="IPM meeting", description=MARKER.format(date=day.isoformat()),
                             labels=["ipm-meeting"], author="inc-audit-bot")
    fake.add_issue(PROJECT, title="IPM copy", description=MARKER.format(date=day.isoformat()),
                   labels=["ipm-meeting"], author="frank")  # someone else's copy is never linked
    with Receiver("slack") as hook:
        monkeypatch.setenv(VARIABLE, hook.url)
        audit(fake, "--publish", config=chatting(tmp_path))
        last = hook.payloads[0]["blocks"][-1]["text"]["text"]
        assert f"/-/issues/{meeting.iid}|The IPM agenda>" in last and "|The audit issue>" in last
