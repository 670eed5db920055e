"""An incident GitLab no longer has when its entry is read (deleted, moved or hidden since the
listing) is left out of a cold cached run: the other incidents are audited and kept, the
cache holds no candidate without its entry, and the next, warm run reads it as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.cache.source import CachedSource, fingerprint
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import umami_config
from tests.test_graphql_source import INC, incidents, source


def live(fake: FakeGitLab, api: str) -> Any:
    if api == "graphql":
        return source(fake)
    gl = connect(fake.url, API_TOKEN, timeout=20.0, retry_budget=20.0)
    if api == "rest, group":  # served one project at a time, each failing alone
        return GitLabSource(gl, group=PROJECT.split("/")[0])
    return GitLabSource(gl, project=PROJECT)


@pytest.mark.parametrize("api", ["rest", "graphql", "rest, group"])
def test_an_incident_deleted_between_the_listing_and_its_read_is_left_out(
    fake: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    made = incidents(fake, 30, notes=1)
    gone = made[5]
    first = live(fake, api)
    listing = type(first).list_keys

    def listed_then_deleted(self: Any, labels: tuple[str, ...]) -> Any:
        keys = listing(self, labels)
        with fake.lock:
            del fake.issues[gone.id]  # deleted once listed, before its entry is read
        return keys

    monkeypatch.setattr(type(first), "list_keys", listed_then_deleted)
    folder, config = tmp_path / "cache", umami_config()
    cold = CachedSource(first, folder, fingerprint(config, first.describe()))
    iids = [issue.iid for issue in cold.candidate_issues(INC)]
    kept = sorted(issue.iid for issue in made if issue is not gone)
    assert sorted(iids) == kept and cold.mode == "cold"
    monkeypatch.setattr(type(first), "list_keys", listing)
    again = live(fake, api)
    warm = CachedSource(again, folder, fingerprint(config, again.describe()))
    assert sorted(issue.iid for issue in warm.candidate_issues(INC)) == kept
    assert warm.mode == "warm" and warm.stats["incidents from the cache"] == len(kept)
