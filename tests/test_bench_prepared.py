"""``bench/cold_live.py --answer prepared``: the fake's answers, built once, are sent again as built."""

from __future__ import annotations

import sys
from pathlib import Path

import requests
from fakegitlab import PROJECT, READ_TOKEN, FakeGitLab

BENCH = Path(__file__).resolve().parents[1] / "bench"


def get(fake: FakeGitLab, path: str, **params: str) -> requests.Response:
    return requests.get(fake.api_url + path, headers={"PRIVATE-TOKEN": READ_TOKEN}, params=params, timeout=10)


def test_an_answer_asked_again_is_sent_as_built_and_counted_once_measuring(fake: FakeGitLab) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import cold_live  # noqa: PLC0415
    finally:
        sys.path.remove(str(BENCH))
    fake.add_issue(PROJECT, title="the first", labels=["INC"])
    prepared = cold_live.Prepared(fake)
    path = f"/projects/{PROJECT.replace('/', '%2F')}/issues"
    built = get(fake, path, labels="INC")
    assert built.status_code == 200 and [i["title"] for i in built.json()] == ["the first"]
    assert (prepared.built, prepared.served) == (0, 0)  # not measuring yet
    fake.add_issue(PROJECT, title="the second", labels=["INC"])  # the fake changes; the kept answer does not
    prepared.measuring = True
    again = get(fake, path, labels="INC")
    assert again.content == built.content and again.headers["X-Total"] == "1"
    assert (prepared.built, prepared.served) == (0, 1)
    other = get(fake, path, labels="INC", per_page="1")  # another target: built now
    assert len(other.json()) == 1 and other.headers["X-Total"] == "2"  # both issues, counted now
    assert (prepared.built, prepared.served) == (1, 1)
    assert len(prepared.kept) == 2
