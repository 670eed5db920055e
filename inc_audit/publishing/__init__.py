"""What inc-audit writes in GitLab: the audit issue (``audit_issue``), the mentions of people
with new findings (``tracking``), and the weekly IPM meeting issue with its agenda
(``meeting``, ``agenda``). May import: formats, the audit, the rules, the configuration and
the HTTP layer of the sources."""
