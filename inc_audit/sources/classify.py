"""What a failed call means, as a one-line error (python-gitlab raises its own exceptions or
requests' ones, with the token or a next-page URL in their text).

A refused token, missing access or a missing project is a ``ConfigError`` (exit 2); anything
else is a ``SourceError`` (the audit is incomplete). Every message goes through ``redact``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import gitlab
import requests

from inc_audit.errors import ConfigError, SourceError
from inc_audit.redaction import redact, safe_url
from inc_audit.sources.guard import REDIRECT_HINT, URL_HINT, ForeignHost, ForeignRedirect
from inc_audit.text import repair

SCOPE_HINT = (
    "the token needs the read_api scope (api to publish the audit issue) and its user must"
    " be a member of the project or group"
)
UNREACHABLE_HINT = (
    "check the URL and that GitLab is up and reachable from here (proxy, firewall);"
    " the audit is incomplete, run it again"
)


def _secrets(gl: gitlab.Gitlab) -> tuple[str | None, ...]:
    password = urlsplit(gl.url).password
    return (gl.private_token, gl.oauth_token, gl.job_token, gl.http_password, password)


class Absent(Exception):
    """A read GitLab refused with a status the caller asked to hear about (``absent``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class GaveUp(Exception):
    """A call stopped retrying: the next wait would have overrun its retry budget."""

    def __init__(self, reason: str, tries: int, elapsed: float) -> None:
        super().__init__(reason)
        self.reason, self.tries, self.elapsed = reason, tries, elapsed


class TLSFailure(Exception):
    """The TLS handshake failed: not worth retrying (python-gitlab would)."""


class BadAnswer(Exception):
    """An answer that python-gitlab took but inc-audit cannot use (a page that is not a list,
    pagination that loops)."""


def failure_reason(failure: Exception | int) -> str:
    """Why one attempt failed (a status, or a connection failure), for messages."""
    if isinstance(failure, int):
        return "HTTP 429 (rate limited)" if failure == 429 else f"HTTP {failure}"
    if isinstance(failure, requests.exceptions.Timeout):
        return "no answer before the timeout"
    return f"connection failed ({_short(failure)})"


def error_for(
    gl: gitlab.Gitlab, what: str, error: Exception, *,
    not_found: tuple[str, str] | None = None, absent: tuple[int, ...] = (),
) -> Exception | None:
    """The one-line error (or ``Absent``) a failed call of ``what`` means; None: not ours."""
    secrets = _secrets(gl)
    if isinstance(error, GaveUp):
        message = (f"GitLab at {safe_url(gl.url)} failed while {what}: {error.reason}"
                   f" (gave up after {error.tries} attempt{'s' if error.tries > 1 else ''} in {error.elapsed:.1f}s)")
        return SourceError(redact(message, secrets), UNREACHABLE_HINT)
    if isinstance(error, gitlab.exceptions.GitlabError) and error.response_code is not None:
        code = int(error.response_code)
        if code in absent:
            return Absent(code)
        return _refusal(gl, what, code, _detail(error), not_found)
    reason, hint = _reason(error)
    if reason is None:
        return None
    if hint is not None:
        message = f"cannot use GitLab at {safe_url(gl.url)}: {reason} while {what}"
        return ConfigError(redact(message, secrets), hint)
    return SourceError(
        redact(f"GitLab at {safe_url(gl.url)} failed while {what}: {reason}", secrets),
        "the audit is incomplete; check the message above and run it again",
    )


def _reason(error: Exception) -> tuple[str | None, str | None]:
    """What went wrong, and for a configuration problem (exit 2) how to fix it."""
    if isinstance(error, ForeignRedirect):
        return f"it redirected the request to another host ({error})", REDIRECT_HINT
    if isinstance(error, ForeignHost):
        return f"a request for another host ({error}) was stopped", REDIRECT_HINT
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "its redirects went round in circles", URL_HINT
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                          requests.exceptions.InvalidSchema)):
        return f"invalid URL ({_short(error)})", URL_HINT
    if isinstance(error, TLSFailure):
        return f"TLS failure ({error})", None
    if isinstance(error, BadAnswer):
        return str(error), None
    if isinstance(error, (requests.exceptions.RequestException)):
        return failure_reason(error), None
    if isinstance(error, gitlab.exceptions.RedirectError):
        return "GitLab redirected the request; use the final (https) URL", None
    if isinstance(error, (gitlab.exceptions.GitlabParsingError, ValueError)):
        return "the answer was not valid JSON", None
    return None, None


def _detail(error: gitlab.exceptions.GitlabError) -> str:
    message = error.error_message
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message or "")
    detail = repair(text).strip().splitlines()
    return f": {detail[0][:200]}" if detail else ""


def _short(error: Exception) -> str:
    text = repair(str(error))
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    if "RemoteDisconnected" in text or "closed connection" in text:
        return "the server closed the connection"
    return text.splitlines()[0][:160] if text else type(error).__name__


def _refusal(
    gl: gitlab.Gitlab, what: str, code: int, detail: str, not_found: tuple[str, str] | None
) -> ConfigError | SourceError:
    secrets = _secrets(gl)
    if code == 401:
        return ConfigError(
            "GitLab refused the token (401)", "check GITLAB_TOKEN: it may be expired or revoked"
        )
    if code == 403:
        message = redact(f"the token lacks access (403) while {what}", secrets)
        return ConfigError(message, SCOPE_HINT)
    if code == 404 and not_found is not None:
        return ConfigError(redact(not_found[0], secrets), not_found[1])
    if code == 404:
        return SourceError(
            redact(f"GitLab answered 404 while {what}", secrets),
            "it may have been deleted or moved during the scan; run the audit again",
        )
    reason = "HTTP 429 (rate limited)" if code == 429 else f"HTTP {code}{detail}"
    return SourceError(
        redact(f"GitLab at {safe_url(gl.url)} failed while {what}: {reason}", secrets),
        "the audit is incomplete; check the message above and run it again",
    )
