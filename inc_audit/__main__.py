"""``python -m inc_audit``: the same program as ``inc-audit``."""

from inc_audit.launcher import launch

if __name__ == "__main__":
    launch()
