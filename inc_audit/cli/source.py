"""Opening what to audit: an export, or a live GitLab through REST or GraphQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from inc_audit.cli import collector, progress
from inc_audit.cli.command_settings import ReadSettings
from inc_audit.cli.common import say
from inc_audit.cli.target import Target, credentials_for
from inc_audit.cli.token import Credentials
from inc_audit.config.file import Config
from inc_audit.errors import ConfigError
from inc_audit.sources.interface import Source

if TYPE_CHECKING:
    from inc_audit.sources.rest.source import GitLabSource


def open_audited(
    target: Target, config: Config, settings: ReadSettings, as_of: datetime, observer: progress.Observer
) -> tuple[Source, Any, Config]:
    """``open_source``, and the config the audit judges by: knowing inc-audit's own issues
    (``with_own_issues``, looked up while the live source is opened: one round trip fewer
    before the listing) and without the rules an export cannot judge (``judged_by``)."""
    from inc_audit.rules import warm

    found: list[Config] = []
    source, gl = open_source(target, config, settings, as_of, observer,
                             alongside=lambda gl: found.append(with_own_issues(gl, target, config)),
                             meanwhile=lambda: warm(config, as_of))
    return source, gl, found[0] if found else judged_by(source, config)


def open_source(
    target: Target, config: Config, settings: ReadSettings, as_of: datetime, observer: progress.Observer,
    alongside: Callable[[Any], object] | None = None, meanwhile: Callable[[], object] | None = None,
) -> tuple[Source, Any]:
    """The source to audit, and the GitLab connection when there is one. ``alongside`` is run
    on that connection while the live source is opened (an export has none: it is not run);
    ``meanwhile`` in this thread once the first requests are out, while GitLab answers them."""
    if target.export is not None:
        from inc_audit.sources.export.source import ExportSource

        export = ExportSource(target.export, project=config.gitlab_project, web_base=config.gitlab_url or "")
        for notice in export.notices(bool(config.roles)):
            say(f"inc-audit: {notice}")
        return export, None
    if not (target.project or target.group):
        raise ConfigError(
            "nothing to audit: no export and no GitLab project",
            "give --export PATH, or --project/--group with --gitlab-url (or set gitlab: in the config)",
        )
    from inc_audit.sources.http.session import cancel_opening, connect, opening

    collector.limit_arenas()  # before the first reader thread starts

    credentials = credentials_for(target, settings)
    gl = connect(
        credentials.url or "",
        credentials.token,
        timeout=settings.timeout,
        retry_budget=settings.retry_budget,
        max_rps=settings.max_rps,
        wait=False,  # the token check, the project read, the schema check and the listing at once
    )
    try:
        beside = opening(gl, alongside, gl) if alongside is not None else None
        listing = config.incident_labels if settings.no_cache or cold_cache(settings) else None
        live = live_source(gl, credentials, target, settings, listing, meanwhile)
        if beside is not None:
            beside.result()
    except BaseException:
        cancel_opening(gl)  # the first failure, in the order above, is the one said
        raise
    collector.settle()  # python-gitlab and the GraphQL client are loaded
    from inc_audit.audit import read_ahead  # imported once the first requests are out
    from inc_audit.cache.source import CachedSource, fingerprint
    from inc_audit.sources.graphql.source import GraphQLSource
    from inc_audit.sources.interface import ReadsAhead

    source: ReadsAhead = live
    if not settings.no_cache:
        every = timedelta(days=config.cache_full_read_days)
        source = CachedSource(live, settings.cache, fingerprint(config, live.describe()), full_read_every=every)
    source.on_listed = observer.listed
    if not isinstance(live, GraphQLSource):  # a GraphQL listing has read what the rules ask
        read_ahead(source, config, as_of)
    return source, gl


def cold_cache(settings: ReadSettings) -> bool:
    """Whether the cache holds nothing yet: the scan will list every candidate, as a cold one
    does (a warm one lists only what changed, so its listing is not started early)."""
    from inc_audit.cache.store import FILE_NAME

    return not (settings.cache / FILE_NAME).exists()


def live_source(
    gl: Any, credentials: Credentials, target: Target, settings: ReadSettings, listing: tuple[str, ...] | None,
    meanwhile: Callable[[], object] | None = None,
) -> GitLabSource:
    """The REST or GraphQL source, as ``--api`` asks; ``auto``: GraphQL where GitLab offers
    every field the audit reads. ``-v`` says which, and why.

    The first requests go out at once (``wait=False``; ``connect`` has started the token
    check): the project read, the GraphQL schema check, and the listing of the candidates'
    keys by ``listing`` (their labels) when the run will list them all (a cold cache or
    none; under ``--api auto`` a REST source falling back takes the listing over). Then the token
    check's failure is said first, the project read's next, the schema check's last, each
    as it would be alone."""
    from inc_audit.sources.http.session import checked
    from inc_audit.sources.rest.source import GitLabSource

    api = settings.api or "rest"
    kwargs: dict[str, Any] = {
        "project": None if target.group else target.project,
        "group": target.group,
        "concurrency": settings.concurrency,
    }
    if api == "rest":
        rest = GitLabSource(gl, wait=False, **kwargs)
        if listing is not None:
            rest.start_listing(listing)
        if meanwhile is not None:
            meanwhile()
        checked(gl)
        say_target(target, credentials, settings)
        rest.opened()
        if settings.verbose:
            say("inc-audit: reading through REST (--api rest)")
        return rest
    from inc_audit.sources.graphql import client as graphql_client
    from inc_audit.sources.graphql import source as graphql
    from inc_audit.sources.http.session import opening

    found: graphql.GraphQLSource | None = None
    try:
        client = graphql_client.GraphQL(gl, credentials.token, timeout=settings.timeout,
                                        concurrency=settings.concurrency)
    except ImportError:
        checked(gl)
        say_target(target, credentials, settings)
        missing: str | None = "python-gitlab's GraphQL client is not installed (python-gitlab[graphql])"
    else:
        checking = opening(gl, graphql_client.missing_fields, client)
        found = graphql.GraphQLSource(gl, client, wait=False, **kwargs)
        if listing is not None:  # over REST whichever API reads the incidents
            if getattr(settings, "shard", None) is None:  # every listed incident will be read
                found.early = lambda: _serves(checking)  # --api auto: once the schema check has said so
                found.start_first_page(listing)
            found.start_listing(listing)
        if meanwhile is not None:
            meanwhile()
        checked(gl)
        say_target(target, credentials, settings)
        found.opened()
        missing = checking.result()
        if missing is None:
            if settings.verbose:
                say("inc-audit: reading through GraphQL: GitLab offers every field the audit reads")
            return found
        client.close()
    if api == "graphql":
        raise ConfigError(f"--api graphql: GitLab cannot serve the audit: {missing}", "use --api auto or rest")
    if settings.verbose:
        say(f"inc-audit: reading through REST: {missing}")
    rest = GitLabSource(gl, **kwargs)
    if found is not None:
        rest.adopt_listing(found)
    return rest


def _serves(checking: Any) -> bool:
    """Whether the schema check found that GitLab's GraphQL API can serve the audit."""
    try:
        return checking.result() is None
    except Exception:  # noqa: BLE001  (the opening says it)
        return False


def judged_by(source: Source, config: Config) -> Config:
    """The config with the rules the source cannot judge switched off (the source said so on stderr)."""
    from inc_audit.sources.export.source import ExportSource

    if isinstance(source, ExportSource):
        return replace(config, ignore=config.ignore + source.unjudged(bool(config.roles)))
    return config


def say_target(target: Target, credentials: Credentials, settings: ReadSettings) -> None:
    """With -v, once the token works: which target was chosen and why, and whose token it is."""
    if settings.verbose:
        say(f"inc-audit: {replace(target, url=credentials.url).describe()}")
        say(f"inc-audit: token from {credentials.origin}")



def with_own_issues(gl: Any, target: Target, config: Config) -> Config:
    """The config knowing inc-audit's own issues (found by their author, the token's user)
    in the projects it writes in, so that the rules never take one for an incident, a change
    or evidence; and the token's user when it is a bot, whose comments are never evidence."""
    if gl is None:
        return config
    from inc_audit.publishing import ownership

    projects = tuple(p for p in (config.audit_project, config.meeting.project,
                                 None if target.group else target.project) if p)
    label_sets = (config.audit_labels, config.meeting.labels)
    if not projects:
        me = ownership.whoami(gl)
        return replace(config, own_user=me.username if me.bot else "")
    me, own = ownership.own_issues(gl, projects, label_sets, (config.audit_title,))
    return replace(config, own_issues=own, own_user=me.username if me.bot else "")
