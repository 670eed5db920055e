"""pytest fixtures for tests that talk to the fake GitLab.

Load them from a test module with ``pytest_plugins = ["fakegitlab.fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import schemas
from .server import PROJECT, FakeGitLab


@pytest.fixture(scope="session")
def export_complex() -> Path:
    """GitLab's own "complex" project export fixture."""
    return schemas.FIXTURES_DIR / "export-complex"


@pytest.fixture(scope="session")
def api_schemas() -> Path:
    return schemas.api_schemas_dir()


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    """An empty running instance with the default tokens ("tok-read", "tok-api")."""
    with FakeGitLab() as fake:
        yield fake
    assert fake.errors == [], f"the fake GitLab failed while answering: {fake.errors!r}"


@pytest.fixture
def complex_gitlab(export_complex: Path) -> Iterator[FakeGitLab]:
    """A running instance serving GitLab's complex export as umami-wallet/umami."""
    with FakeGitLab.from_export(export_complex, PROJECT) as fake:
        yield fake
    assert fake.errors == [], f"the fake GitLab failed while answering: {fake.errors!r}"
