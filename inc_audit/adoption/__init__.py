"""Adoption: what helps a team start and fit the audit to its writing. `inc-audit vocabulary`
lives in ``teaching``; this module is `inc-audit init`: a starter `.inc-audit.yml` from the
project's own issue templates and labels, and the CI include of the components.

The labels come from the templates themselves: a `/label` quick action that a template
applies (not one left in an HTML comment) marks issues filed on it, so the labels of the
templates that read as incident reports are the incident labels, and those of the change
templates the change labels. When the project's labels can be read from GitLab, labels the
templates apply but the project lacks are reported, and only the project's are kept.

The file opens with the line that points editors (the YAML language server) at the
configuration's JSON schema. `remote` reads GitLab's URL and the project from the git remote,
`project` what init reads in GitLab (labels, members, templates), `workspace` the checkout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from inc_audit import __version__
from inc_audit.config import file as config_module
from inc_audit.config.file import Config
from inc_audit.files import read_regular_text, refuse_odd, write_new_text
from inc_audit.gate import kind_of, template_files
from inc_audit.reading import schemas

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_LABEL_ACTION = re.compile(r"^[ \t]*/label[ \t]+(.*)$", re.MULTILINE)
_LABEL = re.compile(r'~"([^"]+)"|~([^\s~"]+)')
LABEL_KINDS = {"report": "incident", "change": "change"}
COMPONENT_HOME = "tools/inc-audit"


@dataclass
class Starter:
    """What init found: the labels by role, and each template's schema."""

    labels: dict[str, list[str]] = field(default_factory=lambda: {"incident": [], "change": []})
    templates: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # applied by a template, absent from the project


def applied_labels(text: str) -> list[str]:
    """The labels a template's active `/label` quick actions apply, in order."""
    active = _COMMENT.sub("", text)
    found: list[str] = []
    for action in _LABEL_ACTION.finditer(active):
        for quoted, bare in _LABEL.findall(action.group(1)):
            label = quoted or bare
            if label not in found:
                found.append(label)
    return found


def survey(folder: str, config: Config) -> Starter:
    """Map each template to its schema, and gather the labels each kind of template applies.

    Change templates give the change labels. Incident templates give the incident labels,
    less the change labels (the team's incident templates put the emergency-change label on
    incidents too) and less scoped labels under an incident label (``incident::known``): those
    mark a kind of incident, not incidents.
    """
    starter = Starter()
    applied: dict[str, list[str]] = {"incident": [], "change": []}
    for path in template_files((folder,)):
        text = read_regular_text(path, "template", inside=(Path.cwd(), path.parent))
        kind = kind_of(path, text, config)
        if kind is None:
            starter.unmatched.append(path.name)
            continue
        starter.templates[path.name] = kind
        role = LABEL_KINDS.get(kind)
        if role:
            applied[role] += [label for label in applied_labels(text) if label not in applied[role]]
    change = applied["change"]
    incident = [label for label in applied["incident"] if label not in change]
    scopes = {label.lower() for label in incident}
    starter.labels = {
        "incident": [label for label in incident if label.split("::")[0].lower() not in scopes or "::" not in label],
        "change": change,
    }
    return starter


def keep_existing(starter: Starter, project_labels: Iterable[str]) -> None:
    """Keep only labels the project has; remember the others to say so."""
    existing = {label.lower() for label in project_labels}
    for role, labels in starter.labels.items():
        starter.missing += [label for label in labels if label.lower() not in existing]
        starter.labels[role] = [label for label in labels if label.lower() in existing]


def _flow(values: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def schema_url() -> str:
    """Where the configuration's JSON schema is published: its `$id`."""
    return str(schemas.read_json(schemas.SCHEMA_DIR / "config.schema.json")["$id"])


def roles_lines(proposal: dict[str, tuple[str, list[str]]], people: list[tuple[str, str]]) -> list[str]:
    """The roles: section, commented out: a proposal from the project's members, or a blank form."""
    if not proposal:
        return [
            "# roles:",
            "#   product_manager:    {primary: USERNAME, backups: [USERNAME]}",
            "#   development_lead:   {primary: USERNAME, backups: [USERNAME]}",
            "#   operations_manager: {primary: USERNAME, backups: [USERNAME]}",
        ]
    listed = ", ".join(f"{name} ({role})" for name, role in people)
    width = max(len(role) for role in proposal) + 1
    return [
        "# PROPOSED from the project's members, TO BE CONFIRMED: nobody is in a role until you",
        "# put each person in the right one and remove the '# ' in front of these lines.",
        f"# Members (Reporter and above): {listed}",
        "# roles:",
        *(
            f"#   {(role + ':').ljust(width)} {{primary: {json.dumps(primary)}, backups: {_flow(backups)}}}"
            for role, (primary, backups) in proposal.items()
        ),
    ]


def config_text(
    starter: Starter,
    defaults: Config,
    gitlab: dict[str, str],
    roles: list[str] | None = None,
    notes: Iterable[str] = (),
) -> str:
    incident = starter.labels["incident"] or list(defaults.incident_labels)
    change = starter.labels["change"] or list(defaults.change_labels)
    lines = [
        f"# yaml-language-server: $schema={schema_url()}",
        "# inc-audit configuration, written by `inc-audit init`: review it, then commit it.",
        "# Every key is optional; the configuration reference (docs/reference/configuration.md) lists them.",
        *(f"# {note}" for note in notes),
    ]
    if gitlab:
        lines += ["gitlab:", *(f"  {key}: {json.dumps(value)}" for key, value in gitlab.items())]
    lines += [
        "labels:",
        f"  incident: {_flow(incident)}",
        f"  change: {_flow(change)}",
        f"  known_incident: {_flow(defaults.known_labels)}",
        f"  exempt: {_flow(defaults.exempt_labels)}",
        "# Who approves post-mortems (the policy's IRT). Without roles, anyone but the author may.",
        *(roles or roles_lines({}, [])),
        "post_mortem:",
        f"  due_days: {defaults.due_days}",
        f"  # approvers: {_flow(defaults.approvers)}   # roles that approve, once roles: is filled in",
        "audit_issue:",
        f"  title: {json.dumps(defaults.audit_title)}",
        f"  labels: {_flow(defaults.audit_labels)}",
        "  confidential: true",
    ]
    if starter.templates:
        lines += ["templates:", *(f"  {json.dumps(n)}: {k}" for n, k in sorted(starter.templates.items()))]
    if starter.unmatched:
        lines.append(f"# Templates that read as no incident document (not checked): {', '.join(starter.unmatched)}")
    if starter.missing:
        lines.append(f"# Labels the templates apply but the project does not have: {', '.join(starter.missing)}")
    text = "\n".join(lines) + "\n"
    check_written(text)
    return text


def ci_include(templates: str, home: str = COMPONENT_HOME, version: str = __version__, ci_text: str = "") -> str:
    """The include of both components, pinned to this version, with the inputs that the
    project's own CI file (``ci_text``) calls for (``fitting_inputs``)."""
    fitting = fitting_inputs(ci_text)
    audit = {key: value for key, value in fitting.items() if key == "stage"}
    gate = {**fitting, "templates": templates}
    lines = ["include:", f"  - component: $CI_SERVER_FQDN/{home}/audit@{version}"]
    if audit:
        lines += ["    inputs:", *(f"      {key}: {json.dumps(value)}" for key, value in audit.items())]
    lines += [f"  - component: $CI_SERVER_FQDN/{home}/template-gate@{version}", "    inputs:"]
    lines += [f"      {key}: {json.dumps(value)}" for key, value in gate.items()]
    return "\n".join(lines) + "\n"


def fitting_inputs(ci_text: str) -> dict[str, object]:
    """The inputs a project's .gitlab-ci.yml needs: ``stage`` when it lists its own
    ``stages:`` without ``test`` (the components' default; the last of its stages), and
    ``merge_request_pipelines`` when its ``workflow:rules`` run merge request pipelines."""
    import yaml

    try:
        document = yaml.safe_load(ci_text) if ci_text.strip() else None
    except yaml.YAMLError:
        return {}
    if not isinstance(document, dict):
        return {}
    found: dict[str, object] = {}
    stages = document.get("stages")
    if isinstance(stages, list) and stages and all(isinstance(stage, str) for stage in stages):
        own = [stage for stage in stages if stage not in (".pre", ".post")]
        if own and "test" not in own:
            found["stage"] = own[-1]
    workflow = document.get("workflow")
    rules = workflow.get("rules") if isinstance(workflow, dict) else None
    if isinstance(rules, list) and "merge_request_event" in json.dumps(rules):
        found["merge_request_pipelines"] = True
    return found


def check_written(text: str) -> Config:
    """The starter config must load as any config does: a bug here is caught before writing."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    try:
        return config_module.load(handle.name)
    finally:
        Path(handle.name).unlink()


def place_include(ci_file: Path, include: str) -> str:
    """Write the CI file when there is none ("written"); an existing one is never edited:
    "present" when it includes the components already, else "missing"."""
    refuse_odd(ci_file, "the CI file")  # a link (even a dangling one) is never written through
    if not ci_file.exists():
        write_new_text(ci_file, "# inc-audit: the scheduled audit and the merge-request gate\n" + include,
                       "the CI file", replace=False)
        return "written"
    text = read_regular_text(ci_file, "the CI file")
    return "present" if "inc-audit/audit@" in text else "missing"
