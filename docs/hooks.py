"""MkDocs hooks (mkdocs.yml `hooks:`): publish the JSON schemas with the site.

The configuration schema's `$id` is `<site_url>schemas/config.schema.json`, so that an editor
that reads the `# yaml-language-server: $schema=...` line `inc-audit init` writes can fetch
it: every `schemas/*.json` is copied to `<site>/schemas/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def on_post_build(config: Any, **_: Any) -> None:
    target = Path(config["site_dir"]) / "schemas"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(SCHEMAS.glob("*.json")):
        shutil.copyfile(path, target / path.name)
