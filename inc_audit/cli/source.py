"""Opening what to audit: an export, or a live GitLab through REST or GraphQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from inc_audit import collector, progress
from inc_audit.cli.common import say
from inc_audit.config import Config
from inc_audit.errors import ConfigError
from inc_audit.sources.interface import Source
from inc_audit.target import Target, credentials_for
from inc_audit.token import Credentials

if TYPE_CHECKING:
    from inc_audit.sources.rest import GitLabSource


def open_source(
    target: Target, config: Config, options: dict[str, Any], as_of: datetime, observer: progress.Observer
) -> tuple[Source, Any]:
    """The source to audit, and the GitLab connection when there is one."""
    if target.export is not None:
        from inc_audit.sources.export import ExportSource

        export = ExportSource(target.export, project=config.gitlab_project, web_base=config.gitlab_url or "")
        for notice in export.notices(bool(config.roles)):
            say(f"inc-audit: {notice}")
        return export, None
    if not (target.project or target.group):
        raise ConfigError(
            "nothing to audit: no export and no GitLab project",
            "give --export PATH, or --project/--group with --gitlab-url (or set gitlab: in the config)",
        )
    from inc_audit.sources.cache import CachedSource, fingerprint
    from inc_audit.sources.graphql import GraphQLSource
    from inc_audit.sources.http import connect
    from inc_audit.sources.interface import ReadsAhead
    from inc_audit.sources.parallel import read_ahead

    credentials = credentials_for(target, options)
    gl = connect(
        credentials.url or "",
        credentials.token,
        timeout=options["timeout"],
        retry_budget=options["retry_budget"],
        max_rps=options["max_rps"],
    )
    say_target(target, credentials, options)
    live = live_source(gl, credentials.token, target, options)
    collector.settle()  # python-gitlab and the GraphQL client are loaded
    source: ReadsAhead = live
    if not options["no_cache"]:
        every = timedelta(days=config.cache_full_read_days)
        source = CachedSource(live, options["cache"], fingerprint(config, live.describe()), full_read_every=every)
    source.on_listed = observer.listed
    if not isinstance(live, GraphQLSource):  # a GraphQL listing has read what the rules ask
        read_ahead(source, config, as_of)
    return source, gl


def live_source(gl: Any, token: str, target: Target, options: dict[str, Any]) -> GitLabSource:
    """The REST or GraphQL source, as ``--api`` asks; ``auto``: GraphQL where GitLab offers
    every field the audit reads. ``-v`` says which, and why."""
    from inc_audit.sources.rest import GitLabSource

    api = options.get("api") or "rest"
    kwargs: dict[str, Any] = {
        "project": None if target.group else target.project,
        "group": target.group,
        "concurrency": options["concurrency"],
    }
    if api != "rest":
        from inc_audit.sources import graphql, graphql_client

        try:
            client = graphql_client.GraphQL(gl, token, timeout=options["timeout"], concurrency=options["concurrency"])
        except ImportError:
            missing: str | None = "python-gitlab's GraphQL client is not installed (python-gitlab[graphql])"
        else:
            missing = graphql_client.missing_fields(client)
            if missing is None:
                if options.get("verbose"):
                    say("inc-audit: reading through GraphQL: GitLab offers every field the audit reads")
                return graphql.GraphQLSource(gl, client, **kwargs)
            client.close()
        if api == "graphql":
            raise ConfigError(f"--api graphql: GitLab cannot serve the audit: {missing}", "use --api auto or rest")
        if options.get("verbose"):
            say(f"inc-audit: reading through REST: {missing}")
    elif options.get("verbose"):
        say("inc-audit: reading through REST (--api rest)")
    return GitLabSource(gl, **kwargs)


def judged_by(source: Source, config: Config) -> Config:
    """The config with the rules the source cannot judge switched off (the source said so on stderr)."""
    from inc_audit.sources.export import ExportSource

    if isinstance(source, ExportSource):
        return replace(config, ignore=config.ignore + source.unjudged(bool(config.roles)))
    return config


def say_target(target: Target, credentials: Credentials, options: dict[str, Any]) -> None:
    """With -v, once the token works: which target was chosen and why, and whose token it is."""
    if options.get("verbose"):
        say(f"inc-audit: {replace(target, url=credentials.url).describe()}")
        say(f"inc-audit: token from {credentials.origin}")

