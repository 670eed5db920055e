"""Where incidents come from: the ``Source`` protocol (``interface``) and its implementations.

``export`` reads a GitLab project export, ``rest`` a live GitLab through its REST API,
``cache`` keeps what a live source read between runs; ``http`` is the retry helper every
request to GitLab goes through, and ``parallel`` the reader threads.
"""
