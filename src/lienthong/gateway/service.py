"""Use cases of the agency gateway: send (sign once, send until the hub answers), pull the
inbox (fetch, verify, store, acknowledge), read what was stored, send a status.

Retry safety: the signed bytes and the idempotency key are stored BEFORE the first attempt,
so a retry by the document software, or after a crash of the gateway, resends the same bytes
under the same key and the hub answers with its original answer and receipt (the hub keeps
the key per sender; ``IDEMPOTENCY_KEY_REUSED`` for other bytes).

Incoming: a package already in the inbox (same sender, same bytes) delivered again under
another delivery id is acknowledged as its first copy was, without a second inbox entry (what
the document software in use does: de-duplicate and acknowledge ``done``). A package that
fails verification is stored with its report and acknowledged
``fail`` with the reason (standard section 5: the transport acknowledgement; Decree 30/2020
Art. 21: the receiver checks authenticity and integrity and returns what fails).
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select

from lienthong.client.rest import HubError
from lienthong.client.signing import SigningClient
from lienthong.clock import Clock, as_utc
from lienthong.db import MAX_ROW_ID, Database
from lienthong.edxml import build_status, make_status
from lienthong.errors import ErrorCode, LienthongError
from lienthong.gateway import store
from lienthong.logs import get_logger

log = get_logger("lienthong.gateway")


class GatewayError(LienthongError):
    default_code = ErrorCode.REQUEST_INVALID


# Hub answers that sending the same package again cannot change (a refusal of the package or
# of the credentials); 408, 409 (in progress), 429 and 5xx may succeed later.
FINAL_REFUSALS = frozenset({400, 401, 403, 404, 413, 415, 422})


class GatewayService:
    """One agency's gateway: its signing client, its SQLite file and package folder."""

    def __init__(self, client: SigningClient, data_dir: Path, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        data_dir.mkdir(parents=True, exist_ok=True)
        self.packages = data_dir / "packages"
        self.packages.mkdir(exist_ok=True)
        self.db = Database.from_url(f"sqlite:///{data_dir / 'gateway.db'}", pool_size=2)
        store.GatewayBase.metadata.create_all(self.db.engine)

    def close(self) -> None:
        self.client.close()
        self.db.dispose()

    # -- files -------------------------------------------------------------------------------

    def _write(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.packages / f"{digest}.xml"
        if not path.exists():
            tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return digest

    def _forget(self, key: str, digest: str) -> None:
        """Drop an outgoing package the hub refused for good (a retry would be refused again):
        a refused send leaves nothing in the gateway either."""
        with self.db.unit_of_work() as session:
            row = store.outgoing(session, key)
            if row is not None and row.answer is None:
                session.delete(row)
                session.flush()
            shared = session.scalar(
                select(store.Outgoing.idempotency_key).where(
                    store.Outgoing.package_sha256 == digest
                )
            )
        if shared is None:
            (self.packages / f"{digest}.xml").unlink(missing_ok=True)

    def _read(self, digest: str) -> bytes:
        return (self.packages / f"{digest}.xml").read_bytes()

    # -- sending -----------------------------------------------------------------------------

    def send(self, raw: bytes, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Sign ``raw`` edXML and send it; the hub's answer, its receipt verified.

        The same key with the same raw bytes returns the stored answer (or finishes an
        earlier attempt); with other bytes it is refused with IDEMPOTENCY_KEY_REUSED.
        """
        key = idempotency_key or uuid.uuid4().hex
        raw_digest = hashlib.sha256(raw).hexdigest()
        with self.db.unit_of_work() as session:
            row = store.outgoing(session, key)
            if row is not None and row.raw_sha256 != raw_digest:
                raise GatewayError(
                    code=ErrorCode.IDEMPOTENCY_KEY_REUSED, detail={"idempotency_key": key}
                )
            if row is not None and row.answer is not None:
                return {**row.answer, "replay": True}
            if row is None:
                try:
                    signed = self.client.sign(raw)
                except etree.XMLSyntaxError as exc:
                    raise GatewayError(
                        "The body is not well-formed XML.", code=ErrorCode.PACKAGE_MALFORMED
                    ) from exc
                signed_digest = self._write(signed)
                session.add(
                    store.Outgoing(
                        idempotency_key=key,
                        raw_sha256=raw_digest,
                        package_sha256=signed_digest,
                        created_at=self.clock.now(),
                    )
                )
            else:
                signed_digest = row.package_sha256
        try:
            sent = self.client.send_signed(self._read(signed_digest), idempotency_key=key)
        except HubError as exc:
            if exc.status in FINAL_REFUSALS:
                self._forget(key, signed_digest)  # sending again cannot succeed
            raise
        answer = {
            **sent.answer,
            "idempotency_key": key,
            "receipt_verified": sent.receipt is not None,
            "attempts": sent.attempts,
        }
        with self.db.unit_of_work() as session:
            row = store.outgoing(session, key)
            if row is not None:
                row.answer = answer
                row.receipt = sent.answer.get("receipt")
        log.info("gateway.sent", message_id=answer.get("message_id"), attempts=sent.attempts)
        return answer

    def send_status(
        self,
        *,
        document_id: str,
        original_sender: str,
        status_code: str,
        description: str = "",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Build, sign and send a status package about a received document."""
        package = make_status(
            sender=self.client.system_id,
            document_id=document_id,
            original_sender=original_sender,
            status_code=status_code,
            description=description,
        )
        return self.send(build_status(package), idempotency_key=idempotency_key)

    # -- receiving ---------------------------------------------------------------------------

    def pull(self) -> list[dict[str, Any]]:
        """Fetch every pending delivery, verify and store it, acknowledge it to the hub
        (``done``, or ``fail`` with the reason); the items stored by this pull."""
        stored: list[dict[str, Any]] = []
        for item in list(self.client.inbox_all()):
            delivery_id = int(item["delivery_id"])
            with self.db.read() as session:
                row = store.incoming_by_delivery(session, delivery_id)
            if row is None:
                data, check = self.client.receive(delivery_id)
                digest = hashlib.sha256(data).hexdigest()
                with self.db.read() as session:
                    earlier = store.incoming_by_package(session, str(item["from"]), digest)
                    first = None if earlier is None else (earlier.id, earlier.verified)
                    report = {} if earlier is None else dict(earlier.report)
                if first is not None:
                    # The same package delivered again (a re-send the hub accepted twice, or
                    # another route): acknowledged like the first copy, no second inbox entry.
                    self._ack_delivery(delivery_id, first[1], report)
                    log.info("gateway.redelivered", delivery_id=delivery_id, original=first[0])
                    continue
                self._write(data)
                with self.db.unit_of_work() as session:
                    row = store.Incoming(
                        hub_delivery_id=delivery_id,
                        message_id=str(item["message_id"]),
                        kind=str(item["kind"]),
                        sender=str(item["from"]),
                        package_sha256=digest,
                        received_at=self.clock.now(),
                        verified=check.ok,
                        report=check.as_dict(),
                    )
                    session.add(row)
                stored.append(_item(row))
            self._ack(row)
        return stored

    def _ack_delivery(self, delivery_id: int, verified: bool, report: dict[str, Any]) -> str:
        """Acknowledge ``delivery_id`` as the verdict says: ``done``, or ``fail`` with the
        reason."""
        if verified:
            self.client.ack(delivery_id, "done")
            return "done"
        reason = f"{report.get('code')}: {report.get('message')}"[:2000]
        self.client.ack(delivery_id, "fail", reason)
        return "fail"

    def _ack(self, row: store.Incoming) -> None:
        """Acknowledge after the row is stored (a crash in between re-acks on the next pull)."""
        result = self._ack_delivery(row.hub_delivery_id, row.verified, row.report)
        with self.db.unit_of_work() as session:
            saved = store.incoming_by_delivery(session, row.hub_delivery_id)
            if saved is not None:
                saved.acked = result

    def inbox(
        self, *, after: int = 0, limit: int = 100, verified: bool | None = None
    ) -> list[dict[str, Any]]:
        with self.db.read() as session:
            rows = store.list_incoming(session, after=after, limit=limit, verified=verified)
            return [_item(r) for r in rows]

    def package(self, incoming_id: int) -> bytes:
        with self.db.read() as session:
            row = (
                session.get(store.Incoming, incoming_id) if 0 < incoming_id <= MAX_ROW_ID else None
            )
            if row is None:
                raise GatewayError(code=ErrorCode.DELIVERY_NOT_FOUND, detail={"id": incoming_id})
            return self._read(row.package_sha256)


def _item(row: store.Incoming) -> dict[str, Any]:
    return {
        "id": row.id,
        "hub_delivery_id": row.hub_delivery_id,
        "message_id": row.message_id,
        "kind": row.kind,
        "from": row.sender,
        "package_sha256": row.package_sha256,
        "received_at": as_utc(row.received_at).isoformat(),
        "verified": row.verified,
        "report": row.report,
        "acked": row.acked,
    }
