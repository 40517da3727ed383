"""Users, groups and group members of the directory (`az ad user|group`).

A user is named in paths by object id or user name; a group by object id. Passwords go in, never out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated

from dockyard.access.control_plane import ControlAction
from dockyard.directory.model import Principal, PrincipalKind, canonical_uuid
from dockyard.directory.store import DirectoryStore
from dockyard.management.errors import not_found
from dockyard.management.operations import Call, Operation
from dockyard.management.schema import Constraint, timestamp

_TAG = "directory"
_NAME = Annotated[str, Constraint(min_length=1, max_length=256)]
_PASSWORD = Annotated[str, Constraint(min_length=8, max_length=256)]


@dataclass(frozen=True)
class PrincipalView:
    """Any principal: a user, group, service principal or managed identity."""

    object_id: str
    kind: PrincipalKind
    display_name: str
    enabled: bool
    user_name: str | None
    app_id: str | None
    created_at: datetime.datetime


@dataclass(frozen=True)
class PrincipalList:
    """Principals, by display name."""

    value: list[PrincipalView]


@dataclass(frozen=True)
class UserCreate:
    """A user who signs in with a user name and password."""

    user_name: Annotated[str, Constraint(min_length=1, max_length=128)]
    password: _PASSWORD
    display_name: _NAME | None = None


@dataclass(frozen=True)
class PrincipalUpdate:
    """Enable or disable a principal (a disabled one cannot sign in)."""

    enabled: bool | None = None


@dataclass(frozen=True)
class UserUpdate:
    """Enable or disable a user, or set its password."""

    enabled: bool | None = None
    password: _PASSWORD | None = None


@dataclass(frozen=True)
class GroupCreate:
    """An empty group."""

    display_name: _NAME


def view(principal: Principal) -> PrincipalView:
    """The API's view of a principal."""
    return PrincipalView(
        principal.object_id,
        principal.kind,
        principal.display_name,
        principal.enabled,
        principal.user_name,
        principal.app_id,
        timestamp(principal.created_at),
    )


def find(directory: DirectoryStore, kinds: set[PrincipalKind], key: str, label: str) -> Principal:
    """The principal of one of `kinds` named by object id, application (client) id or, for users, user
    name; 404 when there is none."""
    found: Principal | None = None
    if canonical_uuid(key) is not None:
        found = directory.get_principal(str(canonical_uuid(key))) or directory.principal_by_app_id(key)
    elif PrincipalKind.USER in kinds:
        found = directory.user_by_name(key)
    if found is None or found.kind not in kinds:
        raise not_found(label, key)
    return found


def _user(call: Call) -> Principal:
    return find(call.management.directory, {PrincipalKind.USER}, call.path["user"], "user")


def _group(call: Call) -> Principal:
    return find(call.management.directory, {PrincipalKind.GROUP}, call.path["group"], "group")


def list_users(call: Call) -> PrincipalList:
    """Every user."""
    return PrincipalList([view(p) for p in call.management.directory.list_principals(PrincipalKind.USER)])


def create_user(call: Call) -> PrincipalView:
    """Create a user."""
    body: UserCreate = call.body
    return view(call.management.directory.create_user(body.user_name, body.password, body.display_name))


def show_user(call: Call) -> PrincipalView:
    """One user."""
    return view(_user(call))


def update_user(call: Call) -> PrincipalView:
    """Enable, disable or set the password of a user (password first: it is the check that can refuse)."""
    body: UserUpdate = call.body
    user = _user(call)
    directory = call.management.directory
    if body.password is not None:
        directory.set_password(user.object_id, body.password)
    if body.enabled is not None:
        directory.set_enabled(user.object_id, body.enabled)
    return view(_user(call))


def delete_user(call: Call) -> None:
    """Delete a user (its role assignments stay, naming a principal that is gone, as in Azure)."""
    call.management.directory.delete_principal(_user(call).object_id)


def list_groups(call: Call) -> PrincipalList:
    """Every group."""
    return PrincipalList([view(p) for p in call.management.directory.list_principals(PrincipalKind.GROUP)])


def create_group(call: Call) -> PrincipalView:
    """Create a group."""
    body: GroupCreate = call.body
    return view(call.management.directory.create_group(body.display_name))


def show_group(call: Call) -> PrincipalView:
    """One group."""
    return view(_group(call))


def delete_group(call: Call) -> None:
    """Delete a group and its memberships."""
    call.management.directory.delete_principal(_group(call).object_id)


def list_members(call: Call) -> PrincipalList:
    """A group's direct members."""
    return PrincipalList([view(p) for p in call.management.directory.members(_group(call).object_id)])


def add_member(call: Call) -> None:
    """Make a principal of any kind a direct member of the group (again: no change)."""
    member = find(call.management.directory, set(PrincipalKind), call.path["member"], "principal")
    call.management.directory.add_member(_group(call).object_id, member.object_id)


def remove_member(call: Call) -> None:
    """Remove a direct member."""
    group = _group(call)
    member = find(call.management.directory, set(PrincipalKind), call.path["member"], "principal")
    if not call.management.directory.remove_member(group.object_id, member.object_id):
        raise not_found("group member", call.path["member"])


A = ControlAction
_MEMBER = "/directory/groups/{group}/members/{member}"
OPERATIONS = [
    Operation("GET", "/directory/users", A.USERS_READ, "List users", list_users, _TAG, response=PrincipalList),
    Operation("POST", "/directory/users", A.USERS_WRITE, "Create a user", create_user, _TAG,
              body=UserCreate, response=PrincipalView, status=201),
    Operation("GET", "/directory/users/{user}", A.USERS_READ, "Show a user", show_user, _TAG,
              response=PrincipalView),
    Operation("PATCH", "/directory/users/{user}", A.USERS_WRITE, "Update a user", update_user, _TAG,
              body=UserUpdate, response=PrincipalView),
    Operation("DELETE", "/directory/users/{user}", A.USERS_DELETE, "Delete a user", delete_user, _TAG),
    Operation("GET", "/directory/groups", A.GROUPS_READ, "List groups", list_groups, _TAG, response=PrincipalList),
    Operation("POST", "/directory/groups", A.GROUPS_WRITE, "Create a group", create_group, _TAG,
              body=GroupCreate, response=PrincipalView, status=201),
    Operation("GET", "/directory/groups/{group}", A.GROUPS_READ, "Show a group", show_group, _TAG,
              response=PrincipalView),
    Operation("DELETE", "/directory/groups/{group}", A.GROUPS_DELETE, "Delete a group", delete_group, _TAG),
    Operation("GET", "/directory/groups/{group}/members", A.GROUPS_READ, "List a group's members", list_members,
              _TAG, response=PrincipalList),
    Operation("PUT", _MEMBER, A.GROUP_MEMBERS_WRITE, "Add a member to a group", add_member, _TAG),
    Operation("DELETE", _MEMBER, A.GROUP_MEMBERS_WRITE, "Remove a member from a group", remove_member, _TAG),
]  # fmt: skip
