"""Signing keys are private files, named as CNCF distribution names them, and rotate with an overlap.

They are EC P-256 (ES256) by default or RSA 2048 (RS256) when configured; switching the setting rotates.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from dockyard.auth.keys import SigningKeyError, SigningKeys, libtrust_key_id

NOW = 1_700_000_000.0
OVERLAP = 3600.0
ISSUER = "dockyard-token-service"

# A key and its libtrust fingerprint computed outside Python, so the test does not check the code against itself:
#   openssl ec -in key.pem -pubout -outform DER | openssl dgst -sha256 -binary | head -c 30 \
#     | base32 -w0 | tr -d '=' | sed -E 's/(....)/\1:/g; s/:$//'
OPENSSL_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyKBwgunOgjb/Wuzt7mNaTgNsvLxU
YSEvPrKhotgeWVuBUua8x6puBFXsY9cYa+spe8Yk09nsHdM/Tjmxu0Z9MA==
-----END PUBLIC KEY-----
"""
OPENSSL_KEY_ID = "BVBU:77M6:SCJH:KSKD:ON6T:HEGE:QVSN:G3LT:ZJ6T:ZCNH:CJL2:HUF5"
# The same for an RSA 2048 key (`openssl genpkey -algorithm RSA`, then `openssl pkey -pubout` for the DER).
OPENSSL_RSA_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo2LqJvCfQUEykpzYojf1
SItvze4QxmYIRh2MuIh02r+C7xQieZNxWf23G1CkkqzqEVZIpxXQ55ChWQ4Pphsu
rM3fAwDJYOugBRjfNx3tgWVBAxNFAtUjPv/m6MulnbuuWDI/lGVhL0rjZtwvC4PP
Up1NNWeaUFL1vRU5T4PVbKJkF1dTLQGz0ylXoXZL1NTcyQaQaQupHHHnDe+5aX62
bB/XhcLpbrnuPY1IL6m/ch3Fp6MREbRZPXXbSQlsv6d1RHteqGQ896XaqB632W/U
/siu/oMPTmvg3a9Y3oLwZJx0sOXnpgJGqlKFUMgzXpyLEV8DyvkrNjpmrPubldeX
VwIDAQAB
-----END PUBLIC KEY-----
"""
OPENSSL_RSA_KEY_ID = "F76G:H6IF:XR4M:XIR7:OQXU:2FDI:JSFK:BE7P:WNTX:GXMD:5CWL:4DH5"
# How often a key ring looks for keys another process wrote (keys._RESCAN_INTERVAL).
RESCAN = 10.0


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "data" / "keys"


@pytest.fixture
def keys(directory: Path) -> SigningKeys:
    return SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP)


@pytest.fixture
def rsa_keys(directory: Path) -> SigningKeys:
    return SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")


def _key_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.pem"))


def _independent_key_id(certificate: x509.Certificate) -> str:
    der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fingerprint = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().replace("=", "")
    return ":".join(re.findall("....", fingerprint))


def _bundle(keys: SigningKeys, now: float) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(keys.certificate_bundle(now))


def test_nothing_is_written_before_first_use(keys: SigningKeys, directory: Path) -> None:
    assert not directory.exists()


def test_first_use_creates_one_key_file_readable_only_by_its_owner(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    [path] = _key_files(directory)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_key_directory_is_private_even_under_a_permissive_umask(directory: Path) -> None:
    previous = os.umask(0)
    try:
        SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP).active(NOW)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(_key_files(directory)[0].stat().st_mode) == 0o600


def test_a_new_instance_reuses_the_keys_on_disk(keys: SigningKeys, directory: Path) -> None:
    first = keys.active(NOW)
    again = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP).active(NOW + 10)
    assert again.kid == first.kid
    assert len(_key_files(directory)) == 1


def test_key_id_matches_the_fingerprint_computed_by_openssl() -> None:
    public_key = serialization.load_pem_public_key(OPENSSL_PUBLIC_KEY)
    assert libtrust_key_id(public_key) == OPENSSL_KEY_ID


def test_key_id_of_a_generated_key_matches_its_certificates_fingerprint(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    assert key.kid == _independent_key_id(key.certificate)


def test_key_id_is_twelve_groups_of_four_base32_characters(keys: SigningKeys) -> None:
    assert re.fullmatch(r"(?:[A-Z2-7]{4}:){11}[A-Z2-7]{4}", keys.active(NOW).kid)


def test_certificate_names_the_issuer_and_certifies_the_signing_key(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    [certificate] = _bundle(keys, NOW)
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ISSUER
    assert certificate.public_key() == key.private_key.public_key()
    assert certificate.not_valid_before_utc.timestamp() <= NOW < certificate.not_valid_after_utc.timestamp()


def test_signing_key_is_ec_p256(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    assert key.private_key.curve.name == ec.SECP256R1.name
    assert key.algorithm == "ES256"


def test_jwks_publishes_public_keys_with_kid_alg_and_use(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    [jwk] = keys.jwks(NOW)["keys"]
    assert {"kty": "EC", "crv": "P-256", "kid": key.kid, "alg": "ES256", "use": "sig"}.items() <= jwk.items()
    assert "d" not in jwk


def test_rotation_makes_a_new_key_active(keys: SigningKeys) -> None:
    old = keys.active(NOW)
    new = keys.rotate(NOW + 100)
    assert new.kid != old.kid
    assert keys.active(NOW + 101).kid == new.kid


def test_rotated_key_file_is_private_too(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    keys.rotate(NOW + 100)
    assert [stat.S_IMODE(path.stat().st_mode) for path in _key_files(directory)] == [0o600, 0o600]


def test_replaced_key_still_verifies_within_the_overlap(keys: SigningKeys) -> None:
    old = keys.active(NOW)
    keys.rotate(NOW + 100)
    assert keys.public_key(old.kid, NOW + 100 + OVERLAP - 1) is not None


def test_replaced_key_no_longer_verifies_after_the_overlap(keys: SigningKeys) -> None:
    old = keys.active(NOW)
    keys.rotate(NOW + 100)
    assert keys.public_key(old.kid, NOW + 100 + OVERLAP) is None


def test_active_key_verifies_however_old_it_is(keys: SigningKeys) -> None:
    key = keys.active(NOW)
    assert keys.public_key(key.kid, NOW + 100 * OVERLAP) is not None


def test_rotation_deletes_keys_whose_overlap_has_passed(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    keys.rotate(NOW + 100)
    keys.rotate(NOW + 100 + OVERLAP + 1)
    assert len(_key_files(directory)) == 2


def test_prune_deletes_keys_whose_overlap_has_passed(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    new = keys.rotate(NOW + 100)
    keys.prune(NOW + 100 + OVERLAP)
    assert [key.kid for key in keys.verification_keys(NOW + 100 + OVERLAP)] == [new.kid]
    assert len(_key_files(directory)) == 1


def test_certificate_bundle_holds_every_key_still_verifying(keys: SigningKeys) -> None:
    old = keys.active(NOW)
    new = keys.rotate(NOW + 100)
    within = {_independent_key_id(cert) for cert in _bundle(keys, NOW + 200)}
    after = {_independent_key_id(cert) for cert in _bundle(keys, NOW + 100 + OVERLAP)}
    assert within == {old.kid, new.kid}
    assert after == {new.kid}


def test_jwks_drops_a_key_after_its_overlap(keys: SigningKeys) -> None:
    keys.active(NOW)
    new = keys.rotate(NOW + 100)
    assert [jwk["kid"] for jwk in keys.jwks(NOW + 100 + OVERLAP)["keys"]] == [new.kid]


def test_key_rotated_by_another_process_is_found_by_its_kid(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    other = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP)
    rotated = other.rotate(NOW + 100)
    assert keys.public_key(rotated.kid, NOW + 101) is not None


def test_unknown_kid_finds_no_key(keys: SigningKeys) -> None:
    keys.active(NOW)
    assert keys.public_key(OPENSSL_KEY_ID, NOW) is None


def test_a_corrupt_key_file_is_an_error_not_a_missing_key(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    _key_files(directory)[0].write_bytes(b"not a key")
    with pytest.raises(SigningKeyError):
        SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP).active(NOW)


def test_a_key_replaced_by_another_process_stops_verifying_after_the_overlap(
    keys: SigningKeys, directory: Path
) -> None:
    old = keys.active(NOW)
    SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP).rotate(NOW + 100)
    assert keys.public_key(old.kid, NOW + 100 + OVERLAP) is None


@pytest.mark.parametrize("algorithm", ["HS256", "none", "ES384", "RS512", "es256", ""])
def test_an_unsupported_algorithm_is_refused_at_construction(directory: Path, algorithm: str) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm=algorithm)
    assert not directory.exists()


def test_rs256_key_is_rsa_2048_with_exponent_65537(rsa_keys: SigningKeys) -> None:
    key = rsa_keys.active(NOW)
    assert isinstance(key.private_key, rsa.RSAPrivateKey)
    assert key.private_key.key_size == 2048
    assert key.private_key.public_key().public_numbers().e == 65537
    assert key.algorithm == "RS256"


def test_rs256_key_file_is_readable_only_by_its_owner(rsa_keys: SigningKeys, directory: Path) -> None:
    rsa_keys.active(NOW)
    rsa_keys.rotate(NOW + 100)
    assert [stat.S_IMODE(path.stat().st_mode) for path in _key_files(directory)] == [0o600, 0o600]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_rsa_key_id_matches_the_fingerprint_computed_by_openssl() -> None:
    public_key = serialization.load_pem_public_key(OPENSSL_RSA_PUBLIC_KEY)
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert libtrust_key_id(public_key) == OPENSSL_RSA_KEY_ID


def test_rs256_key_id_is_its_certificates_libtrust_fingerprint(rsa_keys: SigningKeys) -> None:
    key = rsa_keys.active(NOW)
    assert key.kid == _independent_key_id(key.certificate)
    assert re.fullmatch(r"(?:[A-Z2-7]{4}:){11}[A-Z2-7]{4}", key.kid)


def test_rs256_certificate_names_the_issuer_and_certifies_the_signing_key(rsa_keys: SigningKeys) -> None:
    key = rsa_keys.active(NOW)
    [certificate] = _bundle(rsa_keys, NOW)
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ISSUER
    assert certificate.public_key() == key.private_key.public_key()
    assert isinstance(certificate.public_key(), rsa.RSAPublicKey)


def test_jwks_publishes_rsa_keys_as_rs256(rsa_keys: SigningKeys) -> None:
    key = rsa_keys.active(NOW)
    [jwk] = rsa_keys.jwks(NOW)["keys"]
    assert {"kty": "RSA", "e": "AQAB", "kid": key.kid, "alg": "RS256", "use": "sig"}.items() <= jwk.items()
    assert not {"d", "p", "q", "dp", "dq", "qi"} & jwk.keys()


def test_a_new_instance_reuses_the_rsa_keys_on_disk(rsa_keys: SigningKeys, directory: Path) -> None:
    first = rsa_keys.active(NOW)
    again = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256").active(NOW + 10)
    assert again.kid == first.kid
    assert len(_key_files(directory)) == 1


def test_switching_to_rs256_makes_a_new_active_rsa_key(keys: SigningKeys, directory: Path) -> None:
    old = keys.active(NOW)
    switched = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    new = switched.active(NOW + 100)
    assert (old.algorithm, new.algorithm) == ("ES256", "RS256")
    assert new.kid != old.kid
    assert switched.active(NOW + 101).kid == new.kid
    assert len(_key_files(directory)) == 2


def test_after_switching_the_old_key_verifies_within_the_overlap_only(keys: SigningKeys, directory: Path) -> None:
    old = keys.active(NOW)
    switched = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    new = switched.active(NOW + 100)
    assert switched.public_key(old.kid, NOW + 100 + OVERLAP - 1) is not None
    assert switched.public_key(old.kid, NOW + 100 + OVERLAP) is None
    assert switched.public_key(new.kid, NOW + 100 + OVERLAP) is not None


def test_after_switching_bundle_and_jwks_hold_both_kinds_of_key(keys: SigningKeys, directory: Path) -> None:
    old = keys.active(NOW)
    switched = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    new = switched.active(NOW + 100)
    bundle = {_independent_key_id(cert): type(cert.public_key()) for cert in _bundle(switched, NOW + 200)}
    assert set(bundle) == {old.kid, new.kid}
    assert issubclass(bundle[old.kid], ec.EllipticCurvePublicKey)
    assert issubclass(bundle[new.kid], rsa.RSAPublicKey)
    jwks = {jwk["kid"]: (jwk["kty"], jwk["alg"]) for jwk in switched.jwks(NOW + 200)["keys"]}
    assert jwks == {old.kid: ("EC", "ES256"), new.kid: ("RSA", "RS256")}


def test_the_certificate_bundle_after_a_switch_already_holds_the_new_key(keys: SigningKeys, directory: Path) -> None:
    keys.active(NOW)
    switched = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256")
    kinds = [type(cert.public_key()) for cert in _bundle(switched, NOW + 100)]
    assert len(kinds) == 2
    assert issubclass(kinds[1], rsa.RSAPublicKey)
    assert switched.active(NOW + 101).algorithm == "RS256"


def test_switching_back_to_es256_rotates_again(rsa_keys: SigningKeys, directory: Path) -> None:
    rsa_key = rsa_keys.active(NOW)
    ec_key = SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP).active(NOW + 100)
    assert ec_key.algorithm == "ES256"
    assert ec_key.kid != rsa_key.kid


def test_active_replaces_a_newest_key_of_the_other_algorithm_found_on_rescan(
    rsa_keys: SigningKeys, directory: Path
) -> None:
    first = rsa_keys.active(NOW)
    SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP).active(NOW + 100)  # another process, set to ES256
    active = rsa_keys.active(NOW + 100 + RESCAN)
    assert active.algorithm == "RS256"
    assert active.kid != first.kid
    assert [key.algorithm for key in rsa_keys.verification_keys(NOW + 100 + RESCAN)] == ["RS256", "ES256", "RS256"]


def test_rotation_keeps_the_configured_algorithm(rsa_keys: SigningKeys) -> None:
    rsa_keys.active(NOW)
    assert rsa_keys.rotate(NOW + 100).algorithm == "RS256"


def test_a_key_file_with_a_short_rsa_key_is_an_error(directory: Path) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    not_before = datetime.datetime.fromtimestamp(NOW, datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_before + datetime.timedelta(days=1))
        .sign(private_key, hashes.SHA256())
    )
    directory.mkdir(mode=0o700, parents=True)
    (directory / f"signing-key-{int(NOW * 1000):015d}-00000000.pem").write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    with pytest.raises(SigningKeyError, match="RSA"):
        SigningKeys(directory, issuer=ISSUER, overlap=OVERLAP, algorithm="RS256").active(NOW)
