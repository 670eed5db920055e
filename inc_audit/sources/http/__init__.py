"""The HTTP layer the live sources share: python-gitlab's session with a time-bounded retry
budget (``session``, ``budget``), what a failed request means (``classify``), the guard that
keeps requests and tokens on the configured GitLab (``guard``), and reader threads
(``parallel``). May import: errors, redaction, text."""
