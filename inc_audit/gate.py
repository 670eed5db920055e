"""The merge-request gate: do the issue templates still carry the required sections?

Each template answers to a schema, by its file name in the configuration or, when
it is not mapped, by what its headings read as. A required section whose heading
no longer matches any of the schema's variants is reported with the template's
file and the line where the section should be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from inc_audit.config import file as config_module
from inc_audit.config.file import Config
from inc_audit.documents import guess_kind
from inc_audit.errors import ConfigError, InputError
from inc_audit.files import read_regular_text
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.model import IssueKey
from inc_audit.reading.markdown import Document, parse
from inc_audit.reading.schemas import DocumentSchema, Part

DEFAULT_DIR = ".gitlab/issue_templates"


@dataclass(frozen=True)
class GateResult:
    result: AuditResult
    skipped: tuple[str, ...]


def template_files(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for name in paths or (DEFAULT_DIR,):
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(path.glob("*.md")))
        elif path.is_file() or path.is_symlink():
            files.append(path)  # read_regular_text refuses a link out of the repository
        else:
            raise InputError(
                f"no template folder or file at {name}", f"give the templates' folder (default {DEFAULT_DIR})"
            )
    return files


def kind_of(path: Path, text: str, config: Config) -> str | None:
    mapping = {name.lower(): kind for name, kind in config.templates.items()}
    kind = mapping.get(path.name.lower())
    if kind == "ignore":
        return None
    return kind or guess_kind(text, config)


def missing_sections(document: Document, schema: DocumentSchema) -> list[tuple[Part, int]]:
    """Each required part with no matching heading, with the line where it belongs."""
    missing = []
    anchor = 1
    for part in schema.parts:
        section = schema.find(document, part)
        if section is not None:
            anchor = section.end_line
        elif part.required:
            missing.append((part, anchor))
    return missing


def check_template(path: Path, kind: str, config: Config) -> IncidentResult:
    document = parse(read_regular_text(path, "template", inside=(Path.cwd(), path.parent)))
    schema = config.schema(kind)
    findings = tuple(
        Finding(
            "TPL001",
            "error",
            f"{schema.title} template lacks the '{part.title}' section ({part.name}): "
            f"add a heading such as '## {part.headings[0]}'",
            section=part.name,
            line=line,
            where="template",
        )
        for part, line in missing_sections(document, schema)
    )
    return IncidentResult(IssueKey(str(path), 0), kind, "", "template", False, findings, location=str(path))


def config_subject(config_path: str | None) -> tuple[Config, IncidentResult | None]:
    """The configuration to check with, and a failing subject when it is broken."""
    try:
        return config_module.load(config_path), None
    except ConfigError as error:
        where = config_path or config_module.DEFAULT_PATH
        finding = Finding("TPL002", "error", str(error), where=where)
        subject = IncidentResult(IssueKey(where, 0), "configuration", "", "config", False, (finding,), location=where)
        return config_module.load_defaults(), subject


def run_gate(paths: tuple[str, ...], config_path: str | None) -> GateResult:
    config, broken = config_subject(config_path)
    subjects = [broken] if broken else []
    skipped = []
    for path in template_files(paths):
        kind = kind_of(path, read_regular_text(path, "template", inside=(Path.cwd(), path.parent)), config)
        if kind is None:
            skipped.append(str(path))
            continue
        subjects.append(check_template(path, kind, config))
    source = {"kind": "templates", "paths": [str(p) for p in paths or (DEFAULT_DIR,)]}
    result = AuditResult(datetime.now(timezone.utc), source, tuple(subjects))
    return GateResult(result, tuple(skipped))
