"""Classifying a failed attempt: what is worth retrying, and the one-line error for the rest.

A refused token, missing access or a missing project is a ``ConfigError`` (exit 2); anything
else is a ``SourceError`` (the audit is incomplete). Every message goes through ``redact``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import gitlab
import requests

from inc_audit.errors import ConfigError, SourceError
from inc_audit.redaction import redact, safe_url
from inc_audit.sources.budget import RetryPolicy, retry_after
from inc_audit.sources.guard import REDIRECT_HINT, URL_HINT, ForeignHost, ForeignRedirect
from inc_audit.text import repair

TRANSIENT_STATUS = frozenset({500, 502, 503, 504})

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



@dataclass(frozen=True)
class _Problem:
    """One failed attempt, classified."""

    reason: str
    status: int | None = None
    transient: bool = True
    wait: float | None = None
    hint: str | None = None
    """For a refusal that is a configuration problem (exit 2): how to fix it."""



def _classify(error: Exception, headers: Any) -> _Problem | None:
    if isinstance(error, ForeignRedirect):
        return _Problem(f"it redirected the request to another host ({error})", transient=False, hint=REDIRECT_HINT)
    if isinstance(error, ForeignHost):
        return _Problem(f"a request for another host ({error}) was stopped", transient=False, hint=REDIRECT_HINT)
    if isinstance(error, gitlab.exceptions.GitlabError) and error.response_code is not None:
        return _status_problem(error, headers)
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return _Problem("its redirects went round in circles", transient=False, hint=URL_HINT)
    if isinstance(error, requests.exceptions.SSLError):
        return _Problem(f"TLS failure ({_short(error)})", transient=False)
    if isinstance(error, requests.exceptions.Timeout):
        return _Problem("no answer before the timeout")
    if isinstance(
        error,
        (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
         requests.exceptions.InvalidSchema),
    ):
        return _Problem(f"invalid URL ({_short(error)})", transient=False, hint=URL_HINT)
    if isinstance(
        error,
        (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
         requests.exceptions.ContentDecodingError),
    ):
        return _Problem(f"connection failed ({_short(error)})")
    if isinstance(error, gitlab.exceptions.RedirectError):
        return _Problem("GitLab redirected the request; use the final (https) URL", transient=False)
    if isinstance(error, (gitlab.exceptions.GitlabParsingError, ValueError)):
        return _Problem("the answer was not valid JSON")
    return None


def _status_problem(error: gitlab.exceptions.GitlabError, headers: Any) -> _Problem:
    code = int(error.response_code or 0)
    if code == 429:
        wait = retry_after(headers)
        return _Problem("HTTP 429 (rate limited)", code, wait=wait)
    if code in TRANSIENT_STATUS:
        return _Problem(f"HTTP {code}", code)
    detail = repair(str(error.error_message or "")).strip().splitlines()
    suffix = f": {detail[0][:200]}" if detail else ""
    return _Problem(f"HTTP {code}{suffix}", code, transient=False)


def _short(error: Exception) -> str:
    text = repair(str(error))
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    if "RemoteDisconnected" in text or "closed connection" in text:
        return "the server closed the connection"
    return text.splitlines()[0][:160] if text else type(error).__name__


def _refusal(
    gl: gitlab.Gitlab, what: str, problem: _Problem, not_found: tuple[str, str] | None
) -> ConfigError | SourceError:
    secrets = _secrets(gl)
    if problem.status == 401:
        return ConfigError(
            "GitLab refused the token (401)", "check GITLAB_TOKEN: it may be expired or revoked"
        )
    if problem.status == 403:
        message = redact(f"the token lacks access (403) while {what}", secrets)
        return ConfigError(message, SCOPE_HINT)
    if problem.status == 404 and not_found is not None:
        return ConfigError(redact(not_found[0], secrets), not_found[1])
    if problem.status == 404:
        return SourceError(
            redact(f"GitLab answered 404 while {what}", secrets),
            "it may have been deleted or moved during the scan; run the audit again",
        )
    if problem.hint is not None:
        message = f"cannot use GitLab at {safe_url(gl.url)}: {problem.reason} while {what}"
        return ConfigError(redact(message, secrets), problem.hint)
    return SourceError(
        redact(f"GitLab at {safe_url(gl.url)} failed while {what}: {problem.reason}", secrets),
        "the audit is incomplete; check the message above and run it again",
    )


def _exhausted(
    gl: gitlab.Gitlab, what: str, problem: _Problem, tries: int, elapsed: float, policy: RetryPolicy
) -> SourceError:
    reason = problem.reason
    if problem.wait is not None and problem.wait > policy.budget - elapsed:
        reason += f"; GitLab asked to wait {problem.wait:.0f}s, beyond the retry budget"
    message = (
        f"GitLab at {safe_url(gl.url)} failed while {what}: {reason}"
        f" (gave up after {tries} attempt{'s' if tries > 1 else ''} in {elapsed:.1f}s)"
    )
    return SourceError(redact(message, _secrets(gl)), UNREACHABLE_HINT)
