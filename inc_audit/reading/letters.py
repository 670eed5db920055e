"""A document pasted from an e-mail: where the writer's message ends.

A message ends at its sign-off (a closing alone on its line, ``Cheers,``, ``Thanks,``,
``Cordialement,``, then the writer's name), and the earlier message it answers starts at its
attribution (``On Mon, 30 Nov 2026 at 08:05, Support <...> wrote:``, ``Le ... a écrit :``).
Neither belongs to the last section of the message: the name under ``Cheers,`` is no
evidence, and neither is what the earlier message said.
"""

from __future__ import annotations

import re

_CLOSING = re.compile(
    r"^[ \t]*(?:cheers|thanks|thank you|thx|many thanks|best|best regards|kind regards|regards|br|all the best"
    r"|merci|merci d'avance|cordialement|bien à vous|bien a vous|bonne journée|bonne journee|à \+|a \+|a\+|à\+"
    r"|bises|salutations|viele grüße|saludos|grazie|groeten)[ \t]*[,!.]?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:on|le|am|el|il|op)\b[^\n]{0,160}"
    r"\b(?:wrote|a écrit|a ecrit|schrieb|escribió|ha scritto|schreef)[ \t]*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
MAX_SIGNATURE = 3  # lines after a closing that may hold the writer's name and title


def body(text: str) -> str:
    """``text`` without the sign-off that ends it and the earlier message quoted below it."""
    attribution = _ATTRIBUTION.search(text)
    if attribution is not None:
        text = text[: attribution.start()]
    closing = _CLOSING.search(text)
    if closing is not None:
        after = [line for line in text[closing.end() :].split("\n") if line.strip()]
        if len(after) <= MAX_SIGNATURE:
            text = text[: closing.start()]
    return text
