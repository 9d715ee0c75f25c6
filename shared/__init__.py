"""The library every NovaVMS Events function imports, in layers (each imports only those below it):

- ``edge``: the route table, ``@endpoint`` and its context, authentication, steps (idempotency),
  CORS, logs;
- ``api`` and ``exports``: wire formats (query parameters, bodies, cursors, response shapes) and CSV
  exports;
- ``store``: Firestore (events, idempotency records, transactions, indexes); ``media``/``gcs``:
  Cloud Storage;
- ``model``: events, filters, changes, actors and scopes, free of wire formats;
- ``config``, ``errors``, ``ids``, ``timefmt``: settings and basics. ``pipeline`` validates the
  recording pipeline's events for loads.
"""
