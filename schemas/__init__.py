"""The JSON schemas inc-audit ships: installed as the package data inc_audit.builtin_schemas."""
