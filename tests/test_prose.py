"""A document written as paragraphs with no heading: each paragraph read for the section its
text is about (``reading/prose.py``), only in a document that names its kind."""

from __future__ import annotations

from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import load

CAUSE = "The cause was 3.4.0, which parsed balances as 32-bit integers, so large ones overflowed because of it."
IMPACT = "Roughly 18% of accounts saw a zero balance for 47 minutes; 61 support tickets; nobody lost funds."
NEXT = "Going forward we want a property test on the parser (#524) and a canary comparing balances (#525)."


def read(kind: str, text: str) -> tuple[dict[str, bool], dict[str, str]]:
    schema = load(kind)
    parts = {p.name: p for p in schema.parts}
    document = parse(text)
    found = {name: not schema.is_empty(s, parts[name]) for name, s in schema.resolve(document).items()}
    return found, schema.recognised(document)


def test_a_titled_post_mortem_in_paragraphs_answers_by_its_text_and_says_so():
    found, why = read("post-mortem", f"Post-mortem for #520.\n\n{CAUSE}\n\n{IMPACT}\n\n{NEXT}\n")
    assert found == {"root_cause": True, "actual_impact": True, "follow_up": True}
    assert why["root_cause"].startswith("section 'Root cause analysis' read from the paragraph on line 3")
    assert "the one paragraph left" in why["follow_up"]


def test_the_paragraph_left_where_the_follow_ups_belong_is_read_as_them_deferral_included():
    found, _ = read("post-mortem", f"Post-mortem for #531.\n\n{CAUSE}\n\n{IMPACT}\n\nTBD.\n")
    assert found == {"root_cause": True, "actual_impact": True}  # "TBD." is too short to be a paragraph's answer
    later = "Next steps to be defined later on."
    found, _ = read("post-mortem", f"Post-mortem for #531.\n\n{CAUSE}\n\n{IMPACT}\n\n{later}\n")
    assert found == {"root_cause": True, "actual_impact": True, "follow_up": False}


def test_prose_that_does_not_name_its_kind_is_not_read_as_sections():
    found, why = read("post-mortem", f"{CAUSE}\n\n{IMPACT}\n\n{NEXT}\n")
    assert found == {} and why == {}


def test_one_paragraph_is_not_enough():
    found, _ = read("post-mortem", f"Post-mortem for #520.\n\n{CAUSE} {IMPACT} {NEXT}\n")
    assert found == {}
