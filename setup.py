"""Which packages ship: every package under inc_audit/, found rather than listed, so a new
one cannot be left out; and the top-level schemas/ folder, installed as the package data
inc_audit.builtin_schemas. Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["inc_audit", "inc_audit.*"]), "inc_audit.builtin_schemas"],
    package_dir={"inc_audit.builtin_schemas": "schemas"},
)
