"""`TokenAccessController`: the data plane accepts registry access tokens, and only those.

A request without a valid token, or whose token lacks an action, gets the challenge that sends
it to the token service. A token minted under another permissions mode than the registry's current
one is no longer valid: switching modes takes effect for every client at its next request. Verified
tokens are cached for their lifetime, so the signature is checked once per token, not once per request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from dockyard.auth.access import Access, Grant
from dockyard.auth.challenge import authentication_challenge
from dockyard.auth.credentials import BearerCredentials, CredentialsMalformed, parse_authorization
from dockyard.auth.keys import SigningKeys
from dockyard.auth.tokens import MODE_CLAIM, NAME_CLAIM, Claims, TokenRejected, verify_token

_CACHE_LIMIT = 10_000
_EVERY_ACTION = {"pull", "push", "delete", "*"}


class TokenAccessController:
    """Checks bearer tokens issued by this registry's token service against the accesses asked."""

    def __init__(
        self,
        keys: SigningKeys,
        issuer: str,
        service: str,
        realm: str,
        clock: Callable[[], float],
        leeway: int = 60,
        mode: Callable[[], str] | None = None,
    ) -> None:
        self._leeway = leeway
        self._mode = mode
        self._keys = keys
        self._issuer = issuer
        self._service = service
        self._realm = realm
        self._clock = clock
        self._verified: dict[str, _Verified] = {}

    async def authorize(self, request: HTTPConnection, accesses: Sequence[Access]) -> Grant:
        """Allow when the bearer token is valid and grants every access; otherwise challenge."""
        verified = self._verified_token(request.headers.get("authorization"))
        if verified is None or (self._mode is not None and verified.mode != self._mode()):
            raise authentication_challenge(self._realm, self._service, accesses)
        missing = [a for a in accesses if (a.type, a.name, a.action) not in verified.granted]
        if missing:
            raise authentication_challenge(self._realm, self._service, missing, insufficient_scope=True)
        return verified.grant

    def _verified_token(self, header: str | None) -> _Verified | None:
        # The cache is keyed by the whole header value, so a repeat request costs one lookup.
        if not header:
            return None
        now = self._clock()
        cached = self._verified.get(header)
        if cached is not None:
            return cached if cached.claims.valid_at(now, self._leeway) else None
        try:
            credentials = parse_authorization(header)
        except CredentialsMalformed:
            return None
        if not isinstance(credentials, BearerCredentials):
            return None
        try:
            claims = verify_token(
                self._keys, credentials.token, audience=self._service, issuer=self._issuer, now=now, leeway=self._leeway
            )
        except TokenRejected:
            return None
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        mode, name = claims.extra.get(MODE_CLAIM), claims.extra.get(NAME_CLAIM)
        grant = Grant(claims.subject, name if isinstance(name, str) else "", claims.jwt_id)
        verified = _Verified(claims, grant, _granted(claims), mode if isinstance(mode, str) else None)
        self._verified[header] = verified
        return verified


@dataclass(frozen=True)
class _Verified:
    claims: Claims
    grant: Grant
    granted: frozenset[tuple[str, str, str]]  # (type, name, action), with `*` spelled out
    mode: str | None  # the permissions mode the token was minted under


def _granted(claims: Claims) -> frozenset[tuple[str, str, str]]:
    granted: set[tuple[str, str, str]] = set()
    for scope in claims.access:
        actions = set(scope.actions) | (_EVERY_ACTION if "*" in scope.actions else set())
        granted.update((scope.type, scope.name, action) for action in actions)
    return frozenset(granted)
