"""Federated sign-in: verifying a client assertion signed by an external OIDC issuer (a CI system,
a cluster) against that issuer's published keys.

Which issuers are trusted, and where their JWKS lives, is configured in one JSON file:
`{"https://issuer.example": "https://issuer.example/.well-known/jwks.json" | "file:///path/jwks.json"}`.
Whether a principal trusts an issuer for a subject and audience is the directory's decision.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALLOWED_ALGORITHMS = ("RS256", "ES256")
MAX_ASSERTION_LENGTH = 16 * 1024
_JWKS_CACHE_SECONDS = 600
_REGISTRY = JWSRegistry(algorithms=list(ALLOWED_ALGORITHMS))


class AssertionRejected(Exception):
    """The assertion cannot be trusted; the message is safe to show (it names no secret)."""


@dataclass(frozen=True)
class Assertion:
    """What a verified external token says about its bearer."""

    issuer: str
    subject: str
    audiences: tuple[str, ...]


def load_trusted_issuers(path: Path | None) -> dict[str, str]:
    """The issuer -> JWKS location map from the configured file (empty when none is configured)."""
    if path is None:
        return {}
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise ValueError(f"{path}: expected a JSON object mapping issuer URLs to JWKS URLs or file:// paths")
    return {str(k): str(v) for k, v in document.items()}


def _fetch(location: str) -> Any:
    if location.startswith("file://"):
        return json.loads(Path(location.removeprefix("file://")).read_text())
    if not location.startswith(("https://", "http://")):
        raise ValueError("a JWKS location must be https://, http:// or file://")
    with urllib.request.urlopen(location, timeout=10) as response:
        return json.loads(response.read(1024 * 1024))


class FederatedIssuers:
    """Verifies assertions of the configured issuers, caching each issuer's JWKS for ten minutes."""

    def __init__(self, issuers: Mapping[str, str], clock: Callable[[], float], fetch: Callable[[str], Any] = _fetch):
        self._issuers = dict(issuers)
        self._clock = clock
        self._fetch = fetch
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def verify(self, assertion: str) -> Assertion:
        """Check the assertion's signature against its issuer's keys and its time claims."""
        if len(assertion) > MAX_ASSERTION_LENGTH:
            raise AssertionRejected("the client assertion is too large")
        issuer = _unverified_issuer(assertion)
        if issuer not in self._issuers:
            raise AssertionRejected(f"the assertion's issuer {issuer[:200]!r} is not trusted by this directory")
        try:
            token = jwt.decode(
                assertion, self._key_set(issuer), algorithms=list(ALLOWED_ALGORITHMS), registry=_REGISTRY
            )
            jwt.JWTClaimsRegistry(
                now=int(self._clock()), leeway=60, exp={"essential": True}, sub={"essential": True}
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise AssertionRejected(f"the client assertion is not valid: {type(exc).__name__}") from None
        audience = token.claims.get("aud")
        audiences = (audience,) if isinstance(audience, str) else tuple(a for a in audience or () if isinstance(a, str))
        return Assertion(issuer, str(token.claims["sub"]), audiences)

    def _key_set(self, issuer: str) -> KeySet:
        now = self._clock()
        cached = self._keys.get(issuer)
        if cached is not None and now - cached[0] < _JWKS_CACHE_SECONDS:
            return cached[1]
        try:
            key_set = KeySet.import_key_set(self._fetch(self._issuers[issuer]))
        except (OSError, ValueError, JoseError):
            raise AssertionRejected(f"the keys of issuer {issuer[:200]!r} cannot be loaded") from None
        self._keys[issuer] = (now, key_set)
        return key_set


def _unverified_issuer(assertion: str) -> str:
    """The `iss` claim, read before verification only to choose the keys (then verified with them)."""
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, UnicodeDecodeError):
        raise AssertionRejected("the client assertion is not a JWT") from None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    if not isinstance(issuer, str):
        raise AssertionRejected("the client assertion has no issuer")
    return issuer
