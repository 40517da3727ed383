"""The directory: Dockyard's own identity provider (the Entra ID of this world).

One tenant holding principals — users, groups, service principals and managed identities — with
their credentials (password and client-secret hashes, federated credentials) and group memberships.
`store.DirectoryStore` keeps them; `service` authenticates against them and bootstraps the owner.
Knows nothing of HTTP or OAuth2: the token endpoints turn its precise reasons into protocol errors.
"""
