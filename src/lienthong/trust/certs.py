"""Certificate checks for a signature (Circular 41/2017/TT-BTTTT Art. 7 (3)-(6); Decree
68/2024/NĐ-CP Art. 31): validity at signing time, revocation (OCSP, falling back to CRL, then a
cached answer within the grace period), a path to a trusted root, key usage.

Path building is ``cryptography.x509.verification``; OCSP and CRL are parsed and their
signatures checked with ``cryptography``. Revocation answers are cached in memory in front of
the ``revocation_answers`` table, so the hub's send path normally asks no responder at all.
Only the end-entity certificate's revocation is checked (the intermediate CA's is not).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
from cryptography.x509.verification import (
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)
from sqlalchemy.exc import SQLAlchemyError

from lienthong.clock import as_utc
from lienthong.db import Database
from lienthong.logs import get_logger
from lienthong.trust import store
from lienthong.trust.report import CheckStatus, ValidationReport

__all__ = [
    "Answer",
    "CertificateChecker",
    "RevocationChecker",
    "RevocationResult",
    "RevocationStatus",
]

log = get_logger("lienthong.trust")


class RevocationStatus(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Answer:
    """One verified revocation answer about one certificate."""

    status: RevocationStatus  # good | revoked
    source: str  # ocsp | crl
    this_update: datetime
    next_update: datetime | None
    fetched_at: datetime
    revoked_at: datetime | None = None
    reason: str | None = None
    evidence: bytes | None = None


@dataclass(frozen=True)
class RevocationResult:
    status: RevocationStatus
    message: str
    answer: Answer | None = None
    degraded: bool = False  # the responder was unreachable: a cached answer was used


class _UnreachableError(Exception):
    """The responder could not be asked or gave no usable, verified answer."""


def _cert_key(cert: x509.Certificate, issuer: x509.Certificate) -> str:
    ski = x509.SubjectKeyIdentifier.from_public_key(issuer.public_key())
    return f"{ski.digest.hex()}:{cert.serial_number:x}"


def _urls(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    ocsp_urls: list[str] = []
    crl_urls: list[str] = []
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp_urls = [
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        crl_urls = [
            n.value
            for dp in dps
            for n in (dp.full_name or [])
            if isinstance(n, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    return ocsp_urls, crl_urls


def _verify_with(issuer: x509.Certificate, signature: bytes, data: bytes, algo: object) -> None:
    key = issuer.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or not isinstance(algo, hashes.HashAlgorithm):
        raise _UnreachableError("unsupported responder key or algorithm")
    try:
        key.verify(signature, data, padding.PKCS1v15(), algo)
    except InvalidSignature:
        raise _UnreachableError("the answer's signature does not verify") from None


class RevocationChecker:
    """Asks OCSP, then the CRL; caches verified answers; falls back on them for ``grace``.

    ``refresh``: how long an answer is used without asking again (never past its
    nextUpdate). ``grace``: how old a cached answer may be when the responders are down.
    """

    def __init__(
        self,
        *,
        db: Database | None = None,
        grace: timedelta = timedelta(hours=24),
        refresh: timedelta = timedelta(minutes=10),
        timeout: float = 2.0,
    ) -> None:
        self.db = db
        self.grace = grace
        self.refresh = refresh
        self._http = httpx.Client(timeout=timeout, trust_env=False)
        self._answers: dict[str, Answer] = {}
        self._crls: dict[str, tuple[x509.CertificateRevocationList, datetime]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def forget(self) -> None:
        """Drop the in-memory cache (the table stays)."""
        with self._lock:
            self._answers.clear()
            self._crls.clear()

    def check(
        self,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        signing_time: datetime,
        now: datetime,
    ) -> RevocationResult:
        key = _cert_key(cert, issuer)
        cached = self._answers.get(key)
        if cached is not None and self._fresh(cached, now):
            return self._judge(cached, signing_time, degraded=False)
        errors: list[str] = []
        answer: Answer | None = None
        ocsp_urls, crl_urls = _urls(cert)
        for url in ocsp_urls:
            try:
                answer = self._ask_ocsp(url, cert, issuer, now)
                break
            except _UnreachableError as exc:
                errors.append(f"OCSP {url}: {exc}")
        if answer is None:
            for url in crl_urls:
                try:
                    answer = self._ask_crl(url, cert, issuer, now)
                    break
                except _UnreachableError as exc:
                    errors.append(f"CRL {url}: {exc}")
        if answer is not None:
            self._remember(key, answer)
            return self._judge(answer, signing_time, degraded=False)
        if not ocsp_urls and not crl_urls:
            return RevocationResult(
                RevocationStatus.UNKNOWN, "The certificate names no OCSP responder or CRL."
            )
        stored = cached or self._load(key)
        if stored is not None and now - stored.fetched_at <= self.grace:
            return self._judge(stored, signing_time, degraded=True, errors=errors)
        return RevocationResult(
            RevocationStatus.UNKNOWN,
            "Revocation status unknown: no responder answered and no cached answer is within "
            f"the grace period of {self.grace}. " + "; ".join(errors),
        )

    # -- answers ----------------------------------------------------------------------------

    def _fresh(self, answer: Answer, now: datetime) -> bool:
        if answer.next_update is not None and now >= answer.next_update:
            return False
        return now - answer.fetched_at < self.refresh

    def _judge(
        self,
        answer: Answer,
        signing_time: datetime,
        *,
        degraded: bool,
        errors: Sequence[str] = (),
    ) -> RevocationResult:
        note = ""
        if degraded:
            note = (
                f" The responder is unreachable ({'; '.join(errors)}); this {answer.source} "
                f"answer was cached at {answer.fetched_at.isoformat()}, within the grace period."
            )
        if answer.status is RevocationStatus.REVOKED and (
            answer.revoked_at is None or answer.revoked_at <= signing_time
        ):
            when = answer.revoked_at.isoformat() if answer.revoked_at else "an unknown time"
            return RevocationResult(
                RevocationStatus.REVOKED,
                f"Revoked at {when} (reason: {answer.reason or 'unspecified'}), per "
                f"{answer.source}." + note,
                answer,
                degraded,
            )
        return RevocationResult(
            RevocationStatus.GOOD,
            f"Not revoked at signing time, per {answer.source}." + note,
            answer,
            degraded,
        )

    def _remember(self, key: str, answer: Answer) -> None:
        with self._lock:
            self._answers[key] = answer
        if self.db is None:
            return
        try:
            self._save(key, answer)
        except SQLAlchemyError as exc:  # a cache: validation goes on without it
            log.warning("revocation answer not stored", error=str(exc))

    def _save(self, key: str, answer: Answer) -> None:
        assert self.db is not None
        with self.db.unit_of_work() as session:
            store.save_answer(
                session,
                store.RevocationAnswer(
                    cert_key=key,
                    source=answer.source,
                    status=str(answer.status),
                    revoked_at=answer.revoked_at,
                    reason=answer.reason,
                    this_update=answer.this_update,
                    next_update=answer.next_update,
                    fetched_at=answer.fetched_at,
                    evidence=answer.evidence,
                ),
            )

    def _load(self, key: str) -> Answer | None:
        if self.db is None:
            return None
        try:
            return self._read(key)
        except SQLAlchemyError as exc:
            log.warning("revocation answers not readable", error=str(exc))
            return None

    def _read(self, key: str) -> Answer | None:
        assert self.db is not None
        with self.db.read() as session:
            row = store.load_answer(session, key)
            if row is None:
                return None
            return Answer(
                status=RevocationStatus(row.status),
                source=row.source,
                this_update=as_utc(row.this_update),
                next_update=as_utc(row.next_update) if row.next_update else None,
                fetched_at=as_utc(row.fetched_at),
                revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
                reason=row.reason,
                evidence=row.evidence,
            )

    # -- asking -----------------------------------------------------------------------------

    def _ask_ocsp(
        self, url: str, cert: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> Answer:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(
                cert,
                issuer,
                hashes.SHA1(),  # noqa: S303 -- RFC 6960 CertID, not a signature
            )
            .build()
        )
        try:
            reply = self._http.post(
                url,
                content=request.public_bytes(serialization.Encoding.DER),
                headers={"Content-Type": "application/ocsp-request"},
            )
        except httpx.HTTPError as exc:
            raise _UnreachableError(type(exc).__name__) from None
        if reply.status_code != 200:
            raise _UnreachableError(f"HTTP {reply.status_code}")
        try:
            response = ocsp.load_der_ocsp_response(reply.content)
        except ValueError:
            raise _UnreachableError("not an OCSP response") from None
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            raise _UnreachableError(f"status {response.response_status.name}")
        if (
            response.serial_number != cert.serial_number
            or response.issuer_key_hash != request.issuer_key_hash
            or response.issuer_name_hash != request.issuer_name_hash
        ):
            raise _UnreachableError("the answer is about another certificate")
        signer = self._ocsp_signer(response, issuer)
        _verify_with(
            signer,
            response.signature,
            response.tbs_response_bytes,
            response.signature_hash_algorithm,
        )
        next_update = response.next_update_utc
        if next_update is not None and next_update < now:
            raise _UnreachableError("the answer is stale (nextUpdate passed)")
        if response.this_update_utc > now + timedelta(minutes=5):
            raise _UnreachableError("the answer is from the future")
        status = {
            ocsp.OCSPCertStatus.GOOD: RevocationStatus.GOOD,
            ocsp.OCSPCertStatus.REVOKED: RevocationStatus.REVOKED,
        }.get(response.certificate_status)
        if status is None:
            raise _UnreachableError("the responder does not know the certificate")
        reason = response.revocation_reason
        return Answer(
            status=status,
            source="ocsp",
            this_update=response.this_update_utc,
            next_update=next_update,
            fetched_at=now,
            revoked_at=response.revocation_time_utc,
            reason=reason.value if reason else None,
            evidence=reply.content,
        )

    @staticmethod
    def _ocsp_signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate:
        """The issuer itself, or a delegated responder it issued with the OCSPSigning EKU."""
        for candidate in response.certificates:
            if candidate.issuer != issuer.subject:
                continue
            try:
                candidate.verify_directly_issued_by(issuer)
                eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
                continue
            if ExtendedKeyUsageOID.OCSP_SIGNING in eku:
                return candidate
        return issuer

    def _ask_crl(
        self, url: str, cert: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> Answer:
        held = self._crls.get(url)
        if held is not None and (held[0].next_update_utc or now) > now:
            crl, fetched_at = held
            if now - fetched_at >= self.refresh:
                held = None
        if held is None:
            try:
                reply = self._http.get(url)
            except httpx.HTTPError as exc:
                raise _UnreachableError(type(exc).__name__) from None
            if reply.status_code != 200:
                raise _UnreachableError(f"HTTP {reply.status_code}")
            try:
                crl = x509.load_der_x509_crl(reply.content)
            except ValueError:
                raise _UnreachableError("not a DER CRL") from None
            if crl.issuer != issuer.subject or not crl.is_signature_valid(
                issuer.public_key()  # type: ignore[arg-type]
            ):
                raise _UnreachableError("the CRL is not signed by the issuer")
            if crl.next_update_utc is not None and crl.next_update_utc < now:
                raise _UnreachableError("the CRL is stale (nextUpdate passed)")
            fetched_at = now
            with self._lock:
                self._crls[url] = (crl, now)
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None:
            return Answer(
                RevocationStatus.GOOD, "crl", crl.last_update_utc, crl.next_update_utc, fetched_at
            )
        try:
            reason: str | None = entry.extensions.get_extension_for_class(
                x509.CRLReason
            ).value.reason.value
        except x509.ExtensionNotFound:
            reason = None
        return Answer(
            RevocationStatus.REVOKED,
            "crl",
            crl.last_update_utc,
            crl.next_update_utc,
            fetched_at,
            revoked_at=entry.revocation_date_utc,
            reason=reason,
        )


class CertificateChecker:
    """Fills the certificate checks of a report. Trust roots are loaded once, here."""

    def __init__(
        self, trust_roots: Sequence[x509.Certificate], revocation: RevocationChecker
    ) -> None:
        self.trust_roots = list(trust_roots)
        self._store = Store(self.trust_roots) if self.trust_roots else None
        self.revocation = revocation

    def check(
        self,
        report: ValidationReport,
        leaf: x509.Certificate,
        chain: Sequence[x509.Certificate],
        signing_time: datetime,
        now: datetime,
    ) -> None:
        self._validity(report, leaf, chain, signing_time)
        issuer = self._path(report, leaf, chain)
        self._key_usage(report, leaf)
        if issuer is None:
            report.set(
                "revocation",
                CheckStatus.UNKNOWN,
                "Not checked: the issuer of the certificate is not known.",
            )
            return
        result = self.revocation.check(leaf, issuer, signing_time, now)
        detail: dict[str, object] = {"degraded": result.degraded}
        if result.answer is not None:
            detail |= {
                "source": result.answer.source,
                "fetched_at": result.answer.fetched_at.isoformat(),
                "revoked_at": result.answer.revoked_at.isoformat()
                if result.answer.revoked_at
                else None,
            }
        status = {
            RevocationStatus.GOOD: CheckStatus.WARNING if result.degraded else CheckStatus.OK,
            RevocationStatus.REVOKED: CheckStatus.FAILED,
            RevocationStatus.UNKNOWN: CheckStatus.UNKNOWN,
        }[result.status]
        report.set("revocation", status, result.message, **detail)

    @staticmethod
    def _validity(
        report: ValidationReport,
        leaf: x509.Certificate,
        chain: Sequence[x509.Certificate],
        at: datetime,
    ) -> None:
        for cert in (leaf, *chain):
            start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
            if not start <= at <= end:
                which = "The signing certificate" if cert is leaf else "A CA certificate"
                state = "not yet valid" if at < start else "expired"
                report.set(
                    "certificate_validity",
                    CheckStatus.FAILED,
                    f"{which} was {state} at signing time {at.isoformat()} "
                    f"(valid {start.isoformat()} to {end.isoformat()}).",
                    state=state.replace(" ", "_"),
                    not_before=start.isoformat(),
                    not_after=end.isoformat(),
                )
                return
        report.set(
            "certificate_validity",
            CheckStatus.OK,
            f"Valid at signing time (until {leaf.not_valid_after_utc.isoformat()}).",
            not_before=leaf.not_valid_before_utc.isoformat(),
            not_after=leaf.not_valid_after_utc.isoformat(),
        )

    def _path(
        self, report: ValidationReport, leaf: x509.Certificate, chain: Sequence[x509.Certificate]
    ) -> x509.Certificate | None:
        # Trust is judged inside the leaf's validity window; validity itself is its own check.
        if self._store is None:
            report.set("path", CheckStatus.FAILED, "No trusted root CA is configured.")
            return None
        at = max(
            leaf.not_valid_before_utc,
            min(report.signing_time or leaf.not_valid_before_utc, leaf.not_valid_after_utc),
        )
        try:
            path = self._verify(leaf, chain, at)
        except VerificationError as exc:
            # A leaf whose window does not meet its issuer's (an expired signer issued before
            # the demo intermediate was made again): one hop checked directly, the issuer's
            # path at a moment of its own window. Expiry stays certificate_validity's verdict.
            found = self._via_issuer(leaf, chain)
            if found is None:
                report.set(
                    "path",
                    CheckStatus.FAILED,
                    f"No path to a trusted root: {exc}",
                    issuer=leaf.issuer.rfc4514_string(),
                )
                return None
            path = found
        report.set(
            "path",
            CheckStatus.OK,
            f"Chains to the trusted root {path[-1].subject.rfc4514_string()}.",
            chain=[c.subject.rfc4514_string() for c in path],
        )
        return path[1] if len(path) > 1 else None

    def _verify(
        self, leaf: x509.Certificate, chain: Sequence[x509.Certificate], at: datetime
    ) -> list[x509.Certificate]:
        assert self._store is not None
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(at)
            .max_chain_depth(4)
            .extension_policies(
                ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=ExtensionPolicy.permit_all(),
            )
            .build_client_verifier()
        )
        return list(verifier.verify(leaf, list(chain)).chain)

    def _via_issuer(
        self, leaf: x509.Certificate, chain: Sequence[x509.Certificate]
    ) -> list[x509.Certificate] | None:
        """The path of a leaf outside its issuer's window: the leaf's signature checked by a
        certificate of ``chain`` (or a trusted root), whose own path is then verified."""
        for candidate in (*chain, *self.trust_roots):
            if candidate.subject != leaf.issuer:
                continue
            try:
                leaf.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if candidate in self.trust_roots:
                return [leaf, candidate]
            rest = [c for c in chain if c != candidate]
            start, end = candidate.not_valid_before_utc, candidate.not_valid_after_utc
            try:
                return [leaf, *self._verify(candidate, rest, start + (end - start) / 2)]
            except VerificationError:
                continue
        return None

    @staticmethod
    def _key_usage(report: ValidationReport, leaf: x509.Certificate) -> None:
        try:
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            report.set("key_usage", CheckStatus.FAILED, "The certificate has no key usage.")
            return
        if not usage.digital_signature and not usage.content_commitment:
            report.set(
                "key_usage",
                CheckStatus.FAILED,
                "The certificate is not for signing (neither digitalSignature nor nonRepudiation).",
            )
        elif not usage.content_commitment:
            report.set(
                "key_usage",
                CheckStatus.WARNING,
                "digitalSignature without nonRepudiation: not a document-signing certificate.",
            )
        else:
            report.set("key_usage", CheckStatus.OK, "digitalSignature and nonRepudiation.")
