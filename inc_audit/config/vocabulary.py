"""The ``vocabulary:`` section: headings a team writes, taught to the sections of its schemas.

::

    vocabulary:
      post-mortem:
        root_cause: [Why it broke]

Each kind (report, post-mortem, change) maps a section of its schema to headings that name
it, on top of the schema's own. A kind or section the schema lacks, a heading with no words
and a heading another section already answers to are refused. ``write`` adds headings to the
file's ``vocabulary:`` section and leaves the rest of the file's text as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from inc_audit.config.yamlfile import Lines, compose, dotted, read_text
from inc_audit.errors import ConfigError
from inc_audit.reading.markdown import Heading
from inc_audit.reading.schemas import DocumentSchema

KINDS = ("report", "post-mortem", "change")
Taught = dict[str, dict[str, tuple[str, ...]]]


def taught(raw: Mapping[str, Any], schema_of: Callable[[str], DocumentSchema], lines: Lines) -> Taught:
    """The section's headings by kind and section, each checked against the kind's schema."""
    found: Taught = {}
    for kind, sections in raw.items():
        schema = schema_of(kind)
        names = [part.name for part in schema.parts]
        owner: dict[str, str] = {}
        for section, headings in sections.items():
            where: tuple[str | int, ...] = ("vocabulary", kind, section)
            if section not in names:
                raise ConfigError(
                    f"{lines.at(where)}: {dotted(where)}: the {kind} schema has no section {section}",
                    f"its sections: {', '.join(names)}",
                )
            for index, heading in enumerate(headings):
                at = (*where, index)
                key = schema.vocabulary.key(heading)
                matched = schema.match(Heading(heading, 1, 1))
                other = matched[0].name if matched is not None else owner.get(key)
                if not key:
                    raise ConfigError(f"{lines.at(at)}: {dotted(at)} holds no words to match a heading by")
                if other is not None and other != section:
                    raise ConfigError(
                        f"{lines.at(at)}: {dotted(at)} {heading!r} already names the {kind} section {other}",
                        "a heading names one section: remove it here or there",
                    )
                owner[key] = section
            found.setdefault(kind, {})[section] = tuple(headings)
    return found


def merged(existing: Mapping[str, Any], additions: Mapping[str, Mapping[str, list[str]]]) -> dict[str, Any]:
    """The section with ``additions`` added: kinds and sections in order, each heading once."""
    out: dict[str, dict[str, list[str]]] = {}
    for source in (existing, additions):
        for kind, sections in source.items():
            for section, headings in (sections or {}).items():
                known = out.setdefault(kind, {}).setdefault(section, [])
                known.extend(h for h in headings if h not in known)
    order = {kind: index for index, kind in enumerate(KINDS)}
    return {kind: out[kind] for kind in sorted(out, key=lambda k: (order.get(k, len(KINDS)), k))}


def render(section: Mapping[str, Mapping[str, list[str]]]) -> str:
    """The ``vocabulary:`` section as YAML text, one line per section's headings."""
    out = ["vocabulary:"]
    for kind, sections in section.items():
        out.append(f"  {_scalar(kind)}:")
        for name, headings in sections.items():
            listed = yaml.safe_dump(list(headings), default_flow_style=True, allow_unicode=True, width=10**9)
            out.append(f"    {_scalar(name)}: {listed.strip()}")
    return "\n".join(out) + "\n"


def _scalar(text: str) -> str:
    return yaml.safe_dump(text, allow_unicode=True, width=10**9).splitlines()[0].removesuffix("...").strip()


def write(path: Path, additions: Mapping[str, Mapping[str, list[str]]], check: Callable[[Path], object]) -> str:
    """Add ``additions`` to the file's ``vocabulary:`` section (or append one), then ``check`` the
    file; a file that fails the check is put back as it was and the error raised. The file's
    other text is left as written. Returns the new section's text."""
    existed = path.exists()
    text = read_text(path) if existed else ""
    node, loader = compose(text, path)
    loader.dispose()
    existing: dict[str, Any] = {}
    span = None
    if node is not None:
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            raise ConfigError(f"{path}: not a block mapping of keys", "add the vocabulary: section by hand")
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "vocabulary":
                value = (yaml.safe_load(text) or {}).get("vocabulary")
                existing = value if isinstance(value, dict) else {}
                start = key_node.start_mark.index
                span = (start, _content_end(text, start, value_node.end_mark.index))
    block = render(merged(existing, additions))
    if span is not None:
        new = text[: span[0]] + block.rstrip("\n") + text[span[1] :]
    else:
        new = text + ("\n" if text and not text.endswith("\n") else "") + block
    _replace(path, new)
    try:
        check(path)
    except BaseException:
        if existed:
            _replace(path, text)
        else:
            path.unlink(missing_ok=True)
        raise
    return block


def _content_end(text: str, start: int, end: int) -> int:
    """Where the section's own lines end: trailing blank and comment lines belong to what follows."""
    lines = text[start:end].split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return start + len("\n".join(lines))


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".inc-audit-tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
