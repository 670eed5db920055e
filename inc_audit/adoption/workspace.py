"""What `inc-audit init` does in the checkout beside writing the configuration: keep the
cache folder out of git, and find templates when the project has none."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CACHE_FOLDER = ".inc-audit-cache/"
_CACHE_PATTERNS = {".inc-audit-cache", ".inc-audit-cache/", "/.inc-audit-cache", "/.inc-audit-cache/"}


def shipped_templates() -> Path:
    """The folder of the Umami templates shipped with inc-audit."""
    return Path(str(resources.files("inc_audit.builtin_templates")))


def ignore_cache(folder: Path) -> str:
    """Add the cache folder to ``folder``/.gitignore: "created", "added", or "present"."""
    path = folder / ".gitignore"
    if not path.exists():
        path.write_text(f"# inc-audit's cache of live audits (safe to delete)\n{CACHE_FOLDER}\n", encoding="utf-8")
        return "created"
    text = path.read_text(encoding="utf-8", errors="replace")
    if any(line.strip() in _CACHE_PATTERNS for line in text.splitlines()):
        return "present"
    separator = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{separator}{CACHE_FOLDER}\n")
    return "added"
