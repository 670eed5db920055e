"""What users install is what is tested: packages are discovered, data files ship, and the
smoke test of the installed wheel (.ci/smoke.py) runs in .ci/run before the suite and in the
image build. The smoke test itself runs the wheel; these tests hold the wiring."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def load_smoke():
    spec = importlib.util.spec_from_file_location("smoke", ROOT / ".ci" / "smoke.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_package_is_discovered() -> None:
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "inc_audit").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert "inc_audit.formats" in on_disk
    assert set(find_packages(where=str(ROOT), include=["inc_audit", "inc_audit.*"])) == on_disk
    assert "find_packages(" in (ROOT / "setup.py").read_text(encoding="utf-8")


def test_the_smoke_test_catches_a_package_left_out_of_the_wheel(tmp_path: Path) -> None:
    smoke = load_smoke()
    complete = tmp_path / "complete.whl"
    broken = tmp_path / "broken.whl"
    files = [p for p in (ROOT / "inc_audit").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    data = [f"inc_audit/builtin_schemas/{p.name}" for p in (ROOT / "schemas").glob("*.json")]
    names = [p.relative_to(ROOT).as_posix() for p in files] + data
    for wheel, left_out in ((complete, None), (broken, "inc_audit/formats/__init__.py")):
        with zipfile.ZipFile(wheel, "w") as archive:
            for name in names:
                if name != left_out:
                    archive.writestr(name, "")
    smoke.check_wheel(complete)
    with pytest.raises(smoke.SmokeFailure, match="inc_audit/formats"):
        smoke.check_wheel(broken)


def test_ci_run_smoke_tests_the_wheel_before_the_suite() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    smoke = next(i for i, line in enumerate(lines) if line.startswith("bash .ci/smoke"))
    suite = next(i for i, line in enumerate(lines) if line == ".venv/bin/python -m pytest")
    assert smoke < suite
    assert "build" in (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[project.optional-dependencies]")[1]


def test_the_image_build_runs_the_same_smoke_test() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    build_stage = dockerfile.split("\nFROM ")[1]  # the first FROM, the build stage, up to the second
    assert "python .ci/smoke.py --wheel /wheels/inc_audit-" in build_stage
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    copied = [word for line in build_stage.splitlines() if line.startswith("COPY ") for word in line.split()[1:-1]]
    assert ".ci" in copied and "setup.py" in copied
    for source in copied:
        assert f"!{source.rstrip('/')}" in ignored or f"!{source.rstrip('/')}/" in ignored, source


def test_the_sdist_says_what_it_holds() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    for folder in ("tests", "examples", "templates", "schemas"):
        assert f"graft {folder}" in manifest
