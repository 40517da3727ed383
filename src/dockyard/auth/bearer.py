"""`TokenAccessController`: the data plane accepts registry access tokens, and only those.

A request without a valid token, or whose token lacks an action, gets the challenge that sends
it to the token service. Verified tokens are cached for their lifetime, so the signature is
checked once per token, not once per request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import HTTPConnection

from dockyard.auth.access import Access, Grant
from dockyard.auth.challenge import authentication_challenge
from dockyard.auth.credentials import BearerCredentials, CredentialsMalformed, parse_authorization
from dockyard.auth.keys import SigningKeys
from dockyard.auth.tokens import Claims, TokenRejected, verify_token

_CACHE_LIMIT = 10_000


class TokenAccessController:
    """Checks bearer tokens issued by this registry's token service against the accesses asked."""

    def __init__(self, keys: SigningKeys, issuer: str, service: str, realm: str, clock: Callable[[], float]) -> None:
        self._keys = keys
        self._issuer = issuer
        self._service = service
        self._realm = realm
        self._clock = clock
        self._verified: dict[str, Claims] = {}

    async def authorize(self, request: HTTPConnection, accesses: Sequence[Access]) -> Grant:
        """Allow when the bearer token is valid and grants every access; otherwise challenge."""
        claims = self._claims(request.headers.get("authorization"))
        if claims is None:
            raise authentication_challenge(self._realm, self._service, accesses)
        missing = [access for access in accesses if not _grants(claims, access)]
        if missing:
            raise authentication_challenge(self._realm, self._service, missing, insufficient_scope=True)
        return Grant(claims.subject)

    def _claims(self, header: str | None) -> Claims | None:
        # The cache is keyed by the whole header value, so a repeat request costs one lookup.
        if not header:
            return None
        now = self._clock()
        claims = self._verified.get(header)
        if claims is not None:
            return claims if claims.valid_at(now) else None
        try:
            credentials = parse_authorization(header)
        except CredentialsMalformed:
            return None
        if not isinstance(credentials, BearerCredentials):
            return None
        try:
            claims = verify_token(self._keys, credentials.token, audience=self._service, issuer=self._issuer, now=now)
        except TokenRejected:
            return None
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[header] = claims
        return claims


def _grants(claims: Claims, access: Access) -> bool:
    return any(
        scope.type == access.type
        and scope.name == access.name
        and (access.action in scope.actions or "*" in scope.actions)
        for scope in claims.access
    )
