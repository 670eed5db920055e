"""Configuration mistakes YAML and the schema let through: exit 2 and one line naming the file,
the line and the key, never a Python value such as None."""

from __future__ import annotations

import pytest

from tests.test_config import ROLES, refused, run_with


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # a key written twice, at the top or deeper: YAML would let the last one win
        (ROLES + "labels:\n  incident: [INC]\nlabels:\n  change: [CHG]\n", ["line 5", "key labels is written twice",
                                                                           "first on line 3"]),
        (ROLES + "audit_issue:\n  title: A\n  confidential: true\n  title: B\n", ["line 6", "audit_issue.title"]),
        ("roles:\n  pm: {primary: alice, primary: bob}\n", ["line 2", "roles.pm.primary is written twice"]),
        # user names
        ("roles:\n  product_manager: {primary: '@alice'}\n", ["line 2", "roles.product_manager.primary",
                                                              '"@alice" is written with @']),
        (ROLES.replace("[bob]", "[bob, '@carol']"), ["line 2", "roles.product_manager.backups[1]", "@"]),
        ("roles:\n  product_manager:\n    primary: Alice Martin\n", ["line 3", "roles.product_manager.primary",
                                                                    "is not a GitLab user name"]),
        ("roles:\n  product_manager: {primary: alice., backups: [bob]}\n", ["not a GitLab user name"]),
        # a person who is their own backup
        ("roles:\n  product_manager:\n    primary: alice\n    backups: [bob, Alice]\n",
         ["line 4", "roles.product_manager.backups[1]", "own backup"]),
        # project paths
        (ROLES + "gitlab:\n  project: https://gitlab.example.com/umami-wallet/umami\n",
         ["line 4", "gitlab.project", "is a URL"]),
        (ROLES + "gitlab:\n  project: umami-wallet/umami/\n", ["line 4", "gitlab.project", "slash"]),
        (ROLES + "audit_issue:\n  project: compliance/audits/\n", ["line 4", "audit_issue.project"]),
        (ROLES + "meeting:\n  project: http://gitlab.example.com/team/ipm\n", ["meeting.project", "is a URL"]),
        (ROLES + "gitlab:\n  group: umami-wallet/\n", ["gitlab.group"]),
        # labels in two roles
        (ROLES + "labels:\n  incident: [INC]\n  exempt: [not-incident, inc]\n",
         ["line 5", "labels.exempt", '"inc" is also an incident label']),
        (ROLES + "labels:\n  exempt: [incident]\n", ["labels.exempt", "(labels.incident (by default))"]),
        (ROLES + "labels:\n  incident: [INC, CHG]\n", ["labels.change", "is also an incident label"]),
        # values of the wrong type
        (ROLES + 'audit_issue:\n  confidential: "no"\n', ["line 4", "audit_issue.confidential", '"no" is text',
                                                          "true or false"]),
        (ROLES + "audit_issue:\n  mention: yes please\n", ["audit_issue.mention", "true or false"]),
        (ROLES + "post_mortem:\n  due_days: seven\n", ["line 4", "post_mortem.due_days", "whole number"]),
        (ROLES + "audit_issue:\n  title:\n", ["line 4", "audit_issue.title", "an empty value"]),
        ("roles:\n  product_manager: {primary: }\n", ["roles.product_manager.primary", "an empty value"]),
        (ROLES + "templates:\n  incident.md: reprot\n", ["line 4", "templates.incident.md", '"reprot"']),
        # every message names the file and the line, those about roles, calendars and emoji too
        (ROLES + "meeting:\n  attendees: [cto]\n", ["line 4", "meeting.attendees", "'cto'"]),
        (ROLES + "calendar:\n  timezone: Mars/Olympus\n", ["line 4", "calendar.timezone"]),
        (ROLES + "post_mortem:\n  approval_emoji: [thumbsup, nope_nope]\n", ["line 4", "approval_emoji[1]"]),
        (ROLES + "rules:\n  ignore:\n    - INC001\n    - XYZ\n", ["line 6", "rules.ignore[1]"]),
        ("roles:\n  pm: {primary: alice}\n", ["line 1", "post_mortem.approvers (by default"]),
        (ROLES + "calendar:\n  holidays: [2026-01-01, 2026-13-01]\n", ["line 4", "calendar.holidays[1]",
                                                                       "a value cannot be read"]),
    ],
)
def test_a_configuration_mistake_is_refused_naming_file_line_and_key(tmp_path, content, expected):
    result, path = run_with(tmp_path, content)
    line = refused(result)
    assert str(path) in line
    for text in expected:
        assert text in line
    assert "None" not in line and "True" not in line and "False" not in line


def test_gitlab_user_names_as_gitlab_writes_them_are_accepted(tmp_path):
    content = "roles:\n  product_manager: {primary: alice.martin, backups: [bob_2, c-3po, Dave]}\n"
    result, _ = run_with(tmp_path, content)
    assert result.exit_code in (0, 1), result.stderr


def test_yaml_merge_keys_are_not_duplicates(tmp_path):
    content = "roles:\n  product_manager: &pm {primary: alice, backups: [bob]}\n"
    content += "  other:\n    <<: *pm\n    primary: carol\n"
    result, _ = run_with(tmp_path, content)
    assert result.exit_code in (0, 1), result.stderr
