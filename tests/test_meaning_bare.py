"""Answers too bare to say anything (reading/bare.py), and bare negatives that need a reason:
signs only, replies to a yes-or-no question, what every incident is, kinds of evidence named
and not shown; a bare "None" as an impact stands only on a reason, in its line or elsewhere."""

from __future__ import annotations

import pytest

from tests.test_meaning import CHANGE, PM, REPORT, problems

FULL_REPORT = (
    "### What is the nature of the incident?\n{nature}\n"
    "### How the incident was discovered?\n{discovery}\n"
    "### What is the potential impact of the incident?\n{impact}\n"
    "### What is the evidence (i.e. screenshots, logs, etc)?\n{evidence}\n"
)
REAL = {
    "nature": "The signer rejects batches with a fee of 0.",
    "discovery": "Sentry alert at 13:02.",
    "impact": "Every batch transfer fails for all users.",
    "evidence": "https://sentry.example.com/issues/4411",
}


def report_with(part: str, answer: str) -> set[tuple[str, str]]:
    return problems(REPORT, FULL_REPORT.format(**{**REAL, part: answer}))


def test_the_real_report_answers_every_part():
    assert problems(REPORT, FULL_REPORT.format(**REAL)) == set()


@pytest.mark.parametrize("part", ["nature", "discovery", "impact", "evidence"])
@pytest.mark.parametrize("answer", ["✅", "❌", "🤷", "👍🏻", ":white_check_mark:", "✅ ✅"])
def test_a_sign_alone_says_nothing(part, answer):
    assert ("empty", part) in report_with(part, answer)


@pytest.mark.parametrize(
    "part, answer",
    [
        ("discovery", "Yes."),
        ("discovery", "Oui"),
        ("discovery", "OK"),
        ("nature", "Bug."),
        ("nature", "A bug."),
        ("nature", "Just a minor issue."),
        ("nature", "Un souci."),
        ("nature", "Erreurs."),
        ("evidence", "Logs."),
        ("evidence", "Screenshots"),
        ("evidence", "Captures d'écran."),
        ("evidence", "Screenshots attached."),
        ("evidence", "logs attached"),
        ("evidence", "Captures d'écran ci-jointes."),
    ],
)
def test_replies_generic_words_and_kinds_of_evidence_say_nothing(part, answer):
    assert ("empty", part) in report_with(part, answer)


@pytest.mark.parametrize(
    "part, answer",
    [
        ("discovery", "Monitoring."),
        ("discovery", "Sentry alert."),
        ("discovery", "PagerDuty page."),
        ("nature", "Phishing."),
        ("nature", "Indexer down."),
        ("nature", "Bug in the fee estimator."),
        ("nature", "✅ signer fixed, ❌ indexer still down"),
        ("evidence", "signer logs attached"),
        ("evidence", "curl output attached."),
        ("evidence", "Logs of the signer show the 0 fee."),
        ("impact", "Stale balances for everyone."),
        ("impact", "Down for one day."),
        ("impact", "At some point every user saw a zero balance."),
    ],
)
def test_a_terse_answer_that_names_something_answers(part, answer):
    assert ("empty", part) not in report_with(part, answer)


@pytest.mark.parametrize("answer", ["Aucun.", "No impact.", "None", "N/A", "Rien.", "No user impact."])
def test_a_bare_none_as_the_potential_impact_is_no_assessment(answer):
    assert ("empty", "impact") in report_with("impact", answer)


@pytest.mark.parametrize(
    "answer",
    [
        "No funds lost: signing re-reads the balance.",
        "None for mainnet users: the build only reached the beta channel.",
        "None expected, the explorer itself works.",
        "No user can connect the wallet to any dApp until the relay is back.",
        "None beyond the fix in CHG #591: the estimator now has batch tests.",
    ],
)
def test_a_none_with_its_reason_or_a_negative_statement_answers(answer):
    assert ("empty", "impact") not in report_with("impact", answer)


PM_TEXT = (
    "### What is the root cause analysis of the INC?\n{cause}\n"
    "### What was the actual adverse impact of the INC?\n{impact}\n"
    "### Are there follow up recommendations?\n{follow}\n"
)


@pytest.mark.parametrize(
    "cause",
    [
        "A monitoring rule fired on a test account's balance drop; there was no real fault.",
        "The page was a false alarm: the probe itself timed out.",
        "Fausse alerte : la sonde a expiré.",
        "Not a bug: the test account was drained on purpose.",
    ],
)
def test_a_bare_none_as_the_actual_impact_stands_on_a_reason_given_elsewhere(cause):
    text = PM_TEXT.format(cause=cause, impact="None", follow="Exclude test accounts from the rule (#425).")
    assert ("empty", "actual_impact") not in problems(PM, text)


@pytest.mark.parametrize(
    "cause",
    [
        "The third node could not absorb the load and started timing out.",
        "There was no error handling on the retry path of the signer.",
        "No alert fired because the rule was muted.",
    ],
)
def test_a_bare_none_as_the_actual_impact_with_no_reason_anywhere_is_none(cause):
    text = PM_TEXT.format(cause=cause, impact="No impact.", follow="Spread the pool over three zones (#603).")
    assert ("empty", "actual_impact") in problems(PM, text)


def test_ask_someone_defers_but_naming_where_it_is_answers():
    asked = PM_TEXT.format(cause="Ask Bob, he did the RCA in the war room.", impact="40 min.", follow="#671")
    assert ("empty", "root_cause") in problems(PM, asked)
    tracked = PM_TEXT.format(cause="Expired cert: renewal was manual.", impact="40 min.", follow="Tracked in #5311.")
    assert ("empty", "follow_up") not in problems(PM, tracked)


def test_a_bare_none_as_the_follow_ups_still_answers():
    cause, impact = "The cert expired: renewal was manual.", "40 min without balances."
    text = PM_TEXT.format(cause=cause, impact=impact, follow="None.")
    assert problems(PM, text) == set()


CHANGE_TEXT = (
    "## Emergency change — #540 Ledger chunk size\n\n### Summary\nShip desktop 2.4.2 with the transport pinned.\n\n"
    "### Change Procedure\n1. merge !1261, tag v2.4.2\n2. publish on the update server\n\n## Rollback plan\n{plan}\n"
)


@pytest.mark.parametrize(
    "plan",
    ["We'll roll forward.", "Roll forward.", "We will hotfix forward if needed.", "On corrigera en avant si besoin."],
)
def test_a_plan_that_is_only_a_fix_still_to_be_made_is_no_plan(plan):
    assert ("empty", "rollback") in problems(CHANGE, CHANGE_TEXT.format(plan=plan))


@pytest.mark.parametrize(
    "plan",
    [
        "Roll forward with 2.4.3 (already built).",
        "git revert the merge and hotfix later",
        "Disable the feature flag, then roll forward.",
        "Roll forward: ship a fix release.",
        "Redeploy 2.4.1.",
    ],
)
def test_a_forward_fix_with_something_of_its_own_is_a_plan(plan):
    assert ("empty", "rollback") not in problems(CHANGE, CHANGE_TEXT.format(plan=plan))


@pytest.mark.parametrize(
    "plan",
    [
        "n/a — no user-facing change: it only adds one alert rule; if it misfires, delete the rule and restart it.",
        "n/a: only adds a dashboard; if unwanted, remove it from the folder.",
        "Sans objet : ajoute une règle ; si elle se déclenche à tort, supprimer la règle.",
    ],
)
def test_a_reasoned_na_with_a_way_back_answers(plan):
    assert ("empty", "rollback") not in problems(CHANGE, CHANGE_TEXT.format(plan=plan))


@pytest.mark.parametrize(
    "plan",
    [
        "n/a — no user-facing change",
        "n/a",
        "No rollback possible once the rows are deleted.",
        "N/A. If it breaks, we cannot undo it.",
    ],
)
def test_an_na_without_a_way_back_is_no_plan(plan):
    assert ("empty", "rollback") in problems(CHANGE, CHANGE_TEXT.format(plan=plan))


@pytest.mark.parametrize(
    "answer",
    [
        "We will talk about next steps at some point.",
        "We will look at it eventually.",
        "On en reparlera un de ces jours.",
        "On y réfléchira plus tard.",
        "We'll think about it sooner or later.",
    ],
)
def test_a_vague_time_defers(answer):
    text = PM_TEXT.format(cause="The log volume had no rotation.", impact="23 min without pairing.", follow=answer)
    assert ("empty", "follow_up") in problems(PM, text)


@pytest.mark.parametrize(
    "answer",
    [
        "At some point we should shard the indexer.",
        "Will add an alert on the signer queue.",
        "Bob will rotate the keys by Friday (#512).",
        "Tracked in #5311.",
        "We will talk to the vendor about SLA credits.",
    ],
)
def test_a_follow_up_with_a_vague_time_or_a_future_still_answers(answer):
    text = PM_TEXT.format(cause="The log volume had no rotation.", impact="23 min without pairing.", follow=answer)
    assert ("empty", "follow_up") not in problems(PM, text)


@pytest.mark.parametrize("claim", ["Same as INC #123.", "Idem #123", "Comme l'incident #123.", "same as #123"])
def test_a_bare_claim_of_sameness_with_another_incident_says_nothing_of_this_one(claim):
    found = report_with("impact", claim)
    assert ("empty", "impact") in found


def test_a_claim_of_sameness_the_document_ties_itself_to_answers():
    nature = "Same as INC #412: the indexer stalls again on archive-node timeouts."
    text = FULL_REPORT.format(**{**REAL, "nature": nature, "impact": "Same as INC #412."})
    assert problems(REPORT, text) == set()


def test_a_relate_alone_links_the_issues_and_ties_no_claim_of_sameness():
    """``/relate #412`` says the issues are linked, not what is happening now: the claim still
    says nothing of this incident, as on the known-incident form."""
    text = "/relate umami-wallet/umami#412\n" + FULL_REPORT.format(**{**REAL, "nature": "Same as #412"})
    assert ("empty", "nature") in problems(REPORT, text)
    text = "/relate umami-wallet/umami#412\n" + FULL_REPORT.format(**{**REAL, "impact": "Same as INC #412."})
    assert ("empty", "impact") in problems(REPORT, text)


def test_a_claim_tied_only_by_another_bare_claim_stays_unanswered():
    text = FULL_REPORT.format(**{**REAL, "impact": "Same as INC #123.", "evidence": "Same as INC #123."})
    assert {("empty", "impact"), ("empty", "evidence")} <= problems(REPORT, text)


@pytest.mark.parametrize(
    "answer",
    ["Same as INC #412 (stale balances for all users).", "See #123 for the full trace.", "Tracked in #5311."],
)
def test_a_reference_with_words_of_its_own_answers(answer):
    assert ("empty", "impact") not in report_with("impact", answer)
