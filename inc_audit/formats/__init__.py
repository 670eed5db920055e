"""Report formats: pure functions from an audit result to text; only the command line writes.

``registry`` names every format (``REPORTERS``); ``options`` says what a report shows (a
confidential title or not); ``plain`` (text, JSON), ``ci`` (JUnit, Code Quality), ``html``
and ``audit_issue`` (the audit issue's Markdown, with its ``state`` block) render; ``view``
orders incidents and names owners; ``neutral`` makes issue text inert in Markdown. May
import: findings, the rules' registry and the owners, the configuration, text."""
