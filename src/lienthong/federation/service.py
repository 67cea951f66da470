"""Use cases of the federation: the routing directory (served by the national hub, pulled by
the others), accepting a forwarded package, and the outbox (claim, record, list, re-send).

Why the hop list is not in the package
--------------------------------------
edXML has a ``TraceHeaderList`` for the path of a package, but a package on the axis is signed
by its sender with an *enveloped* XML signature whose ``Reference URI=""`` covers the whole
document (Circular 41/2017/TT-BTTTT; QCVN 102:2016): a hub that appended a trace header would
break the sender's signature, and every later hub would refuse the package. So the package
travels byte for byte as the sender signed it, and the hops (hub id and acceptance time) travel
beside it, in the forward request's signed metadata (:mod:`lienthong.federation.signing`). Each
hub stores the list with the message (``federation_message_routes``) and the document's timeline
shows it.

Each public method runs one unit of work.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography import x509
from sqlalchemy.orm import Session

from lienthong.agencies import store as agency_store
from lienthong.audit.store import record as audit
from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.clock import Clock, as_utc
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.intake import Intake, SendResult
from lienthong.federation import model, store
from lienthong.federation.model import Forwarded, Hop, OutboxState, RetryPolicy, Route
from lienthong.federation.signing import ForwardClaims, verify_forward
from lienthong.logs import get_logger

log = get_logger("lienthong.federation")

DIRECTORY_CURSOR = "directory"


HUB_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class ListedHub:
    code: str
    url: str
    certificate: x509.Certificate


class FederationError(LienthongError):
    default_code = ErrorCode.FORBIDDEN


@dataclass(frozen=True)
class Outcome:
    """What the next hub answered to one attempt."""

    ok: bool
    status: int | None = None
    code: str | None = None
    reason: str | None = None
    local: bool = False  # the failure is this item's own (its blob is missing, a bug)

    @property
    def link_failed(self) -> bool:
        """A failure that says the link is down: retried, and the link's later items wait."""
        return not self.ok and not self.local and not model.is_permanent(self.status, self.code)


class FederationService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        intake: Intake,
        route: Route,
        retry: RetryPolicy,
        lease: timedelta,
        signature_window: timedelta = timedelta(minutes=5),
        require_tls: bool = True,
    ) -> None:
        self.db = db
        # Forwards only over mutual TLS with the listed hub certificate (federation_mtls).
        self.require_tls = require_tls
        self._listed_cache: tuple[float, dict[str, ListedHub]] | None = None
        self._hubs_changed = 0  # bumped after each change: a read begun before it is not cached
        self.clock = clock
        self.intake = intake
        self.route = route
        self.retry = retry
        self.lease = lease
        self.signature_window = signature_window

    # -- hubs ---------------------------------------------------------------------------------

    def save_hub(
        self, *, code: str, name: str, role: str, url: str, certificate_pem: str
    ) -> dict[str, Any]:
        """Add or change a hub of the network (on the national hub: part of the directory)."""
        model.HubRole(role)
        if _hub_certificate(certificate_pem) is None:
            raise FederationError(code=ErrorCode.HUB_CERTIFICATE_INVALID, detail={"hub": code})
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.save_hub(
                session,
                {
                    "code": code,
                    "name": name,
                    "role": role,
                    "url": url.rstrip("/"),
                    "certificate_pem": certificate_pem,
                },
                now,
            )
            audit(session, at=now, actor="operator", action="federation.hub_saved", subject=code)
            saved = _hub_dict(row)
        self._forget_hubs()  # after the commit: the next read sees the change
        return saved

    def hubs(self) -> list[dict[str, Any]]:
        with self.db.read() as session:
            return [_hub_dict(h) for h in store.list_hubs(session)]

    def hub_url(self, code: str) -> str | None:
        hub = self._listed().get(code)
        return hub.url if hub is not None else None

    def _listed(self) -> dict[str, ListedHub]:
        """The active hubs of the directory, read at most every ``HUB_CACHE_SECONDS`` (every
        forward, in and out, needs them; a change made by this process applies at once, one
        pulled or made by another process within that time)."""
        cached = self._listed_cache
        if cached is not None and time.monotonic() - cached[0] < HUB_CACHE_SECONDS:
            return cached[1]
        changes_before = self._hubs_changed
        listed = {}
        with self.db.read() as session:
            for row in store.list_hubs(session):
                certificate = _hub_certificate(row.certificate_pem) if row.active else None
                if certificate is not None:
                    listed[row.code] = ListedHub(row.code, row.url, certificate)
                elif row.active:  # one bad entry must not stop the others
                    log.error("federation.hub_certificate_unreadable", hub=row.code)
        if changes_before == self._hubs_changed:  # no change committed while reading
            self._listed_cache = (time.monotonic(), listed)
        return listed

    def _forget_hubs(self) -> None:
        self._hubs_changed += 1
        self._listed_cache = None

    # -- the directory (national side) ----------------------------------------------------------

    def directory(
        self, since: datetime | None, if_none_match: str | None = None
    ) -> tuple[str, dict[str, Any] | None]:
        """``(etag, changes)``; ``changes`` is None when ``if_none_match`` is current.

        Changes are every agency and hub changed at or after ``since`` minus an overlap (see
        :data:`model.DIRECTORY_OVERLAP`); ``cursor`` is what to send next time. An agency's
        ``hub`` is the hub serving it, this hub's id where the registry says ``None``.
        """
        now = self.clock.now()
        with self.db.read() as session:
            etag = model.directory_etag(store.directory_version(session))
            if if_none_match is not None and if_none_match == etag:
                return etag, None
            start = model.pull_window_start(since)
            agencies = store.changed_agencies(session, start)
            hubs = store.changed_hubs(session, start)
            return etag, {
                "hub": self.route.this_hub,
                "cursor": now.isoformat(),
                "agencies": [self._entry(a) for a in agencies],
                "hubs": [_hub_dict(h) | {"certificate_pem": h.certificate_pem} for h in hubs],
            }

    def _entry(self, row: agency_store.AgencyRow) -> dict[str, Any]:
        return {
            "code": row.code,
            "name": row.name,
            "level": row.level,
            "parent_code": row.parent_code,
            "hub": row.hub_code or self.route.this_hub,
            "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "successor_code": row.successor_code,
            "organization_in_charge": row.organization_in_charge,
            "address": row.address,
            "email": row.email,
            "telephone": row.telephone,
            "fax": row.fax,
            "website": row.website,
            "updated_at": as_utc(row.updated_at).isoformat(),
        }

    # -- the directory (pulling side) -----------------------------------------------------------

    def directory_cursor(self) -> tuple[datetime | None, str | None]:
        with self.db.read() as session:
            row = store.get_cursor(session, DIRECTORY_CURSOR)
            if row is None:
                return None, None
            return (as_utc(row.cursor) if row.cursor else None), row.etag

    def apply_directory(self, changes: dict[str, Any], etag: str | None) -> int:
        """Store a pulled directory page; returns how many agencies changed here."""
        now = self.clock.now()
        entries = []
        for entry in changes["agencies"]:
            hub = entry["hub"]
            entries.append(
                {
                    **entry,
                    "hub_code": None if hub == self.route.this_hub else hub,
                    "valid_from": _date(entry.get("valid_from")),
                    "valid_to": _date(entry.get("valid_to")),
                }
            )
        with self.db.unit_of_work() as session:
            for hub in changes["hubs"]:
                if _hub_certificate(str(hub.get("certificate_pem", ""))) is None:
                    log.error("federation.hub_certificate_unreadable", hub=hub.get("code"))
                    continue  # keep this hub's previous entry, if any
                existing = store.get_hub(session, hub["code"])
                if (
                    existing is None
                    or _hub_dict(existing) | {"certificate_pem": existing.certificate_pem} != hub
                ):
                    store.save_hub(session, hub, now)
            changed = store.apply_agencies(session, entries, now)
            cursor = datetime.fromisoformat(changes["cursor"])
            store.save_cursor(session, DIRECTORY_CURSOR, cursor, etag, now)
        self._forget_hubs()  # after the commit: the next read sees the new hubs
        if changed:
            log.info("federation.directory_applied", changed=changed)
        return changed

    # -- a forwarded package ------------------------------------------------------------------

    def accept_forward(
        self,
        token: str | None,
        staged: StagedFile,
        staging: StagingArea,
        peer: x509.Certificate | None = None,
        *,
        claims: ForwardClaims | None = None,
    ) -> SendResult:
        """Accept a package another hub forwarded: check the TLS client certificate ``peer``
        and the signature against the directory's hub certificates (unless ``claims`` were
        verified already by :meth:`check_forwarder`), the hop list (no loop) and that the hub
        may speak for the sender; then the normal intake, on behalf of the package's
        ``From``, for the named recipients."""
        digest = staged.close()
        if claims is None:
            claims = self._verified_claims(token, self.clock.now(), peer)
        if claims.sha256 != digest:
            raise FederationError(
                "The body is not the package the hub signed.",
                code=ErrorCode.HUB_SIGNATURE_INVALID,
            )
        hops = claims.hops
        loop = model.check_loop(self.route, hops)
        if loop is not None:
            raise FederationError(loop.reason, code=loop.code, detail={"hops": _hops(hops)})

        def admit(sender: str) -> None:
            with self.db.read() as session:
                agency = agency_store.get_agency(session, sender)
            sender_hub = agency.hub_code if agency is not None else None
            problem = model.check_forward(
                self.route,
                from_hub=claims.hub,
                hops=hops,
                sender_hub=sender_hub,
                sender_known=agency is not None,
            )
            if problem is not None:
                raise FederationError(
                    problem.reason,
                    code=problem.code,
                    detail={"hub": claims.hub, "sender": sender, "hops": _hops(hops)},
                )

        forwarded = Forwarded(
            from_hub=claims.hub,
            hops=hops,
            targets=claims.targets,
            upstream_message_id=claims.message_id,
            admit=admit,
        )
        result = self.intake.receive(claims.hub, staged, staging, forwarded=forwarded)
        log.info(
            "federation.forward_accepted",
            message_id=result.message_id,
            upstream=claims.message_id,
            from_hub=claims.hub,
            replay=result.replay,
        )
        return result

    def check_forwarder(self, token: str | None, peer: x509.Certificate | None) -> ForwardClaims:
        """Who forwards, checked before the body is read: a listed hub over mutual TLS, with a
        valid signature (a stranger cannot make the hub spool hundreds of megabytes). The
        claims returned go to :meth:`accept_forward`, which checks the body against them."""
        return self._verified_claims(token, self.clock.now(), peer)

    def _verified_claims(
        self, token: str | None, now: datetime, peer: x509.Certificate | None
    ) -> ForwardClaims:
        """Who forwards: the hub whose listed certificate the TLS client presented (mutual
        TLS), which must also be the hub that signed the claims."""
        if peer is None and self.require_tls:
            raise FederationError(code=ErrorCode.HUB_TLS_REQUIRED)
        listed = {code: hub.certificate for code, hub in self._listed().items()}
        peer_hub = None
        if peer is not None:
            peer_hub = model.hub_of_certificate(peer, listed)
            if peer_hub is None:
                raise FederationError(
                    "The TLS client certificate is not the certificate of any hub the "
                    "directory lists; nothing was stored.",
                    code=ErrorCode.HUB_UNKNOWN,
                    detail={"subject": peer.subject.rfc4514_string()},
                )
        if not token:
            raise FederationError(
                "The forward request carries no hub signature.",
                code=ErrorCode.HUB_SIGNATURE_INVALID,
            )
        hub = ForwardClaims.unverified_hub(token)
        certificate = listed.get(hub) if hub else None
        if certificate is None:
            raise FederationError(code=ErrorCode.HUB_UNKNOWN, detail={"hub": hub})
        if peer_hub is not None and hub != peer_hub:
            raise FederationError(
                f"The request is signed as hub {hub} but comes over TLS from hub {peer_hub}.",
                code=ErrorCode.HUB_SIGNATURE_INVALID,
                detail={"hub": hub, "tls_hub": peer_hub},
            )
        return verify_forward(token, certificate, now, self.signature_window)

    # -- the outbox -----------------------------------------------------------------------------

    def claim(self, limit: int = 20) -> list[store.Claimed]:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            return store.claim_due(
                session, now, now + self.lease, limit, skip_locked=not self.db.is_sqlite
            )

    def record(self, item: store.Claimed, outcome: Outcome) -> tuple[str, datetime | None]:
        """Record an attempt's outcome: the item's new state, and when it is retried (None:
        not retried)."""
        [result] = self.record_all([(item, outcome)])
        return result

    def record_all(
        self, attempts: list[tuple[store.Claimed, Outcome | None]]
    ) -> list[tuple[str, datetime | None]]:
        """Record the outcomes of one pass in one unit of work, in outbox order. An item not
        attempted (None: its link failed before its turn) is due again when the link's retry
        is, or at once when the failure was final for the item before it."""
        now = self.clock.now()
        results: list[tuple[str, datetime | None]] = []
        with self.db.unit_of_work() as session:
            link_retry: dict[str, datetime] = {}
            for item, outcome in sorted(attempts, key=lambda pair: pair[0].id):
                row = store.outbox_item(session, item.id, lock=True)
                if row is None or row.state != OutboxState.PENDING:
                    results.append(((row.state if row is not None else OutboxState.DONE), None))
                elif outcome is None:
                    row.next_attempt_at = link_retry.get(row.next_hop, now)
                    results.append((row.state, row.next_attempt_at))
                else:
                    state, when = self._record_one(session, row, outcome, now)
                    if when is not None and outcome.link_failed:
                        link_retry[row.next_hop] = when
                    results.append((state, when))
        return results

    def _record_one(
        self, session: Session, row: store.OutboxRow, outcome: Outcome, now: datetime
    ) -> tuple[str, datetime | None]:
        row.attempts += 1
        if outcome.ok:
            row.state, row.done_at = OutboxState.DONE, now
            row.last_error = row.last_code = None
            return row.state, None
        row.last_error = (outcome.reason or "")[:2000]
        row.last_code = outcome.code
        when = (
            None
            if model.is_permanent(outcome.status, outcome.code)
            else (self.retry.after_failure(row.attempts, now))
        )
        if when is None:
            row.state = OutboxState.DEAD
            audit(
                session,
                at=now,
                actor=self.route.this_hub,
                action="federation.dead_letter",
                subject=str(row.id),
                detail={
                    "message_id": row.message_id,
                    "reason": row.last_error,
                    "code": outcome.code,
                    "next_hop": row.next_hop,
                },
            )
            log.warning("federation.dead_letter", item=row.id, reason=row.last_error)
            return row.state, None
        row.next_attempt_at = when
        if outcome.link_failed:
            store.postpone_link(session, row.next_hop, after_id=row.id, until=when)
        return row.state, when

    def resend(self, item_id: int, actor: str = "operator") -> dict[str, Any]:
        """Put an item (dead-lettered, or waiting out a backoff) back for an attempt now."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.outbox_item(session, item_id, lock=True)
            if row is None:
                raise FederationError(code=ErrorCode.OUTBOX_ITEM_NOT_FOUND, detail={"id": item_id})
            if row.state == OutboxState.DONE:
                raise FederationError(
                    "This item was delivered to the next hub already.",
                    code=ErrorCode.REQUEST_INVALID,
                    detail={"id": item_id},
                )
            row.state, row.next_attempt_at, row.attempts = OutboxState.PENDING, now, 0
            audit(session, at=now, actor=actor, action="federation.resend", subject=str(row.id))
            return _outbox_dict(row)

    def outbox(self, states: list[str] | None = None, limit: int = 200) -> dict[str, Any]:
        """The operator's view: counts per state and the latest items (dead letters with
        their reason)."""
        with self.db.read() as session:
            return {
                "counts": store.count_by_state(session),
                "items": [_outbox_dict(r) for r in store.list_outbox(session, states, limit)],
            }

    def route_of_messages(self, session: Session, message_ids: list[str]) -> dict[str, Any]:
        return {mid: row.hops for mid, row in store.routes_of(session, message_ids).items()}


def _hops(hops: list[Hop]) -> list[dict[str, str]]:
    return [h.as_dict() for h in hops]


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _hub_dict(row: store.HubRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "role": row.role,
        "url": row.url,
        "active": row.active,
    }


def _outbox_dict(row: store.OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "next_hop": row.next_hop,
        "targets": row.targets,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": as_utc(row.next_attempt_at).isoformat(),
        "last_error": row.last_error,
        "last_code": row.last_code,
        "created_at": as_utc(row.created_at).isoformat(),
        "done_at": as_utc(row.done_at).isoformat() if row.done_at else None,
    }


def _hub_certificate(pem: str) -> x509.Certificate | None:
    """The hub certificate in ``pem``, or ``None`` when it cannot be read."""
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
