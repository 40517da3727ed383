"""The registry's token-signing keys: EC P-256 (ES256) or RSA 2048 (RS256), kept as PEM files in one private
directory, rotated with an overlap.

Each key lives in its own file, `signing-key-<created ms>-<random>.pem` (mode 0600, directory 0700), holding
the private key and a self-signed certificate for it (CN = the issuer). The newest key signs; an older key
keeps verifying for `overlap` seconds after a newer one replaced it, then its file is deleted.

New keys are made with the configured algorithm. A key's algorithm follows from its type (EC P-256: ES256,
RSA: RS256), never from anything else. When the newest key is of the other type (the setting was changed),
a new key of the configured algorithm is made: the switch is a rotation, and the old keys keep verifying for
the overlap like any replaced key.

Keys are named by the libtrust fingerprint CNCF distribution looks up a JWT's `kid` by, and the
certificates form the `rootcertbundle` distribution is configured with.

This module never reads anything but its key directory, and never reads the clock: every method that
needs the time takes `now` (seconds since the epoch).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import itertools
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypeGuard

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import NameOID
from joserfc.jwk import ECKey, KeyParameters, RSAKey

__all__ = [
    "DEFAULT_ALGORITHM",
    "SUPPORTED_ALGORITHMS",
    "KeyJWK",
    "PrivateKey",
    "SigningKey",
    "SigningKeyError",
    "SigningKeys",
    "libtrust_key_id",
]

#: The algorithm new keys are made for unless another is configured.
DEFAULT_ALGORITHM = "ES256"
#: The algorithms a key directory can be configured with.
SUPPORTED_ALGORITHMS = frozenset({"ES256", "RS256"})
_RSA_KEY_SIZE = 2048
_RSA_PUBLIC_EXPONENT = 65537

#: The key types a signing key can be: EC P-256 (ES256) or RSA (RS256).
PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
#: A signing key as joserfc holds it (private for signing, public for verifying).
KeyJWK: TypeAlias = ECKey | RSAKey

_FILE_PREFIX = "signing-key-"
_FILE_SUFFIX = ".pem"
_CERTIFICATE_VALIDITY = datetime.timedelta(days=3650)
# Backdated so a verifier whose clock is a little behind still accepts the certificate.
_CERTIFICATE_BACKDATE = datetime.timedelta(minutes=5)
# How often the key ring looks whether another process rotated the keys in the same directory.
_RESCAN_INTERVAL = 10.0


def libtrust_key_id(public_key: PublicKeyTypes) -> str:
    """The libtrust fingerprint of a public key: the `kid` CNCF distribution 2.8 looks keys up by.

    SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits, base32 without padding, in 12 groups of 4
    characters joined by `:` (`ABCD:EFGH:...`).
    """
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii").rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


class SigningKeyError(Exception):
    """A key file cannot be read or does not hold an EC P-256 or RSA (2048 bits or more) key and its certificate."""


@dataclass(frozen=True)
class SigningKey:
    """One signing key: its id, its algorithm (implied by its type), when it was made, the key and its certificate."""

    kid: str
    algorithm: str
    created_at: float
    path: Path
    private_key: PrivateKey
    certificate: x509.Certificate
    signer: KeyJWK
    verifier: KeyJWK

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK with `kid`, `alg` and `use`."""
        jwk = {str(name): str(value) for name, value in self.verifier.as_dict(private=False).items()}
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


@dataclass(frozen=True)
class _KeyRing:
    """A consistent snapshot of the directory's keys, oldest first; replaced whole, never mutated."""

    keys: tuple[SigningKey, ...]
    by_kid: Mapping[str, SigningKey]
    # When each key was replaced by a newer one; the active (newest) key is absent.
    retired_at: Mapping[str, float]
    directory_mtime: int
    scanned_at: float


class SigningKeys:
    """The key directory: creates the first key on first use, signs with the newest, verifies with all live ones."""

    def __init__(self, directory: Path, *, issuer: str, overlap: float, algorithm: str = DEFAULT_ALGORITHM) -> None:
        """Keys under `directory`, certified for `issuer`; a replaced key verifies for `overlap` more seconds.

        `overlap` must cover the longest token lifetime (refresh tokens included) or a rotation cuts
        live tokens short (switching `algorithm` is a rotation too). New keys are made for `algorithm`:
        "ES256" (EC P-256) or "RS256" (RSA 2048); anything else is a `ValueError`. Nothing is read or
        written until the first call.
        """
        if algorithm not in SUPPORTED_ALGORITHMS:
            raise ValueError(
                f"unsupported signing algorithm {algorithm!r}; expected one of {sorted(SUPPORTED_ALGORITHMS)}"
            )
        self._directory = directory
        self._issuer = issuer
        self._overlap = overlap
        self._algorithm = algorithm
        self._ring: _KeyRing | None = None
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        """Where the key files are kept."""
        return self._directory

    @property
    def algorithm(self) -> str:
        """The algorithm new keys are made for."""
        return self._algorithm

    def active(self, now: float) -> SigningKey:
        """The key that signs new tokens: the newest, which is always of the configured algorithm.

        The first key is created here if there is none; when the newest key is of another algorithm
        (the setting changed, or another process made it), a new key is rotated in.
        """
        ring = self._current(now)
        if ring.keys[-1].algorithm != self._algorithm:
            with self._lock:
                ring = self._load_or_create(now)
                if ring.keys[-1].algorithm != self._algorithm:
                    ring = self._rotate_locked(ring, now)
        return ring.keys[-1]

    def public_key(self, kid: str, now: float) -> KeyJWK | None:
        """The public key to verify a token whose header names `kid`, or None when no live key has that id."""
        key = self.verification_key(kid, now)
        return None if key is None else key.verifier

    def verification_key(self, kid: str, now: float) -> SigningKey | None:
        """The live key whose id is `kid` (its `algorithm` is the only one to verify with), or None.

        A replaced key answers until its overlap has passed. An unknown id makes one cheap check of the
        directory, so a key rotated in by another process is found.
        """
        ring = self._current(now)
        key = ring.by_kid.get(kid)
        if key is None:
            ring = self._rescan_if_changed(now)
            key = ring.by_kid.get(kid)
        if key is None or not self._verifies(ring, key, now):
            return None
        return key

    def verification_keys(self, now: float) -> list[SigningKey]:
        """Every key that still verifies at `now`, oldest first."""
        ring = self._current(now)
        return [key for key in ring.keys if self._verifies(ring, key, now)]

    def certificate_bundle(self, now: float) -> bytes:
        """PEM certificates of every key that still verifies: CNCF distribution's `rootcertbundle`."""
        return b"".join(key.certificate.public_bytes(serialization.Encoding.PEM) for key in self.verification_keys(now))

    def jwks(self, now: float) -> dict[str, list[dict[str, str]]]:
        """The public keys that still verify, as a JWK Set (`{"keys": [...]}`) with kid, alg (ES256/RS256), use sig."""
        return {"keys": [key.public_jwk() for key in self.verification_keys(now)]}

    def rotate(self, now: float) -> SigningKey:
        """Make a new key the active one; the replaced key keeps verifying for the overlap. Prunes expired keys."""
        with self._lock:
            return self._rotate_locked(self._load_or_create(now), now).keys[-1]

    def prune(self, now: float) -> None:
        """Delete the files of keys whose overlap has passed."""
        with self._lock:
            self._ring = self._prune(self._load_or_create(now), now)

    def _current(self, now: float) -> _KeyRing:
        """The key ring, loaded on first use and re-read now and then in case another process rotated."""
        ring = self._ring
        if ring is None:
            with self._lock:
                ring = self._load_or_create(now)
        if abs(now - ring.scanned_at) >= _RESCAN_INTERVAL:
            ring = self._rescan_if_changed(now)
        return ring

    def _load_or_create(self, now: float) -> _KeyRing:
        if self._ring is None:
            _ensure_directory(self._directory)
            ring = self._scan(now)
            if not ring.keys:
                _write_key(self._directory, self._issuer, self._algorithm, now)
                ring = self._scan(now)
            elif ring.keys[-1].algorithm != self._algorithm:
                # The setting changed since the newest key was made: a switch is a rotation, here, so that
                # the certificate bundle and JWKS already hold the key that will sign.
                ring = self._rotate_locked(ring, now)
            self._ring = ring
        return self._ring

    def _rotate_locked(self, ring: _KeyRing, now: float) -> _KeyRing:
        """Write a key of the configured algorithm newer than every key in `ring`, then prune; hold the lock."""
        created_at = max(now, ring.keys[-1].created_at + 0.001) if ring.keys else now
        _write_key(self._directory, self._issuer, self._algorithm, created_at)
        self._ring = self._prune(self._scan(now), now)
        return self._ring

    def _rescan_if_changed(self, now: float) -> _KeyRing:
        with self._lock:
            ring = self._load_or_create(now)
            if _mtime(self._directory) != ring.directory_mtime:
                rescanned = self._scan(now)
                ring = rescanned if rescanned.keys else ring
            else:
                ring = _KeyRing(ring.keys, ring.by_kid, ring.retired_at, ring.directory_mtime, now)
            self._ring = ring
            return ring

    def _scan(self, now: float) -> _KeyRing:
        mtime = _mtime(self._directory)
        keys = sorted(
            (_read_key(path) for path in self._directory.glob(f"{_FILE_PREFIX}*{_FILE_SUFFIX}")),
            key=lambda key: (key.created_at, key.path.name),
        )
        retired_at = {older.kid: newer.created_at for older, newer in itertools.pairwise(keys)}
        return _KeyRing(tuple(keys), {key.kid: key for key in keys}, retired_at, mtime, now)

    def _verifies(self, ring: _KeyRing, key: SigningKey, now: float) -> bool:
        retired_at = ring.retired_at.get(key.kid)
        return retired_at is None or now < retired_at + self._overlap

    def _prune(self, ring: _KeyRing, now: float) -> _KeyRing:
        expired = [key for key in ring.keys if not self._verifies(ring, key, now)]
        for key in expired:
            key.path.unlink(missing_ok=True)
        return self._scan(now) if expired else ring


def _ensure_directory(directory: Path) -> None:
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened; make it exact


def _mtime(directory: Path) -> int:
    return directory.stat().st_mtime_ns


def _generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=_RSA_PUBLIC_EXPONENT, key_size=_RSA_KEY_SIZE)
    raise ValueError(f"unsupported signing algorithm {algorithm!r}")


def _write_key(directory: Path, issuer: str, algorithm: str, created_at: float) -> None:
    """Write a new key and its certificate atomically: a private temporary file, then a rename."""
    private_key = _generate_private_key(algorithm)
    certificate = _self_signed_certificate(private_key, issuer, created_at)
    content = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + certificate.public_bytes(serialization.Encoding.PEM)
    name = f"{_FILE_PREFIX}{round(created_at * 1000):015d}-{secrets.token_hex(4)}{_FILE_SUFFIX}"
    temporary = directory / f".{name}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, directory / name)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _self_signed_certificate(private_key: PrivateKey, issuer: str, now: float) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
    not_before = datetime.datetime.fromtimestamp(now, datetime.UTC) - _CERTIFICATE_BACKDATE
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + _CERTIFICATE_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_KEY_USAGE, critical=True)
        .sign(private_key, hashes.SHA256())
    )


_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def _read_key(path: Path) -> SigningKey:
    """Load one key file; anything unexpected in it is an error, never a key silently skipped."""
    try:
        content = path.read_bytes()
        created_ms = int(path.name.removeprefix(_FILE_PREFIX).split("-", 1)[0])
        private_key = serialization.load_pem_private_key(content, password=None)
        certificate = x509.load_pem_x509_certificate(content[content.index(b"-----BEGIN CERTIFICATE-----") :])
    except (OSError, ValueError) as error:
        raise SigningKeyError(f"cannot read signing key {path}: {error}") from error
    if not _is_supported_key(private_key):
        raise SigningKeyError(f"signing key {path} is neither an EC P-256 key nor an RSA key of 2048 bits or more")
    if certificate.public_key() != private_key.public_key():
        raise SigningKeyError(f"the certificate in {path} is not for its key")
    return _signing_key(path, created_ms / 1000, private_key, certificate)


def _is_supported_key(private_key: object) -> TypeGuard[PrivateKey]:
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.curve.name == "secp256r1"
    return isinstance(private_key, rsa.RSAPrivateKey) and private_key.key_size >= _RSA_KEY_SIZE


def _signing_key(path: Path, created_at: float, private_key: PrivateKey, certificate: x509.Certificate) -> SigningKey:
    """The key with its id and the JWS algorithm its type implies (EC P-256: ES256, RSA: RS256)."""
    kid = libtrust_key_id(private_key.public_key())
    signer: KeyJWK
    verifier: KeyJWK
    if isinstance(private_key, rsa.RSAPrivateKey):
        algorithm = "RS256"
        parameters: KeyParameters = {"kid": kid, "alg": algorithm, "use": "sig"}
        signer = RSAKey.import_key(private_key, parameters)
        verifier = RSAKey.import_key(private_key.public_key(), parameters)
    else:
        algorithm = "ES256"
        parameters = {"kid": kid, "alg": algorithm, "use": "sig"}
        signer = ECKey.import_key(private_key, parameters)
        verifier = ECKey.import_key(private_key.public_key(), parameters)
    return SigningKey(kid, algorithm, created_at, path, private_key, certificate, signer, verifier)
