"""Reading a live GitLab through its REST API (``source.GitLabSource``). May import the
HTTP layer, ``entries`` and the source protocol."""
