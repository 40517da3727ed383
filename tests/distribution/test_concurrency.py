"""Clients acting at the same moment: pushes of the same content, races for one upload session.

Whatever the interleaving, every push that is acknowledged is stored exactly as sent, bytes are
stored once, and no request is answered with a 500.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import RunningRegistry, start_registry
from tests.oci import finish_upload, location_path, random_blob, send_chunk, sha256, start_upload, unique_name

CLIENTS = 16
Request = Callable[[httpx.Client], int]


def _at_once(server: RunningRegistry, requests: list[Request]) -> list[int]:
    """Run each request from its own client, all released together; return their status codes."""
    barrier = threading.Barrier(len(requests))

    def run(request: Request) -> int:
        with server.client() as client:
            barrier.wait()
            return request(client)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def _blob_files(data_dir: Path, digest: str) -> list[Path]:
    algorithm, encoded = digest.split(":")
    return sorted((data_dir / "blobs" / "blobs" / algorithm).rglob(encoded))


def test_sixteen_monolithic_pushes_of_one_blob_all_succeed_and_store_one_file(
    fresh_registry: RunningRegistry,
) -> None:
    data = random_blob(256 * 1024)
    digest = sha256(data)

    def push(client: httpx.Client) -> int:
        return client.post("/v2/same/blob/blobs/uploads/", params={"digest": digest}, content=data).status_code

    statuses = _at_once(fresh_registry, [push] * CLIENTS)

    assert statuses == [201] * CLIENTS
    assert [path.name for path in _blob_files(fresh_registry.data_dir, digest)] == [digest.split(":")[1]]
    with fresh_registry.client() as client:
        assert client.get(f"/v2/same/blob/blobs/{digest}").content == data


def test_sixteen_chunked_pushes_of_one_blob_into_different_repositories_all_succeed(
    fresh_registry: RunningRegistry,
) -> None:
    data = random_blob(256 * 1024)
    digest = sha256(data)

    def push_to(name: str) -> Request:
        def push(client: httpx.Client) -> int:
            location = start_upload(client, name)
            location = location_path(send_chunk(client, location, data[:100_000], 0))
            location = location_path(send_chunk(client, location, data[100_000:], 100_000))
            status = finish_upload(client, location, digest).status_code
            return status if client.get(f"/v2/{name}/blobs/{digest}").content == data else -1

        return push

    statuses = _at_once(fresh_registry, [push_to(f"team/app{i}") for i in range(CLIENTS)])

    assert statuses == [201] * CLIENTS
    assert len(_blob_files(fresh_registry.data_dir, digest)) == 1
    assert list((fresh_registry.data_dir / "blobs" / "uploads").iterdir()) == []


def test_sixteen_pushes_of_one_blob_across_four_workers_all_succeed_and_store_one_file(tmp_path: Path) -> None:
    server = start_registry(tmp_path / "data", "--workers", "4")
    data = random_blob(256 * 1024)
    digest = sha256(data)

    def push(client: httpx.Client) -> int:
        location = start_upload(client, "same/blob")
        location = location_path(send_chunk(client, location, data[:100_000], 0))
        return finish_upload(client, location, digest, data[100_000:]).status_code

    try:
        statuses = _at_once(server, [push] * CLIENTS)
    finally:
        server.stop()

    assert statuses == [201] * CLIENTS
    assert len(_blob_files(server.data_dir, digest)) == 1


def test_when_two_clients_race_to_send_the_same_range_the_acknowledged_chunk_is_the_one_stored(
    registry: RunningRegistry,
) -> None:
    size = 2 * 1024 * 1024  # large enough that writes go through the worker thread
    with registry.client() as client:
        for _ in range(5):
            name = unique_name()
            location = start_upload(client, name)
            chunks = [random_blob(size), random_blob(size)]

            def first_range(chunk: bytes, location: str = location) -> Request:
                return lambda racer: send_chunk(racer, location, chunk, 0).status_code

            statuses = _at_once(registry, [first_range(chunk) for chunk in chunks])
            winner = chunks[statuses.index(202)]
            finished = finish_upload(client, location, sha256(winner))

            assert sorted(statuses) == [202, 416]
            assert finished.status_code == 201, finished.text
            assert client.get(f"/v2/{name}/blobs/{sha256(winner)}").content == winner


def test_cancelling_an_upload_while_it_is_being_finished_ends_one_way_or_the_other(registry: RunningRegistry) -> None:
    data = random_blob(3 * 1024 * 1024)  # large enough that verifying it takes a moment
    digest = sha256(data)
    with registry.client() as client:
        for _ in range(8):
            name = unique_name()
            location = start_upload(client, name)
            send_chunk(client, location, data, 0)

            def finish(racer: httpx.Client, location: str = location) -> int:
                return finish_upload(racer, location, digest).status_code

            def cancel(racer: httpx.Client, location: str = location) -> int:
                return racer.delete(location).status_code

            finished, cancelled = _at_once(registry, [finish, cancel])

            assert finished in (201, 404), finished
            assert cancelled in (204, 404), cancelled
            assert (finished, cancelled) != (404, 404)
            if finished == 201:
                assert client.get(f"/v2/{name}/blobs/{digest}").content == data
