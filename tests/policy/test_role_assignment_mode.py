"""The registry property `roleAssignmentMode`, kept by the properties store beside the policy."""

from __future__ import annotations

from pathlib import Path

from dockyard.access.roles import PermissionsMode
from dockyard.properties.store import PropertiesStore
from tests.policy import FAST_HASHER, Clock, migrated_engine


def test_a_new_registry_decides_in_rbac_mode(tmp_path: Path) -> None:
    properties = PropertiesStore(migrated_engine(tmp_path), Clock(), FAST_HASHER)

    assert properties.current().role_assignment_mode is PermissionsMode.RBAC


def test_the_role_assignment_mode_is_changed_for_every_process(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    clock = Clock()
    server = PropertiesStore(engine, clock, FAST_HASHER)
    assert server.current().role_assignment_mode is PermissionsMode.RBAC

    PropertiesStore(engine, clock, FAST_HASHER).set_role_assignment_mode(PermissionsMode.RBAC_ABAC)
    clock.advance(1)

    assert server.current().role_assignment_mode is PermissionsMode.RBAC_ABAC
