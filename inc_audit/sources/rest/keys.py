"""The candidates' keys of a live source, listed over REST: one list per incident label and
one of incidents, their pages read in parallel (``pages.read_lists``), started as a run
opens (``start_listing``) or when asked (``list_keys``). ``KeyListing`` is part of
``GitLabSource``, and of ``GraphQLSource`` through it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

from inc_audit.model import IssueKey
from inc_audit.sources.entries import slim_issue
from inc_audit.sources.http.session import Client, encode_id, opening
from inc_audit.sources.rest.pages import read_lists


class KeyListing:
    """What ``GitLabSource`` lists its candidates' keys with."""

    gl: Client
    concurrency: int
    kind: str
    id: str | int
    given: str | int
    _listing: tuple[tuple[str, ...], Future[list[IssueKey]]] | None
    _unread: list[str]

    def _key(self, raw: Any, what: str) -> IssueKey | None:
        raise NotImplementedError

    def start_listing(self, labels: tuple[str, ...]) -> None:
        """Start ``list_keys(labels)`` now, beside the caller (one of the requests a run starts
        at once as it opens, ``http.session.opening``): the next ``list_keys(labels)`` takes
        its keys. The listing names the project or group as it was given: GitLab's REST API
        takes a URL-encoded path as well as an id."""
        self._listing = (labels, opening(self.gl, self._list_keys, labels, self.given))

    def adopt_listing(self, other: KeyListing) -> None:
        """Take over the listing ``other`` started, if any (a source of the same target that
        ``--api auto`` falls back to): its keys, and the lines it finds unreadable."""
        self._listing, other._listing = other._listing, None
        self._unread = other._unread

    def list_keys(self, labels: tuple[str, ...]) -> list[IssueKey]:
        """``_list_keys(labels)``, or the keys of the listing ``start_listing(labels)`` started."""
        started, self._listing = self._listing, None
        if started is not None and started[0] == labels:
            return started[1].result()
        return self._list_keys(labels)

    def _list_keys(self, labels: tuple[str, ...], where: str | int | None = None) -> list[IssueKey]:
        """The keys of every issue carrying one of ``labels`` or of type Incident, each once,
        in ``key_order``, (project, iid) unless a source says otherwise; nothing else of them
        is kept.

        One list per label and one of incidents (``issue_type``), each without the issues an
        earlier list holds (``not[labels]``: an issue with two incident labels is listed
        once), their pages read in parallel (``pages.read_lists``: the first pages of each at
        once, then the pages they announced, within ``concurrency``). A GitLab that ignored ``not[labels]``
        would list such an issue twice, and it would still be kept once. A listing entry
        without an issue number is a line in ``unread``.
        Pair it with ``read_entries``. ``where`` names the project or group in the lists'
        path (the id GitLab gave, unless told).
        """
        wanted = list(dict.fromkeys(labels))
        lists: list[tuple[str, dict[str, Any]]] = []
        for index, label in enumerate(wanted):
            lists.append((f"listing issues labelled {label}", {"labels": label, **_none_of(wanted[:index])}))
        lists.append(("listing incidents", {"issue_type": "incident", **_none_of(wanted)}))
        path = f"/{self.kind}s/{encode_id(self.id if where is None else where)}/issues"

        def key_of(index: int, raw: Any) -> IssueKey | None:
            return self._key(slim_issue(raw), lists[index][0])

        asked = [(what, path, {**query, "state": "all", "scope": "all"}) for what, query in lists]
        found: set[IssueKey] = set()
        for _, keys in read_lists(self.gl, asked, self.concurrency, key_of, lambda: self.first_wave(set(found))):
            found.update(keys)
        self.last_wave(found)
        return self.key_order(found)

    def first_wave(self, known: set[IssueKey]) -> None:
        """Told of the keys the listing's first pages held, while it reads its other pages."""

    def last_wave(self, known: set[IssueKey]) -> None:
        """Told of every key the listing holds, once it is done (in its thread)."""

    def take_first_page(self) -> list[tuple[IssueKey, dict[str, Any]]]:
        """Candidates read before the listing, (key, entry) in (project, iid) order, for the
        audit to take first; the listing's keys then leave them out. None over REST."""
        return []

    def take_first_wave(self, taken: set[IssueKey]) -> tuple[list[IssueKey], Iterator[tuple[IssueKey, dict[str, Any]]]]:
        """Candidates whose reads began while the listing goes on: their keys, and their
        (key, entry) pairs as they answer. None over REST."""
        return [], iter(())

    def key_order(self, keys: set[IssueKey]) -> list[IssueKey]:
        """The order the listed ``keys`` are read and audited in: (project, iid)."""
        return sorted(keys, key=lambda k: (k.project, k.iid))


def _none_of(labels: list[str]) -> dict[str, Any]:
    """GitLab's filter for issues carrying none of ``labels`` (``not[labels]``)."""
    return {"not": {"labels": ",".join(labels)}} if labels else {}
