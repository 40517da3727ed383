"""The policy store: what `dockyard.access.decide()` reads, kept in the metadata database.

Custom role definitions, role assignments, scope maps and repository-scoped tokens, written by the
management edges (CLI, API) and compiled into an `access.policy.Policy` for the token service.
`store.PolicyStore` is the one entry point; refusals are the `errors.PolicyError` family.
Knows nothing of HTTP.
"""
