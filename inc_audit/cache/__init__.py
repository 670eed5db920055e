"""The incremental cache of live audits: what a scan read from GitLab, and the verdicts the
rules reached on it, kept between runs (``source.CachedSource``, which serves incidents
through ``serving`` and writes what it reads through ``staging``; ``store``, the file;
``entries``; ``fingerprint``). It belongs to the audit, not to the sources: it wraps a live source, keeps
the rules' ``Verdict`` (``inc_audit.audit.KeepsVerdicts``) and knows the configuration it
was made with. May import: the sources, the rules, the configuration, the model."""
