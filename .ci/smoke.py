"""Smoke test of what users install: the wheel, not the checkout.

Builds the sdist and, from it, the wheel (``python -m build``), checks that every package
and every data file is in the wheel and that the sdist holds the tests, installs the wheel
(not editable) into a fresh virtual environment, and from a folder outside the clone runs:
``--version``, ``rules``, the example audit (exit 1, and the same bytes in every format as
the checkout gives), the template gate on the Umami templates and ``init`` in a bare git
repository. Standard library only: ``.ci/run`` and the image build both run it.

    python3 .ci/smoke.py                    # build, install, run; the checkout is .venv
    python3 .ci/smoke.py --wheel W.whl --reference /ref/bin/python   # the image build
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

CLONE = Path(__file__).resolve().parent.parent
AS_OF = "2026-06-01"
FORMATS = ("markdown", "json", "junit", "codequality", "html")


class SmokeFailure(Exception):
    pass


def check(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        raise SmokeFailure(f"{what}{': ' + detail if detail else ''}")
    print(f"smoke: ok   {what}", flush=True)


def run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def build(python: str, dist: Path) -> tuple[Path, Path]:
    done = run([python, "-m", "build", "--outdir", str(dist), str(CLONE)], cwd=CLONE, timeout=600)
    check(done.returncode == 0, "python -m build: the sdist, and the wheel built from it", done.stderr[-2000:])
    return next(dist.glob("*.whl")), next(dist.glob("*.tar.gz"))


def check_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(p.parent for p in (CLONE / "inc_audit").rglob("__init__.py") if "__pycache__" not in p.parts)
    wanted = [f"{p.relative_to(CLONE).as_posix()}/__init__.py" for p in packages]
    missing = [name for name in wanted if name not in names]
    check(not missing, f"the wheel holds every package under inc_audit/ ({len(packages)})", ", ".join(missing))
    data = sorted(p.name for p in (CLONE / "schemas").glob("*.json"))
    missing = [n for n in data if f"inc_audit/builtin_schemas/{n}" not in names]
    check(not missing, f"the wheel holds every schemas/*.json as inc_audit.builtin_schemas ({len(data)})", str(missing))
    files = [p for p in (CLONE / "inc_audit").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    missing = [p.relative_to(CLONE).as_posix() for p in files if p.relative_to(CLONE).as_posix() not in names]
    check(not missing, f"the wheel holds every file under inc_audit/ ({len(files)})", str(missing))


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    needed = ["setup.py", "tests/conftest.py", "tests/fakegitlab/server.py", "examples/.inc-audit.yml",
              "examples/umami-export/VERSION", "templates/audit.yml", "schemas/rules.json"]  # fmt: skip
    missing = [n for n in needed if n not in names]
    check(not missing, "the sdist holds the tests and what they read (examples, templates)", str(missing))


def install(python: str, wheel: Path, venv: Path) -> Path:
    done = run([python, "-m", "venv", str(venv)], cwd=venv.parent)
    check(done.returncode == 0, "a fresh virtual environment", done.stderr)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)]
    done = run(pip, cwd=venv.parent, timeout=600)
    check(done.returncode == 0, f"pip install {wheel.name} (not editable)", done.stderr[-2000:])
    return venv / "bin" / "inc-audit"


def audit(command: list[str], folder: Path) -> tuple[int, dict[str, bytes]]:
    """The example audit with every report; its exit code and each output's bytes."""
    folder.mkdir(parents=True)
    examples = CLONE / "examples"
    reports = [f"--report={fmt}={folder / ('report.' + fmt)}" for fmt in FORMATS]
    args = ["run", "--export", str(examples / "umami-export"), "--config", str(examples / ".inc-audit.yml")]
    done = run([*command, *args, "--as-of", AS_OF, "--no-color", *reports], cwd=folder)
    outputs = {"text (stdout)": done.stdout.encode(), "stderr": done.stderr.encode()}
    written = {fmt: folder / f"report.{fmt}" for fmt in FORMATS}
    outputs.update({fmt: path.read_bytes() for fmt, path in written.items() if path.exists()})
    return done.returncode, outputs


def smoke(program: Path, reference: list[str] | None, work: Path) -> None:
    outside = work / "outside"
    outside.mkdir()
    version = run([str(program), "--version"], cwd=outside)
    expected = next(line.split('"')[1] for line in (CLONE / "pyproject.toml").read_text().splitlines()
                    if line.startswith("version ="))  # fmt: skip
    says = version.returncode == 0 and expected in version.stdout
    check(says, f"inc-audit --version says {expected}", version.stderr)
    where = run([str(program.with_name("python")), "-c", "import inc_audit; print(inc_audit.__file__)"], cwd=outside)
    check(str(CLONE) not in where.stdout and "site-packages" in where.stdout, "inc_audit is the installed copy",
          where.stdout.strip())  # fmt: skip
    rules = run([str(program), "rules"], cwd=outside)
    codes = [rule["code"] if isinstance(rule, dict) else rule for rule in json_rules()]
    check(rules.returncode == 0 and all(c in rules.stdout for c in codes), f"inc-audit rules lists {len(codes)} rules",
          rules.stderr)  # fmt: skip
    code, installed = audit([str(program)], outside / "audit")
    check(code == 1 and b"INC002" in installed["text (stdout)"], "the example audit finds the violations (exit 1)",
          installed["stderr"].decode()[-2000:])  # fmt: skip
    check(set(installed) == {"text (stdout)", "stderr", *FORMATS}, "the example audit writes every report")
    if reference:
        ref_code, checkout = audit(reference, work / "checkout")
        differ = [name for name in installed if installed[name] != checkout.get(name)]
        check(ref_code == code and not differ, "the installed audit gives the checkout's bytes in every format",
              f"exit {ref_code} against {code}; differ: {differ}")  # fmt: skip
    gate = [str(program), "templates", str(CLONE / "examples" / "umami-templates"), "--config",
            str(CLONE / "examples" / ".inc-audit.yml")]  # fmt: skip
    done = run(gate, cwd=outside)
    check(done.returncode == 0, "the template gate passes the Umami templates", done.stdout + done.stderr)
    bare_repository(program, work / "project")


def json_rules() -> list[object]:
    data = json.loads((CLONE / "schemas" / "rules.json").read_text(encoding="utf-8"))
    return list(data.get("rules", data)) if isinstance(data, dict) else list(data)


def bare_repository(program: Path, project: Path) -> None:
    """`init` in a new git repository that holds only the team's issue templates."""
    project.mkdir()
    if shutil.which("git"):
        run(["git", "init", "-q"], cwd=project)
    shutil.copytree(CLONE / "examples" / "umami-templates", project / ".gitlab" / "issue_templates")
    done = run([str(program), "init", "--offline"], cwd=project)
    written = (project / ".inc-audit.yml").exists() and (project / ".gitlab-ci.yml").exists()
    check(done.returncode == 0 and written, "inc-audit init writes .inc-audit.yml and .gitlab-ci.yml", done.stderr)
    done = run([str(program), "templates"], cwd=project)
    check(done.returncode == 0, "the template gate passes with the configuration init wrote", done.stdout + done.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="test this wheel instead of building one")
    parser.add_argument("--build-python", default=str(CLONE / ".venv" / "bin" / "python"),
                        help="the python that has `build` [default: the clone's .venv]")  # fmt: skip
    parser.add_argument("--reference", help="the python that runs the checkout [default: the clone's .venv; none]")
    parser.add_argument("--python", default=sys.executable, help="the python of the fresh environment")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    options = parser.parse_args()
    reference_python = options.reference or options.build_python
    reference = None if options.reference == "none" or not Path(reference_python).exists() else [
        reference_python, "-m", "inc_audit"]  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="inc-audit-smoke-"))
    try:
        if options.wheel:
            wheel = options.wheel.resolve()
        else:
            wheel, sdist = build(options.build_python, work / "dist")
            check_sdist(sdist)
        check_wheel(wheel)
        program = install(options.python, wheel, work / "venv")
        smoke(program, reference, work)
    except (SmokeFailure, subprocess.TimeoutExpired, OSError, StopIteration) as failure:
        print(f"smoke: FAIL {failure}", file=sys.stderr)
        return 1
    finally:
        if options.keep:
            print(f"smoke: work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("smoke: the installed wheel works")
    return 0


if __name__ == "__main__":
    sys.exit(main())
