"""The `WWW-Authenticate` challenge that sends a client to the token service (Docker token spec,
with ACR's scope naming), and the 401 detail listing the access that was missing."""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.auth.access import Access, Challenge

AUTHENTICATION_REQUIRED = "authentication required, visit https://aka.ms/acr/authorization for more information."


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scope_of(accesses: Sequence[Access]) -> str:
    """The challenge's `scope`: one `type:name:actions` per resource, actions joined by ','."""
    by_resource: dict[tuple[str, str], list[str]] = {}
    for access in accesses:
        actions = by_resource.setdefault((access.type, access.name), [])
        if access.action not in actions:
            actions.append(access.action)
    return " ".join(f"{kind}:{name}:{','.join(actions)}" for (kind, name), actions in by_resource.items())


def bearer_challenge(
    realm: str, service: str, accesses: Sequence[Access] = (), insufficient_scope: bool = False
) -> str:
    """`Bearer realm="…",service="…"[,scope="…"][,error="insufficient_scope"]`."""
    parts = [f"realm={_quote(realm)}", f"service={_quote(service)}"]
    if accesses:
        parts.append(f"scope={_quote(scope_of(accesses))}")
    if insufficient_scope:
        parts.append('error="insufficient_scope"')
    return "Bearer " + ",".join(parts)


def missing_access_detail(accesses: Sequence[Access]) -> list[dict[str, str]]:
    """The 401 body's `detail`, as ACR writes it: `[{"Type","Name","Action"}]`."""
    return [{"Type": a.type, "Name": a.name, "Action": a.action} for a in accesses]


def authentication_challenge(
    realm: str, service: str, accesses: Sequence[Access], insufficient_scope: bool = False
) -> Challenge:
    """The `Challenge` a controller raises when the request must (re)authenticate for `accesses`."""
    return Challenge(
        AUTHENTICATION_REQUIRED,
        bearer_challenge(realm, service, accesses, insufficient_scope),
        missing_access_detail(accesses) or None,
    )
