"""The policy as administrators write it: role assignments, scope maps, repository-scoped tokens and
the changeable attributes (locks) of repositories and images.

Pure values: the stores (`dockyard.policy`, `dockyard.content`) read and write them; `compile_policy`
turns them into the indexed `Policy` that `decide()` reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class TokenStatus(StrEnum):
    """Whether a repository-scoped token may sign in."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class TokenPasswordName(StrEnum):
    """A repository-scoped token's two passwords, as ACR names them."""

    PASSWORD1 = "password1"
    PASSWORD2 = "password2"


class ScopeMapAction(StrEnum):
    """What a scope map may allow on a repository, as ACR spells it."""

    CONTENT_READ = "content/read"
    CONTENT_WRITE = "content/write"
    CONTENT_DELETE = "content/delete"
    METADATA_READ = "metadata/read"
    METADATA_WRITE = "metadata/write"


@dataclass(frozen=True)
class RoleAssignment:
    """A principal (user, group, service principal, managed identity) holds a role over a scope.

    `repository` None means the whole registry. `condition` is the ABAC condition's text, already
    checked to parse when the assignment was created.
    """

    id: str
    principal_id: str
    role: str
    repository: str | None = None
    condition: str | None = None
    description: str = ""
    created_at: float = 0.0

    @property
    def scope(self) -> str:
        """The scope as Dockyard prints it: `registry` or `repositories/<name>`."""
        return "registry" if self.repository is None else f"repositories/{self.repository}"


@dataclass(frozen=True)
class ScopeMapEntry:
    """One line of a scope map: an action on the repositories matching a pattern.

    The pattern is a repository name, `*` (every repository), or a prefix ending in `/*`
    (`team-a/*`: every repository under `team-a/`).
    """

    repositories: str
    action: ScopeMapAction

    def __str__(self) -> str:
        return f"repositories/{self.repositories}/{self.action}"

    def covers(self, repository: str) -> bool:
        """Whether this entry's pattern matches `repository`."""
        if self.repositories == "*":
            return True
        if self.repositories.endswith("/*"):
            return repository.startswith(self.repositories[:-1])
        return repository == self.repositories


_ENTRY = re.compile(
    r"repositories/(?P<repositories>\*|[a-z0-9][a-z0-9._/-]*?(?:/\*)?)/"
    r"(?P<action>content/read|content/write|content/delete|metadata/read|metadata/write)"
)


class ScopeMapActionInvalid(ValueError):
    """A scope map action is not `repositories/<repository or pattern>/<action>`."""


def parse_scope_map_entry(text: str) -> ScopeMapEntry:
    """Parse `repositories/team-a/*/content/read` and the like; raise `ScopeMapActionInvalid` otherwise."""
    match = _ENTRY.fullmatch(text.strip())
    if match is None:
        raise ScopeMapActionInvalid(
            f"invalid scope map action {text!r}: expected repositories/<name, prefix/* or *>/"
            "<content/read|content/write|content/delete|metadata/read|metadata/write>"
        )
    return ScopeMapEntry(match["repositories"], ScopeMapAction(match["action"]))


@dataclass(frozen=True)
class ScopeMap:
    """A named list of repository actions that repository-scoped tokens are bound to."""

    name: str
    entries: tuple[ScopeMapEntry, ...]
    description: str = ""
    built_in: bool = False
    created_at: float = 0.0


def _built_in(name: str, description: str, *actions: ScopeMapAction) -> ScopeMap:
    return ScopeMap(name, tuple(ScopeMapEntry("*", action) for action in actions), description, built_in=True)


BUILT_IN_SCOPE_MAPS: tuple[ScopeMap, ...] = (
    _built_in("_repositories_pull", "Can pull any repository of the registry", ScopeMapAction.CONTENT_READ),
    _built_in(
        "_repositories_pull_metadata_read",
        "Can perform all read operations on any repository",
        ScopeMapAction.CONTENT_READ,
        ScopeMapAction.METADATA_READ,
    ),
    _built_in(
        "_repositories_push",
        "Can push to any repository of the registry",
        ScopeMapAction.CONTENT_READ,
        ScopeMapAction.CONTENT_WRITE,
    ),
    _built_in(
        "_repositories_push_metadata_write",
        "Can perform all read and write operations on any repository",
        ScopeMapAction.CONTENT_READ,
        ScopeMapAction.CONTENT_WRITE,
        ScopeMapAction.METADATA_READ,
        ScopeMapAction.METADATA_WRITE,
    ),
    _built_in(
        "_repositories_admin",
        "Can perform all read, write and delete operations on the registry",
        *ScopeMapAction,
    ),
)


@dataclass(frozen=True)
class TokenPassword:
    """One of a token's passwords as an administrator sees it: never its value."""

    name: TokenPasswordName
    created_at: float
    expiry: float | None = None

    def expired(self, now: float) -> bool:
        """Whether the password has passed its expiry."""
        return self.expiry is not None and now >= self.expiry


@dataclass(frozen=True)
class RepositoryToken:
    """A non-directory credential for `docker login`: a name, a scope map, a status, two passwords."""

    name: str
    scope_map: str
    status: TokenStatus = TokenStatus.ENABLED
    passwords: tuple[TokenPassword, ...] = ()
    created_at: float = 0.0


@dataclass(frozen=True)
class ChangeableAttributes:
    """ACR's locks on a repository, tag or manifest: what may still be done to it.

    A disabled flag holds whatever role the caller has: a write-disabled image cannot be
    overwritten, a delete-disabled one cannot be deleted, a list-disabled one is left out of listings.
    """

    read_enabled: bool = True
    write_enabled: bool = True
    delete_enabled: bool = True
    list_enabled: bool = True


UNLOCKED = ChangeableAttributes()
