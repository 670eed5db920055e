"""`inc-audit init` in real checkouts: the schema line, the cache kept out of git, gitlab: from
the git remote, templates when the checkout has none, and roles proposed from the project's
members, against the fake GitLab over real HTTP and in temporary git repositories."""

from __future__ import annotations

import filecmp
import shutil
import subprocess

import pytest
import requests
import yaml
from click.testing import CliRunner

from inc_audit.adoption import remote, workspace
from inc_audit.cli import main
from inc_audit.config import file as config_module
from tests.conftest import ROOT, TEMPLATES
from tests.fakegitlab import READ_TOKEN, FakeGitLab
from tests.fakegitlab.project_api import add_issue_template, add_label, add_member

pytest_plugins = ["fakegitlab.fixtures"]
PROJECT = "umami-wallet/umami"
SECRET = "glpat-remote-secret-123"
SCHEMA_ID = "https://tools.pages.gitlab.example.com/inc-audit/schemas/config.schema.json"
git = shutil.which("git")


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """An empty folder, no token anywhere, outside any git work tree."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_PROJECT_PATH", "CI_SERVER_URL", "PYTHON_GITLAB_CFG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def init(*args: str):
    return CliRunner().invoke(main, ["init", *args], catch_exceptions=False)


def git_repo(folder, origin: str) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "remote", "add", "origin", origin], check=True)


# --- the file itself -----------------------------------------------------------------------


def test_the_first_line_points_editors_at_the_published_schema(checkout):
    assert init("--offline").exit_code == 0
    first = (checkout / ".inc-audit.yml").read_text().splitlines()[0]
    schema = yaml.safe_load((ROOT / "schemas" / "config.schema.json").read_text())
    assert first == f"# yaml-language-server: $schema={schema['$id']}" == f"# yaml-language-server: $schema={SCHEMA_ID}"


# --- .gitignore ------------------------------------------------------------------------------


def test_gitignore_is_created_with_the_cache_folder(checkout):
    result = init("--offline")
    assert ".inc-audit-cache/" in (checkout / ".gitignore").read_text().splitlines()
    assert "created" in result.stderr and ".gitignore" in result.stderr


def test_gitignore_is_appended_to_once(checkout):
    (checkout / ".gitignore").write_text("node_modules/\n*.pyc")  # no newline at the end
    init("--offline")
    init("--offline", "--force")
    assert (checkout / ".gitignore").read_text() == "node_modules/\n*.pyc\n.inc-audit-cache/\n"


@pytest.mark.parametrize("line", [".inc-audit-cache", "/.inc-audit-cache/", "  .inc-audit-cache/  "])
def test_a_gitignore_that_ignores_the_cache_already_is_left_alone(checkout, line):
    (checkout / ".gitignore").write_text(f"build/\n{line}\n")
    assert workspace.ignore_cache(checkout) == "present"
    assert (checkout / ".gitignore").read_text() == f"build/\n{line}\n"


# --- the git remote --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@gitlab.example.com:umami-wallet/umami.git", ("https://gitlab.example.com", PROJECT)),
        ("git@gitlab.example.com:umami-wallet/sub/umami", ("https://gitlab.example.com", "umami-wallet/sub/umami")),
        ("ssh://git@gitlab.example.com:2222/umami-wallet/umami.git", ("https://gitlab.example.com", PROJECT)),
        ("https://gitlab.example.com/umami-wallet/umami.git", ("https://gitlab.example.com", PROJECT)),
        ("https://GitLab.Example.com:8443/umami-wallet/umami/", ("https://gitlab.example.com:8443", PROJECT)),
        (f"https://oauth2:{SECRET}@gitlab.example.com/umami-wallet/umami.git", ("https://gitlab.example.com", PROJECT)),
        (f"https://{SECRET}@gitlab.example.com/umami-wallet/umami.git", ("https://gitlab.example.com", PROJECT)),
        ("http://127.0.0.1:8080/umami-wallet/umami.git", ("http://127.0.0.1:8080", PROJECT)),
    ],
)
def test_a_remote_url_gives_gitlab_and_the_project(url, expected):
    found = remote.parse(url)
    assert found is not None and (found.url, found.project) == expected
    assert SECRET not in found.url


@pytest.mark.parametrize(
    "url", ["/srv/git/umami.git", "file:///srv/git/umami.git", "https://gitlab.example.com/umami", "git@host:", "x"]
)
def test_what_is_not_a_gitlab_project_remote_gives_nothing(url):
    assert remote.parse(url) is None


@pytest.mark.skipif(git is None, reason="git is not installed")
def test_gitlab_is_filled_from_the_remote_without_its_credential(checkout):
    git_repo(checkout, f"https://oauth2:{SECRET}@gitlab.example.com/umami-wallet/umami.git")
    result = init("--offline")
    assert result.exit_code == 0, result.output
    config = config_module.load(".inc-audit.yml")
    assert (config.gitlab_url, config.gitlab_project) == ("https://gitlab.example.com", PROJECT)
    written = (checkout / ".inc-audit.yml").read_text() + (checkout / ".gitlab-ci.yml").read_text()
    assert SECRET not in written + result.output and "oauth2" not in written + result.output
    assert "from the git remote origin" in result.stderr


@pytest.mark.skipif(git is None, reason="git is not installed")
def test_options_win_over_the_remote(checkout):
    git_repo(checkout, "git@gitlab.example.com:umami-wallet/umami.git")
    init("--offline", "--project", "other/project")
    config = config_module.load(".inc-audit.yml")
    assert (config.gitlab_url, config.gitlab_project) == ("https://gitlab.example.com", "other/project")
    init("--offline", "--force", "--gitlab-url", "https://elsewhere.example.org")
    config = config_module.load(".inc-audit.yml")
    assert (config.gitlab_url, config.gitlab_project) == ("https://elsewhere.example.org", None)


def test_outside_a_git_checkout_gitlab_is_left_out(checkout):
    assert init("--offline").exit_code == 0
    assert "gitlab:" not in (checkout / ".inc-audit.yml").read_text()


# --- templates ---------------------------------------------------------------------------------


def test_the_shipped_templates_are_the_examples():
    shipped = workspace.shipped_templates()
    names = sorted(p.name for p in shipped.glob("*.md"))
    assert names == sorted(p.name for p in (ROOT / "examples" / "umami-templates").glob("*.md"))
    assert all(filecmp.cmp(shipped / n, ROOT / "examples" / "umami-templates" / n, shallow=False) for n in names)


def test_without_templates_the_shipped_ones_give_the_configuration(checkout):
    result = init("--offline")
    assert result.exit_code == 0, result.output
    assert "used the Umami templates shipped with inc-audit" in result.stderr
    config = config_module.load(".inc-audit.yml")
    assert config.templates["Incident Port-Mortem.md"] == "post-mortem"
    assert config.templates["Change Emergency.md"] == "change"
    assert config.incident_labels == ("INC", "incident")
    assert "Umami templates shipped" in (checkout / ".inc-audit.yml").read_text()


def test_a_templates_folder_named_but_missing_is_still_an_error(checkout):
    result = init("--offline", "--templates", "nowhere")
    assert result.exit_code == 2 and "no template folder" in result.stderr


# --- against the fake GitLab -------------------------------------------------------------------


@pytest.fixture
def gitlab_project(fake_gitlab: FakeGitLab) -> FakeGitLab:
    fake_gitlab.add_project(PROJECT)
    for name, role in [("erin", "reporter"), ("carol", "developer"), ("alice", "owner"), ("bob", "maintainer"),
                       ("dave", "developer"), ("gus", "guest"), ("project_7_bot_3f2a", "maintainer")]:
        add_member(fake_gitlab, PROJECT, name, role)
    for label in ("INC", "incident", "Change::Emergency", "incident::known"):
        add_label(fake_gitlab, PROJECT, label)
    for path in sorted(TEMPLATES.glob("*.md")):
        if path.name != "README.md":
            add_issue_template(fake_gitlab, PROJECT, path.stem, path.read_text(encoding="utf-8"))
    return fake_gitlab


def test_the_fake_serves_members_with_their_access_level_page_by_page(gitlab_project):
    url = f"{gitlab_project.api_url}/projects/umami-wallet%2Fumami/members/all"
    first = requests.get(url, headers={"PRIVATE-TOKEN": READ_TOKEN}, params={"per_page": 4}, timeout=10)
    assert first.status_code == 200 and first.headers["X-Total"] == "7" and first.headers["X-Next-Page"] == "2"
    assert {"username", "access_level", "state", "expires_at"} <= set(first.json()[0])
    second = requests.get(url, headers={"PRIVATE-TOKEN": READ_TOKEN}, params={"per_page": 4, "page": 2}, timeout=10)
    names = [m["username"] for m in first.json() + second.json()]
    assert sorted(names) == sorted(["erin", "carol", "alice", "bob", "dave", "gus", "project_7_bot_3f2a"])


@pytest.mark.skipif(git is None, reason="git is not installed")
def test_with_a_token_roles_are_proposed_commented_out_and_templates_read_from_gitlab(
    checkout, gitlab_project, monkeypatch
):
    git_repo(checkout, f"{gitlab_project.url}/umami-wallet/umami.git")
    monkeypatch.setenv("GITLAB_TOKEN", READ_TOKEN)
    result = init()
    assert result.exit_code == 0, result.output
    text = (checkout / ".inc-audit.yml").read_text()
    config = config_module.load(".inc-audit.yml")
    assert config.roles == {}, "a proposal is never applied silently"
    assert (config.gitlab_url, config.gitlab_project) == (gitlab_project.url, PROJECT)
    assert "TO BE CONFIRMED" in text
    assert "# Members (Reporter and above): alice (Owner), bob (Maintainer), carol (Developer)" in text
    assert '#   product_manager:    {primary: "alice", backups: ["dave"]}' in text
    assert '#   development_lead:   {primary: "bob", backups: ["erin"]}' in text
    assert "gus" not in text and "bot" not in text.split("# Members")[1].split("\n")[0]
    assert "read the project's 6 template(s) in GitLab" in result.stderr
    assert config.templates["Incident Port-Mortem.md"] == "post-mortem"
    assert config.change_labels == ("Change::Emergency",), "labels the project lacks are dropped"
    uncommented = yaml.safe_load(text.replace("# roles:", "roles:").replace("#   ", "  "))
    assert uncommented["roles"]["product_manager"] == {"primary": "alice", "backups": ["dave"]}
    assert READ_TOKEN not in text + result.output


def test_a_project_without_members_gets_the_blank_form(checkout, fake_gitlab, monkeypatch):
    fake_gitlab.add_project(PROJECT)
    monkeypatch.setenv("GITLAB_TOKEN", READ_TOKEN)
    result = init("--gitlab-url", fake_gitlab.url, "--project", PROJECT)
    assert result.exit_code == 0, result.output
    text = (checkout / ".inc-audit.yml").read_text()
    assert "primary: USERNAME" in text and "TO BE CONFIRMED" not in text
    assert "used the Umami templates shipped" in result.stderr


@pytest.mark.skipif(git is None, reason="git is not installed")
@pytest.mark.parametrize("name", ["a\x00b", "x" * 300, "..\\..\\outside", "two\nlines", "tab\tin it"])
def test_a_template_name_no_file_can_have_is_left_out_not_a_crash(checkout, gitlab_project, monkeypatch, name):
    add_issue_template(gitlab_project, PROJECT, name, "### Summary\n\n### Impact\n")
    git_repo(checkout, f"{gitlab_project.url}/umami-wallet/umami.git")
    monkeypatch.setenv("GITLAB_TOKEN", READ_TOKEN)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "read the project's 6 template(s) in GitLab" in result.stderr  # the six named as files can be
    assert list(checkout.parent.glob("outside*")) == []


def test_a_name_a_file_system_refuses_is_said_and_left_out(checkout, monkeypatch):
    from inc_audit.cli import init as init_command

    texts = {"Incident": "### Summary\n", "refused": "### Impact\n"}
    original = init_command.Path.write_text

    def refusing(self, *args, **kwargs):
        if self.name == "refused.md":
            raise OSError(36, "File name too long")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(init_command.Path, "write_text", refusing)
    reader = type("Reader", (), {"client": None, "project": PROJECT})()
    monkeypatch.setattr("inc_audit.adoption.project.issue_templates", lambda *_: texts)
    settings = type("Settings", (), {"templates_given": False, "templates_dir": str(checkout / "none")})()
    said: list[str] = []
    monkeypatch.setattr(init_command, "say", said.append)
    init_command.survey_templates(settings, config_module.load_defaults(), reader)
    assert any("'refused' was left out" in line for line in said)
