"""Upload sessions: start, append (chunked or streamed), complete with digest verification, cancel.

A blob becomes visible only when its bytes match the digest the client named; until then it is
a staging file plus a session row, which another process can resume from.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator

import anyio.to_thread

from dockyard.content.digests import CANONICAL, Digest
from dockyard.content.errors import (
    DigestInvalid,
    RangeInvalid,
    SizeInvalid,
    UploadInvalid,
    UploadUnknown,
)
from dockyard.content.locks import Attribute, require_repository
from dockyard.content.registry import Registry
from dockyard.metadata.store import UploadSession
from dockyard.storage import Hasher

CLAIM_SECONDS = 60.0  # a writer's claim on a session; renewed while its body streams in


async def _limited(chunks: AsyncIterator[bytes], limit: int | None) -> AsyncIterator[bytes]:
    """Pass chunks through, refusing a body longer than its declared Content-Length."""
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if limit is not None and received > limit:
            raise SizeInvalid(f"request body is longer than its Content-Length {limit}")
        yield chunk


def start_upload(registry: Registry, name: str) -> UploadSession:
    """Open a new, empty upload session for repository `name`; refused with `OperationDisallowed`
    when the repository disables writes."""
    require_repository(registry, name, Attribute.WRITE)
    upload_id = str(uuid.uuid4())
    now = registry.clock()
    registry.metadata.create_upload(upload_id, name, now)  # row first: see expire_uploads
    registry.blobs.create_upload(upload_id)
    return UploadSession(upload_id, name, 0, now, now)


def upload_status(registry: Registry, name: str, upload_id: str) -> UploadSession:
    """The session `upload_id` of repository `name`; `UploadUnknown` if missing, foreign or expired."""
    session = registry.metadata.get_upload(upload_id) if _plausible_id(upload_id) else None
    if session is None or session.repository != name:
        raise UploadUnknown("upload session unknown", detail={"upload": upload_id[:100]})
    if session.updated_at < registry.clock() - registry.upload_expiry_seconds:
        discard_upload(registry, upload_id)
        raise UploadUnknown("upload session expired", detail={"upload": upload_id[:100]})
    return session


def _plausible_id(upload_id: str) -> bool:
    try:
        return str(uuid.UUID(upload_id)) == upload_id
    except ValueError:
        return False


def _claim(registry: Registry, session: UploadSession) -> str:
    """Become the only writer of the session, or raise `RangeInvalid` (another request writes)."""
    writer = uuid.uuid4().hex
    if not registry.metadata.claim_upload(session.id, session.size, writer, registry.clock(), CLAIM_SECONDS):
        current = registry.metadata.get_upload(session.id)
        raise RangeInvalid(
            "another request is writing to this upload session, or it has moved on",
            current.size if current else session.size,
        )
    return writer


async def _renewing(
    registry: Registry, upload_id: str, writer: str, chunks: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """Pass chunks through, renewing the writer's claim while a long body streams in."""
    renew_at = registry.clock() + CLAIM_SECONDS / 3
    async for chunk in chunks:
        if registry.clock() >= renew_at:
            if not registry.metadata.renew_claim(upload_id, writer, registry.clock(), CLAIM_SECONDS):
                raise UploadUnknown("the upload session was cancelled or expired while being written")
            renew_at = registry.clock() + CLAIM_SECONDS / 3
        yield chunk


async def append_chunk(
    registry: Registry,
    name: str,
    upload_id: str,
    chunks: AsyncIterator[bytes],
    content_range: tuple[int, int] | None,
    content_length: int | None,
    digest_hint: Digest | None = None,
) -> UploadSession:
    """Append a chunk (or a whole streamed body) to the session and return it advanced.

    With `content_range` the chunk must start where the session ends (else `RangeInvalid`,
    answered 416) and be exactly as long as the range says. Only one request writes to a session
    at a time; a second one meanwhile is refused with `RangeInvalid`.
    """
    session = upload_status(registry, name, upload_id)
    if content_range is not None:
        start, end = content_range
        if start != session.size:
            raise RangeInvalid(f"chunk starts at {start} but the upload has {session.size} bytes", session.size)
        if content_length is not None and content_length != end - start + 1:
            raise UploadInvalid("Content-Length does not match Content-Range")
    writer = _claim(registry, session)
    try:
        cached = registry.upload_hashers.pop(upload_id, None)
        if cached is not None and cached[0] == session.size:
            hasher: Hasher | None = cached[1]
        elif session.size == 0:
            hasher = digest_hint.hasher() if digest_hint else hashlib.new(CANONICAL)
        else:
            hasher = None
        body = _renewing(registry, upload_id, writer, _limited(chunks, content_length))
        new_size = await registry.blobs.append_upload(upload_id, session.size, body, hasher)
        received = new_size - session.size
        if content_length is not None and received != content_length:
            raise SizeInvalid(f"received {received} bytes, Content-Length said {content_length}")
        if content_range is not None and received != content_range[1] - content_range[0] + 1:
            raise UploadInvalid("chunk length does not match Content-Range")
        now = registry.clock()
        if not registry.metadata.advance_upload(upload_id, writer, new_size, now):
            raise UploadUnknown("the upload session was cancelled or expired while being written")
    except BaseException:
        registry.metadata.release_claim(upload_id, writer)
        raise
    if hasher is not None:
        registry.upload_hashers[upload_id] = (new_size, hasher)
    return UploadSession(upload_id, name, new_size, session.created_at, now)


def _rehash(registry: Registry, upload_id: str, digest: Digest) -> str:
    hasher = digest.hasher()
    for chunk in registry.blobs.read_upload(upload_id):
        hasher.update(chunk)
    return hasher.hexdigest()


async def complete_upload(
    registry: Registry,
    name: str,
    upload_id: str,
    digest: Digest,
    chunks: AsyncIterator[bytes] | None,
    content_range: tuple[int, int] | None,
    content_length: int | None,
) -> int:
    """Append the last chunk (if any), verify the digest, and make the blob visible in `name`.

    On a digest mismatch the session and its bytes are discarded and `DigestInvalid` is raised.
    A session opened before the repository's writes were disabled cannot be finished
    (`OperationDisallowed`). Returns the blob's size.
    """
    session = upload_status(registry, name, upload_id)
    require_repository(registry, name, Attribute.WRITE)
    if chunks is not None and (content_length != 0 or content_range is not None):
        session = await append_chunk(registry, name, upload_id, chunks, content_range, content_length, digest)
    writer = _claim(registry, session)
    try:
        cached = registry.upload_hashers.pop(upload_id, None)
        if cached is not None and cached[0] == session.size and cached[1].name == digest.algorithm:
            actual = cached[1].hexdigest()
        else:
            actual = await anyio.to_thread.run_sync(_rehash, registry, upload_id, digest)
        if actual != digest.encoded:
            discard_upload(registry, upload_id)
            raise DigestInvalid(
                "the uploaded content does not match the digest",
                detail={"expected": str(digest), "actual": f"{digest.algorithm}:{actual}"},
            )
        await anyio.to_thread.run_sync(registry.blobs.seal_upload, upload_id)
        now = registry.clock()
        with registry.metadata.committing_blob(name, str(digest), session.size, upload_id, writer, now) as held:
            if not held:
                raise UploadUnknown("the upload session was cancelled or expired while being finished")
            registry.blobs.commit_upload(upload_id, str(digest))
    except FileNotFoundError:
        raise UploadUnknown("the upload session was cancelled while being finished") from None
    except BaseException:
        registry.metadata.release_claim(upload_id, writer)
        raise
    return session.size


async def upload_monolithic(
    registry: Registry, name: str, digest: Digest, chunks: AsyncIterator[bytes], content_length: int | None
) -> int:
    """A whole blob in one request (`POST ?digest=`): start, stream, verify and commit."""
    session = start_upload(registry, name)
    try:
        await append_chunk(registry, name, session.id, chunks, None, content_length, digest)
        return await complete_upload(registry, name, session.id, digest, None, None, None)
    except BaseException:
        discard_upload(registry, session.id)
        raise


def cancel_upload(registry: Registry, name: str, upload_id: str) -> None:
    """Cancel a session: its bytes and its row go (a request writing to it then fails)."""
    upload_status(registry, name, upload_id)
    if not registry.metadata.delete_upload(upload_id):
        raise UploadUnknown("upload session unknown", detail={"upload": upload_id[:100]})
    discard_upload(registry, upload_id)


def discard_upload(registry: Registry, upload_id: str) -> None:
    """Forget a session and its staged bytes, whatever state it is in."""
    registry.upload_hashers.pop(upload_id, None)
    registry.metadata.delete_upload(upload_id)
    registry.blobs.discard_upload(upload_id)


def expire_uploads(registry: Registry) -> int:
    """Discard sessions idle past the expiry and staging files with no session; return how many."""
    expired = registry.metadata.expired_uploads(registry.clock() - registry.upload_expiry_seconds)
    for upload_id in expired:
        discard_upload(registry, upload_id)
    # Staging files are listed before the sessions are read, and a session row is written before its
    # file, so a file without a row here is left by a crash, never one being created right now.
    staged = registry.blobs.staged_uploads()
    known = registry.metadata.upload_ids()
    orphans = [u for u in staged if u not in known]
    for upload_id in orphans:
        registry.blobs.discard_upload(upload_id)
    return len(expired) + len(orphans)
