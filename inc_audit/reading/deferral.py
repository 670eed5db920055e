"""Deferrals read by meaning: a line that only says the answer comes later, or is elsewhere.

``to be confirmed``, ``pending analysis``, ``will add the logs``, ``à compléter``, ``en
cours d'analyse avec le fournisseur``, ``see the doc``, ``screenshot follows``: none of
them is written on a list. A line is a deferral when it holds a *marker* (something is
pending or coming: "pending", "will", "later", "à venir", "en cours"; or it is somewhere
else: "see", "cf.", "attached", "below", "shared doc") and every other word is one a
deferral is made of: neutral words, the kinds of content an answer would hold ("logs",
"analysis", "screenshot", "numbers"), the verbs of providing them ("add", "attach",
"confirm", "compléter") and who they wait on ("the vendor", "infra"). One word the
vocabulary does not know is allowed after "with", "by" or "on" ("avec la compta").

A word the list does not hold makes the line an answer: "will add an alert on the signer
queue" is a follow-up, not a deferral. The words are compared by their forms (the word,
its English and French stems: see ``concepts``), so "attaching", "attachés" and
"attached" are one. A link or an image makes a line an answer before this is asked.

An idiom of waiting ("stay tuned", "hang tight", "restez à l'écoute") or of not knowing yet
("hard to say", "trop tôt pour le dire") is a marker as a whole; its words alone are not
("stay on the current version" is an answer). A phrase listed in any other class is read as
one word of that class ("dry run", "mise en prod", "cellule de crise": what a deferral waits on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inc_audit.reading.concepts import Prefixes
from inc_audit.reading.words import fold, forms, tokens

MAX_WORDS = 24  # a longer line says something of its own
MAX_MODIFIERS = 2  # unknown words allowed just before a kind of content or a party ("updater logs", "ops team")
_ASIDE = re.compile(r"\([^()]{0,40}\)")  # "(dave)", "(see thread)": an aside, read apart
CLASSES = ("markers", "elsewhere", "askers", "content", "verbs", "parties", "towards", "ease", "times", "talks")
# ease: "straightforward", "simple", "facile": a plan said to be easy, which is no plan when nothing else is said
PAST = ("ed",)  # "discussed", "talked": a talk that took place (French "parlé" folds to "parle")
IDIOM = "\x00idiom"  # the word an idiom of waiting is read as: a marker
# askers: the answer is with someone, or waits on something, named next ("ask Bob", "demander à Alice",
# "pending vendor ticket #4411", "en attente de Lucie"): it defers, and the one unknown word after it is
# that someone or something
# talks: talking or deciding it over ("discuss", "parler", "décider"): beside someone or an occasion to
# talk with or at, and not in the past, it puts the answer off ("Discuss at the next IPM.", "On en parle
# lundi."); "Discussed with the vendor" reports a talk that took place
# times: a word opening a clause of time ("once", "until", "after", "dès que", "une fois"): after a
# deferral, that clause says when the answer comes, not what it is ("The impact will be described once
# the node team has measured how many sends used a domain"), so the words before it are read alone


_MARKING = frozenset(("markers", "elsewhere", "askers", "talks"))
# the classes that alone make a line a deferral (``_only_defers``'s ``marked``), besides "à" before a
# verb ("à compléter"); ``_defers_until`` needs a marker or an asker too


@dataclass
class Deferrals:
    """The word classes deferrals are made of (``deferrals`` in schemas/vocabulary.json)."""

    words: Mapping[str, Iterable[str]]
    neutral: frozenset[str]
    _class: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _seen: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _prefixes: Prefixes = field(default_factory=Prefixes, init=False, repr=False)
    _idioms: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.neutral = frozenset(fold(w) for w in self.neutral)
        phrases = {(tuple(tokens(entry)), IDIOM) for entry in self.words.get("idioms", ())}
        self._class[IDIOM] = "markers"
        for name in CLASSES:
            self._class["\x00" + name] = name
            phrases |= {(tuple(tokens(e)), "\x00" + name) for e in self.words.get(name, ()) if " " in e.strip()}
        for phrase, word in sorted((p for p in phrases if p[0]), key=lambda p: (-len(p[0]), p)):
            self._idioms[phrase[0]] = (*self._idioms.get(phrase[0], ()), (phrase, word))
        for name in CLASSES:  # a phrase's words are not its class alone ("run" is no party, "dry run" is)
            for entry in self.words.get(name, ()):
                if " " in entry.strip():
                    continue
                for word in tokens(entry):
                    for form in forms(word):
                        if form != word and form in self.neutral:
                            continue  # "dès" stems to "de": the stem of a listed word is no grammar word
                        self._class.setdefault(form, name)
                        self._prefixes.add(form)

    def kind(self, word: str) -> str:
        """A folded word's class: a class of ``CLASSES``, "neutral" or "" (unknown, numbers too)."""
        found = self._seen.get(word)
        if found is None:
            found = self._kind(word)
            if len(self._seen) > 16_384:
                self._seen.clear()
            self._seen[word] = found
        return found

    def _kind(self, word: str) -> str:
        if word in self._class:
            return self._class[word]
        if self._prefixes.may_meet(word):
            for form in sorted(forms(word)):
                if form in self._class:
                    return self._class[form]
        return "neutral" if word in self.neutral else ""

    def defers(self, line: str) -> bool:
        """Whether a line (lower-cased, without markup) only defers its answer."""
        if "(" in line:
            aside = _ASIDE.sub(" ", line)
            if aside.strip(" .,;:-") and self._defers(tokens(aside)):
                return True
        return self._defers(tokens(line))

    def claims_ease(self, line: str) -> bool:
        """Whether a line (lower-cased, without markup) only says its plan is easy ("Rollback is
        straightforward.", "Retour arrière simple."): a word of ease, every other word neutral or
        a kind of content. It asserts a way exists and gives none."""
        words = tokens(line)
        if not words or len(words) > MAX_WORDS:
            return False
        found = [self.kind(word) for word in words]
        return "ease" in found and all(kind in ("ease", "neutral", "content") for kind in found)

    def _joined(self, words: list[str]) -> list[str]:
        """``words`` with each idiom of waiting read as one marker, each listed phrase as one word
        of its class."""
        joined: list[str] = []
        index = 0
        while index < len(words):
            found = self._idioms.get(words[index])
            if not found:  # no phrase starts with this word
                joined.append(words[index])
                index += 1
                continue
            phrase, word = next(((p, w) for p, w in found if tuple(words[index : index + len(p)]) == p), ((), ""))
            joined.append(word if phrase else words[index])
            index += len(phrase) or 1
        return joined

    def _defers(self, words: list[str]) -> bool:
        if not words or len(words) > MAX_WORDS:
            return False
        if self._idioms and any(word in self._idioms for word in words):
            words = self._joined(words)
        kinds = [self.kind(word) for word in words]
        if words[0] != "a" and _MARKING.isdisjoint(kinds):
            return False  # nothing marks the line as put off: neither reading below can find it does
        return self._only_defers(words) or self._defers_until(words, kinds)

    def _defers_until(self, words: list[str], kinds: list[str]) -> bool:
        """Whether the words before the first clause of time ("once", "until", "dès que") only
        defer what they name: a marker or an asker, and a kind of content or a verb of providing it
        ("will send the rollback steps after the window"). The clause says when the answer comes,
        whatever its words. "will add an alert on the signer queue once the fix ships" holds a word
        of its own before the clause and answers; "Coming after the dry run of migration 0051"
        names nothing deferred before its clause, which is then read as the rest of the line.
        ``kinds``: each word's class."""
        index = kinds.index("times") if "times" in kinds else 0
        head = kinds[:index]
        return (
            any(found in ("markers", "askers") for found in head)
            and any(found in ("content", "verbs", "talks") for found in head)
            and self._only_defers(words[:index])
        )

    def _only_defers(self, words: list[str]) -> bool:
        if not words:
            return False
        kind = self.kind
        marked = len(words) > 1 and words[0] == "a" and (  # à compléter, à documenter
            kind(words[1]) in ("verbs", "talks")
            or (kind(words[1]) == "content" and words[1].endswith(("er", "ir", "re")))
        )
        if not marked and any(kind(word) == "parties" for word in words):
            marked = any(kind(word) == "talks" and not word.endswith(PAST) for word in words)
        after_party = unknown = modifiers = 0
        owned = True  # a reference right after an asker is where the answer is ("Pending !1951") unless
        # someone's it is said before it ("Pending vendor ticket #4411", "Awaiting Cloudflare case 4411")
        for index, word in enumerate(words):
            found = kind(word)
            if found in ("markers", "elsewhere"):
                marked = True
            elif found == "askers":
                marked, after_party, owned = True, 3, False
                continue
            elif found in ("towards", "parties"):
                owned = True
                if found == "towards":
                    after_party = 3
                    continue
            elif not found:
                following = words[index + 1] if index + 1 < len(words) else ""
                modified = kind(following) == "content" or (
                    kind(following) in ("parties", "times") and len(following) > 3
                )
                if following and modifiers < MAX_MODIFIERS and modified:
                    modifiers, owned = modifiers + 1, True
                elif after_party and not unknown and (owned or not word.isdigit()):
                    unknown += 1
                else:
                    return False
            after_party = max(0, after_party - 1)
        return marked
