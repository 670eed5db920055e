"""The GitLab project a checkout comes from: its git remote `origin`, read as GitLab's URL and
the project's path.

Both forms GitLab offers are read: `git@gitlab.example.com:group/project.git` (ssh) and
`https://gitlab.example.com/group/project.git`, with `ssh://` and a port too. A remote URL may
hold a credential (`https://oauth2:glpat-...@host/...`): only the host and the path are kept,
and the remote URL itself is never printed or written.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_SCP = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?!//)(?P<path>[^\s]+)$")


@dataclass(frozen=True)
class Remote:
    url: str  # https://host[:port], what gitlab.url takes
    project: str  # group/subgroup/project


def origin_url(folder: Path) -> str | None:
    """`git remote get-url origin` in ``folder``; None outside a git work tree or without git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "remote", "get-url", "origin"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    url = done.stdout.strip()
    return url if done.returncode == 0 and url else None


def parse(remote: str) -> Remote | None:
    """GitLab's URL and the project's path from a remote URL; None for what is not one."""
    scp = _SCP.match(remote) if "://" not in remote else None
    if scp:
        host, port, path, web = scp.group("host"), None, scp.group("path"), "https"
    else:
        parts = urlsplit(remote)
        if parts.scheme not in ("https", "http", "ssh", "git+ssh", "git"):
            return None
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            return None
        path = parts.path
        web = parts.scheme if parts.scheme in ("https", "http") else "https"
        if web != parts.scheme:
            port = None  # the port of ssh or git is not the web's
    project = path.strip("/").removesuffix(".git").strip("/")
    if not host or project.count("/") < 1 or not re.fullmatch(r"[\w.+-]+(/[\w.+-]+)+", project):
        return None
    host = f"[{host}]" if ":" in host else host.lower()
    return Remote(f"{web}://{host}" + (f":{port}" if port else ""), project)


def from_checkout(folder: Path) -> Remote | None:
    url = origin_url(folder)
    return parse(url) if url else None
