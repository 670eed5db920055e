"""Deferrals that say when the answer comes, wait on something named, or put the subject off to a
later talk: read by their words' classes (``times``, ``askers``, ``markers`` in the vocabulary's
``deferrals``), none of these lines listed; and the near misses that name something of their own."""

from __future__ import annotations

import pytest

from inc_audit.reading.vocabulary import normalise
from tests.test_meaning import CHANGE, PM, REPORT, problems, with_follow_ups

CHANGE_HEAD = "## Summary\nRaise the RPC pool to 64.\n## Change procedure\n1. Merge !12\n2. Deploy\n"


def rollback_empty(plan: str) -> bool:
    return ("empty", "rollback") in problems(CHANGE, f"{CHANGE_HEAD}## Rollback plan\n{plan}\n")


# A deferral followed by a clause of time: the clause says when, whatever its words.
UNTIL = [
    "The impact will be described once the node team has measured how many sends used a domain.",
    "Captures à venir dès que j'ai accès au poste de Lucie.",
    "Will attach the logs once the vendor has opened the case on their side.",
    "Les chiffres seront partagés une fois que la compta aura clos le mois de mars.",
    "Screenshots to follow when Dana is back from the conference in Lisbon.",
    "Details will be added after the node operators publish their own timeline.",
]


@pytest.mark.parametrize("answer", UNTIL)
def test_a_deferral_followed_by_a_clause_of_time_is_no_answer(answer):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n"), answer
    assert ("empty", "impact") in problems(REPORT, f"### Potential impact\n{answer}\n"), answer


@pytest.mark.parametrize(
    "plan",
    [
        "will send the rollback steps after the window.",
        "The rollback procedure will be agreed with ops before the next window.",
        "La procédure de retour arrière sera définie avec l'exploitation avant la prochaine fenêtre.",
    ],
)
def test_a_rollback_plan_deferred_until_a_later_moment_is_no_plan(plan):
    assert rollback_empty(plan), plan


@pytest.mark.parametrize(
    "answer",
    [
        "Will add an alert on the signer queue once the fix ships.",
        "Bob will rotate the keys before Friday (#512).",
        "Users will see stale balances until the node catches up.",
        "The alert will fire when the queue holds more than 500 operations.",
        "Coming after the dry run of migration 0051 on staging-3 (!1951).",
        "Funds will be lost when the node restarts with the old keys.",
    ],
)
def test_a_line_with_words_of_its_own_before_its_clause_of_time_is_an_answer(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem), answer
    assert ("empty", "impact") not in problems(REPORT, f"### Potential impact\n{answer}\n"), answer


def test_a_rollback_with_its_way_back_before_a_clause_of_time_is_a_plan():
    assert not rollback_empty("We will run helm rollback umami 41 once the error rate passes 1%.")
    assert not rollback_empty("Revert !12 before the next window if the pool saturates.")


# Waiting on something named next: the reference or name is what it waits on, not where it is.
@pytest.mark.parametrize(
    "answer",
    [
        "Pending vendor ticket #4411 (Cloudflare)",
        "Awaiting Cloudflare ticket 4411.",
        "En attente du ticket fournisseur #4411.",
        "Waiting on Lucie.",
    ],
)
def test_an_answer_waiting_on_something_named_is_no_answer(answer):
    assert ("empty", "root_cause") in problems(PM, f"### Root cause\n{answer}\n"), answer


@pytest.mark.parametrize(
    "answer",
    [
        "Tracked in #5311.",
        "Pending operations piled up because the injector stalled on a full mempool.",
        "Pending transactions were dropped when the node restarted (#4411).",
    ],
)
def test_a_waiting_word_beside_words_of_its_own_is_an_answer(answer):
    assert ("empty", "root_cause") not in problems(PM, f"### Root cause\n{answer}\n"), answer


@pytest.mark.parametrize(
    "answer", ["Pending MR !1951", "Pending #4411.", "Awaiting !1951 (the alert on the signer queue)."]
)
def test_a_follow_up_pending_on_a_reference_of_its_own_names_where_it_is(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem), answer


# Putting the subject off to a later talk, in the French present that means the future.
@pytest.mark.parametrize("answer", ["On en reparle à la rétro.", "On en rediscute lundi.", "À rediscuter en réunion."])
def test_talking_it_over_again_later_is_no_follow_up(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") in problems(PM, post_mortem), answer


def test_having_talked_it_over_with_an_outcome_is_a_follow_up():
    answer = "On en a reparlé : la règle d'alerte sur la file du signer est ajoutée (#618)."
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem)


def test_a_clause_of_time_is_read_apart_only_after_a_deferral_that_names_what_it_defers():
    deferrals = REPORT.vocabulary.deferrals
    assert deferrals is not None
    assert deferrals.kind("once") == "times" and deferrals.kind("until") == "times"
    assert deferrals.defers(normalise("Logs will be attached once the vendor has rebuilt their exporter."))
    assert not deferrals.defers(normalise("Coming once the vendor has rebuilt their exporter."))
    assert not deferrals.defers(normalise("Once the vendor has rebuilt their exporter, logs will be attached."))


def test_an_abbreviated_nature_label_is_the_nature_and_tbc_leaves_it_empty():
    text = (
        "**INC nat.:** tbc\n**Disc.:** on-call page, 02:14 UTC, alert NodeHeadLag>20\n"
        "**Pot. imp.:** balances stale for all users while head lags\n"
        "**Evid.:** head level 5 812 300 vs public 5 812 341\n"
    )
    found = problems(REPORT, text)
    assert ("empty", "nature") in found
    assert ("missing", "nature") not in found
    answered = problems(REPORT, text.replace("tbc", "the indexer stopped following the head"))
    assert not {p for p in answered if p[1] == "nature"}


# Talking it over with someone or at an occasion, not in the past, puts the answer off.
@pytest.mark.parametrize(
    "answer",
    [
        "Talk about it at the retro.",
        "Discuss at the next IPM.",
        "On verra à la rétro.",
        "On en parle lundi.",
        "We'll chat with the team.",
        "À trancher avec le management.",
    ],
)
def test_talking_it_over_with_someone_or_at_an_occasion_is_no_follow_up(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") in problems(PM, post_mortem), answer


@pytest.mark.parametrize(
    "answer",
    [
        "Discuss the fee cap with the vendor and raise it to 0.5 tez (#702).",
        "Agreed with management: we pause the airdrop until the signer is fixed.",
        "Décidé en réunion : on garde 2.3.0 jusqu'au correctif (#640).",
        "I think the vendor's cache purge missed the Asian POPs.",
    ],
)
def test_a_talk_with_an_outcome_or_an_object_of_its_own_is_an_answer(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem), answer
    assert ("empty", "root_cause") not in problems(PM, f"### Root cause\n{answer}\n"), answer


def test_a_talk_that_took_place_is_no_deferral():
    deferrals = PM.vocabulary.deferrals
    assert deferrals is not None
    assert deferrals.defers(normalise("Discuss with the vendor."))
    assert not deferrals.defers(normalise("Discussed with the vendor."))
    assert not deferrals.defers(normalise("Think about it."))  # no one and no occasion to talk with or at


@pytest.mark.parametrize("answer", ["À définir en comité.", "To be defined in committee.", "Pending CAB approval."])
def test_an_answer_left_to_a_committee_is_no_follow_up(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") in problems(PM, post_mortem), answer


def test_what_a_committee_decided_is_an_answer():
    answer = "The CAB approved moving the signer to two replicas on Tuesday (#733)."
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem)
