"""However a blob is cut into chunks, the registry assembles exactly the original bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import RunningRegistry
from tests.oci import (
    finish_upload,
    location_path,
    push_blob_in_chunks,
    send_chunk,
    sha256,
    sha512,
    split_at,
    start_upload,
    unique_name,
)

blobs = st.binary(min_size=1, max_size=4096)
split_points = st.lists(st.integers(min_value=0, max_value=4096), max_size=6)
over_http = settings(max_examples=25, deadline=None, database=None)


def _pulled(client: httpx.Client, name: str, digest: str) -> bytes:
    response = client.get(f"/v2/{name}/blobs/{digest}")
    assert response.status_code == 200, response.text
    assert response.headers["Docker-Content-Digest"] == digest
    return response.content


@over_http
@given(data=blobs, points=split_points, algorithm=st.sampled_from([sha256, sha512]))
def test_chunks_sent_with_content_range_assemble_the_original_blob(
    registry: RunningRegistry, data: bytes, points: list[int], algorithm: Callable[[bytes], str]
) -> None:
    name, digest = unique_name(), algorithm(data)
    with registry.client() as client:
        push_blob_in_chunks(client, name, split_at(data, points), digest)

        assert _pulled(client, name, digest) == data


@over_http
@given(data=blobs, points=split_points)
def test_chunks_with_the_last_one_in_the_closing_put_assemble_the_original_blob(
    registry: RunningRegistry, data: bytes, points: list[int]
) -> None:
    name, digest = unique_name(), sha256(data)
    *chunks, last = split_at(data, points)
    with registry.client() as client:
        location, offset = start_upload(client, name), 0
        for chunk in chunks:
            location = location_path(send_chunk(client, location, chunk, offset))
            offset += len(chunk)
        response = finish_upload(client, location, digest, last)

        assert response.status_code == 201, response.text
        assert _pulled(client, name, digest) == data


@over_http
@given(data=blobs, points=split_points, pieces=st.integers(min_value=1, max_value=4))
def test_streamed_patches_assemble_the_original_blob(
    registry: RunningRegistry, data: bytes, points: list[int], pieces: int
) -> None:
    name, digest = unique_name(), sha256(data)

    def stream(chunk: bytes) -> Iterator[bytes]:  # chunked transfer encoding, no Content-Range
        step = max(1, len(chunk) // pieces)
        for start in range(0, len(chunk), step):
            yield chunk[start : start + step]

    with registry.client() as client:
        location = start_upload(client, name)
        for chunk in split_at(data, points):
            response = client.patch(location, content=stream(chunk))
            assert response.status_code == 202, response.text
            location = location_path(response)
        response = finish_upload(client, location, digest)

        assert response.status_code == 201, response.text
        assert _pulled(client, name, digest) == data
