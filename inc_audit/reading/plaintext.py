"""The structure of plain-text markups other than Markdown, as one line shows it: AsciiDoc
and MediaWiki headings (``== Impact ==``), banners (``-------- Impact --------``), reStructuredText
underlines (``~~~~`` under its text), a numbered
line heading a paragraph (``A. Impact``, ``(2) Impact``, ``Step 2 — Impact``), a short line
with no markup above its text (``Impact`` then a paragraph or a list) and a form's
question with its answer on the next line (``Q: ...`` then ``A: ...``).

The scanner (``inc_audit.reading.blocks``) asks these of the lines it reads; each is a pure
function of one or two lines, a single regular expression match (linear in the line).
"""

from __future__ import annotations

import re

_ASCIIDOC = re.compile(r" {0,3}(={1,6})[ \t]+(\S.*)$")  # its closing run is taken off by hand: linear
_RST_UNDERLINE = re.compile(r" {0,3}([~^\"'+*:._])\1{2,}[ \t]*$")  # the underlines Markdown's setext lacks
_NUMBERED_LINE = re.compile(
    r"(?:\(\d{1,2}\)|[A-Za-z][.)]|[IVXivx]{2,4}[.)]|\d{1,2}(?:\.\d{1,2})+\.?"  # (2), B., IV., 1.2
    r"|(?:step|étape|paso|passo|schritt)[ \t]*\d{1,2}[ \t]*[:.—–-])[ \t]+"
    r"(\S(?:[^.:!?]{0,78}[^.:!?\s])?)[ \t]*$",
    re.IGNORECASE,
)
MAX_NUMBERED_WORDS = 8  # a longer numbered line is a sentence
_BANNER = re.compile(r"[ \t]*([-=~*_#+])\1{2,}[ \t]+(\S(?:.{0,78}\S)?)[ \t]+\1{3,}[ \t]*$")
_TITLE_LINE = re.compile(r"[^\W_](?:[^.,;!:=<>{}|]{0,94}[^.,;!:=<>{}|\s])?[:?]?", re.UNICODE)
_MARKS = re.compile(r"^(?:[^\w\s(\[<`*_#>|-]|§\s*\d{0,2}[.)]?)+\s*")  # emoji, marks and a section sign
MAX_TITLE_WORDS = 5  # a longer line alone above its text is a sentence cut by the writer's wrap
MAX_QUESTION_WORDS = 14  # a question alone on its line above its answer may be a template's whole question
_QUESTION = re.compile(r"(?:Q|Question|Frage|Pregunta|Domanda)[ \t]*[:.)][ \t]+(\S.{0,200})$")
_ANSWER = re.compile(r"[ \t]*(?:A|Answer|R|Réponse|Reponse|Antwort|Respuesta|Risposta)[ \t]*[:.)]")
QUESTION_FIRST = frozenset("QFPD")  # the first letters a question line starts with


def asciidoc_heading(line: str) -> tuple[int, str] | None:
    """An AsciiDoc heading's level and text (``== Impact ==`` is level 2), or None."""
    found = _ASCIIDOC.match(line)
    if found is None:
        return None
    text = found.group(2).rstrip(" \t")
    bare = text.rstrip("=")
    if len(bare) < len(text) and bare[-1:] in (" ", "\t"):
        text = bare.rstrip(" \t")  # the closing run: "== Impact =="
    return len(found.group(1)), text


def closed_heading(line: str) -> bool:
    """Whether ``line`` is a heading closed by as many ``=`` as open it (MediaWiki's ``== Impact ==``),
    which ends the paragraph above it as an ATX heading does."""
    found = _ASCIIDOC.match(line)
    if found is None:
        return False
    text = found.group(2).rstrip(" \t")
    bare = text.rstrip("=")
    return len(text) - len(bare) == len(found.group(1)) and bare[-1:] in (" ", "\t") and bool(bare.strip())


def underlines(line: str, text: str) -> bool:
    """Whether ``line`` underlines ``text`` as reStructuredText does: one of its underline
    characters repeated, at least as long as the text (a shorter ``~~~`` is a code fence)."""
    return _RST_UNDERLINE.match(line) is not None and len(line.strip()) >= len(text.strip()) > 0


def banner(line: str) -> str | None:
    """The text of a banner line, ``-------- Impact --------`` (a run of one mark on each side)."""
    found = _BANNER.match(line)
    return None if found is None else found.group(2)


def numbered_line(line: str) -> str | None:
    """The text of a numbered heading line (``A. Impact`` gives ``Impact``), or None for any other
    line, a sentence among them (it ends with a stop, or runs past ``MAX_NUMBERED_WORDS`` words)."""
    found = _NUMBERED_LINE.match(line)
    if found is None or len(found.group(1).split()) > MAX_NUMBERED_WORDS:
        return None
    return found.group(1)


def title_line(line: str) -> str | None:
    """The text of a short line heading the lines below it with no markup at all (``Impact`` above
    ``5 hours during which...``), or None: a line of at most ``MAX_TITLE_WORDS`` words (twice
    as many for ``Impact / Impact réel``) that holds no sentence's stop and no link, or a
    question of at most ``MAX_QUESTION_WORDS`` words (``What is the evidence (i.e. logs)?``).
    Only the scanner's callers that read it where it names a known section take it for a head."""
    text = _MARKS.sub("", line.strip())  # "📌 Root cause", "§1 Impact": the marks before it go
    if "http" in text or _QUESTION.match(text):  # "Q: ...?" heads its own section, with its "A:" below
        return None
    if text.endswith("?") and len(text) <= 100 and len(text.split()) <= MAX_QUESTION_WORDS:
        return text.rstrip("?").strip() or None  # a form's question alone above its answer
    most = MAX_TITLE_WORDS * 2 if " / " in text else MAX_TITLE_WORDS  # "Impact / Impact réel": two languages
    if len(text.split()) > most or len(text) > 2 * 48 or _TITLE_LINE.fullmatch(text) is None:
        return None
    return text.rstrip(":?").strip() or None


def question(line: str, following: str) -> str | None:
    """The question of ``Q: How did we find out?`` when the next line is its answer (``A: ...``)."""
    found = _QUESTION.match(line)
    if found is None or not _ANSWER.match(following):
        return None
    return found.group(1)
