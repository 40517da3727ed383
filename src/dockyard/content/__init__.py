"""The registry domain without HTTP: digests, names, manifests, upload sessions, tags and referrers.

Nothing here knows about requests or responses; the OCI routes call these use cases and map the
exceptions of `content.errors` to OCI error codes.
"""
