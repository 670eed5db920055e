"""A comment made only of the approving verb's plain form (``Approve.``, ``Valide !``) is its
writer's sign-off (rules/reading.py): a finished sentence with nobody named to do it and nothing
else said. Unclosed (``Approve``) it stays a request or a promise, as before; a question, a
request or a mention still asks someone."""

from __future__ import annotations

import pytest

from inc_audit.rules.reading import read
from tests.test_approvals import PEOPLE


@pytest.mark.parametrize("text", ["Approve.", "approve!", "Valide !", "Approuve.", "Approve. 👍"])
def test_the_approving_verb_alone_is_the_writers_sign_off(text):
    assert read(text, "alice", PEOPLE).approves


@pytest.mark.parametrize(
    "text",
    [
        "Approve?",
        "Approve",  # unclosed: the button's label, or a note to do it
        "Approve 👀",
        "Please approve.",
        "@bob approve",
        "cc @bob approve",
        "Approve once the timeline is added.",
        "Can you approve?",
        "Would approve, but the impact has no figures.",
    ],
)
def test_the_verb_asked_of_someone_or_with_more_said_is_no_sign_off(text):
    assert not read(text, "alice", PEOPLE).approves
