"""Reading: a document's text turned into sections and answers.

``lines`` says what one line is, ``blocks`` groups lines into blocks (``html`` reads HTML
blocks, ``wiki`` Jira/Confluence markup, ``tables`` a table used as a form), ``markdown``
gives the parsed ``Document``; ``vocabulary`` holds the words of headings and answers, with
``concepts`` (headings by their root words' stems, abbreviations and typos) and ``deferral``
(answers that only say they come later); ``inference`` recognises a section by its text; ``schemas``
loads the JSON schemas and matches a document's parts to their sections (the data);
``explain`` words why a part was not found (the messages); ``validity`` says how a document
fails its schema (the checks); ``prefilter`` cheaply rules out comments that cannot be a
post-mortem; ``memo`` is a bounded memo. One direction: schemas, explain, validity.

May import: errors, text and files (where the shipped schemas are). Never the configuration, the rules
or the sources.
"""
