"""What an incremental cache is valid for: the fingerprint of a scan, and inc-audit's code."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from inc_audit import __version__
from inc_audit.cache.store import FORMAT
from inc_audit.config.file import Config
from inc_audit.errors import ConfigError
from inc_audit.reading import schemas


def fingerprint(config: Config, source_description: dict[str, Any]) -> str:
    """What a cache is valid for: inc-audit's version, the config, every schema in use (its
    bytes, the approval phrasings too) and the audited GitLab (URL and project or group, as
    ``describe()`` gives them)."""
    digest = hashlib.sha256()

    def add(name: str, data: bytes) -> None:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", str(FORMAT).encode())
    add("inc-audit", __version__.encode())
    add("config", config.digest.encode())
    for kind in sorted(schemas.KINDS):
        origin = Path(config.schema(kind).origin)
        try:
            add(f"schema {kind}", origin.read_bytes())
        except OSError as error:
            raise ConfigError(f"cannot read schema {origin}: {error.strerror}") from None
    try:  # the phrasings that say what a comment must say to approve
        add("approval", (schemas.SCHEMA_DIR / "approval.json").read_bytes())
    except OSError as error:
        raise ConfigError(f"cannot read {schemas.SCHEMA_DIR / 'approval.json'}: {error.strerror}") from None
    add("source", json.dumps(source_description, sort_keys=True).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """inc-audit's own code, every module of it: verdicts reached by other code are not used,
    even under the same version number (a checkout being worked on)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    try:
        for path in sorted(package.rglob("*.py")):
            data = path.read_bytes()
            digest.update(f"{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:  # unreadable: a digest no other run shares
        return os.urandom(16).hex()
    return digest.hexdigest()
