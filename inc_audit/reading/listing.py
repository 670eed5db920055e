"""The line scanner's lists: items, their depth and lazy lines, an item used as a heading,
and labels with their answer on the same line."""

from __future__ import annotations

import re

from inc_audit.reading.heads import (
    _FENCE,
    _FENCE_FIRST,
    _HR,
    _LIST,
    _SETEXT,
    _TASK,
    BOLD_LEVEL,
    LABEL_LEVEL,
    MAX_DEPTH,
    WORK,
    Heading,
    ScannerState,
    Task,
    _indent,
    _no_body,
    _starts_block,
    _titles,
    inline_text,
    line_label,
)

# A label after a sentence of the answer before it, in a paragraph or line of labels ("...; How discovered:
# ...", "... — impact — ..."): a word and up to four more, then a colon or a dash
_RUN_ON = re.compile(
    r"(?:(?<=[.;!?])|[ \t]+[—–])[ \t]+(?:\*\*|__)?"
    r"([^\W\d_][^\s:;.,!?*_`—–]*(?:[ \t]+[^\s:;.,!?*_`—–]+){0,4})"
    r"(?:(?:\*\*|__)?[ \t]?:(?:\*\*|__)?|[ \t]+[—–])[ \t]+(?=\S)"
)


class ListItems(ScannerState):
    """Lists and labels: see ``blocks.Scanner``."""

    def _list(self, i: int) -> int:
        """A list, up to the line that ends it: its items' tasks and bullet labels."""
        lines = self.lines
        stack: list[int] = []  # content columns of the open items
        blank = False
        fence: str | None = None
        comment = False
        while i < len(lines):
            WORK.steps += 1
            line = lines[i]
            stripped = line.strip()
            if fence is not None or comment:
                fence, comment = self._inside(line, fence, comment)
                i += 1
                continue
            if not stripped:
                blank = True
                i += 1
                continue
            item = _LIST.match(line)
            indent = _indent(line) if line[0] in " \t" else 0
            content = stack[0] if stack else 2
            if item and not _HR.match(line) and (indent < content + 4 or not stack):
                self._item(i, item, stack)
                blank = False
                fence, comment = self._opens(item.group(3), fence, comment)
            elif indent >= min(content, 4) or (not blank and not _starts_block(line)):
                fence, comment = self._opens(stripped, fence, comment)
                if fence is None and not comment:
                    self._label(i, stripped, len(stack), paragraph=False)
                blank = False
            else:
                return i
            i += 1
        return i

    def _item(self, i: int, item: re.Match[str], stack: list[int]) -> None:
        column = len(item.group(1))
        while stack and column < stack[-1]:
            stack.pop()
        depth = len(stack)
        content_text = item.group(3)
        stack.append(column + len(item.group(2)) + 1 + (len(content_text) - len(content_text.lstrip())))
        content = content_text.strip()
        if content and not self._list_text(i, content, depth) and _titles(content):
            if self._has_body(i, stack[-1], item.group(2)[0].isdigit()):
                self._title_item(i, content, depth)

    def _list_text(self, i: int, content: str, depth: int) -> bool:
        """A list item's text: a task box, or a label; whether it was either."""
        task = _TASK.match(content) if "[" in content else None
        if task:
            mark = task.group(1)
            checked = None if mark == "~" else mark.lower() == "x"
            self.tasks[i + 1] = Task(inline_text(content[task.end() :]), checked, depth)
            rest = content[task.end() :]
            if rest[:1] in ("*", "_") or ":" in rest:  # "- [x] **Nature**: ...": a form written as a task list
                self._label(i, rest, depth, paragraph=False, bullet=True)
            return True
        return self._label(i, content, depth, paragraph=False, bullet=True)

    def _has_body(self, i: int, column: int, numbered: bool) -> bool:
        """Whether text follows the item on line ``i`` as its body: on the next line (prose, code, a
        quote, a table), or after blank lines indented under it (at ``column``), or for a numbered
        item any block after it. Another item, a heading or a rule is no body."""
        lines = self.lines
        j = i + 1
        if j < len(lines) and lines[j].strip():
            nested = _LIST.match(lines[j]) is not None and _indent(lines[j]) >= column
            return nested or not _no_body(lines[j])  # an item's text, or a list nested under it
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines):
            return False
        if _indent(lines[j]) >= column:
            return not _SETEXT.match(lines[j])
        return numbered and not _no_body(lines[j])

    def _title_item(self, i: int, content: str, depth: int) -> None:
        """A list item used as a heading, its text under it: ``- Root cause`` then an indented paragraph."""
        level = LABEL_LEVEL + min(depth, MAX_DEPTH)
        text = inline_text(content)
        if text:
            self.heads.append(Heading(text, level, i + 1, True, "bullet", "", self.source[i].strip(), i + 2))

    @staticmethod
    def _opens(text: str, fence: str | None, comment: bool) -> tuple[str | None, bool]:
        stripped = text.strip()
        match = _FENCE.match(stripped) if stripped[:1] in _FENCE_FIRST else None
        if match:
            return match.group(2), comment
        if stripped.startswith("<!--") and "-->" not in stripped[4:]:
            return fence, True
        return fence, comment

    @staticmethod
    def _inside(line: str, fence: str | None, comment: bool) -> tuple[str | None, bool]:
        stripped = line.strip()
        if comment:
            return fence, "-->" not in stripped
        assert fence is not None
        closed = stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0])
        return (None if closed else fence), comment

    def _label(self, i: int, content: str, depth: int, paragraph: bool, bullet: bool = False) -> bool:
        """A label on line ``i``, if ``content`` holds one; whether it did."""
        found = line_label(content)
        if found is None:
            return False
        form, label, answer = found
        raw = self.source[i].strip()
        level = LABEL_LEVEL + min(depth, MAX_DEPTH)
        if not answer and not bullet and depth == 0:
            level = BOLD_LEVEL  # "Next steps:" alone on its line holds the list under it, as a bold line does
        if form == "bold" and paragraph:
            self.heads.append(Heading(label, BOLD_LEVEL, i + 1, True, "bold", "", raw, i + 2))
            return True
        pieces: list[str] | None = None
        if form == "dash":
            form = "plain"  # "Root cause - expired cert": a head only where the label is known
            inner = line_label(answer) if ":" in answer else None  # "Incident du 18/11 — Nature : ... ; Impact : ..."
            if inner is not None and inner[0] == "plain" and len(split := _RUN_ON.split(inner[2])) > 1:
                self.heads.append(Heading(label, level, i + 1, True, form, "", raw, i + 2))  # a title, then labels
                label, pieces = inner[1], split
        elif bullet:
            form = "bullet"
        elif form == "bold":
            form = "emphasis"
        if pieces is None:
            run_on = answer and (": " in answer or ":** " in answer or " — " in answer or " – " in answer)
            pieces = _RUN_ON.split(answer) if run_on else [answer]
        self.heads.append(Heading(label, level, i + 1, True, form, pieces[0].strip(), raw, i + 2))
        for k in range(1, len(pieces) - 1, 2):  # "Root cause: ... . Impact: ... . Next steps: ...": one paragraph
            more = pieces[k + 1].strip()
            self.heads.append(Heading(inline_text(pieces[k]), level, i + 1, True, form, more, raw, i + 2))
        return True
