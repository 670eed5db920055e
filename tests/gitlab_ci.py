"""Reading CI files as GitLab does, enough to test them: GitLab's CI schema, component inputs,
and the rules that decide whether a job runs.

The schema is the copy of GitLab's CI schema that check-jsonschema ships (vendored from
GitLab's repository, MIT Expat): installed with the `test` extra, so it works offline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml

# GitLab's Gitlab::Ci::Interpolation::Block::PATTERN: `$[[ inputs.name ]]`.
BLOCK = re.compile(r"\$\[\[\s*(.*?)\s*\]\]")


@cache
def ci_schema() -> dict[str, Any]:
    text = files("check_jsonschema.builtin_schemas.vendor").joinpath("gitlab-ci.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(ci_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(document)]


@dataclass(frozen=True)
class Component:
    path: Path
    spec: dict[str, Any]
    body: dict[str, Any]
    text: str

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        return self.spec["spec"]["inputs"]

    def defaults(self) -> dict[str, Any]:
        return {name: declared.get("default") for name, declared in self.inputs.items()}

    def render(self, *, check: bool = True, **given: Any) -> dict[str, Any]:
        """The jobs as GitLab sees them once the inputs are in: the defaults, then ``given``.
        Like GitLab, a value that breaks its input's regex or options is refused
        (``InputRefused``) unless ``check`` is false."""
        unknown = set(given) - set(self.inputs)
        assert not unknown, f"no such input: {unknown}"
        if check:
            for name, value in given.items():
                refused = input_error(self.inputs[name], value)
                if refused:
                    raise InputRefused(f"input {name}: {refused}")
        return interpolate(self.body, {**self.defaults(), **given})

    def used_inputs(self) -> set[str]:
        return {m.group(1).split("|")[0].strip().removeprefix("inputs.") for m in BLOCK.finditer(self.text)}


class InputRefused(ValueError):
    """GitLab refuses to include the component with this input value."""


def input_error(declared: dict[str, Any], value: Any) -> str:
    """Why GitLab refuses ``value`` for an input declared as ``declared``; "" if it takes it.
    GitLab matches ``regex`` (RE2, a subset of Python's) against the whole string value."""
    kind = declared.get("type", "string")
    expected = {"string": str, "boolean": bool, "array": list, "number": (int, float)}[kind]
    if not isinstance(value, expected):
        return f"{value!r} is not a {kind}"
    if "options" in declared and value not in declared["options"]:
        return f"{value!r} is not one of {declared['options']}"
    if "regex" in declared and re.search(declared["regex"], str(value)) is None:
        return f"{value!r} does not match {declared['regex']}"
    return ""


def load_component(path: Path) -> Component:
    text = path.read_text(encoding="utf-8")
    documents = list(yaml.safe_load_all(text))
    assert len(documents) == 2, f"{path}: a component is a spec header and the jobs, separated by ---"
    header, body = text.split("\n---\n", 1)
    return Component(path, documents[0], documents[1], body)


def interpolate(node: Any, inputs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(item, inputs) for item in node]
    if not isinstance(node, str):
        return node
    blocks = list(BLOCK.finditer(node))
    if len(blocks) == 1 and blocks[0].group(0) == node:
        return _value(blocks[0].group(1), inputs)
    return BLOCK.sub(lambda m: _text(_value(m.group(1), inputs)), node)


def _text(value: Any) -> str:
    """An input's value inside a longer string, as GitLab writes it (true, not True)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _value(access: str, inputs: dict[str, Any]) -> Any:
    assert access.startswith("inputs."), access
    name = access.removeprefix("inputs.")
    assert name in inputs, f"undeclared input {name}"
    return inputs[name]


def jobs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in document.items() if isinstance(job, dict) and "script" in job}


# --- rules:if, the subset the CI files use ------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(&&|\|\||==|!=|=~|\(|\))|"([^"]*)"|\'([^\']*)\'|/((?:\\/|[^/])*)/|\$(\w+)|(\w+))')


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    variables: dict[str, str]
    at: int = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.tokens[self.at - 1]

    def expression(self) -> bool:
        value = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            value = self.conjunction() or value
        return value

    def conjunction(self) -> bool:
        value = self.comparison()
        while self.peek() == ("op", "&&"):
            self.take()
            value = self.comparison() and value
        return value

    def comparison(self) -> bool:
        if self.peek() == ("op", "("):
            self.take()
            value = self.expression()
            assert self.take() == ("op", ")")
            return value
        left = self.operand()
        token = self.peek()
        if token and token[0] == "op" and token[1] in ("==", "!=", "=~"):
            operator = self.take()[1]
            kind, right = self.take()
            if operator == "=~":
                return left is not None and re.search(right, left) is not None
            right_value = self.variables.get(right) if kind == "var" else right
            return (left == right_value) == (operator == "==")
        return bool(left)

    def operand(self) -> str | None:
        kind, text = self.take()
        if kind == "var":
            return self.variables.get(text)
        return None if text == "null" else text


def evaluate_if(expression: str, variables: dict[str, str]) -> bool:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        assert match, f"cannot read {expression[position:]!r}"
        op, double, single, regex, var, word = match.groups()
        if op:
            tokens.append(("op", op))
        elif var:
            tokens.append(("var", var))
        elif regex is not None:
            tokens.append(("regex", regex.replace("\\/", "/")))
        else:
            tokens.append(("str", next(t for t in (double, single, word) if t is not None)))
        position = match.end()
    parser = _Parser(tokens, variables)
    value = parser.expression()
    assert parser.peek() is None, f"unread tokens in {expression!r}"
    return value


def glob_matches(pattern: str, path: str) -> bool:
    regex = ""
    for piece in re.split(r"(\*\*/|\*\*|\*)", pattern):
        regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*"}.get(piece, re.escape(piece))
    return re.fullmatch(regex, path) is not None


@dataclass(frozen=True)
class Pipeline:
    variables: dict[str, str]
    changed: tuple[str, ...] = field(default=())


def when(job: dict[str, Any], pipeline: Pipeline) -> str:
    """"never", or how the job runs in ``pipeline`` ("on_success", "manual", ...)."""
    for rule in job.get("rules", [{"when": "on_success"}]):
        if "if" in rule and not evaluate_if(rule["if"], pipeline.variables):
            continue
        if "changes" in rule and not any(glob_matches(p, f) for p in rule["changes"] for f in pipeline.changed):
            continue
        return str(rule.get("when", "on_success"))
    return "never"


def scheduled(**extra: str) -> Pipeline:
    branch = {"CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}
    return Pipeline({"CI_PIPELINE_SOURCE": "schedule", **branch, **extra})


def merge_request(*changed: str) -> Pipeline:
    return Pipeline({"CI_PIPELINE_SOURCE": "merge_request_event", "CI_DEFAULT_BRANCH": "main"}, tuple(changed))


def push_to_default_branch(*changed: str) -> Pipeline:
    return Pipeline({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}, changed)


def push(*changed: str, open_merge_request: bool = False) -> Pipeline:
    """A branch pipeline of a feature branch; GitLab sets CI_OPEN_MERGE_REQUESTS in it when
    the branch has an open merge request."""
    variables = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature", "CI_DEFAULT_BRANCH": "main"}
    if open_merge_request:
        variables["CI_OPEN_MERGE_REQUESTS"] = "umami-wallet/umami!7"
    return Pipeline(variables, changed)


def expand(job: dict[str, Any], line: str) -> str:
    """``line`` with the job's own variables put in, as the job's shell sees it."""
    variables = {name: str(value) for name, value in (job.get("variables") or {}).items()}
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(0)), line)


# --- gitlab-ci-local: the components run, not only read -----------------------------------

NODE_TOOLS = Path(__file__).resolve().parents[1] / ".ci" / "node"
"""package.json and package-lock.json pin gitlab-ci-local (4.72.0: later releases need Node
22); ``npm ci`` installs it into node_modules/ beside them."""

GITLAB_CI_LOCAL = NODE_TOOLS / "node_modules" / ".bin" / "gitlab-ci-local"

# gitlab-ci-local copies the tracked files of the repository with one rsync call; where rsync
# is missing, this stands in for that call (`rsync -a ... ./ DEST/`).
RSYNC_STAND_IN = """#!/usr/bin/env python3
import os, shutil, subprocess, sys
source, destination = sys.argv[-2], sys.argv[-1]
listed = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True).stdout.decode()
shutil.rmtree(destination, ignore_errors=True)
os.makedirs(destination, exist_ok=True)
for name in filter(None, listed.split("\\0")):
    if os.path.isfile(os.path.join(source, name)):
        os.makedirs(os.path.join(destination, os.path.dirname(name)), exist_ok=True)
        shutil.copy2(os.path.join(source, name), os.path.join(destination, name))
"""


def install_gitlab_ci_local() -> str:
    """Install the pinned gitlab-ci-local with ``npm ci`` unless it is there; "" when it
    runs, else why it cannot be had here."""
    import shutil
    import subprocess

    def works() -> bool:
        if not GITLAB_CI_LOCAL.exists():
            return False
        done = subprocess.run([str(GITLAB_CI_LOCAL), "--version"], capture_output=True, text=True, timeout=60)
        return done.returncode == 0

    if works():
        return ""
    if not shutil.which("npm") or not shutil.which("node"):
        return "gitlab-ci-local needs Node.js 18 or later and npm, and neither is installed"
    command = ["npm", "ci", "--prefix", str(NODE_TOOLS), "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "npm ci of gitlab-ci-local took more than 5 minutes"
    if done.returncode != 0:
        return f"npm ci of gitlab-ci-local failed: {(done.stderr or done.stdout).strip()[-300:]}"
    return "" if works() else "gitlab-ci-local was installed but does not run (Node.js too old?)"


@dataclass
class PipelineRun:
    returncode: int
    output: str
    stdout: str
    results: dict[str, str]
    """Job name → PASS, WARN (failed, allowed to) or FAIL, from gitlab-ci-local's summary."""


_RESULT = re.compile(r"^\s*(PASS|WARN|FAIL)\s+(\S+)", re.MULTILINE)


def run_pipeline(project: Path, variables: dict[str, str], *args: str, path: str, timeout: float = 180) -> PipelineRun:
    """Run ``project``'s .gitlab-ci.yml with gitlab-ci-local and the shell executor (jobs
    with an image run on this machine, ``path`` first on their PATH)."""
    import os
    import subprocess

    command = [str(GITLAB_CI_LOCAL), "--force-shell-executor", "--no-color", "--max-job-name-padding", "0"]
    # GitLab's editor schema wants at least one tag, GitLab itself takes `tags: []` (its
    # Gitlab::Ci::Config::Entry::Tags checks only strings and at most 50): so do we.
    command += ["--ignore-schema-paths", "#/definitions/tags/minItems"]
    for name, value in variables.items():
        command += ["--variable", f"{name}={value}"]
    command += ["--ignore-predefined-vars", ",".join(variables), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "INC_AUDIT_"))}
    env["PATH"] = f"{path}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CI", None)
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    results = {name: status for status, name in _RESULT.findall(done.stdout)}
    return PipelineRun(done.returncode, done.stdout + done.stderr, done.stdout, results)
