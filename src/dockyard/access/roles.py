"""Role definitions: ACR's built-in roles as sets of named actions, and how Docker actions map to them.

Actions are named as ACR names them, under `Microsoft.ContainerRegistry/registries/`. A role grants
control-plane `actions` (managing the registry) and data-plane `data_actions` (pull, push, delete).
Which data actions count depends on the registry's permissions mode: in `rbac` the registry-wide
Acr* actions do, in `rbac-abac` only the repository actions (which may carry conditions) do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PREFIX = "Microsoft.ContainerRegistry/registries/"
# Dockyard's directory (its Entra ID): users, groups and service principals.
DIRECTORY_PREFIX = "Microsoft.Directory/"


class PermissionsMode(StrEnum):
    """The registry property `roleAssignmentMode`."""

    RBAC = "rbac"
    RBAC_ABAC = "rbac-abac"


class DataAction(StrEnum):
    """Data-plane actions of the built-in roles."""

    PULL = PREFIX + "pull/read"
    PUSH = PREFIX + "push/write"
    DELETE = PREFIX + "artifacts/delete"
    SIGN = PREFIX + "sign/write"
    CONTENT_READ = PREFIX + "repositories/content/read"
    CONTENT_WRITE = PREFIX + "repositories/content/write"
    CONTENT_DELETE = PREFIX + "repositories/content/delete"
    METADATA_READ = PREFIX + "repositories/metadata/read"
    METADATA_WRITE = PREFIX + "repositories/metadata/write"
    METADATA_DELETE = PREFIX + "repositories/metadata/delete"
    CATALOG_READ = PREFIX + "catalog/read"


# The data actions each mode honours; the others are ignored in that mode (cause 7 of the seed).
HONOURED = {
    PermissionsMode.RBAC: frozenset({DataAction.PULL, DataAction.PUSH, DataAction.DELETE, DataAction.SIGN}),
    PermissionsMode.RBAC_ABAC: frozenset(
        {
            DataAction.CONTENT_READ,
            DataAction.CONTENT_WRITE,
            DataAction.CONTENT_DELETE,
            DataAction.METADATA_READ,
            DataAction.METADATA_WRITE,
            DataAction.METADATA_DELETE,
            DataAction.CATALOG_READ,
            DataAction.SIGN,
        }
    ),
}


@dataclass(frozen=True)
class RoleDefinition:
    """A role: what it lets a principal manage and do, and whether it may carry a condition."""

    name: str
    description: str
    actions: frozenset[str] = frozenset()
    data_actions: frozenset[str] = frozenset()
    conditions_allowed: bool = False
    # Owner, Contributor and Reader carry their classic data-plane rights only in `rbac` mode.
    data_actions_only_in_rbac: bool = False


_READ = frozenset({DataAction.CONTENT_READ, DataAction.METADATA_READ})
_WRITE = _READ | {DataAction.CONTENT_WRITE, DataAction.METADATA_WRITE}
_CONTRIBUTE = _WRITE | {DataAction.CONTENT_DELETE, DataAction.METADATA_DELETE}

BUILT_IN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition("AcrPull", "Pull artifacts from every repository.", data_actions=frozenset({DataAction.PULL})),
    RoleDefinition("AcrPush", "Pull and push artifacts.", data_actions=frozenset({DataAction.PULL, DataAction.PUSH})),
    RoleDefinition("AcrDelete", "Delete artifacts.", data_actions=frozenset({DataAction.DELETE})),
    RoleDefinition("AcrImageSigner", "Sign images.", data_actions=frozenset({DataAction.SIGN})),
    RoleDefinition(
        "Container Registry Repository Reader",
        "Read content and metadata of repositories (narrowed by a condition).",
        data_actions=_READ,
        conditions_allowed=True,
    ),
    RoleDefinition(
        "Container Registry Repository Writer",
        "Read and write content and metadata of repositories (narrowed by a condition).",
        data_actions=_WRITE,
        conditions_allowed=True,
    ),
    RoleDefinition(
        "Container Registry Repository Contributor",
        "Read, write and delete content and metadata of repositories (narrowed by a condition).",
        data_actions=_CONTRIBUTE,
        conditions_allowed=True,
    ),
    RoleDefinition(
        "Container Registry Repository Catalog Lister",
        "List every repository of the registry (takes no condition).",
        data_actions=frozenset({DataAction.CATALOG_READ}),
    ),
    # The control-plane roles, with Azure's Actions (`!` marks a NotAction) as far as Dockyard has
    # the resources they name; `control_plane.py` decides with them.
    RoleDefinition(
        "Owner",
        "Manage everything, including role assignments and the directory.",
        actions=frozenset({"*"}),
        data_actions=frozenset({DataAction.PULL, DataAction.PUSH, DataAction.DELETE, DataAction.SIGN}),
        data_actions_only_in_rbac=True,
    ),
    RoleDefinition(
        "Contributor",
        "Manage everything except role assignments and the directory's users, groups and service principals.",
        actions=frozenset(
            {
                "*",
                "!Microsoft.Authorization/*/Delete",
                "!Microsoft.Authorization/*/Write",
                "!Microsoft.Authorization/elevateAccess/Action",
                # Azure's Contributor is a Resource Manager role and cannot touch Entra ID objects at all;
                # Dockyard's directory stands in for Entra ID, so the same line holds here. (Managed
                # identities are Resource Manager resources in Azure too, and stay within Contributor's reach.)
                "!" + DIRECTORY_PREFIX + "*/write",
                "!" + DIRECTORY_PREFIX + "*/delete",
            }
        ),
        data_actions=frozenset({DataAction.PULL, DataAction.PUSH, DataAction.DELETE}),
        data_actions_only_in_rbac=True,
    ),
    RoleDefinition(
        "Reader",
        "Read everything (never a credential).",
        actions=frozenset({"*/read"}),
        data_actions=frozenset({DataAction.PULL}),
        data_actions_only_in_rbac=True,
    ),
    RoleDefinition(
        "Container Registry Contributor and Data Access Configuration Administrator",
        "Manage the registry: its properties and network access, the admin user's credentials, "
        "repository-scoped tokens and scope maps; read role assignments. No data-plane rights.",
        actions=frozenset(
            {
                "Microsoft.Authorization/*/read",
                PREFIX + "read",
                PREFIX + "write",
                PREFIX + "listCredentials/action",
                PREFIX + "regenerateCredential/action",
                PREFIX + "generateCredentials/action",
                PREFIX + "scopeMaps/read",
                PREFIX + "scopeMaps/write",
                PREFIX + "scopeMaps/delete",
                PREFIX + "tokens/read",
                PREFIX + "tokens/write",
                PREFIX + "tokens/delete",
            }
        ),
    ),
    RoleDefinition(
        "Role Based Access Control Administrator",
        "Manage role assignments; read everything.",
        actions=frozenset(
            {
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
                "*/read",
            }
        ),
    ),
)

_BY_NAME = {role.name.lower(): role for role in BUILT_IN_ROLES}


def built_in_role(name: str) -> RoleDefinition | None:
    """A built-in role by its name (any case), or None."""
    return _BY_NAME.get(name.lower())


def data_actions_for(docker_action: str, resource_type: str, mode: PermissionsMode) -> frozenset[DataAction]:
    """The data actions that grant a Docker action in a mode; holding any one of them suffices.

    pull -> content/read (rbac-abac) or pull/read (rbac); push -> content/write or push/write;
    delete -> content/delete or artifacts/delete; the catalog (`registry:catalog:*`) -> catalog/read
    (rbac-abac) or pull/read registry-wide (rbac).
    """
    abac = mode is PermissionsMode.RBAC_ABAC
    if resource_type == "registry":
        return frozenset({DataAction.CATALOG_READ if abac else DataAction.PULL})
    table = {
        "pull": DataAction.CONTENT_READ if abac else DataAction.PULL,
        "push": DataAction.CONTENT_WRITE if abac else DataAction.PUSH,
        "delete": DataAction.CONTENT_DELETE if abac else DataAction.DELETE,
    }
    return frozenset({table[docker_action]}) if docker_action in table else frozenset()


def honoured_data_actions(role: RoleDefinition, mode: PermissionsMode) -> frozenset[str]:
    """The data actions of `role` that count in `mode` (the others are ignored, not denied)."""
    if role.data_actions_only_in_rbac and mode is not PermissionsMode.RBAC:
        return frozenset()
    return frozenset(action for action in role.data_actions if action in HONOURED[mode])
