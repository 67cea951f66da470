"""Use cases of the LGSP style: consumer credentials (issue, rotate, revoke), access tokens
(OAuth2 client credentials), the units connected through this style (their secrets,
registration and unregistration) and the reads the ``vanbans`` calls need.

Documents themselves go through :class:`lienthong.exchange.service.ExchangeService`, the
same intake, rules and trust policy as the REST API and the axis protocol. Each public
method here runs ONE unit of work; refusals leave nothing behind.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.agencies import store as agency_store
from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Agency, Level, NewAgency, plan_import, record_problems
from lienthong.audit.store import record as audit
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.exchange import axis_store
from lienthong.exchange import store as exchange_store
from lienthong.exchange.axis_model import Page
from lienthong.exchange.errors import ExchangeError
from lienthong.exchange.model import MessageKind, TransportState
from lienthong.lgsp import store
from lienthong.lgsp.model import (
    SCOPE,
    TOKEN_TYPE,
    ConsumerState,
    LgspError,
    UnitFields,
    consumer_state,
    in_scope,
    previous_secret_works,
    province_units,
    token_usable,
)
from lienthong.logs import get_logger

__all__ = ["Caller", "ConsumerView", "IssuedConsumer", "IssuedToken", "LgspService"]

log = get_logger("lienthong.lgsp")

# Compared against when the consumer key is unknown, so that a miss costs what a hit costs.
_NO_SUCH_HASH = hashlib.sha256(b"no such consumer").hexdigest()
_OPERATOR = "operator"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedConsumer:
    """New client credentials, shown this once. ``unit_secret`` is the agency's unit secret
    when this issue connected the agency as a unit (``None``: it was connected already)."""

    consumer_key: str
    consumer_secret: str
    agency: str
    expires_at: datetime | None
    unit_secret: str | None


@dataclass(frozen=True)
class IssuedToken:
    """``POST /token``'s answer (RFC 6749 §5.1)."""

    access_token: str
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "scope": SCOPE,
            "token_type": TOKEN_TYPE,
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True)
class Caller:
    """A connected system that presented a valid access token."""

    consumer_key: str
    agency: str


@dataclass(frozen=True)
class ConsumerView:
    """A consumer credential as the operator lists it (no secret)."""

    consumer_key: str
    agency: str
    state: ConsumerState
    created_at: datetime
    rotated_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class LgspService:
    """Credentials, tokens and units of the LGSP style. Built once by the composition root."""

    def __init__(self, db: Database, clock: Clock, *, token_seconds: int) -> None:
        self.db = db
        self.clock = clock
        self.token_seconds = token_seconds

    # --- consumer credentials (the hub operator) ------------------------------------------

    def issue_consumer(
        self, agency: str, *, valid_days: int | None = None, connect_unit: bool = True
    ) -> IssuedConsumer:
        """New consumer key and secret for a system of ``agency``, valid for ``valid_days``
        (``None``: until revoked). With ``connect_unit``, an agency not yet connected as a
        unit is connected in the same transaction and its unit secret returned.

        Raises ``AGENCY_UNKNOWN``; ``REQUEST_INVALID`` for ``valid_days`` below 1.
        """
        if valid_days is not None and valid_days < 1:
            raise LgspError("valid_days must be 1 or more.", code=ErrorCode.REQUEST_INVALID)
        key = secrets.token_urlsafe(21)
        secret = secrets.token_urlsafe(32)
        unit_secret: str | None = None
        now = self.clock.now()
        expires_at = now + timedelta(days=valid_days) if valid_days is not None else None
        with self.db.unit_of_work() as session:
            if agency_store.lock_agency(session, agency) is None:
                raise _unknown(agency)
            store.add_consumer(
                session,
                consumer_key=key,
                agency_code=agency,
                secret_hash=_hash(secret),
                now=now,
                expires_at=expires_at,
            )
            if connect_unit and store.active_unit(session, agency) is None:
                unit_secret = self._connect(session, agency, None, now)
            audit(
                session,
                at=now,
                actor=_OPERATOR,
                action="lgsp.consumer_issued",
                subject=key,
                detail={"agency": agency, "expires_at": _iso(expires_at)},
            )
        log.info("lgsp.consumer_issued", agency=agency, consumer_key=key)
        return IssuedConsumer(key, secret, agency, expires_at, unit_secret)

    def rotate_consumer(self, consumer_key: str, *, overlap: timedelta | None = None) -> str:
        """A new secret for the consumer key. Without ``overlap`` the old secret and every
        token issued with it stop working at once (a leaked secret). With it, the old secret
        still gets tokens, and its tokens still work, until ``overlap`` has passed: the
        systems switch one by one without a refused call (as ``agencies rotate-credentials
        --overlap-hours``); then only the new one works (``AUTH_FAILED`` for the old). A
        second rotation ends the first one's overlap at once: at most one previous secret
        works. Raises ``CONSUMER_UNKNOWN`` (also for a revoked key), ``REQUEST_INVALID`` for
        an overlap that is not positive."""
        if overlap is not None and overlap <= timedelta(0):
            raise LgspError("The overlap must be positive.", code=ErrorCode.REQUEST_INVALID)
        secret = secrets.token_urlsafe(32)
        now = self.clock.now()
        until = now + overlap if overlap is not None else None
        with self.db.unit_of_work() as session:
            row = store.lock_consumer(session, consumer_key)
            if row is None or row.revoked_at is not None:
                raise LgspError(code=ErrorCode.CONSUMER_UNKNOWN, detail={"key": consumer_key})
            row.previous_secret_hash = row.secret_hash if until is not None else None
            row.previous_until = until
            row.secret_hash = _hash(secret)
            row.generation += 1
            row.rotated_at = now
            # Tokens two generations old (an earlier overlap's) stop either way.
            store.drop_tokens(session, row.id, below=row.generation - 1 if until else None)
            audit(
                session,
                at=now,
                actor=_OPERATOR,
                action="lgsp.consumer_rotated",
                subject=consumer_key,
                detail={"agency": row.agency_code, "previous_until": _iso(until)},
            )
        log.info(
            "lgsp.consumer_rotated",
            consumer_key=consumer_key,
            overlap_seconds=overlap.total_seconds() if overlap else 0,
        )
        return secret

    def revoke_consumer(self, consumer_key: str) -> None:
        """End the consumer key: no new token, and its tokens stop working at once.
        Raises ``CONSUMER_UNKNOWN`` (also for a key already revoked)."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.lock_consumer(session, consumer_key)
            if row is None or row.revoked_at is not None:
                raise LgspError(code=ErrorCode.CONSUMER_UNKNOWN, detail={"key": consumer_key})
            row.revoked_at = now
            store.drop_tokens(session, row.id)
            audit(
                session,
                at=now,
                actor=_OPERATOR,
                action="lgsp.consumer_revoked",
                subject=consumer_key,
                detail={"agency": row.agency_code},
            )
        log.info("lgsp.consumer_revoked", consumer_key=consumer_key)

    def consumers(self, agency: str | None = None) -> list[ConsumerView]:
        """Every consumer credential (of ``agency`` when given), oldest first."""
        now = self.clock.now()
        with self.db.read() as session:
            rows = store.consumers(session, agency)
        return [
            ConsumerView(
                consumer_key=c.consumer_key,
                agency=c.agency_code,
                state=consumer_state(revoked_at=c.revoked_at, expires_at=c.expires_at, now=now),
                created_at=c.created_at,
                rotated_at=c.rotated_at,
                expires_at=c.expires_at,
                revoked_at=c.revoked_at,
            )
            for c in rows
        ]

    def consumer_works(self, consumer_key: str, consumer_secret: str) -> bool:
        """Whether the pair is an active credential (the demo keeps one that still works)."""
        with self.db.read() as session:
            consumer = store.consumer_by_key(session, consumer_key)
        return consumer is not None and self._accepts(consumer, consumer_secret)

    # --- tokens ---------------------------------------------------------------------------

    def issue_token(self, consumer_key: str, consumer_secret: str) -> IssuedToken:
        """An access token for an active consumer credential, valid ``token_seconds``.

        Raises ``AUTH_FAILED`` alike for an unknown key, a wrong secret, a revoked or an
        expired credential. The token is returned this once; the hub keeps its hash.
        """
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.lock_consumer(session, consumer_key)
            consumer = store.consumer_of(row) if row is not None else None
            if consumer is None:
                hmac.compare_digest(_hash(consumer_secret), _NO_SUCH_HASH)  # as long as a hit
            generation = (
                None if consumer is None else self._generation_of(consumer_secret, consumer)
            )
            if consumer is None or generation is None:
                raise LgspError(
                    "Unknown consumer key, wrong consumer secret, or a revoked or expired "
                    "credential.",
                    code=ErrorCode.AUTH_FAILED,
                )
            store.drop_expired_tokens(session, consumer.id, now)
            store.add_token(
                session,
                token_hash=_hash(token),
                consumer_id=consumer.id,
                generation=generation,
                now=now,
                expires_at=now + timedelta(seconds=self.token_seconds),
            )
            audit(
                session,
                at=now,
                actor=consumer.agency_code,
                action="lgsp.token_issued",
                subject=consumer_key,
            )
        return IssuedToken(access_token=token, expires_in=self.token_seconds)

    def authenticate(self, token: str) -> Caller:
        """The connected system whose access token this is; ``TOKEN_INVALID`` when it is
        unknown, expired, of a rotated secret or of a revoked or expired credential."""
        now = self.clock.now()
        holder = None
        if token:
            with self.db.read() as session:
                holder = store.token_with_consumer(session, _hash(token))
        if holder is None or not token_usable(
            token_expires_at=holder.expires_at,
            token_generation=holder.generation,
            consumer_generation=holder.consumer.generation,
            state=consumer_state(
                revoked_at=holder.consumer.revoked_at,
                expires_at=holder.consumer.expires_at,
                now=now,
            ),
            now=now,
            previous_until=holder.consumer.previous_until,
        ):
            raise LgspError(code=ErrorCode.TOKEN_INVALID)
        return Caller(consumer_key=holder.consumer.consumer_key, agency=holder.consumer.agency_code)

    def _accepts(self, consumer: store.Consumer, secret: str) -> bool:
        return self._generation_of(secret, consumer) is not None

    def _generation_of(self, secret: str, consumer: store.Consumer) -> int | None:
        """The generation a token issued with ``secret`` belongs to: the consumer's for its
        current secret, the one before for the replaced secret while a rotation's overlap
        runs; ``None`` when the secret gets no token (wrong, or the consumer not active)."""
        now = self.clock.now()
        state = consumer_state(
            revoked_at=consumer.revoked_at, expires_at=consumer.expires_at, now=now
        )
        digest = _hash(secret)
        current = hmac.compare_digest(digest, consumer.secret_hash)
        previous = consumer.previous_secret_hash is not None and hmac.compare_digest(
            digest, consumer.previous_secret_hash
        )
        if state is not ConsumerState.ACTIVE:
            return None
        if current:
            return consumer.generation
        if previous and previous_secret_works(consumer.previous_until, now):
            return consumer.generation - 1
        return None

    # --- units ----------------------------------------------------------------------------

    def connect_unit(self, agency: str, *, rotate: bool = False) -> str:
        """Connect ``agency`` as a unit and return its new secret (the hub operator).

        ``rotate``: an agency already connected gets a new secret and the old one stops
        working at once; without it that is ``AGENCY_EXISTS``. Raises ``AGENCY_UNKNOWN``.
        """
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            if agency_store.lock_agency(session, agency) is None:
                raise _unknown(agency)
            if store.active_unit(session, agency) is not None:
                if not rotate:
                    raise AgencyError(
                        f"{agency} is already connected through the LGSP style.",
                        code=ErrorCode.AGENCY_EXISTS,
                    )
                store.revoke_unit(session, agency, now)
            return self._connect(session, agency, None, now)

    def unit_secret_works(self, agency: str, secret: str) -> bool:
        """Whether ``secret`` is ``agency``'s connected unit secret."""
        with self.db.read() as session:
            unit = store.unit_by_secret_hash(session, _hash(secret))
        return unit is not None and unit.revoked_at is None and unit.agency_code == agency

    def disconnect_unit(self, agency: str) -> None:
        """The hub operator disconnects ``agency``; ``AGENCY_UNKNOWN`` when not connected."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            self._disconnect(session, agency, _OPERATOR, now)

    def connected_units(self) -> list[store.Unit]:
        with self.db.read() as session:
            return store.units(session)

    def unit_for(self, caller: Caller, secret: str | None) -> str:
        """The unit named by ``secret`` for a call of ``caller``.

        Raises ``AUTH_FAILED`` when the secret is absent, unknown or of a disconnected unit;
        ``FORBIDDEN`` when the unit is neither the system's agency nor below it.
        """
        if not secret or not secret.strip():
            raise LgspError(
                "The unit secret (parameter secret) is required.", code=ErrorCode.AUTH_FAILED
            )
        with self.db.read() as session:
            unit = store.unit_by_secret_hash(session, _hash(secret.strip()))
            if unit is None or unit.revoked_at is not None:
                raise LgspError(
                    "The unit secret is unknown or its unit is no longer connected.",
                    code=ErrorCode.AUTH_FAILED,
                )
            chain = _chain(session, unit.agency_code)
        if not in_scope(caller.agency, chain):
            raise LgspError(
                f"This connected system ({caller.agency}) does not serve the unit "
                f"{unit.agency_code}.",
                code=ErrorCode.FORBIDDEN,
                detail={"system": caller.agency, "unit": unit.agency_code},
            )
        return unit.agency_code

    def register_unit(self, unit: str, fields: UnitFields) -> str:
        """``POST donvilienthongs`` by ``unit``: connect the unit ``fields.code`` under
        ``fields.pcode`` and return its new secret. A code not yet in the registry is
        registered there, one level below ``pcode``, with the name and contacts given.

        ``pcode`` must be ``unit`` or a unit below it (else ``FORBIDDEN``). Raises
        ``AGENCY_UNKNOWN`` for an unknown ``pcode``; ``AGENCY_CODE_INVALID`` and
        ``AGENCY_INVALID`` for a record the registry refuses (or a code registered under
        another parent); ``AGENCY_EXISTS`` when the unit is connected already.
        """
        now = self.clock.now()
        try:
            with self.db.unit_of_work() as session:
                parent = agency_store.get_agency(session, fields.pcode)
                if parent is None:
                    raise _unknown(fields.pcode)
                if unit not in _chain(session, parent.code):
                    raise LgspError(
                        f"pcode {fields.pcode} is neither the calling unit {unit} nor below it.",
                        code=ErrorCode.FORBIDDEN,
                        detail={"unit": unit, "pcode": fields.pcode},
                    )
                existing = agency_store.lock_agency(session, fields.code)
                if existing is None:
                    self._register_agency(session, parent, fields, now)
                elif existing.parent_code != parent.code:
                    raise AgencyError(
                        f"{fields.code} is registered under {existing.parent_code}, not "
                        f"{fields.pcode}.",
                        code=ErrorCode.AGENCY_INVALID,
                        detail={"parent": existing.parent_code},
                    )
                if store.active_unit(session, fields.code) is not None:
                    raise AgencyError(
                        f"{fields.code} is already connected.", code=ErrorCode.AGENCY_EXISTS
                    )
                return self._connect(session, fields.code, unit, now)
        except IntegrityError as exc:  # the same unit registered concurrently (PostgreSQL)
            raise AgencyError(
                f"{fields.code} was registered concurrently.", code=ErrorCode.AGENCY_EXISTS
            ) from exc

    def unregister_unit(self, unit: str, code: str) -> None:
        """``PUT donvilienthongs`` by ``unit``: disconnect ``code`` (``unit`` itself or a
        unit below it, else ``FORBIDDEN``); its secret stops working at once. The agency
        stays in the registry with its documents. Raises ``AGENCY_UNKNOWN`` when ``code``
        is not registered or not connected."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            if agency_store.get_agency(session, code) is None:
                raise _unknown(code)
            if unit not in _chain(session, code):
                raise LgspError(
                    f"{code} is neither the calling unit {unit} nor below it.",
                    code=ErrorCode.FORBIDDEN,
                    detail={"unit": unit, "code": code},
                )
            self._disconnect(session, code, unit, now)

    def units(self, unit: str, *, local: bool) -> list[Agency]:
        """The registry for ``GET donvilienthongs`` (every agency) or, with ``local``, the
        agencies of ``unit``'s own province or ministry (its top-level agency's tree)."""
        with self.db.read() as session:
            agencies = agency_store.list_agencies(session)
        if not local:
            return agencies
        wanted = set(province_units(unit, {a.code: a.parent_code for a in agencies}))
        return [a for a in agencies if a.code in wanted]

    # --- documents: reads the exchange service does not offer ----------------------------

    def received(
        self, unit: str, kind: MessageKind | None, page: Page
    ) -> list[axis_store.ReceivedRow]:
        """The unit's pending deliveries, oldest first (:func:`axis_store.pending_received`)."""
        with self.db.read() as session:
            rows = axis_store.pending_received(
                session, unit, kind=kind, since=None, until=None,
                limit=page.limit, offset=page.offset,
            )  # fmt: skip
        return list(rows)

    def check_initial(self, unit: str, delivery_id: int) -> None:
        """``INITIAL`` for one of the unit's deliveries: allowed (and changes nothing) while
        it is pending. Raises ``DELIVERY_NOT_FOUND``, or ``ACK_NOT_ALLOWED`` once taken."""
        with self.db.read() as session:
            delivery = exchange_store.delivery_for(session, delivery_id, unit)
            if delivery is None:
                raise ExchangeError(code=ErrorCode.DELIVERY_NOT_FOUND)
            state = delivery.state
        if state != TransportState.PENDING:
            raise ExchangeError(
                code=ErrorCode.ACK_NOT_ALLOWED,
                detail={"current": str(state), "requested": "INITIAL"},
            )

    # --- internals ------------------------------------------------------------------------

    def _connect(self, session: Session, agency: str, by: str | None, now: datetime) -> str:
        secret = secrets.token_hex(32)  # 64 hex digits, as the platform's unit secrets
        store.add_unit(
            session, agency_code=agency, secret_hash=_hash(secret), registered_by=by, now=now
        )
        audit(
            session,
            at=now,
            actor=by or _OPERATOR,
            action="lgsp.unit_connected",
            subject=agency,
        )
        log.info("lgsp.unit_connected", agency=agency, by=by or _OPERATOR)
        return secret

    def _disconnect(self, session: Session, agency: str, by: str, now: datetime) -> None:
        if store.revoke_unit(session, agency, now) == 0:
            raise AgencyError(
                f"{agency} is not connected through the LGSP style.",
                code=ErrorCode.AGENCY_UNKNOWN,
                detail={"code": agency},
            )
        audit(session, at=now, actor=by, action="lgsp.unit_disconnected", subject=agency)
        log.info("lgsp.unit_disconnected", agency=agency, by=by)

    @staticmethod
    def _register_agency(
        session: Session, parent: Agency, fields: UnitFields, now: datetime
    ) -> None:
        if parent.level >= Level(4):
            raise AgencyError(
                f"{parent.code} is at level 4: no unit can be registered below it.",
                code=ErrorCode.AGENCY_INVALID,
            )
        record = NewAgency(
            code=fields.code,
            name=fields.name,
            level=Level(parent.level + 1),
            parent_code=parent.code,
            organization_in_charge=fields.name or None,
            email=fields.email,
            fax=fields.fax,
            telephone=fields.mobile,
        )
        problems = record_problems(record)
        if not problems:
            problems = list(plan_import([(1, record)], {parent.code: parent.level}).problems)
        if problems:
            first = problems[0]
            raise AgencyError(
                first.reason,
                code=first.code,
                detail={"problems": [{"code": str(p.code), "reason": p.reason} for p in problems]},
            )
        agency_store.add_agencies(session, [record], now)


def _chain(session: Session, code: str) -> list[str]:
    """``code`` and its registered ancestors, nearest first (four levels at most)."""
    chain = [code]
    agency = agency_store.get_agency(session, code)
    while agency is not None and agency.parent_code and agency.parent_code not in chain:
        chain.append(agency.parent_code)
        agency = agency_store.get_agency(session, agency.parent_code)
    return chain


def _unknown(code: str) -> AgencyError:
    return AgencyError(
        f"{code} is not registered", code=ErrorCode.AGENCY_UNKNOWN, detail={"code": code}
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
