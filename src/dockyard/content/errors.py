"""Domain exceptions of the content layer, in the words of the registry (not of HTTP)."""

from __future__ import annotations


class ContentError(Exception):
    """Base of every content-layer refusal. `detail` is safe to show to a client."""

    def __init__(self, message: str, detail: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NameInvalid(ContentError):
    """A repository name outside the OCI grammar."""


class NameUnknown(ContentError):
    """The repository does not exist."""


class TagInvalid(ContentError):
    """A tag outside the OCI grammar."""


class DigestInvalid(ContentError):
    """A malformed digest, an unsupported algorithm, or content that does not match its digest."""


class BlobUnknown(ContentError):
    """The blob is not in this repository."""


class UploadUnknown(ContentError):
    """No such upload session (never started, finished, cancelled or expired)."""


class UploadInvalid(ContentError):
    """The upload request is malformed (bad Content-Range, wrong length, ...)."""


class RangeInvalid(ContentError):
    """A chunk does not start where the upload session ends."""

    def __init__(self, message: str, current_size: int) -> None:
        super().__init__(message)
        self.current_size = current_size


class SizeInvalid(ContentError):
    """Content length does not match what was declared."""


class ManifestInvalid(ContentError):
    """The manifest cannot be parsed or breaks the rules of its media type."""


class ManifestUnknown(ContentError):
    """No manifest under this tag or digest."""


class ManifestBlobUnknown(ContentError):
    """The manifest references a blob or manifest this repository does not have."""


class ManifestTooLarge(ContentError):
    """The manifest is larger than the registry accepts."""


class Unsupported(ContentError):
    """A request for something this registry does not do (e.g. schema 1 manifests)."""


class PaginationInvalid(ContentError):
    """An `n` or `last` query value that cannot be used."""


class TooManyTags(ContentError):
    """More tags in one manifest push than the registry accepts."""


class OperationDisallowed(ContentError):
    """A changeable attribute (lock) of the repository, tag or manifest forbids the operation,
    whoever asks."""

    MESSAGE = "The operation is disallowed on this registry, repository or image."

    def __init__(self, detail: object = None) -> None:
        super().__init__(self.MESSAGE, detail)
