"""Helpers shared by integration and end-to-end tests (real services, no mocks)."""

from __future__ import annotations

import base64
import io
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from lienthong.trust.pki import Credential, DemoPKI
from lienthong.trust.xmldsig import PackageSigner
from lienthong.web.container import Container, build_container

TEST_SECRET_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Friday

GOV_OFFICE = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
CAO_BANG = "000.00.00.H14"
FINANCE = "000.00.00.G12"


SAMPLE_FROM, SAMPLE_TO = "000.00.00.A80", "28.22.H17"  # the SDK samples' agencies

_PKI_LOCK = threading.Lock()
_PKI: list[DemoPKI] = []  # the one of this process, made on first use
_SHARED_KEY: list[Any] = []


def shared_pki() -> DemoPKI:
    """The test run's PKI (one per test process): the agencies' organisation credentials that
    sign test packages, two leaders, a hub certificate, and its OCSP responder and CRL on a
    loopback port (clock fixed at NOW). Hubs under test trust its root by default, as a hub
    in production trusts the Government CA's root."""
    with _PKI_LOCK:
        if not _PKI:
            from lienthong.trust.responder import Responder
            from tests.hub_process import free_port

            port = free_port()
            base = f"http://127.0.0.1:{port}"
            pki = DemoPKI.create(
                Path(tempfile.mkdtemp(prefix="lienthong-test-pki-")),
                agencies=[
                    (GOV_OFFICE, "Văn phòng Chính phủ"),
                    (NGHE_AN, "UBND tỉnh Nghệ An"),
                    (CAO_BANG, "UBND tỉnh Cao Bằng"),
                    (FINANCE, "Bộ Tài chính"),
                    (SAMPLE_FROM, "Cơ quan gửi (mẫu SDK)"),
                    (SAMPLE_TO, "Cơ quan nhận (mẫu SDK)"),
                ],
                signers=[
                    (GOV_OFFICE, "Trần Văn Sơn", "Bộ trưởng, Chủ nhiệm"),
                    (NGHE_AN, "Nguyễn Đức Trung", "Chủ tịch"),
                ],
                hubs=["hub.national"],
                ocsp_url=f"{base}/ocsp",
                crl_url=f"{base}/crl",
                now=NOW,
            )
            Responder(pki, port=port, clock=FixedClock(NOW)).start()  # lives with the process
            _PKI.append(pki)
        return _PKI[0]


def organisation_credential(code: str) -> Credential:
    """The organisation credential of ``code`` in the test PKI (issued on first use; one RSA
    key shared by the codes issued this way, to keep the run fast)."""
    pki = shared_pki()
    with _PKI_LOCK:
        if code not in pki.organisations:
            if not _SHARED_KEY:
                from lienthong.trust.pki import generate_key

                _SHARED_KEY.append(generate_key())
            pki.organisations[code] = pki.issue_custom(
                common_name=f"Cơ quan {code}",
                organisation=f"Cơ quan {code}",
                agency_code=code,
                not_before=NOW - timedelta(days=1),
                not_after=NOW + timedelta(days=729),
                key=_SHARED_KEY[0],
            )
        return pki.organisations[code]


def sign_as(code: str, data: bytes) -> bytes:
    """``data`` XML-signed with the organisation credential of ``code`` (the test PKI)."""
    return PackageSigner(organisation_credential(code)).sign(data)


def resigned_as(code: str, data: bytes) -> bytes:
    """A package (e.g. an SDK sample, whose signature is a placeholder) with its signatures
    removed and signed again with the organisation credential of ``code``."""
    from lxml import etree

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for signature in root.iter("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        parent = signature.getparent()
        assert parent is not None
        parent.remove(signature)
    bare = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return sign_as(code, bare)


def trusted_roots_for(data_dir: Path, pki_dir: Path | None) -> Path:
    """The test PKI's root, and the root of the PKI at ``pki_dir`` when a test brings its own
    (a hub trusts several roots: the Government CA's and public ones)."""
    roots = shared_pki().root_path.read_bytes()
    if pki_dir is None or (pki_dir / "root.pem") == shared_pki().root_path:
        return shared_pki().root_path
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "trusted-roots.pem"
    own = pki_dir / "root.pem"
    path.write_bytes((own.read_bytes() if own.exists() else b"") + roots)
    return path


def settings_for(url: str, data_dir: Path, **overrides: Any) -> Settings:
    """The shipped settings (trust policy ``enforce``; the test PKI's root trusted), on this
    database and folder. A test that needs another setting passes it by name."""
    if "trusted_roots" not in overrides:
        overrides["trusted_roots"] = trusted_roots_for(data_dir, overrides.get("pki_dir"))
    overrides.setdefault("secret_key", TEST_SECRET_KEY)
    if "pki_dir" in overrides:
        # A private PKI of the clerk and issuance tests names a responder nobody runs
        # (tests.support_pdf.make_pki): revocation is unknown there by construction.
        overrides.setdefault("refuse_unknown_revocation", False)
    return Settings(database_url=url, data_dir=data_dir, log_json=False, **overrides)


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
    signed: bool = True,
    **kw: Any,
) -> bytes:
    """A document package from ``sender``, XML-signed with its organisation credential as
    Decision 28/2018 requires (``signed=False``: the bare package, for tests of refusals and
    of the parser)."""
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
    return sign_as(sender, data) if signed else data


def unsigned_document_bytes(sender: str, recipients: list[str], **kw: Any) -> bytes:
    """:func:`document_bytes` without the signature (refusal tests; the caller signs)."""
    return document_bytes(sender, recipients, signed=False, **kw)


def signed_document_bytes(
    credential: Credential, sender: str, recipients: list[str], **kw: Any
) -> bytes:
    """:func:`document_bytes`, signed (XML-DSig, enveloped, RSA-SHA256) with ``credential``."""
    return PackageSigner(credential).sign(document_bytes(sender, recipients, signed=False, **kw))


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
