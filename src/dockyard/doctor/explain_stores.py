"""The stores `explain` reads, opened from the settings the server runs with.

The token service is built exactly as the server builds it, so `explain` takes the subject, the
policy and the registry properties from the same code that enforces them. Its signing keys are never
touched (they are read lazily, and `explain` signs nothing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dockyard.access.policy import Policy
from dockyard.audit.store import AuditStore
from dockyard.auth.keys import SigningKeys
from dockyard.auth.token_service import TokenService
from dockyard.directory.store import DirectoryStore
from dockyard.metadata.store import MetadataStore
from dockyard.policy.store import PolicyStore
from dockyard.properties.store import PropertiesStore
from dockyard.settings import Settings


@dataclass(frozen=True)
class ExplainStores:
    """What `explain` reads: the token service (directory, properties, policy store, the compiled
    policy), the metadata store (locks) and the audit trail (login events)."""

    service: TokenService
    metadata: MetadataStore
    audit: AuditStore


def token_service(settings: Settings, metadata: MetadataStore, keys: SigningKeys) -> TokenService:
    """The token service over `metadata`, configured as `dockyard serve` configures it."""
    properties = PropertiesStore(metadata.engine, time.time)
    policy_store = PolicyStore(metadata.engine, time.time)

    def policy() -> Policy:
        current = properties.current()
        return policy_store.policy(current.role_assignment_mode, current.anonymous_pull_enabled)

    login_server = settings.resolved_login_server
    return TokenService(
        keys=keys,
        directory=DirectoryStore(metadata.engine),
        issuer=login_server,
        service=login_server,
        policy=policy,
        properties=properties,
        tokens=policy_store,
        registry_name=settings.registry_name,
        access_token_seconds=settings.access_token_seconds,
        refresh_token_seconds=settings.refresh_token_seconds,
        leeway=settings.clock_skew_seconds,
    )


@contextmanager
def open_stores(settings: Settings) -> Iterator[ExplainStores]:
    """The stores of the registry `settings` describe, for the length of a `with` block."""
    from dockyard.app import signing_keys  # the assembly's own key settings; nothing is read from them

    metadata = MetadataStore(settings.resolved_metadata_url)
    try:
        metadata.migrate()
        service = token_service(settings, metadata, signing_keys(settings))
        yield ExplainStores(service, metadata, AuditStore(metadata.engine))
    finally:
        metadata.close()
