"""The configuration file read as YAML: its text, its values, and the line of each key.

A key written twice in one mapping is refused (YAML would let the last one win silently),
as are non-text keys, deep nesting and aliases that explode. ``Lines`` remembers where each
key is written, so a message about a key can name its line.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inc_audit.errors import ConfigError
from inc_audit.text import repair

MAX_BYTES = 1_000_000
MAX_DEPTH = 20
MAX_NODES = 100_000
_MERGE = "tag:yaml.org,2002:merge"

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Lines:
    """Where each key of the file is written: its path (``("roles", "pm", "primary")``) to its line."""

    origin: str
    lines: dict[Key, int] = field(default_factory=dict)

    def line(self, path: Iterable[str | int]) -> int | None:
        """The line of ``path``, else of the nearest key above it that the file writes."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None

    def at(self, path: Iterable[str | int]) -> str:
        """``file: line N`` for a key, or the file alone when the key is not written in it."""
        line = self.line(path)
        return f"{self.origin}: line {line}" if line is not None else self.origin


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", "check --config, or drop it to use the defaults") from None
    except IsADirectoryError:
        raise ConfigError(f"config {path} is a directory", "give the .inc-audit.yml file itself") from None
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}", "check the file's permissions") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"config {path} is {len(data)} bytes", f"a configuration is a few kilobytes, {MAX_BYTES} at most"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(f"config {path} line {line}: not UTF-8 text", "save the file as UTF-8") from None


def compose(text: str, path: Path) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    """The file's YAML node tree (None for an empty file), and the loader that builds values from it."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as error:  # a character YAML does not allow
        raise _syntax_error(error, path) from None
    try:
        return loader.get_single_node(), loader
    except yaml.YAMLError as error:
        loader.dispose()
        raise _syntax_error(error, path) from None
    except RecursionError:
        loader.dispose()
        raise ConfigError(f"{path}: nested too deep to be a configuration", "see docs/configuration.md") from None


def _syntax_error(error: yaml.YAMLError, path: Path) -> ConfigError:
    mark = getattr(error, "problem_mark", None)
    where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or "invalid YAML"
    return ConfigError(f"{path}:{where}: {problem}", "fix the YAML syntax")


def read_yaml(path: Path) -> tuple[dict[str, Any], Lines]:
    """The file's mapping, with dates kept as text, and where each key is written."""
    text = read_text(path)
    node, loader = compose(text, path)
    lines = Lines(str(path))
    try:
        if node is None:
            return {}, lines
        _walk(node, path, lines)
        value = loader.construct_document(node)
    except yaml.YAMLError as error:
        raise _syntax_error(error, path) from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deep to be a configuration", "see docs/configuration.md") from None
    except (ValueError, OverflowError) as error:  # a date like 2026-02-30, an integer of 5,000 digits
        problem = str(error) if len(str(error)) <= 80 else str(error)[:77] + "..."
        where = _unreadable(node, loader) if node is not None else None
        at = f"{path}: line {where[1]}: {dotted(where[0])}" if where else str(path)
        raise ConfigError(f"{at}: a value cannot be read ({problem})", "fix or quote the value") from None
    finally:
        loader.dispose()
    if value is None:
        return {}, lines
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys, not {_kind(value)}")
    _check_shape(value, path)
    repaired: dict[str, Any] = _repaired(_dates_as_text(value))
    return repaired, lines


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a single value"


def _walk(root: yaml.Node, path: Path, lines: Lines) -> None:
    """Record each key's line and refuse a key written twice in a mapping. Each node is
    visited once, however many aliases point to it."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Key, int]] = [(root, (), 0)]
    while stack:
        node, where, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES or depth > MAX_DEPTH:
            what = _dotted(where) or "the file"
            raise ConfigError(f"{path}: {what} is nested or repeated too much to be a configuration")
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                    stack.append((value_node, where, depth + 1))
                    continue
                line = key_node.start_mark.line + 1
                name = (key_node.tag, key_node.value)
                if name in first:
                    key = _dotted((*where, key_node.value))
                    raise ConfigError(
                        f"{path}: line {line}: key {key} is written twice (first on line {first[name]})",
                        "keep one: YAML would silently use the last",
                    )
                first[name] = line
                lines.lines.setdefault((*where, key_node.value), line)
                stack.append((value_node, (*where, key_node.value), depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.lines.setdefault((*where, index), item.start_mark.line + 1)
                stack.append((item, (*where, index), depth + 1))


def _unreadable(root: yaml.Node, loader: yaml.SafeLoader) -> tuple[Key, int] | None:
    """The first value YAML reads but cannot build (2026-02-30), with its key and line."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Key]] = [(root, ())]
    while stack:
        node, where = stack.pop()
        if id(node) in seen or len(seen) > MAX_NODES:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except (ValueError, OverflowError, yaml.YAMLError):
                return where, node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            stack.extend((value, (*where, str(key.value))) for key, value in reversed(node.value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*where, index)) for index, item in reversed(list(enumerate(node.value))))
    return None


def dotted(parts: Iterable[str | int]) -> str:
    """A key's path as messages write it: ``roles.pm.backups[0]``."""
    return _dotted(tuple(parts))


def _dotted(parts: Key) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
    return text.lstrip(".")


def _repaired(node: Any) -> Any:
    """The same values with lone surrogates ("\\ud83d" in a quoted YAML string) made U+FFFD."""
    if isinstance(node, str):
        return repair(node)
    if isinstance(node, dict):
        return {repair(key): _repaired(child) for key, child in node.items()}
    if isinstance(node, list):
        return [_repaired(child) for child in node]
    return node


def _check_shape(value: Any, path: Path) -> None:
    """Refuse what no schema check can word well: non-text keys, deep nesting, aliases that explode."""
    budget = [MAX_NODES]

    def walk(node: Any, where: str, depth: int) -> None:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ConfigError(f"{path}: {where or 'the file'} is nested or repeated too much to be a configuration")
        if isinstance(node, dict):
            for key, child in node.items():
                if not isinstance(key, str):
                    raise ConfigError(f"{path}: key {key!r} under {where or 'the top level'} is not text", "quote it")
                walk(child, f"{where}.{key}" if where else key, depth + 1)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}[{index}]", depth + 1)

    walk(value, "", 0)


def _dates_as_text(value: Any) -> Any:
    """YAML reads an unquoted 2026-12-25 as a date: the configuration keeps it as text."""
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    return value.isoformat() if isinstance(value, _dt.date) else value
