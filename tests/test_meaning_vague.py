"""Answers too vague to say anything in their part (reading/bare.py, ``by-concept`` in the
vocabulary): a category where the question wants the thing (``Config issue.``, ``Outage.``), a
vague quantity of people where it wants what they suffered (``Some users.``), an intention with
no object where it wants what to do (``Improve monitoring.``), a wish where it wants a way back
(``Rollback if needed.``); a reasoned none; a bare "None" as the follow-ups of an incident that
hurt everyone. Each reading has near misses that must keep their verdict."""

from __future__ import annotations

import pytest

from tests.test_meaning import CHANGE, PM, REPORT, problems

REPORT_TEXT = (
    "### What is the nature of the incident?\n{nature}\n"
    "### How the incident was discovered?\n{discovery}\n"
    "### What is the potential impact of the incident?\n{impact}\n"
    "### What is the evidence (i.e. screenshots, logs, etc)?\n{evidence}\n"
)
REPORT_REAL = {
    "nature": "The mainnet indexer stopped at level 6,201,344; balances are frozen there.",
    "discovery": "Prometheus alert `IndexerLagHigh` in #umami-alerts at 09:02 UTC.",
    "impact": "Users see stale balances and cannot send.",
    "evidence": "https://grafana.example.com/d/indexer-lag",
}
PM_TEXT = (
    "### What is the root cause analysis of the INC?\n{cause}\n"
    "### What was the actual adverse impact of the INC?\n{impact}\n"
    "### Are there follow up recommendations?\n{follow}\n"
)
PM_REAL = {
    "cause": "The archive node's disk filled up after log rotation was disabled in the last Helm upgrade.",
    "impact": "46 minutes of stale balances; 22 support tickets; no funds lost.",
    "follow": "- Re-enable log rotation in the chart and add a test for it (#320, Corentin)",
}
CHANGE_TEXT = (
    "## Emergency change\n\n### Summary\nRe-enable log rotation on the archive node (#310).\n\n"
    "### Change Procedure\n1. `helm upgrade archive-node --set logrotate.enabled=true`\n\n"
    "## Rollback plan\n{plan}\n"
)


def report_with(part: str, answer: str) -> set[tuple[str, str]]:
    return problems(REPORT, REPORT_TEXT.format(**{**REPORT_REAL, part: answer}))


def post_mortem_with(**answers: str) -> set[tuple[str, str]]:
    return problems(PM, PM_TEXT.format(**{**PM_REAL, **answers}))


def plan(answer: str) -> set[tuple[str, str]]:
    return problems(CHANGE, CHANGE_TEXT.format(plan=answer))


def test_the_real_documents_answer_every_part():
    assert report_with("nature", REPORT_REAL["nature"]) == set()
    assert post_mortem_with() == set()
    assert plan("`helm rollback archive-node 17`, then check `/health`.") == set()


# A category where the question wants the thing: a word every incident is, beside a layer
# every system has ("backend", "network", "config") or alone.


@pytest.mark.parametrize(
    "cause", ["Config issue.", "Network problem.", "A bug in the backend.", "Problème réseau.", "Server error."]
)
def test_a_category_is_no_root_cause(cause):
    assert ("empty", "root_cause") in post_mortem_with(cause=cause)


@pytest.mark.parametrize(
    "cause",
    [
        "Wrong config value for RPC_TIMEOUT.",
        "Backend bug: the cache key lacks the network, so testnet balances were served on mainnet.",
        "DNS issue.",
        "Disk full on db-2.",
        "Network problem between the two data centres.",
    ],
)
def test_a_cause_that_names_what_failed_answers(cause):
    assert ("empty", "root_cause") not in post_mortem_with(cause=cause)


@pytest.mark.parametrize("nature", ["Outage.", "Panne.", "A major outage."])
def test_an_outage_alone_is_no_nature(nature):
    assert ("empty", "nature") in report_with("nature", nature)


@pytest.mark.parametrize("nature", ["API outage: `api.umamiwallet.com` returns 502.", "Indexer down.", "Phishing."])
def test_an_outage_of_something_named_answers(nature):
    assert ("empty", "nature") not in report_with("nature", nature)


# An impact: a vague quantity, being affected or complaints, people beside them.


@pytest.mark.parametrize(
    "impact",
    [
        "Some users may be affected.",
        "Some users.",
        "A few complaints.",
        "Quelques utilisateurs.",
        "Plusieurs utilisateurs touchés.",
        "Users may be affected.",
    ],
)
def test_a_vague_scope_is_no_impact(impact):
    assert ("empty", "impact") in report_with("impact", impact)
    assert ("empty", "actual_impact") in post_mortem_with(impact=impact)


@pytest.mark.parametrize(
    "impact",
    [
        "Some users see errors on send.",
        "Some users on Ledger could not sign for 2 h.",
        "12 users affected for 40 minutes.",
        "All users.",
        "Quelques utilisateurs n'ont pas pu envoyer pendant 3 h (17 tickets).",
    ],
)
def test_an_impact_that_says_who_or_what_answers(impact):
    assert ("empty", "impact") not in report_with("impact", impact)


@pytest.mark.parametrize("answer", ["Some users.", "A few complaints.", "Monitoring."])
def test_a_word_vague_in_one_part_answers_another(answer):
    """'Some users.' or 'A few complaints.' say how an incident was found (people told us),
    as 'Monitoring.' does; they are vague only where the question is what users suffered."""
    assert ("empty", "discovery") not in report_with("discovery", answer)


# Follow-ups: improving, fixing or watching with no object, a practice, care.


@pytest.mark.parametrize(
    "follow",
    [
        "Improve monitoring.",
        "Be more careful.",
        "- Monitoring\n- Testing\n- Documentation",
        "Monitor, and fix if it happens again.",
        "Renforcer la surveillance.",
        "Add tests.",
        "Keep monitoring.",
    ],
)
def test_an_intention_with_nothing_to_do_is_no_follow_up(follow):
    assert ("empty", "follow_up") in post_mortem_with(follow=follow)


@pytest.mark.parametrize(
    "follow",
    [
        "Improve monitoring: alert when the indexer is more than 10 blocks behind head (#412, Corentin).",
        "Add a reorg test to CI (#415).",
        "will add an alert on the signer queue",
        "Bob will rotate the keys by Friday (#512).",
        "Tracked in #5311.",
        "Canary deploys.",
        "Pin node versions.",
        "Monitor the archive node's disk usage.",
        "Stay on node 19.3 until the reorg fix ships (#77).",
    ],
)
def test_a_follow_up_with_an_object_answers(follow):
    assert ("empty", "follow_up") not in post_mortem_with(follow=follow)


def test_monitoring_is_vague_as_a_follow_up_only():
    assert ("empty", "follow_up") in post_mortem_with(follow="Monitoring.")
    assert ("empty", "discovery") not in report_with("discovery", "Monitoring.")


# Rollback plans: the words of going back and of needing to, with no mechanism.


@pytest.mark.parametrize(
    "answer",
    [
        "Revert.",
        "Revert the change.",
        "Rollback if needed.",
        "Si besoin.",
        "Revenir en arrière si besoin.",
        "Rollback is straightforward.",
        "Standard rollback.",
        "We'll roll forward with a fix if anything breaks.",
    ],
)
def test_a_wish_is_no_rollback_plan(answer):
    assert ("empty", "rollback") in plan(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "Revert MR !1420 and redeploy 2.3.1",
        "helm rollback umami 41",
        "Restore from the 09:00 backup",
        "git revert abc123",
        "Roll back the Helm release.",
        "Disable the feature flag `new_fee_estimator`.",
        "Switch back to the old node pool.",
    ],
)
def test_a_short_plan_that_names_its_mechanism_answers(answer):
    assert ("empty", "rollback") not in plan(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "N/A: the change only adds a Grafana panel, nothing to roll back.",
        "Sans objet : le changement n'ajoute qu'un panneau Grafana.",
    ],
)
def test_a_change_that_only_adds_something_needs_no_other_way_back(answer):
    assert ("empty", "rollback") not in plan(answer)


@pytest.mark.parametrize("answer", ["N/A: nothing to roll back.", "n/a — no user-facing change", "N/A"])
def test_an_na_that_says_nothing_of_the_change_is_no_plan(answer):
    assert ("empty", "rollback") in plan(answer)


# Evidence said to be attached, with nothing attached.


def test_evidence_said_attached_and_not_shown_is_none_but_shown_or_named_it_answers():
    assert ("empty", "evidence") in report_with("evidence", "Screenshots attached.")
    assert ("empty", "evidence") not in report_with("evidence", "Screenshot attached: ![lag](/uploads/ab/lag.png)")
    assert ("empty", "evidence") not in report_with("evidence", "curl output attached.")


# Reasoned negatives.


@pytest.mark.parametrize(
    "impact",
    [
        "No user impact (testnet only).",
        "No user impact: testnet only.",
        "Aucun impact utilisateur (testnet uniquement).",
    ],
)
def test_a_none_with_a_short_reason_answers(impact):
    assert ("empty", "impact") not in report_with("impact", impact)
    assert ("empty", "actual_impact") not in post_mortem_with(impact=impact)


@pytest.mark.parametrize("impact", ["No impact (so far).", "None (yet).", "No impact."])
def test_a_none_whose_aside_names_nothing_is_no_reason(impact):
    assert ("empty", "impact") in report_with("impact", impact)


# A bare "None" as the follow-ups stands, unless the impact says everyone was hurt.


@pytest.mark.parametrize(
    "impact",
    [
        "46 minutes of stale balances for all mainnet users; 22 support tickets; no funds lost.",
        "Stale balances for everyone during 2 h.",
        "Tous les utilisateurs ont vu des soldes figés pendant 46 minutes.",
    ],
)
def test_a_bare_none_after_an_incident_that_hurt_everyone_is_no_follow_up(impact):
    assert ("empty", "follow_up") in post_mortem_with(impact=impact, follow="None")


@pytest.mark.parametrize(
    "impact",
    [
        "Fiat values were three days old over a weekend; no user reported it.",
        "3 users could not log in for an hour.",
        "Not all users were hit: only 3 could not log in.",
        "All users were unaffected: the canary stopped the rollout.",
    ],
)
def test_a_bare_none_after_a_narrower_incident_stands(impact):
    assert ("empty", "follow_up") not in post_mortem_with(impact=impact, follow="None")


def test_a_reasoned_none_after_an_incident_that_hurt_everyone_stands():
    impact = "46 minutes of stale balances for all mainnet users."
    follow = "None: CHG #311 removes the cause entirely, and the regression test added with it covers the case."
    assert ("empty", "follow_up") not in post_mortem_with(impact=impact, follow=follow)
