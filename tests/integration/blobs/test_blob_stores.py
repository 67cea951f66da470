"""Both blob stores behind the same interface: a local folder, and an S3-compatible server.

The S3 side runs against moto's standalone S3-compatible HTTP server on a loopback port (a
real server process speaking the S3 protocol, installed from PyPI; MinIO is not packaged in
the registries this project can reach).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.blobs import BlobStore
from lienthong.blobs.local import LocalBlobStore
from lienthong.blobs.s3 import S3BlobStore
from lienthong.blobs.staging import StagingArea
from tests.hub_process import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3BlobStore(
        bucket=f"lt-{tmp_path.name.lower().replace('_', '-')[:40]}",
        endpoint_url=endpoint,
        access_key="test",
        secret_key="test",
    )


def test_a_staged_file_is_stored_under_its_digest(blobs: BlobStore, tmp_path: Path) -> None:
    data = "Văn bản điện tử".encode() * 10_000
    with StagingArea(tmp_path / "staging") as staging:
        staged = staging.new_file()
        staged.write(data)
        digest = staged.promote(blobs)
    assert digest == hashlib.sha256(data).hexdigest()
    assert blobs.exists(digest) and blobs.size(digest) == len(data)
    with blobs.open(digest) as stream:
        assert stream.read() == data


def test_the_same_content_twice_is_stored_once(blobs: BlobStore) -> None:
    first = blobs.put_bytes(b"same")
    second = blobs.put_bytes(b"same")
    assert first == second and blobs.size(first) == 4


def test_an_absent_blob_is_a_key_error(blobs: BlobStore) -> None:
    missing = "0" * 64
    assert not blobs.exists(missing)
    with pytest.raises(KeyError):
        blobs.open(missing)
    with pytest.raises(KeyError):
        blobs.size(missing)


def test_delete_removes_a_blob(blobs: BlobStore) -> None:
    digest = blobs.put_bytes(b"to be collected")
    blobs.delete(digest)
    assert not blobs.exists(digest)
