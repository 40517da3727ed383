"""Digests: parsing, the supported algorithms and streaming verification."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from dockyard.content.errors import DigestInvalid
from dockyard.storage import Hasher

_DIGEST = re.compile(r"^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")
_ENCODED = {"sha256": re.compile(r"^[a-f0-9]{64}$"), "sha512": re.compile(r"^[a-f0-9]{128}$")}
SUPPORTED_ALGORITHMS = tuple(_ENCODED)
CANONICAL = "sha256"


@dataclass(frozen=True, order=True)
class Digest:
    """A content digest such as `sha256:…`, validated on construction."""

    algorithm: str
    encoded: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.encoded}"

    def hasher(self) -> Hasher:
        """A fresh hash object for this digest's algorithm."""
        return hashlib.new(self.algorithm)


def parse_digest(text: str) -> Digest:
    """Parse and validate a digest string; raise `DigestInvalid` with the reason."""
    match = _DIGEST.fullmatch(text)
    if match is None:
        raise DigestInvalid(f"invalid digest {text[:200]!r}", detail={"digest": text[:200]})
    algorithm, encoded = match.groups()
    pattern = _ENCODED.get(algorithm)
    if pattern is None:
        raise DigestInvalid(
            f"unsupported digest algorithm {algorithm!r}; use one of {', '.join(SUPPORTED_ALGORITHMS)}",
            detail={"digest": text[:200]},
        )
    if not pattern.fullmatch(encoded):
        raise DigestInvalid(f"invalid {algorithm} digest {text[:200]!r}", detail={"digest": text[:200]})
    return Digest(algorithm, encoded)


def is_digest(reference: str) -> bool:
    """True when a manifest reference looks like a digest rather than a tag."""
    return ":" in reference


def digest_of(data: bytes, algorithm: str = CANONICAL) -> Digest:
    """The digest of bytes in memory."""
    return Digest(algorithm, hashlib.new(algorithm, data).hexdigest())
