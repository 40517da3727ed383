"""The stores `explain` reads, opened from the settings the server runs with.

The token service is built exactly as the server builds it, so `explain` takes the subject, the
policy and the registry properties from the same code that enforces them. Its signing keys are never
touched (they are read lazily, and `explain` signs nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dockyard.audit.store import AuditStore
from dockyard.auth.token_service import TokenService
from dockyard.metadata.store import MetadataStore
from dockyard.settings import Settings


@dataclass(frozen=True)
class ExplainStores:
    """What `explain` reads: the token service (directory, properties, policy store, the compiled
    policy), the metadata store (locks) and the audit trail (login events)."""

    service: TokenService
    metadata: MetadataStore
    audit: AuditStore


@contextmanager
def open_stores(settings: Settings) -> Iterator[ExplainStores]:
    """The stores of the registry `settings` describe, for the length of a `with` block."""
    from dockyard.app import signing_keys, token_service  # the assembly's own: the same service as the server's

    metadata = MetadataStore(settings.resolved_metadata_url)
    try:
        metadata.migrate()
        service = token_service(settings, metadata, signing_keys(settings))
        yield ExplainStores(service, metadata, AuditStore(metadata.engine))
    finally:
        metadata.close()
