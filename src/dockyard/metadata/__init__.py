"""The metadata store: repositories, blob links, manifests, tags, referrers and upload sessions.

SQLAlchemy Core over SQLite by default (PostgreSQL plugs in through the same URL). Every piece of
state that processes must share lives here, so any number of server processes can serve one registry.
"""
