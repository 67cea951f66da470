"""Use cases of the agency registry: register, change and list agencies, import a registry file,
issue credentials and authenticate the systems that use them.

Each write is one ``db.unit_of_work()``: it commits whole or not at all. Pure reads go through
``db.read()``, which on SQLite never takes the writers' lock, so that authentication (on the
path of every API call) does not queue behind a running send.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TextIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.agencies import store
from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import (
    Agency,
    NewAgency,
    Problem,
    TreeNode,
    apply_changes,
    build_tree,
    is_valid_code,
    level_problem,
    normalise_fingerprint,
    parse_csv,
    plan_import,
    record_problems,
    tls_client_refusal,
)
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.logs import get_logger
from lienthong.secrets import Sealer

__all__ = ["AgencyService", "ImportResult"]

log = get_logger("lienthong.agencies")

# Entropy of a new secret: 32 random bytes, written as 43 characters of urlsafe base64.
SECRET_BYTES = 32
# Compared against when the system id is unknown, so that a miss costs what a hit costs.
_NO_SUCH_HASH = hashlib.sha256(b"no such credential").hexdigest()


@dataclass(frozen=True)
class ImportResult:
    """The identifiers registered by an import, in the order they were inserted."""

    created: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.created)


class AgencyService:
    """The registry's use cases. Built once per process by the composition root."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock

    # --- the registry ---------------------------------------------------------------------

    def register(self, agency: NewAgency) -> Agency:
        """Register one agency and return it as stored.

        Raises :class:`AgencyError`: ``AGENCY_CODE_INVALID`` for an identifier of the wrong
        form; ``AGENCY_EXISTS`` when the identifier is taken; ``AGENCY_UNKNOWN`` when the parent
        or successor is not registered; ``AGENCY_INVALID`` when the level is not below the
        parent's, or for any other inconsistency. ``detail["problems"]`` lists every problem.
        """
        _refuse(record_problems(agency))
        with self.db.unit_of_work() as session:
            registered = self._registered_levels(session, [agency])
            plan = plan_import([(1, agency)], registered)
            _refuse(list(plan.problems))
            [created] = self._insert(session, plan.ordered)
        log.info("agency.registered", agency=created.code)
        return created

    def register_all(self, agencies: Sequence[NewAgency]) -> ImportResult:
        """Register a batch of agencies, all or nothing, in any order (a parent or successor may
        come after the agencies naming it).

        Raises ``AGENCY_INVALID`` when any record breaks a rule; ``detail["errors"]`` lists
        every problem as ``{"row", "code", "reason"}``, ``row`` counting records from 1.
        """
        return self._register_batch(list(enumerate(agencies, start=1)), what="batch")

    def import_csv(self, stream: TextIO) -> ImportResult:
        """Register the agencies of a registry CSV file (see :func:`model.parse_csv` for the
        format), all or nothing.

        Raises ``AGENCY_INVALID`` when any row is unreadable or breaks a rule; nothing is
        stored then. ``detail["errors"]`` lists every problem as ``{"row", "code", "reason"}``
        where ``row`` is the file's row (the header is row 1).
        """
        parsed = parse_csv(stream)
        if parsed.problems:
            raise _batch_refusal(parsed.problems, what="file")
        return self._register_batch(list(parsed.entries), what="file")

    def update(self, code: str, /, **changes: Any) -> Agency:
        """Change fields of a registered agency (any field but ``code``); returns it as stored.

        Raises ``AGENCY_UNKNOWN`` when ``code`` (or a new parent or successor) is not
        registered; ``AGENCY_CODE_INVALID`` for a parent, successor or hub identifier of the
        wrong form; ``AGENCY_INVALID`` for an unknown field, a value of the wrong type, a level
        not below the parent's or not above every child's, or a successor chain that loops.
        """
        with self.db.unit_of_work() as session:
            current = store.lock_agency(session, code)
            if current is None:
                raise _unknown(code)
            record = apply_changes(current, changes)
            _refuse(record_problems(record))
            self._check_placement(session, record)
            saved = store.save_agency(session, record, self.clock.now())
        log.info("agency.updated", agency=code, fields=sorted(changes))
        return saved

    def get(self, code: str) -> Agency:
        """The agency registered under ``code``; raises ``AGENCY_UNKNOWN``."""
        with self.db.read() as session:
            agency = store.get_agency(session, code)
        if agency is None:
            raise _unknown(code)
        return agency

    def list_all(self) -> list[Agency]:
        """Every registered agency, ordered by identifier."""
        with self.db.read() as session:
            return store.list_agencies(session)

    def tree(self) -> list[TreeNode]:
        """The registry as a forest of top-level agencies and those under them."""
        return build_tree(self.list_all())

    # --- credentials ----------------------------------------------------------------------

    def issue_credentials(self, code: str, *, overlap: timedelta | None = None) -> tuple[str, str]:
        """New credentials for the agency ``code``: returns ``(system_id, secret)``.

        The secret is shown this once to the operator (though the hub can unseal it for the
        axis protocol, see :meth:`hmac_secret`). Any credential the agency had is revoked in the
        same transaction: an agency has at most one active credential. With ``overlap``, the
        replaced secret keeps working for that long (the agency's systems switch without a
        refused call), then stops. Raises ``AGENCY_UNKNOWN``.
        """
        secret = secrets.token_urlsafe(SECRET_BYTES)
        with self.db.unit_of_work() as session:
            # The lock on the agency's row serialises two issues for the same agency, so the
            # second revokes the first's credential instead of colliding with it.
            if store.lock_agency(session, code) is None:
                raise _unknown(code)
            now = self.clock.now()
            until = now + overlap if overlap else None
            revoked = store.revoke_credentials(session, code, now, until=until)
            system_id = code  # the axis protocol sends the agency identifier as `systemid`
            store.add_credential(
                session,
                agency_code=code,
                system_id=system_id,
                secret_hash=_hash(secret),
                secret_sealed=self.sealer.seal(
                    secret.encode("utf-8"), associated_data=system_id.encode("utf-8")
                ),
                now=now,
            )
        log.info(
            "agency.credentials_issued",
            agency=code,
            revoked=revoked,
            overlap_seconds=overlap.total_seconds() if overlap else 0,
        )
        return system_id, secret

    def rotate_credentials(self, code: str, *, overlap: timedelta | None = None) -> tuple[str, str]:
        """Replace the agency's credentials: the old secret stops working at once, or after
        ``overlap`` (both work meanwhile, for a rotation without downtime).

        The same operation as :meth:`issue_credentials` (which also revokes), named for the
        operator's intent. Returns ``(system_id, secret)``; raises ``AGENCY_UNKNOWN``.
        """
        return self.issue_credentials(code, overlap=overlap)

    def authenticate(self, system_id: str, secret: str) -> str:
        """The identifier of the agency whose active credential is ``(system_id, secret)``:
        its current secret, or the one it replaced while a rotation's overlap runs.

        One indexed query, a SHA-256 and a constant-time comparison (a second query only when
        the current secret does not match). Raises ``AUTH_FAILED`` alike for an unknown system
        id, a revoked credential and a wrong secret.
        """
        credential = None
        if is_valid_code(system_id):
            with self.db.read() as session:
                credential = store.active_credential(session, system_id)
        expected = credential.secret_hash if credential is not None else _NO_SUCH_HASH
        matches = hmac.compare_digest(_hash(secret), expected)
        if credential is not None and matches:
            return credential.agency_code
        if credential is not None:
            with self.db.read() as session:
                earlier = store.overlapping_credentials(session, system_id, self.clock.now())
            for row in earlier:
                if hmac.compare_digest(_hash(secret), row.secret_hash):
                    return row.agency_code
        raise AgencyError(code=ErrorCode.AUTH_FAILED)

    # --- TLS client certificates --------------------------------------------------------

    def add_tls_fingerprint(self, code: str, fingerprint: str) -> str:
        """Register the SHA-256 fingerprint of one of the agency's TLS client certificates
        (as :func:`~lienthong.agencies.model.normalise_fingerprint` reads it); from then on
        only registered certificates authenticate it over mutual TLS. Returns the stored
        form; adding it twice is no change. Raises ``TLS_FINGERPRINT_INVALID``,
        ``AGENCY_UNKNOWN``."""
        value = normalise_fingerprint(fingerprint)
        with self.db.unit_of_work() as session:
            if store.lock_agency(session, code) is None:
                raise _unknown(code)
            added = store.add_tls_fingerprint(session, code, value, self.clock.now())
        log.info("agency.tls_fingerprint_added", agency=code, fingerprint=value, added=added)
        return value

    def remove_tls_fingerprint(self, code: str, fingerprint: str) -> bool:
        """Unregister a fingerprint; ``False`` when the agency had not registered it. When the
        last one goes, the agency is back to the clientAuth rule. Raises
        ``TLS_FINGERPRINT_INVALID``, ``AGENCY_UNKNOWN``."""
        value = normalise_fingerprint(fingerprint)
        with self.db.unit_of_work() as session:
            if store.lock_agency(session, code) is None:
                raise _unknown(code)
            removed = store.remove_tls_fingerprint(session, code, value)
        log.info("agency.tls_fingerprint_removed", agency=code, fingerprint=value, removed=removed)
        return removed

    def tls_fingerprints(self, code: str) -> list[tuple[str, datetime]]:
        """The agency's registered fingerprints, with when each was added. Raises
        ``AGENCY_UNKNOWN``."""
        with self.db.read() as session:
            if store.get_agency(session, code) is None:
                raise _unknown(code)
            return store.tls_fingerprints(session, code)

    def authenticate_certificate(self, code: str, fingerprint: str, *, client_auth: bool) -> str:
        """The agency a client certificate that TLS verified authenticates: ``code`` from its
        subject UID, ``fingerprint`` the SHA-256 of its DER bytes, ``client_auth`` whether its
        extended key usage names clientAuth. Registered fingerprints, when the agency has
        any, else clientAuth (:func:`~lienthong.agencies.model.tls_client_refusal`). One read.
        Raises ``AUTH_FAILED`` (agency not registered), ``CLIENT_CERTIFICATE_NOT_REGISTERED``,
        ``CLIENT_CERTIFICATE_NOT_FOR_TLS``."""
        with self.db.read() as session:
            agency = store.get_agency(session, code)
            registered = [] if agency is None else store.tls_fingerprints(session, code)
        if agency is None:
            raise AgencyError(
                "The client certificate's agency is not registered.", code=ErrorCode.AUTH_FAILED
            )
        refusal = tls_client_refusal(
            (fp for fp, _ in registered), fingerprint, client_auth=client_auth
        )
        if refusal is not None:
            raise AgencyError(code=refusal, detail={"agency": code, "fingerprint": fingerprint})
        return code

    def hmac_secret(self, system_id: str) -> tuple[str, bytes]:
        """``(agency code, secret)`` for checking an axis protocol request signature.

        The secret is returned as the bytes the client keys its HMAC-SHA256 with: the secret
        text encoded in UTF-8. Raises ``AUTH_FAILED`` when ``system_id`` has no active
        credential, and :class:`lienthong.secrets.SealError` when the hub master key changed.
        """
        credential = None
        if is_valid_code(system_id):
            with self.db.read() as session:
                credential = store.active_credential(session, system_id)
        if credential is None:
            raise AgencyError(code=ErrorCode.AUTH_FAILED)
        secret = self.sealer.open(
            credential.secret_sealed, associated_data=credential.system_id.encode("utf-8")
        )
        return credential.agency_code, secret

    def previous_hmac_secrets(self, system_id: str) -> list[bytes]:
        """The secrets a rotation replaced whose overlap still runs (newest first): an axis
        request signed with one of them is still accepted."""
        if not is_valid_code(system_id):
            return []
        with self.db.read() as session:
            rows = store.overlapping_credentials(session, system_id, self.clock.now())
        return [
            self.sealer.open(r.secret_sealed, associated_data=r.system_id.encode("utf-8"))
            for r in rows
        ]

    def reseal_secrets(self) -> tuple[int, int]:
        """Re-seal, under the current master key, every stored secret that may still
        authenticate (the last step of a master key rotation: the previous keys can go after
        it). Returns ``(resealed, already current)``; raises
        :class:`lienthong.secrets.SealError` (nothing changed) when one opens under no key."""
        resealed = current = 0
        with self.db.unit_of_work() as session:
            for row in store.credentials_to_reseal(session, self.clock.now()):
                context = row.system_id.encode("utf-8")
                if self.sealer.sealed_under_current(row.secret_sealed, associated_data=context):
                    current += 1
                    continue
                plain = self.sealer.open(row.secret_sealed, associated_data=context)
                row.secret_sealed = self.sealer.seal(plain, associated_data=context)
                resealed += 1
        log.info("agency.secrets_resealed", resealed=resealed, current=current)
        return resealed, current

    # --- internals ------------------------------------------------------------------------

    def _register_batch(self, entries: list[tuple[int, NewAgency]], *, what: str) -> ImportResult:
        with self.db.unit_of_work() as session:
            registered = self._registered_levels(session, [record for _, record in entries])
            plan = plan_import(entries, registered)
            if plan.problems:
                raise _batch_refusal(plan.problems, what=what)
            created = self._insert(session, plan.ordered)
        log.info("agency.imported", count=len(created), source=what)
        return ImportResult(tuple(agency.code for agency in created))

    @staticmethod
    def _registered_levels(session: Session, records: Iterable[NewAgency]) -> dict[str, int]:
        """Level of every registered agency that ``records`` name as code, parent or successor."""
        named: set[str] = set()
        for record in records:
            named.add(record.code)
            if record.parent_code is not None:
                named.add(record.parent_code)
            if record.successor_code is not None:
                named.add(record.successor_code)
        found = store.agencies_by_codes(session, (c for c in named if isinstance(c, str)))
        return {code: agency.level for code, agency in found.items()}

    def _insert(self, session: Session, records: Sequence[NewAgency]) -> list[Agency]:
        try:
            return store.add_agencies(session, records, self.clock.now())
        except IntegrityError as exc:
            # The checks ran in this transaction; only a concurrent registration of the same
            # identifier (PostgreSQL, where writers do not queue) gets past them.
            if _is_unique_violation(exc):
                raise AgencyError(
                    "an agency with that identifier was registered concurrently",
                    code=ErrorCode.AGENCY_EXISTS,
                ) from exc
            raise

    @staticmethod
    def _check_placement(session: Session, record: NewAgency) -> None:
        """The rules of a changed record against the registry: its parent and successor exist,
        its level lies between its parent's and its children's, no successor chain loops."""
        if record.parent_code is not None:
            parent = store.get_agency(session, record.parent_code)
            if parent is None:
                raise _unknown(record.parent_code, role="parent")
            problem = level_problem(record.level, parent.code, parent.level)
            _refuse([problem] if problem else [])
        for child, child_level in store.child_levels(session, record.code):
            if child_level <= record.level:
                raise AgencyError(
                    f"level {record.level} must stay above the level {child_level} of its "
                    f"child {child}",
                    code=ErrorCode.AGENCY_INVALID,
                    detail={"child": child},
                )
        seen = {record.code}
        successor = record.successor_code
        role = "successor"
        while successor is not None:
            if successor in seen:
                raise AgencyError(
                    f"the successor chain of {record.code} loops back through {successor}",
                    code=ErrorCode.AGENCY_INVALID,
                )
            seen.add(successor)
            next_agency = store.get_agency(session, successor)
            if next_agency is None:
                raise _unknown(successor, role=role)
            successor = next_agency.successor_code
            role = "successor's successor"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _unknown(code: str, *, role: str | None = None) -> AgencyError:
    message = f"{role} {code} is not registered" if role else f"{code} is not registered"
    return AgencyError(message, code=ErrorCode.AGENCY_UNKNOWN, detail={"code": code})


def _refuse(problems: Sequence[Problem]) -> None:
    """Raise the first problem's error (with every problem in the detail), if any."""
    if not problems:
        return
    first = problems[0]
    raise AgencyError(
        first.reason,
        code=first.code,
        detail={"problems": [replace(p, row=None).as_dict() for p in problems]},
    )


def _batch_refusal(problems: Sequence[Problem], *, what: str) -> AgencyError:
    rows = {p.row for p in problems}
    return AgencyError(
        f"the {what} was refused, nothing was registered: {len(problems)} problem(s) "
        f"in {len(rows)} row(s)",
        code=ErrorCode.AGENCY_INVALID,
        detail={"errors": [p.as_dict() for p in problems]},
    )


def _is_unique_violation(exc: IntegrityError) -> bool:
    original = exc.orig
    return getattr(original, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        original
    )
