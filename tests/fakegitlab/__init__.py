"""A fake GitLab REST API for inc-audit's integration tests (see ``server`` for what it fakes)."""

from .server import DEFAULT_TOKENS, FakeGitLab, LoggedRequest, Write

__all__ = ["DEFAULT_TOKENS", "FakeGitLab", "LoggedRequest", "Write"]
