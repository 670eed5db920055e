"""What a failed call means, as a one-line error (python-gitlab raises its own exceptions or
requests' ones, with the token or a next-page URL in their text).

A refused token, missing access or a missing project is a ``ConfigError`` (exit 2); anything
else is a ``SourceError`` (the audit is incomplete). Every message goes through ``redact``.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import gitlab
import requests

from inc_audit.errors import ConfigError, SourceError
from inc_audit.redaction import redact, safe_url
from inc_audit.sources.http.guard import REDIRECT_HINT, URL_HINT, ForeignHost, ForeignRedirect
from inc_audit.text import repair

SCOPE_HINT = (
    "the token needs the read_api scope (api to publish the audit issue) and its user must"
    " be a member of the project or group"
)
UNREACHABLE_HINT = (
    "check the URL and that GitLab is up and reachable from here (proxy, firewall);"
    " the audit is incomplete, run it again"
)
WRONG_URL_HINT = (
    "check the GitLab URL (--gitlab-url, gitlab.url or $CI_SERVER_URL) and that GitLab is up;"
    " the audit is incomplete"
)
INCOMPLETE_HINT = "the audit is incomplete; check the message above and run it again"


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


class Unreachable(Exception):
    """The very first request found no GitLab: the host name does not resolve, or nothing
    listens on its port. Most likely a mistyped URL, so not retried for the whole budget."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def unreachable(error: BaseException) -> str | None:
    """Why ``error`` (a requests connection error) shows that no GitLab is at the URL, if it does:
    the name does not resolve (``socket.gaierror``) or the connection was refused."""
    seen: set[int] = set()
    stack: list[object] = [error]
    while stack:
        cause = stack.pop()
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return "no such host (its name does not resolve)"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (nothing listens on that host and port)"
        stack += [cause.__cause__, cause.__context__, getattr(cause, "reason", None), *cause.args]
    return None


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
    """The one-line error a failed call of ``what`` means; None: not a failure of GitLab's.

    ``not_found`` is the (message, hint) of a ``ConfigError`` to raise on 404; without it a
    404 is a ``SourceError``. A status in ``absent`` (403, 404: an issue the token may not
    see) is ``Absent`` instead, for the caller to report as a finding."""
    secrets = _secrets(gl)
    code = getattr(error, "response_code", None) if isinstance(error, gitlab.exceptions.GitlabError) else None
    if code in absent:
        return Absent(int(code or 0))
    if isinstance(error, Unreachable):
        message = f"cannot reach GitLab at {safe_url(gl.url)}: {error.reason}"
        return SourceError(redact(message, secrets), WRONG_URL_HINT)
    refused = _refusal(what, code, not_found, secrets)
    reason, hint = _reason(error)
    if refused is not None or reason is None:
        return refused
    if isinstance(error, GaveUp):
        reason += f" (gave up after {error.tries} attempt{'s' if error.tries > 1 else ''} in {error.elapsed:.1f}s)"
    if hint is not None:
        return ConfigError(redact(f"cannot use GitLab at {safe_url(gl.url)}: {reason} while {what}", secrets), hint)
    return SourceError(
        redact(f"GitLab at {safe_url(gl.url)} failed while {what}: {reason}", secrets),
        UNREACHABLE_HINT if isinstance(error, GaveUp) else INCOMPLETE_HINT,
    )


def _reason(error: Exception) -> tuple[str | None, str | None]:
    """What went wrong, and for a configuration problem (exit 2) how to fix it."""
    if isinstance(error, GaveUp):
        return error.reason, None
    if isinstance(error, gitlab.exceptions.GitlabError) and error.response_code is not None:
        return failure_reason(int(error.response_code)) + _detail(error), None
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
        return f"TLS failure ({_short(error)})", None
    if isinstance(error, BadAnswer):
        return str(error), None
    if isinstance(error, gitlab.exceptions.RedirectError):
        return "GitLab redirected the request; use the final (https) URL", None
    if isinstance(error, (gitlab.exceptions.GitlabParsingError, ValueError)):  # requests' JSONDecodeError too
        return "the answer was not valid JSON", None
    if isinstance(error, requests.exceptions.RequestException):
        return failure_reason(error), None
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
    what: str, code: int | None, not_found: tuple[str, str] | None, secrets: tuple[str | None, ...]
) -> ConfigError | SourceError | None:
    """A refused token (401), missing access (403), a missing project or object (404)."""
    if code == 401:
        return ConfigError("GitLab refused the token (401)", "check GITLAB_TOKEN: it may be expired or revoked")
    if code == 403:
        return ConfigError(redact(f"the token lacks access (403) while {what}", secrets), SCOPE_HINT)
    if code == 404 and not_found is not None:
        return ConfigError(redact(not_found[0], secrets), not_found[1])
    if code == 404:
        return SourceError(redact(f"GitLab answered 404 while {what}", secrets),
                           "it may have been deleted or moved during the scan; run the audit again")
    return None
