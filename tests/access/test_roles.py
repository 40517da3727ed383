"""ACR's built-in roles, and which of their data actions count in each permissions mode."""

from __future__ import annotations

import pytest

from dockyard.access.roles import (
    BUILT_IN_ROLES,
    DataAction,
    PermissionsMode,
    RoleDefinition,
    built_in_role,
    data_actions_for,
    honoured_data_actions,
)

RBAC, ABAC = PermissionsMode.RBAC, PermissionsMode.RBAC_ABAC


def _role(name: str) -> RoleDefinition:
    role = built_in_role(name)
    assert role is not None
    return role


def test_every_role_the_seed_names_is_built_in() -> None:
    names = {role.name for role in BUILT_IN_ROLES}
    assert {
        "AcrPull", "AcrPush", "AcrDelete", "AcrImageSigner",
        "Container Registry Repository Reader", "Container Registry Repository Writer",
        "Container Registry Repository Contributor", "Container Registry Repository Catalog Lister",
        "Owner", "Contributor", "Reader",
        "Container Registry Contributor and Data Access Configuration Administrator",
        "Role Based Access Control Administrator",
    } <= names  # fmt: skip


def test_role_names_are_found_in_any_case() -> None:
    assert _role("acrpull").name == "AcrPull"


def test_acr_push_is_ignored_in_rbac_abac_mode() -> None:
    assert honoured_data_actions(_role("AcrPush"), ABAC) == frozenset()
    assert honoured_data_actions(_role("AcrPush"), RBAC) == {DataAction.PULL, DataAction.PUSH}


def test_repository_roles_count_only_in_rbac_abac_mode() -> None:
    reader = _role("Container Registry Repository Reader")
    assert honoured_data_actions(reader, RBAC) == frozenset()
    assert honoured_data_actions(reader, ABAC) == {DataAction.CONTENT_READ, DataAction.METADATA_READ}


def test_owner_keeps_data_rights_only_in_rbac_mode() -> None:
    assert DataAction.PUSH in honoured_data_actions(_role("Owner"), RBAC)
    assert honoured_data_actions(_role("Owner"), ABAC) == frozenset()


def test_only_repository_roles_take_conditions() -> None:
    with_conditions = {role.name for role in BUILT_IN_ROLES if role.conditions_allowed}
    assert with_conditions == {
        "Container Registry Repository Reader",
        "Container Registry Repository Writer",
        "Container Registry Repository Contributor",
    }


@pytest.mark.parametrize(
    ("docker_action", "mode", "expected"),
    [
        ("pull", RBAC, DataAction.PULL),
        ("push", RBAC, DataAction.PUSH),
        ("delete", RBAC, DataAction.DELETE),
        ("pull", ABAC, DataAction.CONTENT_READ),
        ("push", ABAC, DataAction.CONTENT_WRITE),
        ("delete", ABAC, DataAction.CONTENT_DELETE),
    ],
)
def test_docker_actions_map_to_the_mode_s_data_actions(
    docker_action: str, mode: PermissionsMode, expected: DataAction
) -> None:
    assert data_actions_for(docker_action, "repository", mode) == {expected}


def test_the_catalog_needs_the_catalog_lister_in_rbac_abac_mode() -> None:
    assert data_actions_for("*", "registry", ABAC) == {DataAction.CATALOG_READ}
    assert data_actions_for("*", "registry", RBAC) == {DataAction.PULL}
