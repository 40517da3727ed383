"""Registry tokens verify only when this registry signed them, for this audience, now, and for their purpose."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jwt

from dockyard.auth.keys import SigningKeys
from dockyard.auth.scopes import Scope, access_claim, parse_scopes
from dockyard.auth.tokens import (
    MAX_TOKEN_LENGTH,
    RejectReason,
    TokenKind,
    TokenRejected,
    issue_access_token,
    issue_refresh_token,
    verify_token,
)

NOW = 1_700_000_000.0
ISSUER = "dockyard-token-service"
AUDIENCE = "registry.example.com"
LIFETIME = 75 * 60.0
OVERLAP = 3 * 3600.0
ACCESS = access_claim(parse_scopes(["repository:team/app:pull,push registry:catalog:*"]))


@pytest.fixture
def keys(tmp_path: Path) -> SigningKeys:
    return SigningKeys(tmp_path / "keys", issuer=ISSUER, overlap=OVERLAP)


@pytest.fixture
def rsa_keys(tmp_path: Path) -> SigningKeys:
    return SigningKeys(tmp_path / "rsa-keys", issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")


def _access_token(keys: SigningKeys, *, now: float = NOW, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "subject": "alice",
        "access": ACCESS,
        "now": now,
        "lifetime": LIFETIME,
    }
    return issue_access_token(keys, **{**arguments, **overrides}).token


def _refresh_token(keys: SigningKeys, **extra: Any) -> str:
    return issue_refresh_token(
        keys, issuer=ISSUER, audience=AUDIENCE, subject="alice", now=NOW, lifetime=3 * 3600.0, extra_claims=extra
    ).token


def _verify(keys: SigningKeys, token: str, *, now: float = NOW + 1, **options: Any) -> Any:
    return verify_token(keys, token, **{"audience": AUDIENCE, "issuer": ISSUER, "now": now, **options})


def _rejection(keys: SigningKeys, token: str, **options: Any) -> RejectReason:
    with pytest.raises(TokenRejected) as refusal:
        _verify(keys, token, **options)
    return refusal.value.reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(base64.urlsafe_b64decode(header + "==")), json.loads(base64.urlsafe_b64decode(payload + "=="))


def _signed_by_our_key(keys: SigningKeys, claims: dict[str, Any]) -> str:
    key = keys.active(NOW)
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key.signer, algorithms=["ES256"])


def test_access_token_verifies_with_its_claims(keys: SigningKeys) -> None:
    claims = _verify(keys, _access_token(keys))
    assert (claims.kind, claims.issuer, claims.subject, claims.audience) == (
        TokenKind.ACCESS,
        ISSUER,
        "alice",
        AUDIENCE,
    )
    assert claims.access == (
        Scope("repository", "team/app", frozenset({"pull", "push"})),
        Scope("registry", "catalog", frozenset({"*"})),
    )


def test_header_names_es256_jwt_and_the_libtrust_kid(keys: SigningKeys) -> None:
    header, _ = _parts(_access_token(keys))
    assert header == {"alg": "ES256", "typ": "JWT", "kid": keys.active(NOW).kid}


def test_claims_are_those_distribution_reads_with_a_single_string_audience(keys: SigningKeys) -> None:
    _, payload = _parts(_access_token(keys, jwt_id="id-1"))
    assert payload == {
        "iss": ISSUER,
        "sub": "alice",
        "aud": AUDIENCE,
        "exp": int(NOW + LIFETIME),
        "nbf": int(NOW),
        "iat": int(NOW),
        "jti": "id-1",
        "access": ACCESS,
    }


def test_times_are_whole_seconds_even_for_a_fractional_clock(keys: SigningKeys) -> None:
    _, payload = _parts(_access_token(keys, now=NOW + 0.75))
    assert all(type(payload[claim]) is int for claim in ("exp", "nbf", "iat"))


def test_issued_token_reports_its_expiry_and_a_fresh_jti(keys: SigningKeys) -> None:
    first = issue_access_token(
        keys, issuer=ISSUER, audience=AUDIENCE, subject="a", access=[], now=NOW, lifetime=LIFETIME
    )
    second = issue_access_token(
        keys, issuer=ISSUER, audience=AUDIENCE, subject="a", access=[], now=NOW, lifetime=LIFETIME
    )
    assert first.expires_at == int(NOW + LIFETIME)
    assert first.jwt_id != second.jwt_id


def test_refresh_token_carries_grant_type_and_its_extra_claims(keys: SigningKeys) -> None:
    token = _refresh_token(keys, tenant="t-1", permissions={"actions": ["read"]}, permissions_mode="rbac")
    claims = _verify(keys, token, expected_kind=TokenKind.REFRESH)
    assert claims.kind is TokenKind.REFRESH
    assert dict(claims.extra) == {"tenant": "t-1", "permissions": {"actions": ["read"]}, "permissions_mode": "rbac"}
    assert _parts(token)[1]["grant_type"] == "refresh_token"


def test_extra_claims_may_not_override_registered_ones(keys: SigningKeys) -> None:
    with pytest.raises(ValueError, match="aud"):
        _access_token(keys, extra_claims={"aud": ["a", "b"]})


def test_token_signed_before_rotation_verifies_within_the_overlap(keys: SigningKeys) -> None:
    token = _access_token(keys)
    keys.rotate(NOW + 10)
    assert _verify(keys, token, now=NOW + 20).subject == "alice"


def test_token_signed_before_rotation_is_refused_after_the_overlap(keys: SigningKeys) -> None:
    token = _access_token(keys, lifetime=10 * OVERLAP)
    keys.rotate(NOW + 10)
    assert _rejection(keys, token, now=NOW + 10 + OVERLAP) is RejectReason.UNKNOWN_KEY


def test_tokens_are_signed_by_the_key_made_active_by_rotation(keys: SigningKeys) -> None:
    new = keys.rotate(NOW)
    assert _parts(_access_token(keys, now=NOW + 1))[0]["kid"] == new.kid


def test_alg_none_is_refused(keys: SigningKeys) -> None:
    _, payload = _access_token(keys).split(".")[:2]
    forged = f"{_segment({'alg': 'none', 'typ': 'JWT', 'kid': keys.active(NOW).kid})}.{payload}."
    assert _rejection(keys, forged) is RejectReason.ALGORITHM_NOT_ALLOWED


def test_hs256_keyed_with_our_public_key_is_refused(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    payload = _access_token(keys).split(".")[1]
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{payload}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert _rejection(keys, f"{signing_input}.{_b64(signature)}") is RejectReason.ALGORITHM_NOT_ALLOWED


def test_unknown_kid_is_refused(keys: SigningKeys) -> None:
    _, payload, signature = _access_token(keys).split(".")
    forged_header = _segment({"alg": "ES256", "typ": "JWT", "kid": "AAAA:" * 11 + "AAAA"})
    assert _rejection(keys, f"{forged_header}.{payload}.{signature}") is RejectReason.UNKNOWN_KEY


def test_missing_kid_is_refused_as_unknown_key(keys: SigningKeys) -> None:
    _, payload, signature = _access_token(keys).split(".")
    assert _rejection(keys, f"{_segment({'alg': 'ES256'})}.{payload}.{signature}") is RejectReason.UNKNOWN_KEY


def test_tampered_access_claim_is_refused(keys: SigningKeys) -> None:
    token = _access_token(keys)
    header, _, signature = token.split(".")
    claims = _parts(token)[1]
    claims["access"] = [{"type": "repository", "name": "team/app", "actions": ["pull", "push", "delete"]}]
    assert _rejection(keys, f"{header}.{_segment(claims)}.{signature}") is RejectReason.BAD_SIGNATURE


def test_expired_token_is_refused(keys: SigningKeys) -> None:
    assert _rejection(keys, _access_token(keys), now=NOW + LIFETIME + 60) is RejectReason.EXPIRED


def test_token_just_past_expiry_is_accepted_within_the_leeway(keys: SigningKeys) -> None:
    assert _verify(keys, _access_token(keys), now=NOW + LIFETIME + 30).subject == "alice"


def test_token_not_yet_valid_is_refused(keys: SigningKeys) -> None:
    assert _rejection(keys, _access_token(keys, now=NOW + 600), now=NOW) is RejectReason.NOT_YET_VALID


def test_wrong_audience_is_refused(keys: SigningKeys) -> None:
    assert _rejection(keys, _access_token(keys, audience="other.example.com")) is RejectReason.WRONG_AUDIENCE


def test_wrong_issuer_is_refused(keys: SigningKeys) -> None:
    assert _rejection(keys, _access_token(keys, issuer="someone-else")) is RejectReason.WRONG_ISSUER


def test_token_from_another_registrys_keys_is_refused(keys: SigningKeys, tmp_path: Path) -> None:
    other = SigningKeys(tmp_path / "other-keys", issuer=ISSUER, overlap=OVERLAP)
    assert _rejection(keys, _access_token(other)) is RejectReason.UNKNOWN_KEY


def test_token_signed_by_another_key_under_our_kid_is_refused(keys: SigningKeys, tmp_path: Path) -> None:
    other = SigningKeys(tmp_path / "other-keys", issuer=ISSUER, overlap=OVERLAP)
    _, payload, signature = _access_token(other).split(".")
    header = _segment({"alg": "ES256", "typ": "JWT", "kid": keys.active(NOW).kid})
    assert _rejection(keys, f"{header}.{payload}.{signature}") is RejectReason.BAD_SIGNATURE


def test_refresh_token_presented_as_an_access_token_is_refused(keys: SigningKeys) -> None:
    assert _rejection(keys, _refresh_token(keys)) is RejectReason.WRONG_KIND


def test_access_token_presented_as_a_refresh_token_is_refused(keys: SigningKeys) -> None:
    assert _rejection(keys, _access_token(keys), expected_kind=TokenKind.REFRESH) is RejectReason.WRONG_KIND


def test_oversized_token_is_refused_before_parsing(keys: SigningKeys) -> None:
    assert _rejection(keys, "a" * (MAX_TOKEN_LENGTH + 1)) is RejectReason.TOO_LARGE


def test_oversized_header_is_refused(keys: SigningKeys) -> None:
    _, payload, signature = _access_token(keys).split(".")
    header = _segment({"alg": "ES256", "kid": "x" * 1000})
    assert _rejection(keys, f"{header}.{payload}.{signature}") is RejectReason.TOO_LARGE


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not-a-token",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "eyJhbGciOiJFUzI1NiJ9.%%%.AAAA",
        "W10.e30.AAAA",
        "ImFsZyI.e30.AA",
    ],
)
def test_garbage_is_refused_as_malformed(keys: SigningKeys, garbage: str) -> None:
    assert _rejection(keys, garbage) is RejectReason.MALFORMED


def test_non_ascii_token_is_refused_as_malformed(keys: SigningKeys) -> None:
    assert _rejection(keys, _access_token(keys) + "é") is RejectReason.MALFORMED


def test_token_without_expiry_is_refused(keys: SigningKeys) -> None:
    claims = _parts(_access_token(keys))[1]
    del claims["exp"]
    assert _rejection(keys, _signed_by_our_key(keys, claims)) is RejectReason.MISSING_CLAIM


def test_access_token_without_access_claim_is_refused(keys: SigningKeys) -> None:
    claims = _parts(_access_token(keys))[1]
    del claims["access"]
    assert _rejection(keys, _signed_by_our_key(keys, claims)) is RejectReason.MISSING_CLAIM


def test_malformed_access_claim_is_refused(keys: SigningKeys) -> None:
    claims = {**_parts(_access_token(keys))[1], "access": [{"type": "repository", "name": "x", "actions": "pull"}]}
    assert _rejection(keys, _signed_by_our_key(keys, claims)) is RejectReason.MALFORMED


def test_rejection_reason_reads_as_a_log_word(keys: SigningKeys) -> None:
    with pytest.raises(TokenRejected) as refusal:
        _verify(keys, _access_token(keys), now=NOW + 2 * LIFETIME)
    assert str(refusal.value) == "expired"


def test_verified_claims_tell_a_cache_when_they_stop_holding(keys: SigningKeys) -> None:
    claims = _verify(keys, _access_token(keys))
    assert claims.valid_at(NOW + LIFETIME - 1)
    assert not claims.valid_at(NOW + LIFETIME + 61)


def _signed_with(private_key: object, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token signed by hand, whatever its header claims: RSA keys sign RS256's way, EC keys ES256's way."""
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode()
    if isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input.decode()}.{_b64(signature)}"


def test_rs256_token_verifies_with_its_claims(rsa_keys: SigningKeys) -> None:
    claims = _verify(rsa_keys, _access_token(rsa_keys))
    assert (claims.kind, claims.subject, claims.key_id) == (TokenKind.ACCESS, "alice", rsa_keys.active(NOW).kid)
    assert claims.access == (
        Scope("repository", "team/app", frozenset({"pull", "push"})),
        Scope("registry", "catalog", frozenset({"*"})),
    )


def test_rs256_header_names_rs256_jwt_and_the_libtrust_kid(rsa_keys: SigningKeys) -> None:
    header, _ = _parts(_access_token(rsa_keys))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": rsa_keys.active(NOW).kid}


def test_rs256_refresh_token_verifies(rsa_keys: SigningKeys) -> None:
    assert _verify(rsa_keys, _refresh_token(rsa_keys), expected_kind=TokenKind.REFRESH).kind is TokenKind.REFRESH


@pytest.mark.parametrize("which", ["ec", "rsa"])
def test_a_hand_signed_token_naming_its_keys_algorithm_verifies(
    keys: SigningKeys, rsa_keys: SigningKeys, which: str
) -> None:
    signer = keys if which == "ec" else rsa_keys
    key = signer.active(NOW)
    token = _signed_with(key.private_key, {"alg": key.algorithm, "kid": key.kid}, _parts(_access_token(signer))[1])
    assert _verify(signer, token).subject == "alice"


def test_token_signed_rs256_but_claiming_es256_is_refused(rsa_keys: SigningKeys) -> None:
    key = rsa_keys.active(NOW)
    token = _signed_with(key.private_key, {"alg": "ES256", "kid": key.kid}, _parts(_access_token(rsa_keys))[1])
    assert _rejection(rsa_keys, token) is RejectReason.ALGORITHM_NOT_ALLOWED


def test_token_signed_es256_but_claiming_rs256_is_refused(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    token = _signed_with(key.private_key, {"alg": "RS256", "kid": key.kid}, _parts(_access_token(keys))[1])
    assert _rejection(keys, token) is RejectReason.ALGORITHM_NOT_ALLOWED


def test_rs256_token_relabelled_es256_is_refused_for_its_algorithm(rsa_keys: SigningKeys) -> None:
    token = _access_token(rsa_keys)
    _, payload, signature = token.split(".")
    relabelled = _segment({**_parts(token)[0], "alg": "ES256"})
    assert _rejection(rsa_keys, f"{relabelled}.{payload}.{signature}") is RejectReason.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize(
    "public_format", [serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.PKCS1]
)
def test_hs256_keyed_with_our_rsa_public_key_is_refused(
    rsa_keys: SigningKeys, public_format: serialization.PublicFormat
) -> None:
    key = rsa_keys.active(NOW)
    public_pem = key.private_key.public_key().public_bytes(serialization.Encoding.PEM, public_format)
    payload = _access_token(rsa_keys).split(".")[1]
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{payload}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert _rejection(rsa_keys, f"{signing_input}.{_b64(signature)}") is RejectReason.ALGORITHM_NOT_ALLOWED


def test_rs256_token_signed_by_another_key_under_our_kid_is_refused(rsa_keys: SigningKeys, tmp_path: Path) -> None:
    other = SigningKeys(tmp_path / "other-keys", issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    _, payload, signature = _access_token(other).split(".")
    header = _segment({"alg": "RS256", "typ": "JWT", "kid": rsa_keys.active(NOW).kid})
    assert _rejection(rsa_keys, f"{header}.{payload}.{signature}") is RejectReason.BAD_SIGNATURE


def test_switching_to_rs256_signs_with_a_new_key_and_old_tokens_verify_within_the_overlap(keys: SigningKeys) -> None:
    es256_token = _access_token(keys, lifetime=10 * OVERLAP)
    switched = SigningKeys(keys.directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    rs256_token = _access_token(switched, now=NOW + 10)
    old_header, new_header = _parts(es256_token)[0], _parts(rs256_token)[0]
    assert (old_header["alg"], new_header["alg"]) == ("ES256", "RS256")
    assert old_header["kid"] != new_header["kid"]
    assert _verify(switched, es256_token, now=NOW + 20).key_id == old_header["kid"]
    assert _verify(switched, rs256_token, now=NOW + 20).key_id == new_header["kid"]
    assert _verify(keys, rs256_token, now=NOW + 20).subject == "alice"  # a process not yet switched verifies too


def test_after_switching_old_tokens_are_refused_once_the_overlap_has_passed(keys: SigningKeys) -> None:
    es256_token = _access_token(keys, lifetime=10 * OVERLAP)
    switched = SigningKeys(keys.directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    switched.active(NOW + 10)
    assert _rejection(switched, es256_token, now=NOW + 10 + OVERLAP) is RejectReason.UNKNOWN_KEY
