"""Parsing and validating manifests: OCI image manifest and index, Docker schema 2 manifest and list.

Pure functions over bytes; what a manifest references is returned for the use cases to verify.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dockyard.content.digests import Digest, parse_digest
from dockyard.content.errors import DigestInvalid, ManifestInvalid, Unsupported

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
IMAGE_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = IMAGE_TYPES + INDEX_TYPES
_GENERIC_TYPES = ("", "application/json", "application/octet-stream")
# Layers that live outside the registry; their blobs are not required to be present.
_FOREIGN_LAYER_TYPES = (
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor as it appears in manifests and in the referrers index."""

    media_type: str
    digest: Digest
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The descriptor in OCI JSON form."""
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest), "size": self.size}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = self.annotations
        return out


@dataclass(frozen=True)
class Manifest:
    """What the registry needs to know of a manifest."""

    media_type: str
    artifact_type: str | None
    subject: Digest | None
    blobs: tuple[Digest, ...] = field(default=())
    children: tuple[Digest, ...] = field(default=())
    annotations: dict[str, str] | None = None


def _descriptor(raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ManifestInvalid(f"{where} is not a descriptor object")
    if not isinstance(raw.get("mediaType"), str):
        raise ManifestInvalid(f"{where}.mediaType must be a string")
    size = raw.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestInvalid(f"{where}.size must be a non-negative integer")
    if not isinstance(raw.get("digest"), str):
        raise ManifestInvalid(f"{where}.digest must be a string")
    try:
        parse_digest(raw["digest"])
    except DigestInvalid as exc:
        raise ManifestInvalid(f"{where}.digest: {exc.message}") from exc
    return raw


def _resolve_media_type(document: dict[str, Any], content_type: str) -> str:
    declared = document.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise ManifestInvalid("mediaType must be a string")
    content_type = content_type.split(";")[0].strip().lower()
    if content_type in DOCKER_SCHEMA1 or declared in DOCKER_SCHEMA1 or document.get("schemaVersion") == 1:
        raise Unsupported("Docker schema 1 manifests are not supported; push schema 2 or OCI manifests")
    if content_type in _GENERIC_TYPES:
        content_type = ""
    if declared and content_type and declared != content_type:
        raise ManifestInvalid(f"the manifest's mediaType {declared!r} does not match Content-Type {content_type!r}")
    media_type = declared or content_type
    if not media_type:
        media_type = OCI_INDEX if "manifests" in document else OCI_MANIFEST
    if media_type not in MANIFEST_TYPES:
        raise ManifestInvalid(f"unsupported manifest media type {media_type!r}")
    return media_type


def _annotations(document: dict[str, Any]) -> dict[str, str] | None:
    annotations = document.get("annotations")
    if annotations is None:
        return None
    if not isinstance(annotations, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
    ):
        raise ManifestInvalid("annotations must map strings to strings")
    return annotations


def parse_manifest(body: bytes, content_type: str) -> Manifest:
    """Parse a manifest body sent with `content_type`; raise `ManifestInvalid` or `Unsupported`."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, absurd numbers, absurd nesting
        raise ManifestInvalid(f"manifest is not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(document, dict):
        raise ManifestInvalid("manifest must be a JSON object")
    media_type = _resolve_media_type(document, content_type)
    if document.get("schemaVersion") != 2:
        raise ManifestInvalid("schemaVersion must be 2")

    subject = None
    if document.get("subject") is not None:
        subject = parse_digest(_descriptor(document["subject"], "subject")["digest"])
    artifact_type = document.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise ManifestInvalid("artifactType must be a string")
    annotations = _annotations(document)

    if media_type in INDEX_TYPES:
        children = document.get("manifests")
        if not isinstance(children, list):
            raise ManifestInvalid("an index must have a manifests array")
        digests = tuple(
            parse_digest(_descriptor(child, f"manifests[{i}]")["digest"]) for i, child in enumerate(children)
        )
        return Manifest(media_type, artifact_type, subject, children=digests, annotations=annotations)

    config = _descriptor(document.get("config"), "config")
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise ManifestInvalid("an image manifest must have a layers array")
    blobs = [parse_digest(config["digest"])]
    for i, raw in enumerate(layers):
        layer = _descriptor(raw, f"layers[{i}]")
        if layer["mediaType"] not in _FOREIGN_LAYER_TYPES:
            blobs.append(parse_digest(layer["digest"]))
    return Manifest(
        media_type,
        artifact_type or str(config["mediaType"]),
        subject,
        blobs=tuple(dict.fromkeys(blobs)),
        annotations=annotations,
    )
