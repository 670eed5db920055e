"""Approvals read by meaning (issue #17): French and informal approvals, struck-through,
withdrawn, conditioned and redo-asking comments, approvals that stand or are taken back
over time, and what IPM003 says it read.

The phrasings below are written to be absent from ``schemas/approval.json`` as whole
phrases wherever they can: other inflections, other word orders, another frame for an
assent word. They pass because the words are read by their root and role, not listed.
"""

from __future__ import annotations

import pytest

from inc_audit.rules.approval import quote, settlers
from inc_audit.rules.reading import phrasings, read
from tests.conftest import note
from tests.test_approvals import PEOPLE, PM, ipm003, unapproved

FRENCH = [
    "Bon pour moi",
    "J'approuve ce post-mortem",
    "C'est tout bon de mon côté",
    "Validé",
    "Validée, merci Dave.",
    "Nous validons ce post-mortem.",
    "J’approuve.",
    "Approuvée en réunion IPM.",
    "Je donne mon approbation.",
    "Tout est bon pour moi.",
    "Parfait, validé de mon côté.",
    "Rien à signaler, c'est validé.",
    "Lu et approuvé.",
    "Je suis d'accord avec ce post-mortem.",
    "OK de mon côté.",
    "Ça me semble bon.",
    "Je confirme, c'est bon.",
    "Validé par moi.",
    "Accord de ma part pour ce post-mortem, merci Dave.",
]

INFORMAL = [
    "fine by me",
    "all good from my side",
    "good to go",
    "Good from my end.",
    "Fine with me 👍",
    "Totally fine by me.",
    "Validated.",
    "Happy with it, approving.",
    "Approved, with one follow-up: please file the CHG for the alert rule",
    "Approved. Nit: a typo in the timeline, fix it whenever.",
    "I'm satisfied with the post-mortem.",
    "Discussed at the IPM, then approved.",
    "Approved. No blockers.",
    "Approved. Edit: removed the typo note.",
    "L'impact a été corrigé, je valide.",
    "Je valide, merci de compléter l'impact quand tu peux.",
    "Approved after the update — thanks for adding the numbers.",
    "Approved :tada:",
    "I'm happy to sign this off.",
    "Good to close.",
    "Approve from my side.",
    "That's fine by me.",
    "Approved. Please add the ticket count to the impact section.",
]

# (comment, the reason IPM003 gives)
NOT_APPROVALS = [
    ("Pas d'accord de ma part.", "negated"),
    ("Accord de ma part si tu ajoutes la chronologie.", "conditional"),
    ("Waiting for approval from my side.", "not given yet"),
    ("Je ne valide pas encore.", "negated"),
    ("Pas bon pour moi.", "negated"),
    ("Je n'approuve pas ce post-mortem.", "negated"),
    ("Not fine by me.", "negated"),
    ("Approved if you add the timeline?", "conditional"),
    ("I'd approve once the follow-ups have owners.", "not given yet"),
    ("Bon pour moi si tu ajoutes la chronologie.", "conditional"),
    ("Validé sous condition d'ajouter l'impact.", "conditional"),
    ("Je validerai après la réunion.", "not given yet"),
    ("Je valide demain, je relis ce soir.", "not given yet"),
    ("Validé ?", "a question"),
    ("Is this fine for you, @bob?", "a question"),
    ("I take my approval back.", "withdrawn"),
    ("scratch that, not yet", "withdrawn"),
    ("je retire mon approbation", "withdrawn"),
    ("Je retire mon OK, l'impact est faux.", "withdrawn"),
    ("~~Approved~~", "withdrawn (struck through)"),
    ("<del>Validé</del>", "withdrawn (struck through)"),
    ("<s>fine by me</s>", "withdrawn (struck through)"),
    ("Looks good, but please rewrite the root cause section", "asks for a redo"),
    ("Validé, mais merci de réécrire la cause racine.", "asks for a redo"),
    ("LGTM except the timeline, which needs to be redone.", "asks for a redo"),
    ("Hold on, the impact numbers don't match the support report.", "objects to it"),
    ("Blocking: the timeline is wrong.", "objects to it"),
    ("Can you add the timeline? Then approved.", "conditional"),
    ("Approval on hold until the RCA is fixed.", "conditional"),
    ("Please rewrite the root cause section. Otherwise approved.", "asks for a redo"),
    ("Approved, but the root cause is incomplete; please rework it.", "asks for a redo"),
    ("Ajoute la chronologie et c'est validé.", "conditional"),
    ("Approved but the RCA needs more work.", "asks for a redo"),
    ("OK, I'll review it tomorrow.", "with a reservation"),
    ("l'impact est à revoir", "asks for a redo"),
    ("Merci d'ajouter l'impact, sinon validé.", "asks for a redo"),
    ("Good for me except the follow-ups — please add owners to the follow-up section.", "with a reservation"),
    ("Add the ticket count to the impact section first, then I approve.", "asks for a redo"),
    ("Rejected: the impact is missing.", "negated"),
    ("Presque bon, il manque l'impact.", "objects to it"),
    ("Validé… ou presque : il manque les responsables.", "negated"),
    ("LGTM. Hold on, the numbers don't match.", "objects to it"),
    ("Je validerais bien, mais l'impact est flou.", "not given yet"),
    ("Sous réserve de la relecture de bob : validé.", "conditional"),
]


@pytest.mark.parametrize(
    "text",
    ["@dave can you also add the runbook link to the follow-ups?",
     "The alert rule change is rejected by the CAB.", "FYI the missing alert is tracked in #45.",
     "The problem with the indexer is fixed.", "Le changement a été refusé.", "Thanks dave, nice write-up."],
)
def test_a_later_comment_about_something_else_takes_nothing_back(text):
    assert not read(text, "alice", PEOPLE).retracts


@pytest.mark.parametrize("text", FRENCH + INFORMAL)
def test_french_and_informal_approvals_approve(text):
    reading = read(text, "alice", PEOPLE)
    assert reading.approves, reading


@pytest.mark.parametrize(("text", "reason"), NOT_APPROVALS)
def test_what_is_no_approval_says_why(text, reason):
    reading = read(text, "alice", PEOPLE)
    assert not reading.approves and reading.reason == reason, reading


@pytest.mark.parametrize("text", ["Approval from my end.", "Accord de ma part."])
def test_the_noun_of_approval_given_as_the_writers_approves_and_someone_elses_does_not(text):
    assert read(text, "alice", PEOPLE).approves
    assert not read("I would need approval from my manager first.", "alice", PEOPLE).approves


def test_an_approving_root_is_read_by_its_ending():
    lexicon = phrasings().lexicon
    assert lexicon.phrase("Approuvé") == ("approved",)
    assert lexicon.phrase("j'approuve") == ("i", "approve")
    assert lexicon.phrase("validerai") == ("will", "approve")
    assert lexicon.phrase("approuverais") == ("would", "approve")
    assert lexicon.phrase("valider") == ("to", "approve")
    assert lexicon.phrase("approbation") == ("approval",)
    assert lexicon.phrase("valid") == ("valid",)  # an adjective, not an approval
    assert lexicon.phrase("pas encore") == ("not", "yet")


def test_a_request_that_does_not_redo_the_post_mortem_keeps_the_approval():
    assert read("Approved, but please file the follow-up issues.", "alice", PEOPLE).approves
    assert not read("Approved, but please redo the follow-up section.", "alice", PEOPLE).approves


def test_someone_elses_french_approval_is_reported_not_given():
    assert not read("Validé par @bob en réunion.", "alice", PEOPLE).approves
    assert read("Validé par @bob en réunion.", "bob", PEOPLE).approves
    assert not read("La correction a été validée en recette.", "alice", PEOPLE).approves


# --- an approval stands until its writer takes it back -------------------------------------------


def test_a_later_retraction_takes_the_approval_back(umami):
    source, _ = unapproved(PM, note(102, "Approved", "alice", 20), note(103, "I take my approval back.", "alice", 19))
    [message] = ipm003(source, umami)
    assert 'alice approved, then took it back: "I take my approval back." (comment 103, withdrawn)' in message


def test_an_approval_after_the_retraction_approves_again(umami):
    source, _ = unapproved(
        PM, note(102, "Ok pour moi", "alice", 20), note(103, "Je retire mon ok.", "alice", 19),
        note(104, "C'est corrigé, je valide.", "alice", 18),
    )
    assert ipm003(source, umami) == []


def test_a_french_retraction_takes_the_approval_back(umami):
    source, _ = unapproved(PM, note(102, "Ok pour moi", "alice", 20), note(103, "Je retire mon ok.", "alice", 19))
    assert ipm003(source, umami) != []


def test_a_later_objection_takes_an_award_back_and_a_thank_you_does_not(umami):
    source, subject = unapproved(PM, note(102, "Hold on — is this really the root cause?", "alice", 18))
    source.award(subject, 101, "thumbsup", "alice", days_ago=20)
    [message] = ipm003(source, umami)
    took_back = 'alice approved, then took it back: "Hold on — is this really the root cause?" (comment 102'
    assert took_back in message and "objects to it" in message
    source, subject = unapproved(PM, note(102, "Thanks dave, nice write-up.", "alice", 18))
    source.award(subject, 101, "thumbsup", "alice", days_ago=20)
    assert ipm003(source, umami) == []


def test_an_award_given_after_the_retraction_approves_again(umami):
    source, subject = unapproved(
        PM, note(102, "Approved", "alice", 20), note(103, "~~Approved~~ withdrawing until owners are set.", "alice", 19)
    )
    source.award(subject, 101, "thumbsup", "alice", days_ago=17)
    assert ipm003(source, umami) == []
    source.awards.clear()
    source.award(subject, 101, "thumbsup", "alice", days_ago=21)  # before the retraction: taken back with it
    assert ipm003(source, umami) != []


def test_someone_elses_objection_does_not_take_an_approval_back(umami):
    objection = note(103, "Not convinced, this is wrong.", "carol", 19)
    source, _ = unapproved(PM, note(102, "Je valide", "alice", 20), objection)
    assert ipm003(source, umami) == []


def test_a_request_to_redo_after_an_approval_takes_it_back(umami):
    source, _ = unapproved(
        PM, note(102, "LGTM", "alice", 20), note(103, "Could you redo the impact section before we close?", "alice", 19)
    )
    [message] = ipm003(source, umami)
    assert "asks for a redo" in message


# --- what IPM003 says ------------------------------------------------------------------------------


def test_ipm003_quotes_the_start_of_the_comment_on_one_line(umami):
    long = "Approved once the timeline is added\nand the follow-ups have owners, " + "x" * 200
    source, _ = unapproved(PM, note(102, long, "alice", 20))
    [message] = ipm003(source, umami)
    assert 'alice wrote "Approved once the timeline is added" (comment 102), not an approval: conditional' in message
    assert "\n" not in message and "x" * 100 not in message


def test_quote_is_short_and_one_line():
    from inc_audit.text import split_quotes

    def shown(text: str) -> str:
        return split_quotes(quote(text))[0]

    assert shown("  \n first line\nsecond") == '"first line"'
    assert shown("a" * 100) == '"' + "a" * 59 + '\u2026"'
    assert shown('say "yes"') == "\"say 'yes'\""
    assert split_quotes(quote("first line"))[1] == ("first line",)  # withheld with a confidential title


def test_ipm003_never_names_only_the_author_and_names_the_response_team_note(umami):
    mine = note(101, PM.body, author="alice", days_ago=25)
    source, _ = unapproved(mine)
    [message] = ipm003(source, umami)
    needs = message.split("it needs an approval from ", 1)[1]
    assert not needs.startswith("alice") and "bob together with carol" in needs
    assert "the response team note: bob is also development lead" in needs


def test_settlers_skip_the_author_and_pair_a_backup_who_holds_another_role(umami):
    assert settlers(umami, "dave").startswith("alice or bob together with carol")
    assert "alice" not in settlers(umami, "alice")


def test_a_comment_that_says_nothing_of_approval_is_quoted_as_such(umami):
    source, _ = unapproved(PM, note(102, "Thanks dave, nice write-up.", "alice", 20))
    [message] = ipm003(source, umami)
    assert 'alice wrote "Thanks dave, nice write-up." (comment 102), no approval in it' in message


def test_ipm003_quotes_the_development_lead_backup_the_response_team_note_asks_for(umami):
    source, _ = unapproved(PM, note(102, "Approved as PM backup.", "bob", 20), note(103, "Je valide ?", "carol", 19))
    [message] = ipm003(source, umami)
    assert "only bob approved" in message
    assert 'carol wrote "Je valide ?" (comment 103), not an approval: a question' in message


def test_a_comment_edited_into_a_retraction_takes_back_an_award_given_before_the_edit(umami):
    from dataclasses import replace

    from tests.conftest import at

    edited = replace(note(102, "~~Approved~~ withdrawn: the impact is wrong.", "alice", 20), updated_at=at(10))
    source, subject = unapproved(PM, edited)
    source.award(subject, 101, "thumbsup", "alice", days_ago=15)
    [message] = ipm003(source, umami)
    assert "alice approved, then took it back" in message
    source, subject = unapproved(PM, replace(edited, updated_at=None))
    source.award(subject, 101, "thumbsup", "alice", days_ago=15)
    assert ipm003(source, umami) == []


@pytest.mark.parametrize("text", ["OK.", "Ok, merci.", "Parfait, merci !", "Fine.", "Noted, thanks."])
def test_an_acknowledgement_alone_approves_nothing(text):
    assert not read(text, "alice", PEOPLE).approves


def test_an_acknowledgement_after_a_retraction_does_not_approve_again(umami):
    source, _ = unapproved(
        PM, note(102, "LGTM", "alice", 20), note(103, "Could you redo the impact section?", "alice", 19),
        note(104, "Sure, will do.", "dave", 18), note(105, "Ok, merci.", "alice", 17),
    )
    assert ipm003(source, umami) != []


@pytest.mark.parametrize(
    ("text", "approves"),
    [("LGTM but let's discuss the RCA at the IPM", True),
     ("Approved, but let's discuss the follow-ups at the weekly", True),
     ("LGTM but let's discuss the RCA at the IPM before I sign off", False),
     ("LGTM, but let's discuss it first", False),
     ("LGTM but the impact is wrong, let's discuss at the IPM", False),
     ("Let's discuss at the IPM", False)],
)
def test_proposing_to_talk_it_over_at_the_meeting_takes_nothing_back(text, approves):
    assert read(text, "alice", PEOPLE).approves is approves


@pytest.mark.parametrize(
    ("text", "approves"),
    [("Aprovado.", True), ("Sim, pode fechar. Aprovado.", True), ("Akkoord, goedgekeurd. Bedankt!", True),
     ("Não aprovado ainda — falta o impacto.", False), ("Goedgekeurd, mits de tijdlijn nog wordt aangevuld.", False),
     ("Aprovado desde que a ação 2 tenha um responsável.", False),
     ("Niet akkoord: de oorzaak is een vermoeden.", False),
     ("Approved I guess... not. The RCA stops at 'the node was slow'.", False), ("Approved... NOT", False),
     ("Approving the CHG (#903) so the CAB can close it.", False),
     ("Approved — oops, wrong issue, meant for #1412. Please ignore.", False)],
)
def test_portuguese_and_dutch_approvals_a_trailing_not_another_document_and_a_disowned_one(text, approves):
    assert read(text, "alice", PEOPLE).approves is approves


def test_a_dutch_withdrawal_takes_the_approval_back():
    assert read("Bij nader inzien trek ik mijn goedkeuring in: de alert heeft geen eigenaar.", "alice", PEOPLE).retracts


@pytest.mark.parametrize(
    ("text", "approves"),
    [("Approbation donnée lors de la revue IPM du 3 juin.", True),
     ("Scratch my approval — the RCA contradicts the deploy logs.", False),
     ("Scratch that typo, approved.", True)],
)
def test_an_approval_given_at_the_review_and_a_scratched_one(text, approves):
    assert read(text, "alice", PEOPLE).approves is approves


def test_a_french_ratification_approves():
    assert read("J'entérine ce post-mortem.", "alice", PEOPLE).approves


@pytest.mark.parametrize(
    "text",
    ["@dave approved, thanks", "@dave I approve this IPM.", "@dave @erin Je valide", "cc @bob — approved",
     "@dave :white_check_mark:", "@dave: approved"],
)
def test_a_mention_that_opens_the_comment_is_whom_it_is_said_to(text):
    assert read(text, "alice", PEOPLE).approves


def test_someone_elses_approval_reported_by_name_is_still_theirs():
    assert not read("approved by @bob", "alice", PEOPLE).approves
    assert not read("Bob approved", "alice", PEOPLE).approves

# --- what is said beside the approving word: a counterfactual, an edit, irony, a suggestion -------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I'd have approved, but the timeline stops at 10:00.", "counterfactual (would have approved)"),
        ("We would've approved it at the IPM, but the follow-ups have no owners.",
         "counterfactual (would have approved)"),
        ("J'aurais validé si l'impact avait des chiffres.", "counterfactual (would have approved)"),
        ("Approved. EDIT: nope, the impact numbers are wrong.", "withdrawn"),
        ("Validé (modif : non, voir plus bas)", "withdrawn"),
        ("Approved!! (Edit: nvm, not yet)", "withdrawn"),
        ("LGTM 🙄", "sarcastic"),
        ("Yeah right, approved, the RCA is one line.", "sarcastic"),
        ("Sure, approved /s", "sarcastic"),
        ("Approved. Please rewrite the root cause section, it would be nice.", "asks for a redo"),
        ("Approved. Would be nice to fix the timeline first.", "asks for a redo"),
    ],
)
def test_a_counterfactual_an_edit_that_says_no_irony_or_an_insisted_suggestion_is_no_approval(text, reason):
    reading = read(text, "alice", PEOPLE)
    assert not reading.approves and reading.reason == reason, reading


@pytest.mark.parametrize(
    "text",
    [
        "Approved. It would be nice to rewrite the timeline in UTC.",
        "Validé. Ce serait bien de corriger le lien dans la chronologie.",
        "Approved. Please fix the dead link in the timeline, not blocking.",
        "I should have approved this last week, sorry. Approved.",
        "Approved (edit: fixed a typo).",
        "Approved (edit: fixed the typo, no other change).",
        "Approved, error rate back under 3/s.",
        "Approved 🙂",
    ],
)
def test_a_suggestion_a_late_approval_an_edit_note_or_a_rate_leaves_the_approval(text):
    reading = read(text, "alice", PEOPLE)
    assert reading.approves, reading


def test_the_lexicon_reads_a_past_modal_in_english_and_french_as_would_have():
    lexicon = phrasings().lexicon
    assert lexicon.phrase("would've approved") == ("would", "have", "approved")
    assert lexicon.phrase("j'aurais approuvé") == ("i", "would", "have", "approved")


def test_a_later_counterfactual_takes_the_approval_back_and_ipm003_says_why(umami):
    source, _ = unapproved(
        PM, note(102, "Approved", "alice", 20),
        note(103, "Would've approved but the RCA stops at the first why.", "alice", 19),
    )
    [message] = ipm003(source, umami)
    assert 'alice approved, then took it back: "Would\'ve approved but the RCA stops at the first why."' in message
    assert "counterfactual (would have approved)" in message


@pytest.mark.parametrize("text", ["Zatwierdzam.", "Zatwierdzone, dzięki.", "Godkänt ✅", "Godkänd."])
def test_polish_and_swedish_approvals_are_read_by_their_root_and_ending(text):
    assert read(text, "alice", PEOPLE).approves, text


@pytest.mark.parametrize("text", ["Nie zatwierdzam jeszcze.", "Godkänner inte än, impact saknas."])
def test_polish_and_swedish_refusals_are_no_approval(text):
    assert not read(text, "alice", PEOPLE).approves, text


@pytest.mark.parametrize(
    "text",
    [
        "Approved for the CHG rollout; the post-mortem itself still needs the impact numbers.",
        "Approved for sending to the affected customers.",
        "Validé pour l'envoi aux clients.",
        "Approved for the hotfix deployment.",
    ],
)
def test_an_approval_for_something_else_approves_nothing_here(text):
    assert not read(text, "alice", PEOPLE, incident=1).approves, text


@pytest.mark.parametrize(
    "text",
    ["Approved for the post-mortem.", "Approved for me.", "Approved for now, thanks.",
     "Approved, thanks for the communication.", "Approved, follow-ups look fine for the rollout."],
)
def test_an_approval_whose_purpose_is_this_document_or_nothing_still_approves(text):
    assert read(text, "alice", PEOPLE, incident=1).approves, text


def test_a_withdrawal_because_it_was_the_wrong_incident_takes_the_approval_back():
    reading = read("Withdrawn — I approved the wrong incident earlier.", "alice", PEOPLE, incident=1)
    assert not reading.approves and reading.reason == "withdrawn"
