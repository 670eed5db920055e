"""GitLab's REST lists, every page: one after another by their Link header (``iter_items``), or
in parallel where GitLab's offset pagination allows it (``read_lists``).

GitLab's list endpoints paginate by offset (``page=N``, at most ``per_page=100``) and
announce ``X-Total-Pages`` on each page, except when a list holds more than 10,000 items:
then ``X-Total``, ``X-Total-Pages`` and the ``rel="last"`` link are left out, and the only
way on is the ``rel="next"`` link, page after page. ``read_lists`` asks for page 1 of
every list at once, with the pages after it of the first list that ``workers`` leaves room
for (``first_pages``);
once they have answered, the pages up to N it announced are asked by number, all lists' at
once within ``workers`` requests in flight (``parallel.ordered_map``: in
order, fail-fast, cancelling the others); then a list that grew meanwhile is followed by
its last page's next link (``GROWTH`` pages at most), and a list that announced no total
by its links, as ``iter_items`` does. Reading pages by number is only safe on an order
that new or edited items do not shift: the lists are read oldest first
(``order_by=created_at&sort=asc``), so an item created meanwhile lands on the last page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from inc_audit.model import IssueKey
from inc_audit.sources.http.classify import BadAnswer
from inc_audit.sources.http.parallel import ordered_map
from inc_audit.sources.http.session import Client, failures, request

T = TypeVar("T")

PER_PAGE = 100


class _Pages:
    """Every item of a paginated list, page after page, through python-gitlab's public
    ``http_request`` (each page retried on its own): the next page is the answer's Link header,
    kept on the configured base URL as python-gitlab's ``keep_base_url`` does. A page that is
    not a list, a next link already followed, more pages than the first page's X-Total-Pages
    (or X-Total) announced, or than ``MAX_PAGES``, ends the read with an error instead of an
    ``IndexError`` (or a list of characters, or a loop that never ends). The first page is read
    when the object is made, the next one when the items of a page run out."""

    def __init__(self, gl: Client, url: str, query: dict[str, Any]) -> None:
        self.gl = gl
        self.seen: set[str] = set()
        self.allowed: int | None = None
        self.items: Iterator[Any] = iter(())
        self.next_url: str | None = None
        self._read(url, query)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        while True:
            item = next(self.items, _END)
            if item is not _END:
                return item
            if self.next_url is None:
                raise StopIteration
            self._read(self.next_url, {})

    def _read(self, url: str, query: dict[str, Any]) -> None:
        marker = f"{url}?{sorted(query.items())}"
        if marker in self.seen:
            raise BadAnswer("its pagination looped (a next-page link came twice)")
        allowed = self.allowed
        if allowed is not None and len(self.seen) >= allowed + GROWTH:
            raise BadAnswer(f"its pagination went on past the {allowed} page(s) it announced (X-Total-Pages)")
        if len(self.seen) >= MAX_PAGES:
            raise BadAnswer(f"its pagination went on past {MAX_PAGES} pages")
        self.seen.add(marker)
        self.next_url = None
        answer = request(self.gl, "get", url, query_data=query)
        page = answer.json()
        if not isinstance(page, list):
            raise BadAnswer("a page of the list was not a list")
        if len(self.seen) == 1:
            headers = answer.headers
            self.allowed = _pages_announced(
                headers.get("X-Total-Pages"), headers.get("X-Total"), headers.get("X-Per-Page")
            )
        self.next_url = _on_base_url(self.gl, answer.links.get("next", {}).get("url"))
        self.items = iter(page)


def _on_base_url(gl: Client, url: str | None) -> str | None:
    """A next-page link with the configured base URL in place of the one GitLab wrote (its
    ``external_url`` may differ); the guard still refuses any request for another host."""
    if not url or url.startswith(gl.url):
        return url
    match = re.match(r"^(.*?)/api/", url)
    return url if match is None else gl.url + url[len(match.group(1)) :]


MAX_PAGES = 10_000
"""Pages one listing may have (a million issues or notes at 100 a page)."""
GROWTH = 1
"""Pages a listing may grow by while it is read (an issue created meanwhile)."""


def _pages_announced(total_pages: Any, total: Any, per_page: Any) -> int | None:
    """The pages a listing's first answer says it has (GitLab leaves the headers out beyond
    10,000 items: then None)."""

    def number(value: Any) -> int | None:
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) < 10 else None

    pages, items, size = number(total_pages), number(total), number(per_page)
    if pages is not None:
        return max(pages, 1)
    if items is not None and size:
        return max(-(-items // size), 1)
    return None


def iter_items(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None, any_shape: bool = False, absent: tuple[int, ...] = (),
) -> Iterator[Any]:
    """Every item of a paginated list, page after page.

    Items that are not objects are skipped, or with ``any_shape`` yielded for the caller
    to report. A status in ``absent`` raises ``Absent``, for the caller to report.
    """
    with failures(gl, what, not_found=not_found, absent=absent):
        pages = _Pages(gl, f"{gl.api_url}{path}", {**(query or {}), "per_page": PER_PAGE})
    while True:
        with failures(gl, what, not_found=not_found, absent=absent):
            item = next(pages, _END)
        if item is _END:
            return
        if any_shape or isinstance(item, dict):
            yield item


_END = object()


def batches_of(keys: Iterable[IssueKey], size: int) -> list[list[IssueKey]]:
    """``keys`` in their order, cut into runs of one project, ``size`` at most."""
    batches: list[list[IssueKey]] = []
    for key in keys:
        if batches and batches[-1][0].project == key.project and len(batches[-1]) < size:
            batches[-1].append(key)
        else:
            batches.append([key])
    return batches


# --- in parallel ----------------------------------------------------------------------------


List = tuple[str, str, dict[str, Any]]
"""One list to read: what reading it does ("listing issues labelled incident"), its path
under the API ("/projects/7/issues"), its query."""


def read_lists(
    gl: Client, lists: Sequence[List], workers: int, each: Callable[[int, Any], T | None],
    first_wave: Callable[[], object] | None = None,
) -> Iterator[tuple[int, list[T]]]:
    """The items of every list, a page at a time: (index of the list in ``lists``, what
    ``each(index, item)`` made of each item of that page, Nones left out).

    ``each`` runs in the reader thread as a page arrives, so a caller that needs little of
    an item (its key) never holds the whole page. The first wave asks page 1 of every list
    and the next pages of the first, ``first_pages(workers, len(lists))``, at once (a list
    shorter than that answers the pages past its end empty); once it has answered, ``first_wave()`` is called
    when pages are left, and the pages each list's page 1 announced beyond the first wave
    are asked by number, all lists' at once within
    ``workers``; then what the lists grew by and the lists without a total, by their last
    page's next link. Pages come in that order, list by list within each wave. A failure is
    one line (``failures``) and ends the read.
    """
    base = [(what, f"{gl.api_url}{path}", {"order_by": "created_at", "sort": "asc", **query,
                                           "per_page": PER_PAGE})
            for what, path, query in lists]
    ahead = first_pages(workers, len(base))

    def fetch(job: tuple[int, str, dict[str, Any]]) -> tuple[list[T], int | None, str | None]:
        index, url, query = job
        with failures(gl, base[index][0]):
            answer = request(gl, "get", url, query_data=query)
            page = answer.json()
            if not isinstance(page, list):
                raise BadAnswer("a page of the list was not a list")
            headers = answer.headers
            pages = _pages_announced(headers.get("X-Total-Pages"), headers.get("X-Total"), headers.get("X-Per-Page"))
            following = _on_base_url(gl, answer.links.get("next", {}).get("url"))
        made = [kept for kept in (each(index, item) for item in page) if kept is not None]
        return made, pages, following

    def numbered(index: int, n: int) -> tuple[int, str, dict[str, Any]]:
        return index, base[index][1], {**base[index][2], "page": n} if n > 1 else base[index][2]

    wave = [numbered(index, n) for index in range(len(base)) for n in range(1, ahead[index] + 1)]
    announced: dict[int, int | None] = {}
    last: dict[int, str | None] = {}
    read: dict[int, int] = {}
    for (index, _, query), (items, pages, following) in zip(wave, ordered_map(fetch, wave, workers), strict=True):
        n = query.get("page", 1)
        if n == 1:
            announced[index] = pages
            if pages is not None and pages > MAX_PAGES:
                with failures(gl, base[index][0]):
                    raise BadAnswer(f"its pagination went on past {MAX_PAGES} pages")
        elif items and announced[index] is not None and n > (announced[index] or 1) + GROWTH:
            with failures(gl, base[index][0]):
                raise BadAnswer(f"its pagination went on past the {announced[index]} page(s) it announced"
                                " (X-Total-Pages)")
        if items or n == 1 or announced[index] is None or n <= (announced[index] or 1):
            last[index], read[index] = following, n  # a page past the end, empty, has no next link to follow
        yield index, items
    rest = [numbered(index, n) for index in range(len(base))
            for n in range(ahead[index] + 1, (announced[index] or 1) + 1)]
    if first_wave is not None and (rest or any(last.values())):
        first_wave()  # the caller has taken the first wave's pages: pages are left
    for job, (items, _, following) in zip(rest, ordered_map(fetch, rest, workers), strict=True):
        last[job[0]], read[job[0]] = following, job[2]["page"]
        yield job[0], items
    for index in range(len(base)):
        following, pages, count = last[index], announced[index], read[index]
        seen: set[str] = set()
        while following is not None:
            what = base[index][0]
            if following in seen:
                with failures(gl, what):
                    raise BadAnswer("its pagination looped (a next-page link came twice)")
            if pages is not None and count >= pages + GROWTH:
                with failures(gl, what):
                    raise BadAnswer(f"its pagination went on past the {pages} page(s) it announced (X-Total-Pages)")
            if count >= MAX_PAGES:
                with failures(gl, what):
                    raise BadAnswer(f"its pagination went on past {MAX_PAGES} pages")
            seen.add(following)
            items, _, following = fetch((index, following, {}))
            count += 1
            yield index, items


def first_pages(workers: int, lists: int) -> tuple[int, ...]:
    """Pages of each list the first wave of ``read_lists`` asks at once: the first page of every
    list, and as many more of the first as ``workers`` leaves room for (6, 1 and 1 of 3 lists
    with 8 workers). The first list is the one that holds most: the issues carrying the first
    incident label, as the policy asks every incident to; the others hold those that miss it."""
    if lists < 1:
        return ()
    return (max(1, workers - (lists - 1)), *(1,) * (lists - 1))
