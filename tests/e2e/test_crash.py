"""SIGKILL the hub twice while a client sends 2,000 packages with retries: nothing acknowledged
is lost, nothing is stored twice, nothing is half-stored."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from lienthong.client.rest import HubClient, HubError
from lienthong.exchange import store
from tests.e2e.conftest import prepare_hub
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN, document_bytes

TOTAL = 2000


@pytest.mark.slow
def test_acknowledged_packages_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    prepared = prepare_hub(tmp_path / "var", url, [GOV_OFFICE, NGHE_AN, CAO_BANG])
    hub = prepared.process().start()
    acknowledged: dict[int, str] = {}
    retries = 0
    done = threading.Event()

    def sender() -> None:
        nonlocal retries
        packages = [
            document_bytes(
                GOV_OFFICE,
                [NGHE_AN, CAO_BANG],
                number=str(i + 1),
                attachments={"a.txt": f"văn bản {i}".encode() * 50},
            )
            for i in range(TOTAL)
        ]
        client = HubClient(hub.url, GOV_OFFICE, prepared.secrets[GOV_OFFICE], timeout=10)
        for i, package in enumerate(packages):
            while True:
                try:
                    answer = client.send(package, idempotency_key=f"crash-{i}")
                    acknowledged[i] = answer["message_id"]
                    break
                except (httpx.HTTPError, HubError) as exc:
                    if isinstance(exc, HubError) and exc.status < 500:
                        raise
                    retries += 1
                    client.close()
                    time.sleep(0.05)
                    client = HubClient(
                        hub.url, GOV_OFFICE, prepared.secrets[GOV_OFFICE], timeout=10
                    )
        client.close()
        done.set()

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    rng = random.Random(20261122)
    try:
        for threshold in sorted(rng.sample(range(200, TOTAL - 200), 2)):
            while len(acknowledged) < threshold and not done.is_set():
                time.sleep(0.005)
            hub.kill()
            time.sleep(0.3)
            hub.start()
        thread.join(timeout=600)
        assert done.is_set(), "the sender did not finish"
    finally:
        hub.stop()

    assert len(acknowledged) == TOTAL
    engine = create_engine(url)
    with engine.connect() as conn:
        messages = dict(conn.execute(select(store.Message.id, store.Message.package_digest)).all())
        per_recipient = dict(
            conn.execute(
                select(store.Delivery.recipient_code, func.count()).group_by(
                    store.Delivery.recipient_code
                )
            ).all()
        )
        per_message = conn.execute(
            select(store.Delivery.message_id, func.count()).group_by(store.Delivery.message_id)
        ).all()
        documents = conn.execute(select(func.count()).select_from(store.Document)).scalar_one()
    engine.dispose()
    # Every acknowledged package is stored, once; no extra package appeared.
    assert set(acknowledged.values()) == set(messages)
    assert documents == TOTAL
    # Delivered exactly once to each recipient, and no message lacks a delivery.
    assert per_recipient == {NGHE_AN: TOTAL, CAO_BANG: TOTAL}
    assert {count for _message, count in per_message} == {2}
    assert len(per_message) == TOTAL
    # The blob of every stored message is there (nothing half-stored).
    blobs = prepared.settings.resolved_blob_dir
    for digest in messages.values():
        assert (blobs / digest[:2] / digest[2:4] / digest).exists()
    print(f"crash test: {TOTAL} packages, {retries} retries after 2 SIGKILLs")
