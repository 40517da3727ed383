"""Scope maps: named lists of repository actions that repository-scoped tokens are bound to.

The five built-in `_repositories_*` maps always exist and never change; custom ones are stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, func, insert, select, update

from dockyard.access.model import BUILT_IN_SCOPE_MAPS, ScopeMap, ScopeMapEntry
from dockyard.policy._base import StoreBase
from dockyard.policy._rows import (
    SCOPE_MAP_COLUMNS,
    built_in_scope_map,
    find_scope_map,
    scope_map_actions,
    scope_map_from,
)
from dockyard.policy.errors import (
    ActionInvalid,
    ScopeMapBuiltIn,
    ScopeMapExists,
    ScopeMapInUse,
    ScopeMapNotFound,
)
from dockyard.policy.schema import repository_tokens, scope_maps
from dockyard.policy.validation import check_description, check_scope_map_actions, check_scope_map_name


class ScopeMaps(StoreBase):
    """The scope map part of `PolicyStore`."""

    def list_scope_maps(self) -> list[ScopeMap]:
        """The built-in scope maps, then the custom ones by name."""
        with self._read() as connection:
            rows = connection.execute(select(*SCOPE_MAP_COLUMNS).order_by(scope_maps.c.key)).all()
        return [*BUILT_IN_SCOPE_MAPS, *(scope_map_from(row) for row in rows)]

    def get_scope_map(self, name: str) -> ScopeMap | None:
        """A built-in or custom scope map by name (any case), or None."""
        with self._read() as connection:
            return find_scope_map(connection, name)

    def create_scope_map(self, name: str, actions: Sequence[str], description: str = "") -> ScopeMap:
        """Create a scope map from actions such as `repositories/team-a/*/content/read`."""
        check_scope_map_name(name)
        check_description(description)
        entries = _non_empty(check_scope_map_actions(actions))
        scope_map = ScopeMap(name, entries, description, built_in=False, created_at=self._clock())
        with self._write() as connection:
            if find_scope_map(connection, name) is not None:
                raise ScopeMapExists(f"a scope map named {name!r} exists")
            connection.execute(
                insert(scope_maps).values(
                    key=name.lower(),
                    name=name,
                    actions=scope_map_actions(scope_map),
                    description=description,
                    created_at=scope_map.created_at,
                )
            )
        return scope_map

    def update_scope_map(
        self,
        name: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        description: str | None = None,
    ) -> ScopeMap:
        """Add and remove actions (removing one the map lacks is not an error), or change the
        description; return the scope map as it is now."""
        added = check_scope_map_actions(add)
        removed = set(check_scope_map_actions(remove))
        if description is not None:
            check_description(description)
        with self._write() as connection:
            current = self._custom(connection, name)
            entries = tuple(entry for entry in dict.fromkeys((*current.entries, *added)) if entry not in removed)
            updated = ScopeMap(
                current.name,
                _non_empty(entries),
                current.description if description is None else description,
                built_in=False,
                created_at=current.created_at,
            )
            connection.execute(
                update(scope_maps)
                .where(scope_maps.c.key == name.lower())
                .values(actions=scope_map_actions(updated), description=updated.description)
            )
        return updated

    def delete_scope_map(self, name: str) -> None:
        """Delete a custom scope map no token is bound to."""
        with self._write() as connection:
            current = self._custom(connection, name)
            bound = connection.execute(
                select(repository_tokens.c.name)
                .where(func.lower(repository_tokens.c.scope_map) == current.name.lower())
                .order_by(repository_tokens.c.key)
            ).scalars()
            tokens = list(bound)
            if tokens:
                raise ScopeMapInUse(f"the scope map {current.name!r} is used by the tokens {', '.join(tokens)}")
            connection.execute(delete(scope_maps).where(scope_maps.c.key == name.lower()))

    @staticmethod
    def _custom(connection: Connection, name: str) -> ScopeMap:
        if built_in_scope_map(name) is not None:
            raise ScopeMapBuiltIn(f"the built-in scope map {name!r} cannot be changed or deleted")
        found = find_scope_map(connection, name)
        if found is None:
            raise ScopeMapNotFound(f"no scope map named {name!r}")
        return found


def _non_empty(entries: tuple[ScopeMapEntry, ...]) -> tuple[ScopeMapEntry, ...]:
    if not entries:
        raise ActionInvalid("a scope map needs at least one action")
    return entries
