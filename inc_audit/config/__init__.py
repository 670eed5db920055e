"""The configuration: ``.inc-audit.yml`` read and checked (``file``), and the GitLab emoji
names approvals are written in (``emoji``). May import: reading (the document schemas a
configuration names), findings (the rule codes ``rules.ignore`` may name), the model, errors.
Never the rules: the rule codes are data (schemas/rules.json) the rules register into."""
