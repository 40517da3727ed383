"""`Registry`: the stores and the clock that every content use case works with."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.metadata.store import MetadataStore
from dockyard.storage import BlobStore, Hasher

Clock = Callable[[], float]


@dataclass
class Registry:
    """The registry's state: metadata, blob bytes, a clock, and caches that can always be rebuilt."""

    metadata: MetadataStore
    blobs: BlobStore
    clock: Clock = time.time
    upload_expiry_seconds: int = 86400
    sparse_manifests: bool = True
    # upload id -> (bytes hashed, sha256 state): spares re-reading an upload finished by this process.
    upload_hashers: dict[str, tuple[int, Hasher]] = field(default_factory=dict)
