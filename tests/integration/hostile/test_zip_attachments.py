"""Zipped attachments that inflate without end (ZIP bombs): refused at intake with their own
code and nothing stored; an honest zip under the limit is accepted, its page shown without
inflating it, and its download streamed byte for byte."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.db import Database
from tests.integration.hostile.conftest import GOV_OFFICE, NGHE_AN, Hub, make_hub, refused
from tests.support import document_bytes

LIMIT = 8 * 1024 * 1024  # the hub's max_inflated_attachment_bytes in this module
BOMB = 64 * 1024 * 1024  # zeros: about 64 KB once deflated

_NUMBERS = iter(range(5000, 100_000))


def zip_of_zeros(name: str, size: int) -> bytes:
    """A one-file zip of ``size`` zeros, written in chunks (never ``size`` bytes in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def package(attachments: dict[str, bytes], *, zipped: bool) -> bytes:
    return document_bytes(
        GOV_OFFICE,
        [NGHE_AN],
        number=str(next(_NUMBERS)),
        attachments=attachments,
        zip_attachments=zipped,
    )


@pytest.fixture(scope="module")
def hub(hostile_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    made = make_hub(
        hostile_db, tmp_path_factory.mktemp("zip-hub"), max_inflated_attachment_bytes=LIMIT
    )
    yield made
    made.server.stop()


def _post(hub: Hub, data: bytes) -> tuple[int, dict[str, object]]:
    with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
        answer = http.post("/api/v1/packages", content=data)
    return answer.status_code, answer.json()


def test_a_zip_bomb_is_refused_at_intake_and_nothing_is_stored(hub: Hub) -> None:
    bomb = zip_of_zeros("so-lieu.bin", BOMB)
    assert len(bomb) < 200 * 1024
    data = package({"ho-so.zip": bomb}, zipped=False)

    def send() -> object:
        with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
            return http.post("/api/v1/packages", content=data)

    answer = hub.unchanged(send)  # type: ignore[arg-type]
    refused(answer, "ATTACHMENT_INFLATES_TOO_LARGE", 413)  # type: ignore[arg-type]
    assert answer.json()["error"]["detail"] == {  # type: ignore[attr-defined]
        "content_id": "cid:1",
        "limit_bytes": LIMIT,
    }


def test_every_file_of_a_zip_counts_towards_the_limit(hub: Hub) -> None:
    """Three files, each under the limit, together over it."""
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for index in range(3):
            out.writestr(f"phan-{index}.bin", bytes(LIMIT // 2))
    data = package({"nhieu-tep.zip": many.getvalue()}, zipped=False)

    def send() -> object:
        with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
            return http.post("/api/v1/packages", content=data)

    refused(hub.unchanged(send), "ATTACHMENT_INFLATES_TOO_LARGE", 413)  # type: ignore[arg-type]


def test_an_honest_zip_under_the_limit_is_accepted_and_served_byte_for_byte(
    hub: Hub, tmp_path: Path
) -> None:
    original = bytes(range(256)) * (LIMIT // 512)  # half the limit, inflated
    status, body = _post(hub, package({"bang-so-lieu.bin": original}, zipped=True))
    assert status == 201, body
    document_id = body["document_id"]
    clerk = hub.login("vanthu.nghean")
    page = clerk.get(f"/van-thu/van-ban/{document_id}")
    assert page.status_code == 200
    assert "bang-so-lieu.bin" in page.text
    with clerk.stream("GET", f"/van-thu/van-ban/{document_id}/tep/cid:1") as download:
        assert download.status_code == 200
        assert "bang-so-lieu.bin" in download.headers["content-disposition"]
        assert download.headers["content-length"] == str(len(original))
        received = b"".join(download.iter_bytes())
    assert received == original


def test_the_page_view_inflates_nothing_and_the_download_is_streamed(hub: Hub) -> None:
    """Measured in the hub's process (the server runs in this one): opening the page of a
    document with a zip just under the limit allocates far less than the file inflated, and so
    does downloading it."""
    size = LIMIT - 1024 * 1024
    status, body = _post(
        hub, package({"du-lieu.zip": zip_of_zeros("du-lieu.bin", size)}, zipped=False)
    )
    assert status == 201, body
    document_id = body["document_id"]
    clerk = hub.login("vanthu.nghean")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        assert clerk.get(f"/van-thu/van-ban/{document_id}").status_code == 200
        page_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        total = 0
        with clerk.stream("GET", f"/van-thu/van-ban/{document_id}/tep/cid:1") as download:
            assert download.status_code == 200
            for chunk in download.iter_bytes():
                assert not chunk.strip(b"\0")
                total += len(chunk)
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == size
    assert page_peak < size // 4, page_peak
    assert download_peak < size // 4, download_peak
