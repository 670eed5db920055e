"""Reading a live GitLab through GraphQL: the queries (``query``), the client over the REST
session (``client``), the node converters (``nodes``) and the source (``source``), which
falls back on the REST source for what GraphQL does not serve. May import the HTTP layer,
``entries``, ``rest`` and the source protocol."""
