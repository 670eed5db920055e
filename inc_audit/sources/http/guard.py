"""Keeping the token at home: requests go only to the configured GitLab's origin.

``check_url`` refuses a base URL with user-info, a query or a fragment; the session's
transport (``_HomeOnly``) refuses to send anywhere else, and a redirect to another host is
refused before requests follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import gitlab
import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from inc_audit.errors import ConfigError, InputError
from inc_audit.redaction import check_gitlab_url, safe_url
from inc_audit.sources.http.bounds import watch_connection

REDIRECT_HINT = (
    "the token was not sent there; if the instance moved, give its new base URL as --gitlab-url"
)
URL_HINT = "give the base URL of the instance, e.g. https://gitlab.com, without user, password or query"


class ForeignHost(Exception):
    """A request for another host (or port, or scheme) than the configured GitLab; not sent."""

    def __init__(self, target: str) -> None:
        super().__init__(safe_url(target))
        self.target = target


class ForeignRedirect(ForeignHost):
    """GitLab redirected a request to another host (or port, or scheme); not followed."""


class _HomeOnly(HTTPAdapter):
    """The session's transport: it sends requests to the configured GitLab's origin only.

    Whatever asks for another host (a redirect, a next-page link, an absolute URL in an
    answer), the request, and the PRIVATE-TOKEN header with it, never leaves.
    """

    def __init__(self, home: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.home = home

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if _elsewhere(self.home, request.url or ""):
            raise ForeignHost(request.url or "")
        return super().send(request, *args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedTLSPool}


class _WatchedPool(HTTPConnectionPool):
    """A connection pool that shows the attempt's deadline (``bounds.Deadline``) the
    connection it hands out, so that a server trickling bytes can be cut."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        watch_connection(connection)
        return connection


class _WatchedTLSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        watch_connection(connection)
        return connection


def _elsewhere(home: str, url: str) -> bool:
    """``url`` is not on ``home``'s origin (an upgrade from http to https on the same host is)."""
    return bool(_ORIGINS.should_strip_auth(home, url))


_ORIGINS = requests.Session()
"""Only for requests' own rule of when credentials must not follow a URL."""


def _guard(gl: gitlab.Gitlab, pool_size: int = 10) -> None:
    adapter = _HomeOnly(gl.url, pool_connections=10, pool_maxsize=pool_size, max_retries=0)
    gl.session.mount("https://", adapter)
    gl.session.mount("http://", adapter)


def _refuse_foreign_redirects(gl: gitlab.Gitlab) -> Callable[..., None]:
    """A response hook that stops a redirect to anywhere but ``gl``'s own origin before
    requests follows it, since the PRIVATE-TOKEN header would go along."""
    home = gl.url

    def refuse(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if not response.is_redirect:
            return
        target = urljoin(response.url, response.headers.get("location") or "")
        if _elsewhere(home, target):
            raise ForeignRedirect(target)

    return refuse


def check_url(url: str) -> str:
    """``url`` stripped, once it is fit to be the base of every request (``check_gitlab_url``):
    every way into a connection is checked, whichever option or setting gave the URL."""
    try:
        return check_gitlab_url(url, "the GitLab URL")
    except InputError as error:
        raise ConfigError(error.message, error.hint) from None
