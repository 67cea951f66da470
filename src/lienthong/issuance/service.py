"""Issuance: number a document signed by the competent person, seal it, send it through the hub.

Decree 30/2020/NĐ-CP Art. 25(3): for an electronic document the number and the issuance date
are assigned *by the system*, after the competent person has signed. :meth:`IssuanceService.issue`
is therefore the only way to obtain a number, and it takes the signed draft: without a valid
competent-person signature it refuses (COMPETENT_SIGNATURE_MISSING / _INVALID) before the
register is touched.

No gap, and never a number without its document
-----------------------------------------------
The number, the register's ledger line and the hub's acceptance of the package are committed
in ONE database transaction:

1. optimistic preparation, no lock held: read the register's last number ``n``; seal the PDF
   with number ``n + 1``; build (and sign) the edXML package;
2. hand the package to the hub (:meth:`ExchangeService.receive_package`, in process, as any
   sender). The hub parses and checks it, writes its blobs, and then opens its write unit of
   work — which here is *joined* to ours (:class:`_JoinedDatabase`): our transaction starts by
   locking the register row (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on
   SQLite) and checking that its last number is still ``n``; the hub's inserts run in a
   savepoint of the same transaction;
3. we add the ledger line (``issued_documents``, unique per register and number) and COMMIT:
   register, ledger and hub message/document/deliveries become visible together.

If another clerk took ``n + 1`` meanwhile, step 2 finds the register moved, everything is
rolled back and the issuance is prepared again with the next number (bounded retries, then
NUMBER_REGISTER_BUSY). Any refusal or crash before the commit leaves no number, no ledger
line and no hub rows (at most unreferenced blobs, as for any refused hub intake). The hub's
post-commit hook runs only after our commit.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.blobs.staging import StagingArea
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.edxml import build_document, make_document
from lienthong.edxml.model import (
    BussinessDocType,
    ReplacementInfo,
    SignerInfo,
    make_document_id,
)
from lienthong.errors import ErrorCode
from lienthong.exchange.service import ExchangeService, SendResult
from lienthong.issuance import model, store
from lienthong.issuance.errors import IssuanceError
from lienthong.logs import get_logger
from lienthong.trust.pdf import (
    PdfIdentity,
    SignatureReport,
    apply_organisation_signature,
    organisation_name,
    sign_attachment,
    validate_pdf,
)
from lienthong.trust.pdf_validation import TrustSource, current_trust
from lienthong.trust.xmldsig import PackageSigner

# Signs the built edXML package for ``agency`` (XML-DSig, enveloped). By default the
# organisation's credential signs it with :class:`lienthong.trust.xmldsig.PackageSigner`.
PackageSignFunction = Callable[[bytes, str], bytes]

log = get_logger("lienthong.issuance")

MAX_ATTEMPTS = 16  # each lost race means another clerk got a number: progress


@dataclass(frozen=True)
class IssuedDocument:
    """What an issuance produced (the ledger line, the sealed PDF, the hub's answer)."""

    agency: str
    year: int
    register: str
    number: int
    code_number: str
    notation: str
    issued_at: datetime
    edxml_document_id: str
    message_id: str
    pdf: bytes
    pdf_sha256: str
    competent: SignatureReport
    send_result: SendResult


class _NumberTakenError(Exception):
    """Another clerk committed the number we prepared; prepare again."""


class _JoinedDatabase(Database):
    """The hub's database whose write unit of work joins the issuance transaction.

    ``claim`` runs first, on the first unit of work (locks and advances the register); each
    unit of work then runs in a savepoint, so the hub's own retry-on-IntegrityError still
    works. Nothing commits here: :meth:`IssuanceService.issue` commits or rolls back.
    """

    def __init__(self, db: Database, session: Session, claim: Callable[[Session], None]) -> None:
        super().__init__(db.engine, db.read_engine)
        self.session = session
        self._claim: Callable[[Session], None] | None = claim

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        if self._claim is not None:
            claim, self._claim = self._claim, None
            claim(self.session)
        with self.session.begin_nested():
            yield self.session


class IssuanceService:
    def __init__(
        self,
        *,
        db: Database,
        exchange: ExchangeService,
        clock: Clock,
        trust: TrustSource,
        organisations: Mapping[str, PdfIdentity],
        staging_dir: Path,
        package_signer: PackageSignFunction | None = None,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.clock = clock
        self.trust = trust
        self.organisations = organisations
        self.staging_dir = staging_dir
        self.package_signer = package_signer or self._sign_package
        self._xml_signers: dict[str, PackageSigner] = {}

    def issue(
        self,
        agency: str,
        draft_pdf: bytes,
        *,
        notation: str,
        type_name: str,
        subject: str,
        recipients: Sequence[str],
        signer_position: str,
        clerk: str,
        signer_competence: str | None = None,
        register: str = model.DEFAULT_REGISTER,
        secret: bool = False,
        attachments: Mapping[str, bytes] | None = None,
        priority: int = 0,
        replaces: str | None = None,
        due_date: date | None = None,
    ) -> IssuedDocument:
        """Number ``draft_pdf`` (signed by the competent person of ``agency``), apply the
        organisation's signature, send it to ``recipients`` through the hub.

        Raises :class:`IssuanceError`: COMPETENT_SIGNATURE_MISSING / _INVALID (nothing
        numbered), SECRET_DOCUMENT_NOT_EXCHANGEABLE, REQUEST_INVALID (notation, register,
        recipients), AGENCY_UNKNOWN (no organisation credential), NUMBER_REGISTER_BUSY; and
        every refusal of the hub (its own codes). Nothing is stored on any refusal.
        With ``replaces`` (the edXML DocumentId of an earlier document of ``agency``) the new
        document is sent as its replacement (BussinessDocType 3, ReplacementInfoList).
        ``due_date`` is the processing deadline asked of the recipients (edXML DueDate).
        """
        if secret:
            # Decree 30 Art. 25(2): secret documents have their own sequence; they never
            # travel on the axis (exchange standard, section 1), so they are not issued here.
            raise IssuanceError(code=ErrorCode.SECRET_DOCUMENT_NOT_EXCHANGEABLE)
        organisation = self.organisations.get(agency)
        if organisation is None:
            raise IssuanceError(
                "No organisation certificate is configured for this agency.",
                code=ErrorCode.AGENCY_UNKNOWN,
                detail={"agency": agency},
            )
        if not recipients:
            raise IssuanceError("At least one recipient is required.", detail={"field": "to"})
        try:
            notation = model.check_notation(notation)
            key = model.register_key(agency, self.clock.now(), register)
        except model.NumberingRuleError as exc:
            raise IssuanceError(str(exc), code=ErrorCode.REQUEST_INVALID) from exc
        competent = self.check_competent_signature(agency, draft_pdf, organisation)
        self._ensure_register(key)
        for _attempt in range(MAX_ATTEMPTS):
            try:
                return self._attempt(
                    key,
                    draft_pdf,
                    organisation,
                    competent,
                    notation=notation,
                    type_name=type_name,
                    subject=subject,
                    recipients=recipients,
                    signer=SignerInfo(signer_competence, signer_position, competent.signer_name),
                    clerk=clerk,
                    attachments=attachments or {},
                    priority=priority,
                    replaces=replaces,
                    due_date=due_date,
                )
            except _NumberTakenError:
                log.info("issuance.number_taken", agency=agency, register=key.register)
                continue
        raise IssuanceError(code=ErrorCode.NUMBER_REGISTER_BUSY, detail={"register": key.register})

    def check_competent_signature(
        self, agency: str, pdf: bytes, organisation: PdfIdentity
    ) -> SignatureReport:
        """The report of the competent person's signature: the last signature of the draft,
        covering the whole file, by a personal certificate of ``agency`` (UID), every check
        passed (warnings and unknowns allowed). Raises COMPETENT_SIGNATURE_MISSING/_INVALID."""
        reports = validate_pdf(pdf, current_trust(self.trust), now=self.clock.now(), agency=agency)
        org_cert = organisation.credential.certificate
        if not reports or reports[-1].certificate == org_cert:
            raise IssuanceError(
                code=ErrorCode.COMPETENT_SIGNATURE_MISSING, detail={"signatures": len(reports)}
            )
        report = reports[-1]
        failed = report.failed()
        if not report.covers_whole_file:
            failed.append("integrity")  # something was appended after the competent signature
        if failed:
            raise IssuanceError(
                code=ErrorCode.COMPETENT_SIGNATURE_INVALID,
                detail={"failed": sorted(set(failed)), "report": report.as_dict()},
            )
        return report

    # -- internals -----------------------------------------------------------------------

    def _ensure_register(self, key: model.RegisterKey) -> None:
        """Create the (empty) register row if missing: holds no number, so it may commit alone."""
        with self.db.read() as session:
            if store.find_register(session, key) is not None:
                return
        try:
            with self.db.unit_of_work() as session:
                if store.find_register(session, key) is None:
                    store.add_register(session, key, self.clock.now())
        except IntegrityError:
            pass  # a concurrent issuance created it first

    def _attempt(
        self,
        key: model.RegisterKey,
        draft_pdf: bytes,
        organisation: PdfIdentity,
        competent: SignatureReport,
        *,
        notation: str,
        type_name: str,
        subject: str,
        recipients: Sequence[str],
        signer: SignerInfo,
        clerk: str,
        attachments: Mapping[str, bytes],
        priority: int,
        replaces: str | None = None,
        due_date: date | None = None,
    ) -> IssuedDocument:
        with self.db.read() as session:
            row = store.find_register(session, key)
            last = 0 if row is None else row.last_number
        try:
            number = model.next_number(last)
        except model.NumberingRuleError as exc:
            raise IssuanceError(str(exc), code=ErrorCode.REQUEST_INVALID) from exc
        now = self.clock.now()
        issued_on = model.issuance_date(now)
        printed = model.number_and_notation(number, notation)
        code_number = model.format_number(number)
        agency_name = organisation_name(organisation)
        sealed = apply_organisation_signature(
            draft_pdf,
            organisation,
            at=now,
            number_notation=printed,
            place_and_date=model.date_line(model.place_name(agency_name), issued_on),
            signer_position=signer.position,
            signer_name=competent.signer_name,
            agency_name=agency_name,
        )
        files = {f"{code_number}-{model.fold_to_ascii(notation)}.pdf": sealed}
        for name, content in attachments.items():
            files[name] = sign_attachment(
                content, organisation, at=now, number=number, notation=notation
            )
        package, contents = make_document(
            sender=key.agency,
            recipients=list(recipients),
            number=code_number,
            notation=notation,
            promulgation_date=issued_on,
            subject=subject,
            attachments=files,
            type_name=type_name,
            signer=signer,
            priority=priority,
            due_date=due_date,
            bussiness_doc_type=BussinessDocType.REPLACE if replaces else BussinessDocType.NEW,
            replacements=[ReplacementInfo(replaces, tuple(recipients))] if replaces else (),
        )
        data = build_document(package, contents)
        assert isinstance(data, bytes)
        data = self.package_signer(data, key.agency)

        def claim(session: Session) -> None:
            register = store.lock_register(session, key)
            if register is None or register.last_number != last:
                raise _NumberTakenError
            register.last_number = number
            register.updated_at = now
            session.flush()

        session = self.db.sessions()
        try:
            hub = self._joined_hub(_JoinedDatabase(self.db, session, claim))
            result = _send(hub, key.agency, data, self.staging_dir)
            edxml_id = result.edxml_document_id or make_document_id(
                key.agency, issued_on, code_number, notation
            )
            session.add(
                store.IssuedDocument(
                    agency_code=key.agency,
                    year=key.year,
                    register=key.register,
                    secret=key.secret,
                    number=number,
                    code_number=code_number,
                    notation=notation,
                    type_name=type_name,
                    subject=subject,
                    issued_on=issued_on,
                    issued_at=now,
                    clerk=clerk,
                    signer_name=competent.signer_name or "",
                    signer_position=signer.position or "",
                    draft_sha256=hashlib.sha256(draft_pdf).hexdigest(),
                    pdf_sha256=hashlib.sha256(sealed).hexdigest(),
                    edxml_document_id=edxml_id,
                    message_id=result.message_id,
                    recipients=",".join(recipients),
                )
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        log.info(
            "issuance.issued",
            agency=key.agency,
            year=key.year,
            register=key.register,
            number=code_number,
            message_id=result.message_id,
        )
        on_commit = self.exchange.intake.on_commit
        if on_commit is not None:
            on_commit(result)
        return IssuedDocument(
            agency=key.agency,
            year=key.year,
            register=key.register,
            number=number,
            code_number=code_number,
            notation=notation,
            issued_at=now,
            edxml_document_id=edxml_id,
            message_id=result.message_id,
            pdf=sealed,
            pdf_sha256=hashlib.sha256(sealed).hexdigest(),
            competent=competent,
            send_result=result,
        )

    def _sign_package(self, data: bytes, agency: str) -> bytes:
        signer = self._xml_signers.get(agency)
        if signer is None:
            signer = PackageSigner(self.organisations[agency].credential)
            self._xml_signers[agency] = signer
        return signer.sign(data)

    def _joined_hub(self, db: _JoinedDatabase) -> ExchangeService:
        intake = self.exchange.intake
        return ExchangeService(
            db=db,
            blobs=intake.blobs,
            clock=intake.clock,
            limits=intake.limits,
            verifier=intake.verifier,
        )


def _send(hub: ExchangeService, agency: str, data: bytes, staging_dir: Path) -> SendResult:
    """Stage the package and hand it to the hub, as the REST and axis APIs do."""
    with StagingArea(staging_dir) as staging:
        staged = staging.new_file(".edxml")
        stream = io.BytesIO(data)
        while chunk := stream.read(65536):
            staged.write(chunk)
        return hub.receive_package(agency, staged, staging)
