"""The bot's comment on each incident with open findings (notify.incident_comment): created
once, edited in place as findings change, left alone when they do not, saying when all are
resolved, never an edit of someone else's comment; and never read as a post-mortem or an
approval. Against the fake GitLab over real HTTP, with the installed command."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fakegitlab import PROJECT

from inc_audit.config.file import BOT_MARKER
from tests.conftest import EXAMPLE_CONFIG, filled_post_mortem, filled_report, note
from tests.test_cli_live import audit, audit_issues, edit, fake  # noqa: F401 (fake is a fixture)
from tests.test_rules import codes, compliant

BOT = "inc-audit-bot"


def commenting(tmp_path: Path, mention: bool = False) -> Path:
    path = tmp_path / "commenting.yml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("  confidential: true\n", "  confidential: true\n"
                                                              f"  mention: {str(mention).lower()}\n")
    path.write_text(text + "notify:\n  incident_comment: true\n", encoding="utf-8")
    return path


def bot_notes(fake, iid: int) -> list:  # noqa: F811
    bot = next(u.id for u in fake.users.values() if u.username == BOT)
    return [n for n in fake.issue(PROJECT, iid).notes if n.author_id == bot and BOT_MARKER in n.body]


def note_writes(fake) -> list[tuple[str, str]]:  # noqa: F811
    return [(w.method, w.path) for w in fake.writes if "/notes" in w.path and "/issues/" in w.path]


def test_each_incident_with_findings_gets_one_comment_and_a_second_run_touches_nothing(fake, tmp_path):  # noqa: F811
    config = commenting(tmp_path)
    first = audit(fake, "--publish", config=config)
    assert first.returncode == 1, first.stderr
    assert "6 incident comment(s) written or edited" in first.stderr
    for iid in (5, 7, 10, 12, 14, 18):
        [comment] = bot_notes(fake, iid)
        assert "Incident policy audit:" in comment.body and "[the audit issue](" in comment.body
    assert bot_notes(fake, 11) == []  # its only finding is waived
    assert bot_notes(fake, 1) == []  # compliant
    [comment] = bot_notes(fake, 5)
    assert "| INC002 error |" in comment.body and "frank (incident author)" in comment.body
    assert "2026-02-04" in comment.body and "@" not in comment.body  # mentions are off
    assert "linked change #\u200b6" in comment.body  # no cross-reference to the change
    fake.clear_logs()
    second = audit(fake, "--publish", config=config)
    assert second.returncode == 1 and "incident comment" not in second.stderr
    assert fake.writes == []


def test_a_changed_incident_has_its_comment_edited_and_a_resolved_one_says_so(fake, tmp_path):  # noqa: F811
    config = commenting(tmp_path)
    audit(fake, "--publish", config=config)
    [before] = bot_notes(fake, 18)
    fake.clear_logs()
    edit(fake.issue(PROJECT, 18), filled_report())  # every INC002 on #18 answered
    after = audit(fake, "--publish", config=config)
    assert after.returncode == 1, after.stderr
    [comment] = bot_notes(fake, 18)
    assert comment.id == before.id and "every finding on this incident is resolved" in comment.body
    assert note_writes(fake) == [("PUT", f"/api/v4/projects/{PROJECT.replace('/', '%2F')}/issues/18/notes/{before.id}")]


def test_someone_elses_comment_with_the_marker_is_never_edited(fake, tmp_path):  # noqa: F811
    config = commenting(tmp_path)
    forged = fake.add_note(fake.issue(PROJECT, 5), f"{BOT_MARKER}\nnothing to see", author="frank")
    result = audit(fake, "--publish", config=config)
    assert result.returncode == 1, result.stderr
    assert forged.body == f"{BOT_MARKER}\nnothing to see"
    [mine] = bot_notes(fake, 5)
    assert mine.id != forged.id


def test_mentions_name_configured_members_for_new_findings_only(fake, tmp_path):  # noqa: F811
    config = commenting(tmp_path, mention=True)
    audit(fake, "--publish", config=config)
    [comment] = bot_notes(fake, 7)
    said = ("New since the last audit, for @alice (CHG001, IPM002, IPM003), @bob (CHG001, IPM002),"
            " @dave (CHG001, IPM002).")
    assert said in comment.body
    assert "@frank" not in comment.body  # an author, not a configured member


def test_a_dry_run_says_which_comments_it_would_write_and_writes_none(fake, tmp_path):  # noqa: F811
    config = commenting(tmp_path)
    result = audit(fake, "--publish", "--dry-run", config=config)
    assert "would comment on umami-wallet/umami#5" in result.stdout
    assert note_writes(fake) == [] and audit_issues(fake) == []


# --- the rules never read the bot's comment ------------------------------------------------


def test_the_bots_comment_is_no_post_mortem_but_the_same_text_from_anyone_else_is(umami):
    bot = replace(umami, notify=replace(umami.notify, bot_user=BOT))
    source, subject = compliant()
    marked = note(101, f"{BOT_MARKER}\n{filled_post_mortem()}", author=BOT, days_ago=25)
    source.issues[0] = replace(subject, notes=(marked,))
    source.award(source.issues[0], 101, "thumbsup", "alice")
    assert codes(source, bot) == ["IPM001"]
    source.issues[0] = replace(subject, notes=(replace(marked, author="dave"),))
    assert codes(source, bot) == []  # dave's comment with the marker is still his post-mortem
    assert codes(source, umami) == []  # no bot user known: no comment is the bot's


def test_the_bots_comment_is_no_approval(umami):
    roles = dict(umami.roles)
    bot = replace(umami, notify=replace(umami.notify, bot_user="alice"), roles=roles)
    source, subject = compliant()
    source.awards.clear()
    approval = note(200, f"{BOT_MARKER}\n**Approved** at the IPM meeting.", author="alice", days_ago=21)
    source.issues[0] = replace(subject, notes=(*subject.notes, approval))
    assert codes(source, bot) == ["IPM003"]
    source.issues[0] = replace(subject, notes=(*subject.notes, replace(approval, body="**Approved** at the IPM.")))
    assert codes(source, bot) == []
