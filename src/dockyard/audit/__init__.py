"""The audit trail: login events and repository events, queued by the request handlers, written in
batches to the metadata store and to JSON lines by a background writer, queried and pruned here.

This package knows nothing of HTTP: the edges (`auth/routes.py`, `distribution/manifests.py`) turn a
request into an event and hand it over; nothing here ever makes a request wait.
"""
