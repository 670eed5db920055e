"""Answers that say nothing specific (reading/bare.py, ``empty`` and ``discourse`` in the
vocabulary's ``bare-answers``): short or a few sentences long, once function words are set aside
no word of them names anything: no number or time, identifier, code, link, mention or reference,
no name (a capitalised word inside a sentence), and every word vague, of process or of judgement.
A bare "None" as the follow-ups after an incident that hit a population (a count of a hundred
people or more) needs its reason. Each reading has near misses that keep their verdict."""

from __future__ import annotations

import pytest

from inc_audit.reading.bare import _SPECIFIC
from tests.test_meaning_vague import plan, post_mortem_with, report_with

EMPTY_NATURE = (
    "We are currently experiencing an unexpected situation affecting part of the platform. The team is "
    "aware and is actively investigating the matter to understand what is going on."
)
EMPTY_DISCOVERY = (
    "It was discovered through our usual monitoring and communication channels, as is standard for this "
    "kind of situation, and was escalated appropriately."
)
EMPTY_CAUSE = (
    "The root cause was a combination of several contributing factors across our systems and processes. "
    "A number of gaps were identified which, taken together, allowed the situation to occur."
)
EMPTY_IMPACT = (
    "The impact was limited in scope and duration. A subset of users may have experienced some temporary "
    "inconvenience, but overall the platform remained largely functional."
)
EMPTY_PLAN = (
    "Should the change not behave as expected, the team will assess the situation and take the appropriate "
    "measures to restore service, following our established procedures and best practices."
)


@pytest.mark.parametrize(
    ("part", "answer"),
    [
        ("nature", "Issue with the app."),
        ("nature", EMPTY_NATURE),
        ("discovery", "Reported."),
        ("discovery", "Par hasard."),
        ("discovery", EMPTY_DISCOVERY),
        ("impact", "Could be bad."),
    ],
)
def test_a_report_answer_with_nothing_specific_is_none(part, answer):
    assert ("empty", part) in report_with(part, answer)


@pytest.mark.parametrize(
    ("part", "answer"),
    [
        ("nature", "Issue with the Umami app."),  # a name
        ("nature", "Users could not sign with Ledger."),
        ("nature", "The signer crashes."),  # a word outside the lexicon
        ("nature", "DNS issue."),
        ("nature", "Phishing."),
        ("nature", EMPTY_NATURE.replace("part of the platform", "the Tezos indexer")),
        ("nature", EMPTY_NATURE.replace("platform.", "platform since 14:05.")),  # a time
        ("discovery", "Sentry alert."),
        ("discovery", "Monitoring."),
        ("discovery", "Reported by a user on Twitter."),
        ("discovery", "Par hasard, en regardant Grafana."),
        ("discovery", EMPTY_DISCOVERY.replace("appropriately.", "appropriately by @alice.")),  # a mention
        ("discovery", EMPTY_DISCOVERY.replace("channels", "channels (#umami-alerts)")),  # a reference
        ("impact", "Could be bad: users may resend and pay fees twice."),
    ],
)
def test_a_report_answer_that_names_something_answers(part, answer):
    assert not report_with(part, answer)


@pytest.mark.parametrize(
    ("part", "answer"),
    [
        ("cause", "Third-party issue."),
        ("cause", EMPTY_CAUSE),
        ("impact", "Minor."),
        ("impact", "Impact limité."),
        ("impact", EMPTY_IMPACT),
        ("follow", "Être plus vigilant."),
    ],
)
def test_a_post_mortem_answer_with_nothing_specific_is_none(part, answer):
    assert post_mortem_with(**{part: answer})


@pytest.mark.parametrize(
    ("part", "answer"),
    [
        ("cause", "Third-party issue: TzKT returned 502 for every call."),
        ("cause", "The root cause was a combination of factors: a short timeout in the config loader and a slow TzKT."),
        ("impact", "Minor: two users saw a stale balance for a minute."),
        ("impact", "Impact limité aux utilisateurs de Ledger."),
        ("impact", "The impact was limited: a subset of users could not send for ten minutes."),
        ("follow", "Être plus vigilant sur les timeouts du chargeur de config."),
        ("follow", "Restart the pods."),
        ("follow", "will add an alert on the signer queue"),
        ("follow", "Bob will rotate the keys by Friday (#512)"),
        ("follow", "tracked in #5311"),
    ],
)
def test_a_post_mortem_answer_that_names_something_answers(part, answer):
    assert not post_mortem_with(**{part: answer})


@pytest.mark.parametrize("answer", ["Restore from backup.", "Restaurer la sauvegarde.", EMPTY_PLAN])
def test_a_rollback_plan_that_names_no_backup_step_or_command_is_none(answer):
    assert ("empty", "rollback") in plan(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "Restore from the 09:00 backup.",
        "Restore the nightly pg_dump backup of the config table.",
        "Should the change not behave as expected, run helm rollback umami-backend 41.",
    ],
)
def test_a_rollback_plan_that_names_its_backup_or_command_answers(answer):
    assert ("empty", "rollback") not in plan(answer)


@pytest.mark.parametrize(
    ("text", "specific"),
    [
        ("the team is investigating", False),
        ("The team is investigating. We know more soon.", False),  # a sentence's first word is no name
        ("the Umami team is investigating", True),
        ("I think it is fine", False),  # "I" is no name
        ("escalated to infra_oncall", True),
        ("see tzkt/api", True),
        ("the configLoader", True),
        ("run `make`", True),
        ("since 14:05", True),
    ],
)
def test_what_is_specific_as_written(text, specific):
    assert bool(_SPECIFIC.search(text)) is specific


@pytest.mark.parametrize(
    "impact",
    [
        "36 minutes during which about 4,100 active mainnet sessions saw zero balances; no funds lost.",
        "Environ 1 200 utilisateurs ont vu des soldes à zéro pendant 36 minutes.",
        "350 customers saw their sends fail for an hour.",
    ],
)
def test_a_bare_none_after_an_incident_that_hit_a_population_is_no_follow_up(impact):
    assert ("empty", "follow_up") in post_mortem_with(impact=impact, follow="None.")


@pytest.mark.parametrize(
    "impact",
    [
        "One user lost 20 tez to a phishing site; 12 support tickets.",
        "3 users could not log in for 40 minutes.",
        "No user out of 4,100 active sessions saw it: the canary stopped the rollout.",
        "36 minutes of stale fiat values; 4,100 requests failed and were retried.",
    ],
)
def test_a_bare_none_after_a_narrower_incident_or_a_count_of_no_people_stands(impact):
    assert ("empty", "follow_up") not in post_mortem_with(impact=impact, follow="None.")
