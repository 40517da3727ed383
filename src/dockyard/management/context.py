"""`Management`: the stores and settings the management API works on, opened once per app."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.audit.store import AuditStore
from dockyard.content.registry import Registry
from dockyard.directory.store import DirectoryStore
from dockyard.policy.store import PolicyStore
from dockyard.properties.store import PropertiesStore
from dockyard.settings import Settings


@dataclass(frozen=True)
class Management:
    """Everything a management operation may touch."""

    settings: Settings
    registry: Registry  # repositories, tags, manifests and their locks; the clock
    directory: DirectoryStore
    policy: PolicyStore
    properties: PropertiesStore
    audit: AuditStore

    @staticmethod
    def open(settings: Settings, registry: Registry) -> Management:
        """The management view of an opened registry (its metadata engine is shared, not closed here)."""
        engine = registry.metadata.engine
        directory = DirectoryStore(engine, clock=registry.clock)
        return Management(
            settings=settings,
            registry=registry,
            directory=directory,
            policy=PolicyStore(
                engine,
                registry.clock,
                principal_exists=lambda object_id: directory.get_principal(object_id) is not None,
            ),
            properties=PropertiesStore(engine, registry.clock),
            audit=AuditStore(engine),
        )

    def now(self) -> float:
        """The time, from the registry's clock."""
        return float(self.registry.clock())
