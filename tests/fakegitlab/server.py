"""A fake GitLab REST API (v4), and GraphQL (graphql_api), over real HTTP on 127.0.0.1, for tests.

What it fakes: the few endpoints inc-audit reads and writes (current user,
version, projects and groups, issue lists with GitLab's filters and offset
pagination, single issues, notes, note award emoji, issue links, creating
and editing issues, adding notes), with GitLab's JSON shapes, pagination
headers and Link, error bodies, personal access tokens with scopes, and the
faults a real instance shows: latency, 502s, 429s with Retry-After and
RateLimit-* headers, a real fixed-window rate limit, slow answers and a
server that goes away, an instance that moved (every request redirected
elsewhere), and answers mangled on their way (``corrupt``: the shapes a buggy
proxy or GitLab version could hand over). Every request is logged (never a
token, only whether one came) and writes are logged with their fields.

What it does not fake: permissions beyond token scopes (every token sees
every project and confidential issue), keyset pagination, merge
requests, milestones, assignees, labels as objects, webhooks, and any
endpoint not in ``api.ROUTES`` (those answer GitLab's 404).

Usage::

    with FakeGitLab.from_export(path, "umami-wallet/umami") as gl:
        client = gitlab.Gitlab(gl.url, private_token="tok-api")
        gl.fail_every = 3            # faults can change at any time
        assert gl.counts()["GET /projects/:project/issues"] == 1
"""

from __future__ import annotations

import json
import math
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, overload
from urllib.parse import parse_qsl, unquote, urlsplit

from .api import ROUTES, ApiError, Call, Reply
from .export_seed import load_export
from .project_api import ROUTES as PROJECT_ROUTES
from .store import Project, Store, User

PROJECT = "umami-wallet/umami"
READ_TOKEN = "tok-read"
API_TOKEN = "tok-api"
DEFAULT_TOKENS: dict[str, tuple[str, tuple[str, ...]]] = {
    READ_TOKEN: ("alice", ("read_api",)),
    API_TOKEN: ("bot", ("api",)),
}
TOKEN_PARAMS = ("private_token", "access_token")
API_PREFIX = "/api/v4"
GRAPHQL_PATH = "/api/graphql"
READ_SCOPES = frozenset({"api", "read_api"})
WRITE_SCOPES = frozenset({"api"})
Headers = list[tuple[str, str]]
RawAnswer = Callable[[Any, threading.Event, str], None]

BAD_GATEWAY_PAGE = b"""<!DOCTYPE html>
<html><head><title>Something went wrong (502)</title></head>
<body><h1>502</h1><h2>Whoops, GitLab is taking too much time to respond.</h2>
<p>Try refreshing the page, or going back and attempting the action again.</p></body></html>
"""


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; ``status`` is None when it was dropped unanswered."""

    seq: int
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    endpoint: str
    status: int | None
    credential: bool = False
    """A token came with the request (header or query parameter)."""


@dataclass(frozen=True)
class PathFault:
    """A fault on the requests whose path matches ``pattern``: an answer ``status``
    (GitLab's 502 page for 502, else a JSON error) and/or ``delay`` seconds first."""

    pattern: re.Pattern[str]
    status: int | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Write:
    """One POST/PUT that reached its handler, with the fields it sent.

    ``endpoint`` is the route template alone ("/projects/:project/issues"), ``method`` aside.
    """

    method: str
    path: str
    endpoint: str
    fields: dict[str, Any]
    status: int


@dataclass
class _Response:
    status: int
    body: bytes
    headers: Headers = field(default_factory=list)


@dataclass(frozen=True)
class _Request:
    method: str
    target: str
    headers: Message
    body: bytes


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Callable[[Call], Reply]

    @classmethod
    def compile(cls, method: str, template: str, handler: Callable[[Call], Reply]) -> _Route:
        regex = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
        return cls(method, template, re.compile(f"^{API_PREFIX}{regex}$"), handler)


_ROUTES = [_Route.compile(*route) for route in (*ROUTES, *PROJECT_ROUTES)]


@dataclass
class _Window:
    """A fixed rate-limit window: ``limit`` requests per ``seconds``."""

    limit: int
    seconds: float
    start: float = 0.0
    count: int = 0


@dataclass
class _Plan:
    """What the faults decided for one request before it is answered."""

    seq: int
    drop: bool = False
    delay: float = 0.0
    fail: bool = False
    throttled: bool = False
    retry_after: int = 0
    rate_headers: Headers = field(default_factory=list)


class _Every:
    """A fault setting counted in requests (None turns it off); setting it restarts the count."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_count"

    @overload
    def __get__(self, obj: None, owner: type) -> _Every: ...
    @overload
    def __get__(self, obj: object, owner: type) -> int | None: ...
    def __get__(self, obj: object | None, owner: type) -> _Every | int | None:
        if obj is None:
            return self
        limit: int | None = getattr(obj, self.slot)[0]
        return limit

    def __set__(self, obj: object, value: int | None) -> None:
        if value is not None and value < 0:
            raise ValueError("a request count cannot be negative")
        setattr(obj, self.slot, [value, 0])

    def tick(self, obj: object) -> tuple[int | None, int]:
        """Count one request; the setting and the requests counted since it was set."""
        state = getattr(obj, self.slot)
        state[1] += 1
        return state[0], state[1]


class FakeGitLab(Store):
    """The fake instance: a ``Store`` served over HTTP in a background thread.

    ``tokens`` maps each token to (username, scopes); the default gives
    "tok-read" (alice, read_api) and "tok-api" (bot, api).
    """

    fail_every = _Every()
    """Every Nth request answers 502 with GitLab's HTML error page."""
    rate_limit_every = _Every()
    """Every Nth request answers 429 with Retry-After: ``retry_after`` and RateLimit-* headers."""
    slow_every = _Every()
    """Every Nth request waits ``slow_seconds`` more before answering."""
    drop_after = _Every()
    """After N more requests, every request is dropped: the connection closes unanswered."""

    def __init__(
        self, tokens: Mapping[str, tuple[str, Iterable[str]]] | None = None, host: str = "127.0.0.1"
    ) -> None:
        super().__init__()
        self.host = host
        """The loopback address to listen on (127.0.0.2 makes a second, distinct host)."""
        self.redirect_to: str | None = None
        """A base URL: every request answers 301 to the same path and query there."""
        self.corrupt: dict[str, Callable[[Any, dict[str, str]], Any]] = {}
        """By endpoint ("GET /projects/:project/issues/:iid/notes"): a function of the JSON
        body of that endpoint's successful answers and the route's arguments ({"iid": "14"})
        that gives the body to send instead."""
        self.corrupt_graphql: Callable[[Any], Any] | None = None
        """A function of the JSON body of POST /api/graphql's answers (status 200) that
        gives the body to send instead, as ``corrupt`` does for the REST endpoints."""
        self.path_faults: list[PathFault] = []
        self.raw_answers: list[tuple[re.Pattern[str], RawAnswer]] = []
        """Hostile servers: a request whose path matches is answered by the function, which
        writes raw bytes (a trickle, a gzip bomb, a lying header) to the socket itself."""
        self.tokens = {
            token: (username, frozenset(scopes))
            for token, (username, scopes) in (tokens or DEFAULT_TOKENS).items()
        }
        self.latency = 0.0
        self.work_within_latency = False
        """False: every answer is built once ``latency`` has passed (it leaves ``latency`` plus
        the time its building took after the request came). True: it is built as the request
        comes and leaves ``latency`` after it (or once built, if that took longer), as from a
        GitLab that answers in ``latency`` whatever it does meanwhile."""
        self.slow_seconds = 5.0
        self.retry_after = 1
        self.graphql = True
        """POST /api/graphql is served (False: it answers 404, as a GitLab without GraphQL)."""
        self.graphql_without: tuple[str, ...] = ()
        """GraphQL fields left out ("Issue.linkedWorkItems"), as an older GitLab lacks them."""
        self.fail_every = self.rate_limit_every = self.slow_every = self.drop_after = None
        self._window: _Window | None = None
        self.errors: list[BaseException] = []
        self._seq = 0
        self._log: list[LoggedRequest] = []
        self._writes: list[Write] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- seeding from an export --------------------------------------------------------

    @classmethod
    def from_export(
        cls,
        path: str | Path,
        project_path: str = PROJECT,
        *,
        tokens: Mapping[str, tuple[str, Iterable[str]]] | None = None,
        project_id: int | None = None,
    ) -> FakeGitLab:
        """A fake instance (not yet started) holding one project loaded from an export."""
        fake = cls(tokens)
        fake.load_export(path, project_path, project_id)
        return fake

    def load_export(
        self,
        path: str | Path,
        project_path: str = PROJECT,
        project_id: int | None = None,
    ) -> Project:
        """Add a GitLab project export's issues, notes, awards and links as ``project_path``."""
        return load_export(self, path, project_path, project_id)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeGitLab:
        if self._httpd is not None:
            raise RuntimeError("the fake GitLab is running already")
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-gitlab",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: wake sleeping answers, close open connections, join every thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> FakeGitLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's base URL, "http://127.0.0.1:PORT", as python-gitlab wants it."""
        if self._httpd is None:
            raise RuntimeError("the fake GitLab is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    # -- faults ------------------------------------------------------------------------

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """(requests, window seconds): a real fixed-window limit, or None for none."""
        window = self._window
        return (window.limit, window.seconds) if window else None

    @rate_limit.setter
    def rate_limit(self, value: tuple[int, float] | None) -> None:
        self._window = _Window(value[0], value[1], time.monotonic()) if value else None

    def fault_on(self, pattern: str, *, status: int | None = None, delay: float = 0.0) -> None:
        """Answer ``status`` and/or wait ``delay`` on every request whose API path matches
        ``pattern`` (a regular expression searched in the path)."""
        self.path_faults.append(PathFault(re.compile(pattern), status, delay))

    def answer_raw(self, pattern: str, answer: RawAnswer) -> None:
        """Requests whose path matches ``pattern`` get ``answer(wfile, stopping, target)``'s bytes
        (``target``: the request's path and query)."""
        self.raw_answers.append((re.compile(pattern), answer))

    def go_away(self) -> None:
        """The server went away: drop every request from now on and cut open connections."""
        self.drop_after = 0
        if self._httpd is not None:
            self._httpd.close_connections()

    # -- logs --------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        with self.lock:
            return list(self._log)

    @property
    def writes(self) -> list[Write]:
        with self.lock:
            return list(self._writes)

    def counts(self) -> Counter[str]:
        """Requests per endpoint, as "GET /projects/:project/issues" (unknown routes: "GET ?")."""
        with self.lock:
            return Counter(entry.endpoint for entry in self._log)

    def clear_logs(self) -> None:
        with self.lock:
            self._log.clear()
            self._writes.clear()

    # -- answering ---------------------------------------------------------------------

    def _respond(self, request: _Request) -> _Response | None:
        """The answer to one request, or None to close the connection without one."""
        split = urlsplit(request.target)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        route, args = _match(request.method, split.path)
        endpoint = f"{request.method} {route.template if route else '?'}"
        if split.path == GRAPHQL_PATH:
            endpoint = f"{request.method} {GRAPHQL_PATH}"
            pairs = [("operation", _operation_name(request.body))]
        plan = self._plan()
        fault = next((f for f in self.path_faults if f.pattern.search(split.path)), None)
        delay = plan.delay + (fault.delay if fault else 0.0)
        response = None
        came = time.monotonic()
        if not plan.drop and (self.work_within_latency or not self._stopping.wait(delay)):
            response = (
                self._moved(request.target) or self._faulted(plan) or _path_fault(fault)
                or self._answer(request, route, args, split.path, pairs)
            )
            response.headers.extend(plan.rate_headers)
            if self.work_within_latency and self._stopping.wait(max(0.0, came + delay - time.monotonic())):
                response = None
        query = tuple((k, v) for k, v in pairs if k not in TOKEN_PARAMS)
        status = response.status if response else None
        credential = _token(request.headers, pairs) is not None
        with self.lock:
            self._log.append(
                LoggedRequest(plan.seq, request.method, split.path, query, endpoint, status, credential)
            )
        return response

    def _moved(self, target: str) -> _Response | None:
        if self.redirect_to is None:
            return None
        location = self.redirect_to.rstrip("/") + target
        return _Response(301, b"", [("Location", location), ("Content-Type", "text/html")])

    def _plan(self) -> _Plan:
        with self.lock:
            self._seq += 1
            drop_after, seen = FakeGitLab.drop_after.tick(self)
            slow = self._hit(FakeGitLab.slow_every)
            plan = _Plan(
                self._seq,
                drop=drop_after is not None and seen > drop_after,
                delay=self.latency + (self.slow_seconds if slow else 0.0),
                fail=self._hit(FakeGitLab.fail_every),
            )
            every = self._hit(FakeGitLab.rate_limit_every)
            over, left, plan.rate_headers = self._window_tick()
            plan.throttled = every or over
            plan.retry_after = self.retry_after if every else math.ceil(left)
            if every and not plan.rate_headers:
                limit = self.rate_limit_every or 0
                plan.rate_headers = _rate_headers(limit, limit, self.retry_after)
            return plan

    def _hit(self, fault: _Every) -> bool:
        every, seen = fault.tick(self)
        return every is not None and every > 0 and seen % every == 0

    def _window_tick(self) -> tuple[bool, float, Headers]:
        """Count a request in the rate-limit window: (over the limit, seconds left, headers)."""
        window = self._window
        if window is None:
            return False, 0.0, []
        moment = time.monotonic()
        if moment >= window.start + window.seconds:
            window.start, window.count = moment, 0
        window.count += 1
        left = window.start + window.seconds - moment
        headers = _rate_headers(window.limit, window.count, left)
        return window.count > window.limit, left, headers

    @staticmethod
    def _faulted(plan: _Plan) -> _Response | None:
        if plan.fail:
            return _Response(502, BAD_GATEWAY_PAGE, [("Content-Type", "text/html; charset=utf-8")])
        if plan.throttled:
            headers = [("Content-Type", "text/plain"), ("Retry-After", str(plan.retry_after))]
            return _Response(429, b"Retry later\n", headers)
        return None

    def _answer(
        self,
        request: _Request,
        route: _Route | None,
        args: dict[str, str],
        path: str,
        pairs: list[tuple[str, str]],
    ) -> _Response:
        if path == GRAPHQL_PATH:
            return self._graphql(request)
        try:
            if route is None:
                raise _unrouted(request.method, path)
            user = self._authorize(request, pairs)
            fields = _fields(request, pairs) if request.method != "GET" else {}
            query = [(k, v) for k, v in pairs if k not in TOKEN_PARAMS]
            call = Call(self, user, args, query, fields, self.url, path)
            with self.lock:
                reply = self._run(route, call)
                if request.method != "GET":
                    self._writes.append(
                        Write(request.method, path, route.template, fields, reply.status)
                    )
            mangle = self.corrupt.get(f"{request.method} {route.template}")
            body = mangle(reply.body, args) if mangle is not None and reply.status < 300 else reply.body
            return _json(reply.status, body, reply.headers)
        except ApiError as error:
            return _json(error.status, error.payload, error.headers)

    def _graphql(self, request: _Request) -> _Response:
        """POST /api/graphql (see graphql_api): a known token, or none (anonymous)."""
        from . import graphql_api

        if not self.graphql:
            return _json(404, {"error": "404 Not Found"}, [])
        if request.method != "POST":
            return _json(405, {"errors": [{"message": "405 Method Not Allowed"}]}, [("Allow", "POST")])
        token = _token(request.headers, [])
        user = None
        if token is not None:
            owner = self.tokens.get(token)
            if owner is None:
                return _json(401, {"errors": [{"message": "Invalid token"}]}, [])
            if not set(owner[1]) & READ_SCOPES:
                return _json(403, {"errors": [{"message": "Insufficient scope"}]}, [])
            user = self.add_user(owner[0])
        with self.lock:
            status, body = graphql_api.answer(self, user, self.url, request.body, self.graphql_without)
        mangle = self.corrupt_graphql
        return _json(status, mangle(body) if mangle is not None and status == 200 else body, [])

    @staticmethod
    def _run(route: _Route, call: Call) -> Reply:
        try:
            reply: Reply = route.handler(call)
        except ApiError as error:
            reply = Reply(error.payload, error.status, error.headers)
        return reply

    def _authorize(self, request: _Request, pairs: list[tuple[str, str]]) -> User:
        """The token's owner (added as a user on first use), or 401 / 403 for its scopes."""
        token = _token(request.headers, pairs)
        owner = self.tokens.get(token) if token else None
        if owner is None:
            raise ApiError(401, {"message": "401 Unauthorized"})
        username, scopes = owner
        needed = READ_SCOPES if request.method == "GET" else WRITE_SCOPES
        if not scopes & needed:
            raise _insufficient_scope(needed)
        return self.add_user(username)


class _HTTPServer(ThreadingHTTPServer):
    """Threads per connection, joined on close; tracks sockets so stop can cut keep-alives."""

    daemon_threads = False
    block_on_close = True
    request_queue_size = 511
    """Connections waiting to be accepted: nginx's backlog in front of GitLab (socketserver's
    5 drops the SYNs of a client opening a dozen connections at once, which come back a
    second later)."""

    def __init__(self, app: FakeGitLab) -> None:
        super().__init__((app.host, 0), _Handler)
        self.app = app
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._sockets_lock:
            self._sockets.add(request)
        if self.app._stopping.is_set():
            _cut(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._sockets_lock:
                self._sockets.discard(request)

    def close_connections(self) -> None:
        with self._sockets_lock:
            for sock in list(self._sockets):
                _cut(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away mid-answer, or the server cut the connection
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    timeout = 30
    server: _HTTPServer

    def version_string(self) -> str:
        return "nginx"

    def dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = _Request(self.command, self.path, self.headers, body)
        app = self.server.app
        raw = next((a for p, a in app.raw_answers if p.search(urlsplit(self.path).path)), None)
        if raw is not None:
            with app.lock:
                app._seq += 1
                app._log.append(LoggedRequest(app._seq, self.command, urlsplit(self.path).path, (), "raw", None))
            self.close_connection = True
            raw(self.wfile, app._stopping, self.path)
            return
        try:
            response = self.server.app._respond(request)
        except Exception as error:  # a bug in the fake: answer 500 and keep it for the test
            self.server.app.errors.append(error)
            response = _json(500, {"message": "500 Internal Server Error"}, [])
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log replaces the access log (which could show tokens)."""


# -- helpers ---------------------------------------------------------------------------


def _operation_name(body: bytes) -> str:
    from . import graphql_api

    return graphql_api.operation_name(body)


def _cut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _path_fault(fault: PathFault | None) -> _Response | None:
    if fault is None or fault.status is None:
        return None
    if fault.status == 502:
        return _Response(502, BAD_GATEWAY_PAGE, [("Content-Type", "text/html; charset=utf-8")])
    return _json(fault.status, {"message": f"{fault.status}"}, [])


def _match(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    """The route for a raw path; each segment argument is percent-decoded ("a%2Fb" -> "a/b")."""
    for route in _ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    return None, {}


def _unrouted(method: str, path: str) -> ApiError:
    allowed = sorted({r.method for r in _ROUTES if r.pattern.match(path)})
    if allowed:
        return ApiError(405, {"error": "405 Method Not Allowed"}, [("Allow", ", ".join(allowed))])
    return ApiError(404, {"error": "404 Not Found"})


def _token(headers: Message, pairs: list[tuple[str, str]]) -> str | None:
    if headers.get("PRIVATE-TOKEN"):
        return str(headers["PRIVATE-TOKEN"]).strip()
    scheme, _, credentials = str(headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return next((v for k, v in pairs if k in TOKEN_PARAMS and v), None)


def _insufficient_scope(needed: frozenset[str]) -> ApiError:
    scope = " ".join(sorted(needed))
    description = "The request requires higher privileges than provided by the access token."
    challenge = (
        f'Bearer realm="", error="insufficient_scope", error_description="{description}", '
        f'scope="{scope}"'
    )
    return ApiError(
        403,
        {"error": "insufficient_scope", "error_description": description, "scope": scope},
        [("WWW-Authenticate", challenge)],
    )


def _fields(request: _Request, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A write's parameters: the query's, then the JSON or form body's (as Grape merges them)."""
    fields = _collapse(pairs)
    content_type = request.headers.get_content_type()
    if request.body and content_type == "application/json":
        try:
            data = json.loads(request.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, {"error": "The request body is not valid JSON"}) from None
        if not isinstance(data, dict):
            raise ApiError(400, {"error": "The request body must be a JSON object"})
        fields.update(data)
    elif request.body and content_type == "application/x-www-form-urlencoded":
        fields.update(_collapse(parse_qsl(request.body.decode(), keep_blank_values=True)))
    elif request.body:
        raise ApiError(415, {"error": f"415 Unsupported Media Type: {content_type}"})
    return {k: v for k, v in fields.items() if k not in TOKEN_PARAMS}


def _collapse(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Form pairs as fields: "name[]" keys gather a list, others keep their last value."""
    fields: dict[str, Any] = {}
    for key, value in pairs:
        if key.endswith("[]"):
            fields.setdefault(key[:-2], []).append(value)
        else:
            fields[key] = value
    return fields


def _json(status: int, body: Any, headers: Headers) -> _Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    return _Response(status, data, [("Content-Type", "application/json"), *headers])


def _rate_headers(limit: int, observed: int, seconds_left: float) -> Headers:
    reset = time.time() + seconds_left
    return [
        ("RateLimit-Name", "throttle_authenticated_api"),
        ("RateLimit-Limit", str(limit)),
        ("RateLimit-Observed", str(observed)),
        ("RateLimit-Remaining", str(max(limit - observed, 0))),
        ("RateLimit-Reset", str(math.ceil(reset))),
        ("RateLimit-ResetTime", formatdate(reset, usegmt=True)),
    ]
