"""Sources: where incidents come from, as read from GitLab or an export.

``interface`` is the ``Source`` protocol the audit and the rules call; it imports nothing of
the sources. ``entries`` turns GitLab's JSON (REST, GraphQL or export) into the model.
``http`` is the HTTP layer every live read goes through (session, time budget, failure
classification, the home-only guard, reader threads); ``rest`` and ``graphql`` read a live
GitLab; ``export`` reads a project export.

May import: the model, errors, text and redaction. Never the configuration, the reading or
the rules: a source hands over what GitLab says; judging it is the audit's business.
"""
