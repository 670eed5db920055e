"""inc-audit: check that GitLab incidents follow the incident management policy."""

__version__ = "0.1.0"
