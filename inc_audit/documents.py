"""Checking one thing on its own: a markdown file before it is filed, or one live incident."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from inc_audit.config.file import Config
from inc_audit.errors import InputError
from inc_audit.findings import AuditResult, IncidentResult
from inc_audit.model import IssueKey
from inc_audit.reading import validity
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import KINDS


def read_document(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", "give a markdown file, - for stdin, or GROUP/PROJECT#IID") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None


def guess_kind(text: str, config: Config) -> str | None:
    """The schema a document reads as most strongly, if any."""
    document = parse(text)
    scores = {kind: config.schema(kind).matches(document) for kind in KINDS}
    best = max(scores, key=lambda kind: scores[kind])
    return best if scores[best] else None


def check_file(path: str, kind: str | None, config: Config) -> AuditResult:
    from inc_audit.rules import check_document  # here: the template gate (guess_kind) never loads the rules

    text = read_document(path)
    kind = kind or guess_kind(text, config)
    if kind is None:
        raise InputError(
            f"{path} reads as none of the known documents", "say which with --kind report|post-mortem|change"
        )
    subject = IncidentResult(
        key=IssueKey(path, 0),
        title=kind,
        web_url="",
        state="draft",
        confidential=False,
        findings=tuple(check_document(text, kind, config)),
        location=path,
        notes=tuple(validity.notes(config.schema(kind), parse(text))),
    )
    return AuditResult(datetime.now(timezone.utc), {"kind": "file", "path": path}, (subject,))


def check_live(
    project: str, iid: int, url: str | None, config: Config, as_of: datetime, token: str | None = None
) -> AuditResult:
    from inc_audit.audit import audit_issue, is_complete
    from inc_audit.sources.http.session import connect
    from inc_audit.sources.rest.source import GitLabSource

    if not url:
        raise InputError("no GitLab URL to read the incident from", "give --gitlab-url or set gitlab.url in the config")
    gl = connect(url, token if token is not None else os.environ.get("GITLAB_TOKEN"))
    source = GitLabSource(gl, project=project)
    issue = source.get_issue(iid)
    result = audit_issue(issue, config, source, as_of)
    return AuditResult(as_of, source.describe(), (result,), complete=is_complete((result,), ()))
