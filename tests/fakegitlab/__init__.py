"""A fake GitLab REST API for inc-audit's integration tests (see ``server`` for what it fakes)."""

from .server import (
    API_TOKEN,
    DEFAULT_TOKENS,
    PROJECT,
    READ_TOKEN,
    FakeGitLab,
    LoggedRequest,
    Write,
)

__all__ = [
    "API_TOKEN",
    "DEFAULT_TOKENS",
    "PROJECT",
    "READ_TOKEN",
    "FakeGitLab",
    "LoggedRequest",
    "Write",
]
