"""Helpers shared by integration and end-to-end tests (real services, no mocks)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lienthong.agencies.model import Level, NewAgency
from lienthong.blobs.local import LocalBlobStore
from lienthong.blobs.staging import StagingArea
from lienthong.clock import FixedClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.edxml import build_document, build_status, make_document, make_status
from lienthong.exchange import store
from lienthong.exchange.service import SendResult
from lienthong.trust.pki import Credential
from lienthong.trust.xmldsig import PackageSigner
from lienthong.web.container import Container, build_container

TEST_SECRET_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Friday

GOV_OFFICE = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
CAO_BANG = "000.00.00.H14"
FINANCE = "000.00.00.G12"


def settings_for(url: str, data_dir: Path, **overrides: Any) -> Settings:
    # Package signatures are off unless a test asks (the trust tests pass trust_policy=...).
    overrides.setdefault("trust_policy", "off")
    return Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key=TEST_SECRET_KEY,
        log_json=False,
        **overrides,
    )


def container_for(
    db: Database, tmp_path: Path, clock: FixedClock | None = None, **overrides: Any
) -> Container:
    url = db.engine.url.render_as_string(hide_password=False)
    return build_container(
        settings_for(url, tmp_path / "var", **overrides), clock=clock or FixedClock(NOW), db=db
    )


def register(
    container: Container, code: str, name: str | None = None, level: int = 1, **kw: Any
) -> str:
    """Register an agency and return its secret."""
    container.agencies.register(
        NewAgency(code=code, name=name or f"Cơ quan {code}", level=Level(level), **kw)
    )
    _system_id, secret = container.agencies.issue_credentials(code)
    return secret


def document_bytes(
    sender: str,
    recipients: list[str],
    number: str = "101",
    notation: str = "VPCP-TTĐT",
    *,
    promulgated: date = date(2026, 11, 20),
    subject: str = "V/v kết nối, liên thông phần mềm quản lý văn bản",
    attachments: dict[str, bytes] | None = None,
    **kw: Any,
) -> bytes:
    package, contents = make_document(
        sender=sender,
        recipients=recipients,
        number=number,
        notation=notation,
        promulgation_date=promulgated,
        subject=subject,
        attachments=attachments if attachments is not None else {"cong-van.pdf": b"%PDF-1.4 demo"},
        **kw,
    )
    data = build_document(package, contents)
    assert isinstance(data, bytes)
    return data


def signed_document_bytes(
    credential: Credential, sender: str, recipients: list[str], **kw: Any
) -> bytes:
    """:func:`document_bytes`, signed (XML-DSig, enveloped, RSA-SHA256) with ``credential``."""
    return PackageSigner(credential).sign(document_bytes(sender, recipients, **kw))


def status_bytes(
    sender: str, original_sender: str, document_id: str, code: str, description: str = ""
) -> bytes:
    return build_status(
        make_status(
            sender=sender,
            document_id=document_id,
            original_sender=original_sender,
            status_code=code,
            description=description or f"Trạng thái {code}",
        )
    )


def send(container: Container, agency: str, data: bytes, key: str | None = None) -> SendResult:
    """Send raw package bytes through the service as the API does (staged, then accepted)."""
    with StagingArea(container.settings.staging_dir) as staging:
        staged = staging.new_file(".edxml")
        stream = io.BytesIO(data)
        while chunk := stream.read(65536):
            staged.write(chunk)
        return container.exchange.receive_package(agency, staged, staging, idempotency_key=key)


@dataclass
class Counts:
    messages: int
    documents: int
    deliveries: int
    status_events: int
    attachments: int
    blobs: int


def counts(container: Container) -> Counts:
    """How much the hub holds: refusal tests compare this before and after."""
    with container.db.read() as session:

        def n(model: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

        blobs = container.blobs
        return Counts(
            messages=n(store.Message),
            documents=n(store.Document),
            deliveries=n(store.Delivery),
            status_events=n(store.StatusEvent),
            attachments=n(store.Attachment),
            blobs=blobs.count() if isinstance(blobs, LocalBlobStore) else -1,
        )
