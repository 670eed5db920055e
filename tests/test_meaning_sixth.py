"""Reading by meaning, from a sixth independent verdict set: new heading words by their class
(observed symptoms, underlying causes, decisions taken, unwinding, Polish), placeholders in
angle brackets, struck-through answers, deferrals that end on a condition, final operations,
and the near-misses that must keep their verdict."""

from __future__ import annotations

import pytest

from tests.test_meaning import CHANGE, PM, REPORT, part_of, problems


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (REPORT, "Ce qu'on observe", "nature"),
        (REPORT, "Comment l'avons-nous appris ?", "discovery"),
        (REPORT, "Splash zone", "impact"),
        (REPORT, "Charakter incydentu", "nature"),
        (REPORT, "Jak wykryto incydent", "discovery"),
        (REPORT, "Potencjalny wpływ", "impact"),
        (REPORT, "Dowody", "evidence"),
        (PM, "Underlying defect", "root_cause"),
        (PM, "D'où ça vient", "root_cause"),
        (PM, "Décisions prises", "follow_up"),
        (PM, "Where we go from here", "follow_up"),
        (PM, "Analiza przyczyn", "root_cause"),
        (PM, "Rzeczywisty wpływ", "actual_impact"),
        (PM, "Rekomendacje", "follow_up"),
        (CHANGE, "Unwind", "rollback"),
        (CHANGE, "Plan wycofania", "rollback"),
    ],
)
def test_heading_words_of_a_known_class_name_their_section(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (REPORT, "Where the alarm came from", "discovery"),  # a detection, not a cause
        (PM, "Leçons apprises", "follow_up"),  # learned lessons stay follow-ups
        (REPORT, "Observed impact", "impact"),  # "observed" qualifies the impact
    ],
)
def test_near_misses_keep_their_section(schema, heading, part):
    assert part_of(schema, heading) == part


def test_a_label_with_a_preposition_and_a_typo_is_read():
    text = "**Nautre of INC:** signing fails\n**Dicsovered via:** a DM on Discord\n**Evd.:** `0x6985`\n"
    assert not {part for _, part in problems(REPORT, text + "**Impact:** all Ledger users blocked\n")}


def test_a_placeholder_in_angle_brackets_is_no_html_block():
    text = (
        "## Nature\nNaN shown.\n## How discovered?\nAlert.\n## Impact\n<describe impact here>\n"
        "## Evidence\nhttps://grafana.example/d/rewards\n"
    )
    assert problems(REPORT, text) == {("empty", "impact")}
    html = "## Nature\nNaN shown.\n## How discovered?\nAlert.\n## Impact\n<span style=\"color:red\">\nAll users.\n"
    assert ("empty", "impact") not in problems(REPORT, html + "## Evidence\nhttps://grafana.example/d/1\n")


@pytest.mark.parametrize(
    "answer",
    ["~~Users may think they were double charged.~~ (struck, to be rewritten)",
     "~~All 212 buyers could not buy tez.~~"],
)
def test_struck_through_text_is_taken_back(answer):
    assert ("empty", "impact") in problems(REPORT, f"### Impact\n{answer}\n")


def test_text_beside_a_struck_word_still_answers():
    assert ("empty", "impact") not in problems(REPORT, "### Impact\n~~200~~ 212 users could not buy tez.\n")


@pytest.mark.parametrize(
    "plan",
    [
        "Ops will sort it out on the day if needed.",
        "On-chain operations are final.",
        "~~Revert MR !1301.~~ Not applicable any more, see thread.",
    ],
)
def test_rollback_plans_that_defer_or_are_final_without_compensation(plan):
    assert ("empty", "rollback") in problems(CHANGE, f"### Summary\nx y z\n### Rollback plan\n{plan}\n")


@pytest.mark.parametrize(
    "plan",
    [
        "Ops will handle the rollback by reverting MR !1301.",
        "Transfers are final, so we keep the refund batch paused and replay it from the backup.",
        "Redeploy 2.3.2 if needed.",
    ],
)
def test_rollback_plans_that_say_how_stay_plans(plan):
    assert ("empty", "rollback") not in problems(CHANGE, f"### Summary\nx y z\n### Rollback plan\n{plan}\n")


@pytest.mark.parametrize("answer", ["Chiffrage pas encore disponible.", "Do ustalenia.", "Brak."])
def test_french_and_polish_non_answers(answer):
    text = f"### Root cause\nThe key expired.\n### Impact\n{answer}\n### Follow-ups\n#12\n"
    assert ("empty", "actual_impact") in problems(PM, text)


@pytest.mark.parametrize(
    "answer",
    ["Will add an alert on the signer queue if the backlog grows.", "Bob will rotate the keys by Friday (#512).",
     "Tracked in #5311."],
)
def test_follow_ups_with_a_condition_or_a_pointer_stay_follow_ups(answer):
    text = f"### Root cause\nThe key expired.\n### Impact\n3 h.\n### Follow-ups\n{answer}\n"
    assert ("empty", "follow_up") not in problems(PM, text)


@pytest.mark.parametrize(
    "impact, empty",
    [
        ("3 DAO treasuries could not see or sign proposals for 5 days.", True),
        ("Staking page broken for 2 weeks.", True),
        ("Une trésorerie bloquée pendant 3 jours.", True),
        ("3 DAO treasuries could not sign for 40 minutes.", False),
        ("Not 5 days: the page was back within the hour.", False),
        ("One tester, 1 day.", False),
    ],
)
def test_a_bare_none_after_harm_that_lasted_days_recommends_nothing(impact, empty):
    text = f"### Root cause\nThe client retried forever.\n### Impact\n{impact}\n### Recommendations\nNone.\n"
    assert (("empty", "follow_up") in problems(PM, text)) is empty


def test_ce_qui_se_passe_names_what_happens():
    assert part_of(REPORT, "Ce qui se passe") == "nature"


@pytest.mark.parametrize(
    "schema, heading, part",
    [(CHANGE, "Rolbak plan", "rollback"), (CHANGE, "Implemntaton", "procedure"), (REPORT, "Scrnshot", "evidence")],
)
def test_a_long_root_word_missing_two_letters_is_read(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize("heading", ["Station", "Motoring", "Commendation"])
def test_two_letters_left_out_of_a_root_words_start_name_nothing(heading):
    assert part_of(REPORT, heading) is None and part_of(PM, heading) is None


def test_an_irreversible_change_that_leaves_the_state_as_it_was_on_failure_has_a_plan():
    plan = (
        "N/A — domain renewal cannot be reverted and there is nothing to undo: if the transfer fails "
        "the domain stays at the old registrar, already renewed."
    )
    assert ("empty", "rollback") not in problems(CHANGE, f"### Summary\nRenew the domain.\n### Rollback plan\n{plan}\n")
    final = "Point of no return: once the batch is injected it's on chain. Nothing to roll back."
    assert ("empty", "rollback") in problems(CHANGE, f"### Summary\nInject the batch.\n### Rollback plan\n{final}\n")


@pytest.mark.parametrize(
    "heading, part",
    [("Worst outcome for holders", "impact"), ("Who is exposed", "impact"), ("Backing material", "evidence")],
)
def test_outcome_exposure_and_backing_material_name_their_section(heading, part):
    assert part_of(REPORT, heading) == part


def test_being_pinged_reads_as_how_it_was_found():
    text = (
        "## What is going on\nSends to .tez names resolve to the previous owner.\n"
        "## Who told us\nTezos Domains team pinged us on Slack.\n"
        "## Impact\nFunds sent to the wrong person.\n## Evidence\n`alice.tez` at level 5,812,004.\n"
    )
    assert problems(REPORT, text) == set()


@pytest.mark.parametrize("value", ["null", "~", "NULL"])
def test_an_empty_value_as_a_serialisation_writes_it_is_no_answer(value):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{value}\n")


def test_a_word_beside_null_still_answers():
    text = "### Evidence\nnull pointer in `signer.ts:42`, trace in #812\n"
    assert ("empty", "evidence") not in problems(REPORT, text)


def test_see_slack_and_asking_someone_defer_and_a_named_place_does_not():
    deferrals = REPORT.vocabulary.deferrals
    assert deferrals is not None
    assert deferrals.defers("see slack.") and deferrals.defers("ask bob, he did the rca in the war room.")
    assert not deferrals.defers("tracked in #5311")
    assert not deferrals.defers("bob will rotate the keys by friday (#512)")
    assert not deferrals.defers("will add an alert on the signer queue")


def test_a_bilingual_pair_whose_one_half_names_the_document_is_read_by_the_other():
    assert part_of(REPORT, "Incident / Ce qui se passe") == "nature"
    assert part_of(REPORT, "Incident") is None  # alone it names the document, no section
    assert part_of(REPORT, "Incident / Incident") is None


@pytest.mark.parametrize("heading", ["D'où ça vient", "D'où vient le problème ?"])
def test_where_it_comes_from_names_the_root_cause(heading):
    assert part_of(PM, heading) == "root_cause"
