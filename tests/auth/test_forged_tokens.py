"""Forged and broken bearer tokens on `/v2/` are refused with the ordinary 401 challenge.

Every forgery starts from a token the test signs with the server's own private key (read from
`<data_dir>/keys`) and the claims the server issues; a control test shows that unmodified one is
accepted, so each refusal is down to the one thing the test changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from dockyard.auth.keys import SigningKeys, libtrust_key_id
from tests.auth.conftest import ACR_AUTHENTICATION_REQUIRED, TokenRegistry, jwt_part, oci_messages
from tests.oci import OCI_MANIFEST, push_image, unique_name


@dataclass(frozen=True)
class Target:
    """A registry, an image in it, and the server's signing key (as an attacker who stole nothing lacks)."""

    registry: TokenRegistry
    name: str
    private_key: ec.EllipticCurvePrivateKey
    certificate_pem: bytes
    kid: str

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.registry.host,
            "sub": "forger",
            "aud": self.registry.host,
            "exp": now + 600,
            "nbf": now,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "access": [{"type": "repository", "name": self.name, "actions": ["pull"]}],
            "roleAssignmentMode": "rbac",  # tokens are bound to the permissions mode they were minted under
        }
        return {**claims, **overrides}

    def header(self, **overrides: Any) -> dict[str, Any]:
        return {"alg": "ES256", "typ": "JWT", "kid": self.kid, **overrides}

    def sign(self, header: Mapping[str, Any] | None = None, claims: Mapping[str, Any] | None = None) -> str:
        """A token signed ES256 with the server's own key."""
        return _es256(self.private_key, header or self.header(), claims or self.claims())

    def pull(self, token: str) -> httpx.Response:
        with self.registry.bearer_client(token) as client:
            return client.get(f"/v2/{self.name}/manifests/v1", headers={"Accept": OCI_MANIFEST})


@pytest.fixture(scope="module")
def target(token_registry: TokenRegistry) -> Target:
    name = unique_name("forged")
    with token_registry.bearer_client(token_registry.access_token(f"repository:{name}:pull,push")) as client:
        push_image(client, name, "v1")
    (key_file,) = sorted((token_registry.data_dir / "keys").glob("*.pem"))
    content = key_file.read_bytes()
    private_key = serialization.load_pem_private_key(content, password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    certificate = x509.load_pem_x509_certificate(content[content.index(b"-----BEGIN CERTIFICATE-----") :])
    kid = libtrust_key_id(private_key.public_key())
    assert kid == jwt_part(token_registry.access_token(), 0)["kid"]
    return Target(token_registry, name, private_key, certificate.public_bytes(serialization.Encoding.PEM), kid)


@pytest.fixture
def foreign_key(tmp_path: Path) -> ec.EllipticCurvePrivateKey:
    """A key of another registry, made by Dockyard's own key code."""
    return SigningKeys(tmp_path / "keys", issuer="elsewhere", overlap=3600).active(time.time()).private_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segment(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _es256(key: ec.EllipticCurvePrivateKey, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return jwt.encode(dict(header), dict(claims), ECKey.import_key(pem))


def _hs256(secret: bytes, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert oci_messages(response)[0].startswith(ACR_AUTHENTICATION_REQUIRED)


def test_control_token_signed_with_the_servers_key_is_accepted(target: Target) -> None:
    response = target.pull(target.sign())

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_token_is_refused(target: Target, alg: str) -> None:
    token = f"{_segment(target.header(alg=alg))}.{_segment(target.claims())}."

    _assert_refused(target.pull(token))


def test_alg_none_token_with_a_real_signature_attached_is_refused(target: Target) -> None:
    signature = target.sign().rpartition(".")[2]
    token = f"{_segment(target.header(alg='none'))}.{_segment(target.claims())}.{signature}"

    _assert_refused(target.pull(token))


@pytest.mark.parametrize("form", ["public-key", "certificate"])
def test_hs256_signed_with_the_public_key_pem_is_refused(target: Target, form: str) -> None:
    public_pem = target.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    secret = public_pem if form == "public-key" else target.certificate_pem

    _assert_refused(target.pull(_hs256(secret, target.header(alg="HS256"), target.claims())))


def test_unknown_kid_is_refused(target: Target) -> None:
    unknown = ":".join(["ABCD"] * 12)

    _assert_refused(target.pull(target.sign(header=target.header(kid=unknown))))


def test_missing_kid_is_refused(target: Target) -> None:
    header = {"alg": "ES256", "typ": "JWT"}

    _assert_refused(target.pull(target.sign(header=header)))


def test_servers_kid_on_a_token_signed_by_another_key_is_refused(
    target: Target, foreign_key: ec.EllipticCurvePrivateKey
) -> None:
    _assert_refused(target.pull(_es256(foreign_key, target.header(), target.claims())))


def test_token_signed_by_another_registrys_keys_is_refused(
    target: Target, foreign_key: ec.EllipticCurvePrivateKey
) -> None:
    header = target.header(kid=libtrust_key_id(foreign_key.public_key()))

    _assert_refused(target.pull(_es256(foreign_key, header, target.claims())))


def test_embedded_jwk_of_the_attackers_key_is_refused(target: Target, foreign_key: ec.EllipticCurvePrivateKey) -> None:
    pem = foreign_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = ECKey.import_key(pem).as_dict(private=False)
    header = {"alg": "ES256", "typ": "JWT", "jwk": jwk}

    _assert_refused(target.pull(_es256(foreign_key, header, target.claims())))


def test_tampered_access_claim_is_refused(target: Target) -> None:
    token = target.registry.access_token(f"repository:{target.name}:pull")
    header, _, signature = token.split(".")
    claims = jwt_part(token, 1)
    claims["access"] = [{"type": "repository", "name": target.name, "actions": ["pull", "push", "delete"]}]
    tampered = f"{header}.{_segment(claims)}.{signature}"

    with target.registry.bearer_client(tampered) as client:
        response = client.delete(f"/v2/{target.name}/manifests/v1")

    _assert_refused(response)


def test_tampered_subject_is_refused(target: Target) -> None:
    token = target.registry.access_token(f"repository:{target.name}:pull")
    header, _, signature = token.split(".")
    claims = {**jwt_part(token, 1), "sub": "someone-else"}

    _assert_refused(target.pull(f"{header}.{_segment(claims)}.{signature}"))


def test_truncated_signature_is_refused(target: Target) -> None:
    _assert_refused(target.pull(target.sign()[:-8]))


def test_expired_token_is_refused(target: Target) -> None:
    now = int(time.time())

    _assert_refused(target.pull(target.sign(claims=target.claims(exp=now - 600, nbf=now - 1200, iat=now - 1200))))


def test_token_not_yet_valid_is_refused(target: Target) -> None:
    now = int(time.time())

    _assert_refused(target.pull(target.sign(claims=target.claims(nbf=now + 600, exp=now + 1200))))


def test_token_issued_in_the_future_is_refused(target: Target) -> None:
    now = int(time.time())

    _assert_refused(target.pull(target.sign(claims=target.claims(iat=now + 600, exp=now + 1200))))


def test_token_without_expiry_is_refused(target: Target) -> None:
    claims = target.claims()
    del claims["exp"]

    _assert_refused(target.pull(target.sign(claims=claims)))


def test_wrong_audience_is_refused(target: Target) -> None:
    _assert_refused(target.pull(target.sign(claims=target.claims(aud="registry.example.com"))))


def test_wrong_issuer_is_refused(target: Target) -> None:
    _assert_refused(target.pull(target.sign(claims=target.claims(iss="https://attacker.example.com"))))


def test_refresh_token_kind_signed_by_the_server_is_refused_as_an_access_token(target: Target) -> None:
    claims = {**target.claims(), "grant_type": "refresh_token"}

    _assert_refused(target.pull(target.sign(claims=claims)))


def test_token_issued_by_another_registry_is_refused(target: Target, anonymous_pull_registry: TokenRegistry) -> None:
    # A real token for the same repository name, from registry B, replayed at registry A.
    replayed = anonymous_pull_registry.access_token(f"repository:{target.name}:pull")

    _assert_refused(target.pull(replayed))


# -- forged refresh tokens at the token endpoint ---------------------------------------------------


def _refresh_claims(target: Target, **overrides: Any) -> dict[str, Any]:
    """The claims of a refresh token for the owner, as the server issues them."""
    owner_id = jwt_part(target.registry.access_token(), 1)["sub"]
    claims = {**target.claims(sub=owner_id, grant_type="refresh_token", name="owner"), **overrides}
    del claims["access"]
    return claims


def _sign_in_with_refresh_token(target: Target, refresh: str) -> httpx.Response:
    return target.registry.token_response(
        f"repository:{target.name}:pull", auth=("00000000-0000-0000-0000-000000000000", refresh)
    )


def _refresh_grant(target: Target, refresh: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "service": target.registry.host}
    with target.registry.client() as client:
        return client.post("/oauth2/token", data=form)


def _assert_sign_in_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert "access_token" not in response.json()
    assert oci_messages(response)[0].startswith(ACR_AUTHENTICATION_REQUIRED)


def test_control_refresh_token_signed_with_the_servers_key_signs_in(target: Target) -> None:
    response = _sign_in_with_refresh_token(target, target.sign(claims=_refresh_claims(target)))

    assert response.status_code == 200, response.text


def test_expired_refresh_token_is_refused(target: Target) -> None:
    now = int(time.time())
    refresh = target.sign(claims=_refresh_claims(target, exp=now - 600, nbf=now - 4000, iat=now - 4000))

    _assert_sign_in_refused(_sign_in_with_refresh_token(target, refresh))
    _assert_sign_in_refused(_refresh_grant(target, refresh))


def test_alg_none_refresh_token_is_refused(target: Target) -> None:
    refresh = f"{_segment(target.header(alg='none'))}.{_segment(_refresh_claims(target))}."

    _assert_sign_in_refused(_sign_in_with_refresh_token(target, refresh))
    _assert_sign_in_refused(_refresh_grant(target, refresh))


def test_refresh_token_signed_by_another_key_is_refused(
    target: Target, foreign_key: ec.EllipticCurvePrivateKey
) -> None:
    refresh = _es256(foreign_key, target.header(), _refresh_claims(target))

    _assert_sign_in_refused(_sign_in_with_refresh_token(target, refresh))
    _assert_sign_in_refused(_refresh_grant(target, refresh))


def test_refresh_token_for_another_audience_is_refused(target: Target) -> None:
    refresh = target.sign(claims=_refresh_claims(target, aud="registry.example.com"))

    _assert_sign_in_refused(_sign_in_with_refresh_token(target, refresh))


def test_refresh_token_for_an_unknown_subject_is_refused(target: Target) -> None:
    refresh = target.sign(claims=_refresh_claims(target, sub=str(uuid.uuid4())))

    _assert_sign_in_refused(_sign_in_with_refresh_token(target, refresh))
    _assert_sign_in_refused(_refresh_grant(target, refresh))
