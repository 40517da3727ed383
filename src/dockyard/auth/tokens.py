"""Registry access tokens and refresh tokens: JWTs signed by the registry's `SigningKeys`.

Access tokens are what the Docker token spec and CNCF distribution 2.8 read: header `alg` (the signing key's
algorithm, ES256 or RS256), `typ`, `kid` (the libtrust key id); claims `iss`, `sub`, `aud` (one string:
distribution cannot parse an array), `exp`, `nbf`, `iat` (whole seconds: distribution reads them as int64),
`jti` and `access`. Refresh tokens are signed the same way and marked by `grant_type: refresh_token`, with
no `access`.

Verification goes in three steps and never trusts the token about how to check it:
1. parse, after a size limit;
2. verify the signature with the registry key named by `kid`, with the one algorithm that key's type implies
   (EC P-256: ES256, RSA: RS256); the token's own `alg` must be on an explicit allow-list and equal that
   algorithm, or the token is refused; it never chooses how the signature is checked;
3. validate the claims, with `now` passed in.

A refusal raises `TokenRejected` with a `RejectReason` for the logs; clients are never told the reason.
Verification has no side effects, so the caller may cache `Claims` by token string (re-checking
`Claims.valid_at` on a hit).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    ExceededSizeError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jws import CompactSignature, JWSRegistry

from dockyard.auth.keys import SigningKey, SigningKeys
from dockyard.auth.scopes import AccessEntry, Scope

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_TOKEN_LENGTH",
    "MODE_CLAIM",
    "NAME_CLAIM",
    "PASSWORD_CLAIM",
    "Claims",
    "IssuedToken",
    "RejectReason",
    "TokenKind",
    "TokenRejected",
    "issue_access_token",
    "issue_refresh_token",
    "verify_token",
]

#: Longest token accepted, checked before anything is decoded.
MAX_TOKEN_LENGTH = 8 * 1024
#: The only signature algorithms a token may use; anything else (`none`, `HS256`, ...) is refused.
ALLOWED_ALGORITHMS = frozenset({"ES256", "RS256"})
#: The leeway CNCF distribution allows on `exp` and `nbf`, for clocks that disagree a little.
DEFAULT_LEEWAY = 60

#: Binds a registry token to the permissions mode it was minted under (refused after a switch).
MODE_CLAIM = "roleAssignmentMode"
#: Names which of a repository-scoped token's passwords a token was bought with.
PASSWORD_CLAIM = "pwd"
#: The subject's display or user name (as ACR's refresh tokens carry it), for the audit trail.
NAME_CLAIM = "name"

_REFRESH_GRANT = "refresh_token"
_DIRECTORY_USE = "directory"
_REGISTERED = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
_RESERVED = frozenset({*_REGISTERED, "access", "grant_type", "token_use"})
_REGISTRY = JWSRegistry(algorithms=sorted(ALLOWED_ALGORITHMS))
# One registry per algorithm, so a signature is checked with exactly the algorithm its key implies.
_REGISTRY_FOR = {algorithm: JWSRegistry(algorithms=[algorithm]) for algorithm in ALLOWED_ALGORITHMS}


class TokenKind(StrEnum):
    """What a registry token is for."""

    ACCESS = "access"
    REFRESH = "refresh"
    DIRECTORY = "directory"


class RejectReason(StrEnum):
    """Why a token was refused: for the login log and `diagnose`, never for the client."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_KIND = "wrong_kind"
    MISSING_CLAIM = "missing_claim"


class TokenRejected(Exception):
    """A token was refused; `reason` says why (log it, never show it)."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed token, when it expires (seconds since the epoch) and its `jti`."""

    token: str
    expires_at: int
    jwt_id: str


@dataclass(frozen=True)
class Claims:
    """The verified content of a token. `extra` holds every claim beyond the registered ones and `access`."""

    kind: TokenKind
    issuer: str
    subject: str
    audience: str
    expires_at: int
    not_before: int
    issued_at: int
    jwt_id: str
    key_id: str
    access: tuple[Scope, ...]
    extra: Mapping[str, Any]

    def valid_at(self, now: float, leeway: int = DEFAULT_LEEWAY) -> bool:
        """Whether the token's time window holds at `now`: what a cache hit must re-check."""
        return self.not_before - leeway <= now < self.expires_at + leeway and self.issued_at - leeway <= now


def issue_access_token(
    keys: SigningKeys,
    *,
    issuer: str,
    audience: str,
    subject: str,
    access: Sequence[AccessEntry],
    now: float,
    lifetime: float,
    jwt_id: str | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> IssuedToken:
    """Sign an access token granting `access` (render it with `scopes.access_claim`) for `lifetime` seconds.

    The caller keeps the lifetime within the refresh token's (an access token never outlives its source).
    `extra_claims` may not override the registered claims, `access` or `grant_type`.
    """
    claims: dict[str, Any] = {"access": [dict(entry) for entry in access]}
    return _issue(keys, issuer, audience, subject, now, lifetime, jwt_id, extra_claims, claims)


def issue_refresh_token(
    keys: SigningKeys,
    *,
    issuer: str,
    audience: str,
    subject: str,
    now: float,
    lifetime: float,
    jwt_id: str | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> IssuedToken:
    """Sign a refresh token (`grant_type: refresh_token`, no `access`) for `lifetime` seconds.

    ACR's refresh tokens also carry `tenant` and `permissions`; pass those, and the permissions mode
    the token is bound to, as `extra_claims`.
    """
    claims: dict[str, Any] = {"grant_type": _REFRESH_GRANT}
    return _issue(keys, issuer, audience, subject, now, lifetime, jwt_id, extra_claims, claims)


def issue_directory_token(
    keys: SigningKeys,
    *,
    issuer: str,
    audience: str,
    subject: str,
    now: float,
    lifetime: float,
    extra_claims: Mapping[str, Any] | None = None,
) -> IssuedToken:
    """Sign a directory token (`token_use: directory`): proof of a directory sign-in, which
    `/oauth2/exchange` trades for a registry refresh token. It grants nothing by itself."""
    claims: dict[str, Any] = {"token_use": _DIRECTORY_USE}
    return _issue(keys, issuer, audience, subject, now, lifetime, None, extra_claims, claims)


def verify_token(
    keys: SigningKeys,
    token: str,
    *,
    audience: str,
    issuer: str,
    now: float,
    leeway: int = DEFAULT_LEEWAY,
    expected_kind: TokenKind = TokenKind.ACCESS,
) -> Claims:
    """Verify a token this registry signed and return its claims; raise `TokenRejected` otherwise."""
    signed = _parse(token)
    key_id, key = _verification_key(keys, signed.headers(), now)
    _verify_signature(signed, key)
    claims = _decode_claims(signed.payload)
    _validate_claims(claims, audience=audience, issuer=issuer, now=now, leeway=leeway)
    kind = _check_kind(claims, expected_kind)
    return _claims(claims, kind, key_id, audience)


def _issue(
    keys: SigningKeys,
    issuer: str,
    audience: str,
    subject: str,
    now: float,
    lifetime: float,
    jwt_id: str | None,
    extra_claims: Mapping[str, Any] | None,
    kind_claims: dict[str, Any],
) -> IssuedToken:
    clashing = _RESERVED.intersection(extra_claims or {})
    if clashing:
        raise ValueError(f"extra claims may not set {sorted(clashing)}")
    issued_at = int(now)
    expires_at = int(now + lifetime)
    jwt_id = jwt_id or str(uuid.uuid4())
    claims = {
        **(extra_claims or {}),
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "exp": expires_at,
        "nbf": issued_at,
        "iat": issued_at,
        "jti": jwt_id,
        **kind_claims,
    }
    key = keys.active(now)
    header = {"alg": key.algorithm, "typ": "JWT", "kid": key.kid}
    return IssuedToken(
        jwt.encode(header, claims, key.signer, registry=_REGISTRY_FOR[key.algorithm]), expires_at, jwt_id
    )


def _parse(token: str) -> CompactSignature:
    """Step 1: size limit, then split and decode the header and payload (nothing is trusted yet)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected(RejectReason.TOO_LARGE, f"{len(token)} characters")
    try:
        signed = jws.extract_compact(token.encode("ascii"), registry=_REGISTRY)
    except ExceededSizeError as error:
        raise TokenRejected(RejectReason.TOO_LARGE, str(error)) from error
    except (JoseError, ValueError, TypeError) as error:
        raise TokenRejected(RejectReason.MALFORMED, str(error)) from error
    if not isinstance(signed.headers(), dict):
        raise TokenRejected(RejectReason.MALFORMED, "header is not a JSON object")
    return signed


def _verification_key(keys: SigningKeys, header: Mapping[str, Any], now: float) -> tuple[str, SigningKey]:
    """Step 2a: the header's `alg` must be allowed, its `kid` must name one of our live keys, and the `alg`
    must be the one that key's type implies (an RSA key never checks an ES256 token, nor the reverse)."""
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ALLOWED_ALGORITHMS:
        raise TokenRejected(RejectReason.ALGORITHM_NOT_ALLOWED, repr(algorithm)[:64])
    key_id = header.get("kid")
    if not isinstance(key_id, str):
        raise TokenRejected(RejectReason.UNKNOWN_KEY, "the header names no kid")
    key = keys.verification_key(key_id, now)
    if key is None:
        raise TokenRejected(RejectReason.UNKNOWN_KEY, key_id[:80])
    if algorithm != key.algorithm:
        raise TokenRejected(RejectReason.ALGORITHM_NOT_ALLOWED, f"{algorithm} for a {key.algorithm} key")
    return key_id, key


def _verify_signature(signed: CompactSignature, key: SigningKey) -> None:
    """Step 2b: the signature, checked by joserfc with only the algorithm the key implies allowed."""
    try:
        valid = jws.validate_compact(signed, key.verifier, registry=_REGISTRY_FOR[key.algorithm])
    except JoseError as error:
        raise TokenRejected(RejectReason.MALFORMED, str(error)) from error
    if not valid:
        raise TokenRejected(RejectReason.BAD_SIGNATURE)


def _decode_claims(payload: bytes | None) -> dict[str, Any]:
    try:
        claims = json.loads(payload or b"")
    except ValueError as error:
        raise TokenRejected(RejectReason.MALFORMED, "payload is not JSON") from error
    if not isinstance(claims, dict):
        raise TokenRejected(RejectReason.MALFORMED, "payload is not a JSON object")
    return claims


def _validate_claims(claims: dict[str, Any], *, audience: str, issuer: str, now: float, leeway: int) -> None:
    """Step 3: the registered claims, by joserfc's claims registry, with the clock passed in."""
    registry = jwt.JWTClaimsRegistry(
        now=int(now),
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        sub={"essential": True, "allow_blank": True},
        exp={"essential": True},
        nbf={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except MissingClaimError as error:
        raise TokenRejected(RejectReason.MISSING_CLAIM, error.claim) from error
    except ExpiredTokenError as error:
        raise TokenRejected(RejectReason.EXPIRED) from error
    except InvalidClaimError as error:
        raise TokenRejected(_invalid_claim_reason(error.claim, claims), error.claim) from error


def _invalid_claim_reason(claim: str, claims: Mapping[str, Any]) -> RejectReason:
    if claim == "aud":
        return RejectReason.WRONG_AUDIENCE
    if claim == "iss":
        return RejectReason.WRONG_ISSUER
    if claim in ("nbf", "iat") and _is_number(claims[claim]):
        return RejectReason.NOT_YET_VALID
    return RejectReason.MALFORMED


def _check_kind(claims: Mapping[str, Any], expected: TokenKind) -> TokenKind:
    if claims.get("token_use") == _DIRECTORY_USE:
        kind = TokenKind.DIRECTORY
    elif claims.get("grant_type") == _REFRESH_GRANT:
        kind = TokenKind.REFRESH
    else:
        kind = TokenKind.ACCESS
    if kind is not expected:
        raise TokenRejected(RejectReason.WRONG_KIND, f"{kind} token where {expected} was expected")
    if kind is TokenKind.ACCESS and "access" not in claims:
        raise TokenRejected(RejectReason.MISSING_CLAIM, "access")
    return kind


def _claims(claims: dict[str, Any], kind: TokenKind, key_id: str, audience: str) -> Claims:
    return Claims(
        kind=kind,
        issuer=claims["iss"],
        subject=claims["sub"],
        audience=audience,
        expires_at=int(claims["exp"]),
        not_before=int(claims["nbf"]),
        issued_at=int(claims["iat"]),
        jwt_id=claims["jti"],
        key_id=key_id,
        access=_parse_access(claims.get("access", [])),
        extra=MappingProxyType({name: value for name, value in claims.items() if name not in _RESERVED}),
    )


def _parse_access(entries: object) -> tuple[Scope, ...]:
    if not isinstance(entries, list):
        raise TokenRejected(RejectReason.MALFORMED, "access is not a list")
    return tuple(_parse_access_entry(entry) for entry in entries)


def _parse_access_entry(entry: object) -> Scope:
    if not isinstance(entry, dict):
        raise TokenRejected(RejectReason.MALFORMED, "access entry is not an object")
    resource_type, name, actions = entry.get("type"), entry.get("name"), entry.get("actions")
    resource_class = entry.get("class")
    if not (isinstance(resource_type, str) and isinstance(name, str) and isinstance(actions, list)):
        raise TokenRejected(RejectReason.MALFORMED, "access entry lacks type, name or actions")
    if not all(isinstance(action, str) for action in actions) or not isinstance(resource_class, str | None):
        raise TokenRejected(RejectReason.MALFORMED, "access entry has a non-string action or class")
    return Scope(resource_type, name, frozenset(actions), resource_class)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
