"""The configuration: ``.inc-audit.yml`` read as YAML with each key's line, a key written twice
refused (``yamlfile``), checked against its schema and across keys (``checks``), and its meaning
(``file``); the ``vocabulary:`` section that teaches the schemas a team's headings
(``vocabulary``); the GitLab emoji names approvals are written in (``emoji``). May import:
reading (the document schemas a configuration names), findings (the rule codes
``rules.ignore`` may name), the model, errors. Never the rules: the rule codes are data
(schemas/rules.json) the rules register into."""
