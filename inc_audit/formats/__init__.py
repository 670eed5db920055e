"""Output formats added beside ``inc_audit.reporters``: the audit issue body, the HTML page."""
