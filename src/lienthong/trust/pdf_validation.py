"""Checking PAdES signatures (Circular 41/2017/TT-BTTTT Art. 7; Decree 68/2024/NĐ-CP Arts.
30-32) with pyHanko and its certificate validator, each check reported separately in the trust
core's :class:`~lienthong.trust.report.ValidationReport` (format ``PAdES``).

Revocation uses only cached data handed in :class:`PdfTrust` (CRLs, OCSP answers): nothing is
fetched while validating. Validity is judged at the signing time the signer reports (no
time-stamp authority yet: the ``signing_time`` check is then a warning).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError

from lienthong.clock import VN_TZ
from lienthong.trust.report import CHECKS, Check, CheckStatus, ValidationReport

# Signing certificates must allow signing (digitalSignature or nonRepudiation), Decree 68
# Art. 31; any extended key usage is accepted.
SIGNING_USAGE = KeyUsageConstraints(
    key_usage=frozenset({"digital_signature", "non_repudiation"}), match_all_key_usages=False
)


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    """``cert`` for pyHanko, parsed through at once: asn1crypto parses lazily and not
    thread-safely, and a signer's certificate is shared by the threads that sign with it."""
    parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    parsed.native  # noqa: B018 - builds every child now, so later readers only read
    return parsed


@dataclass
class SignatureReport:
    """One PDF signature: its field, signer, and the trust core's report of its checks.

    ``valid``: no check failed (warnings and unknowns allowed). ``covers_whole_file``: nothing
    was appended after this signature.
    """

    field_name: str
    signer_name: str | None
    signer_agency: str | None
    signing_time: datetime | None
    certificate: x509.Certificate | None
    report: ValidationReport
    covers_whole_file: bool = False

    @property
    def valid(self) -> bool:
        return not self.report.failed

    @property
    def checks(self) -> list[Check]:
        return [self.report.checks[name] for name in CHECKS]

    def check(self, name: str) -> Check:
        return self.report.checks[name]

    def failed(self) -> list[str]:
        return [c.name for c in self.report.failed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field_name,
            "signer_name": self.signer_name,
            "signer_agency": self.signer_agency,
            "valid": self.valid,
            **self.report.as_dict(),
        }


@dataclass(frozen=True)
class PdfTrust:
    """What a PDF signature is checked against: trust roots, known intermediates (DER) and the
    cached revocation data (DER CRLs and OCSP answers; nothing is fetched).

    Shared by the request threads of a hub, so it holds bytes only: asn1crypto parses lazily
    and not thread-safely (two threads reaching a shared certificate's fields for the first
    time can see a half-built child list), so each :meth:`context` parses its own copies.
    """

    trust_roots: tuple[bytes, ...]
    intermediates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()
    crl_issuers: tuple[x509.Name, ...] = ()

    @classmethod
    def from_certs(
        cls,
        roots: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        *,
        crls: Sequence[bytes] = (),
        ocsps: Sequence[bytes] = (),
    ) -> PdfTrust:
        issuers = tuple(x509.load_der_x509_crl(c).issuer for c in crls)
        return cls(
            tuple(c.public_bytes(Encoding.DER) for c in roots),
            tuple(c.public_bytes(Encoding.DER) for c in intermediates),
            tuple(crls),
            tuple(ocsps),
            issuers,
        )

    def context(self, moment: datetime) -> ValidationContext:
        return ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der) for der in self.trust_roots],
            other_certs=[asn1_x509.Certificate.load(der) for der in self.intermediates],
            crls=list(self.crls),
            ocsps=list(self.ocsps),
            allow_fetching=False,
            revocation_mode="soft-fail",
            retroactive_revinfo=True,  # revocation data issued after the signing time counts
            moment=moment,
        )


_Result = tuple[str, CheckStatus, str]


TrustSource = PdfTrust | Callable[[], PdfTrust]


def current_trust(source: TrustSource) -> PdfTrust:
    """The trust to check against now: a fixed one, or the current one of a renewing source
    (e.g. one whose cached CRL is renewed before it goes stale)."""
    return source if isinstance(source, PdfTrust) else source()


def signatures(pdf: bytes) -> list[EmbeddedPdfSignature]:
    """The PDF's signatures in signing order (empty when unsigned or unreadable)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        return list(reader.embedded_signatures)
    except Exception:  # a PDF pyHanko cannot read carries no usable signature
        return []


def validate_pdf(
    pdf: bytes, trust: PdfTrust, *, now: datetime, agency: str | None = None
) -> list[SignatureReport]:
    """A report per signature of ``pdf``, in signing order (empty list: no signature).

    ``agency``, when given, is the agency every signer must belong to (certificate UID):
    check ``signer_agency``; otherwise that check stays ``unknown``. A signing time after
    ``now`` fails.
    """
    return [validate_signature(sig, trust, now=now, agency=agency) for sig in signatures(pdf)]


def validate_signature(
    sig: EmbeddedPdfSignature, trust: PdfTrust, *, now: datetime, agency: str | None = None
) -> SignatureReport:
    claimed = sig.self_reported_timestamp
    moment = (claimed or now).astimezone(UTC)
    cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
    uid = _attr(cert, NameOID.USER_ID)
    report = ValidationReport(validated_at=now, format="PAdES", signing_time=claimed)
    report.signer = {
        "name": _attr(cert, NameOID.COMMON_NAME),
        "agency": uid,
        "serial": format(cert.serial_number, "x"),
    }
    result = SignatureReport(
        field_name=str(sig.field_name),
        signer_name=_attr(cert, NameOID.COMMON_NAME),
        signer_agency=uid,
        signing_time=claimed,
        certificate=cert,
        report=report,
    )
    if agency is not None:
        ok = CheckStatus.OK if uid == agency else CheckStatus.FAILED
        report.set("signer_agency", ok, f"certificate UID {uid}, expected {agency}")
    try:
        status = validate_pdf_signature(
            sig,
            signer_validation_context=trust.context(moment),
            key_usage_settings=SIGNING_USAGE,
        )
    except Exception as exc:  # a broken CMS blob: nothing else can be said
        report.set("integrity", CheckStatus.FAILED, f"signature cannot be read: {exc}")
        return result
    result.covers_whole_file = status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    for name, check_status, message in (
        _integrity(status),
        _signature(status),
        _validity(cert, moment),
        _revocation(status, cert, trust),
        _path(status),
        _key_usage(sig),
        _signing_time(status, claimed, now),
    ):
        report.set(name, check_status, message)
    return result


def _attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


_ALLOWED_LATER = (
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
)


def _integrity(status: PdfSignatureStatus) -> _Result:
    if not status.intact:
        return ("integrity", CheckStatus.FAILED, "the signed byte range digest differs")
    if status.coverage is SignatureCoverageLevel.ENTIRE_FILE:
        return ("integrity", CheckStatus.OK, "the signature covers the whole file")
    if status.coverage is not SignatureCoverageLevel.ENTIRE_REVISION:
        return ("integrity", CheckStatus.FAILED, "the signature covers part of a revision")
    level = status.modification_level
    if level in _ALLOWED_LATER and status.docmdp_ok is not False:
        return ("integrity", CheckStatus.OK, f"later revisions only add signatures/forms ({level})")
    return ("integrity", CheckStatus.FAILED, f"content changed after signing ({level})")


def _signature(status: PdfSignatureStatus) -> _Result:
    if status.valid and status.intact:
        return ("signature", CheckStatus.OK, "verifies with the certificate's public key")
    if status.valid:
        return ("signature", CheckStatus.FAILED, "the signed digest does not match")
    return ("signature", CheckStatus.FAILED, "the signature value does not verify")


def _validity(cert: x509.Certificate, moment: datetime) -> _Result:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if start <= moment <= end:
        return (
            "certificate_validity",
            CheckStatus.OK,
            f"valid from {start.isoformat()} to {end.isoformat()}",
        )
    return (
        "certificate_validity",
        CheckStatus.FAILED,
        f"not valid at {moment.isoformat()} (valid {start.isoformat()} to {end.isoformat()})",
    )


_REVOKED = {
    AdESFailure.REVOKED,
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
}
_NO_PATH = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
}


def _revocation(status: PdfSignatureStatus, cert: x509.Certificate, trust: PdfTrust) -> _Result:
    if status.revoked or status.trust_problem_indic in _REVOKED:
        when = status.revocation_details
        return ("revocation", CheckStatus.FAILED, f"certificate revoked ({when})")
    if cert.issuer in trust.crl_issuers or trust.ocsps:
        return ("revocation", CheckStatus.OK, "not revoked per the cached revocation data")
    return ("revocation", CheckStatus.UNKNOWN, "no revocation data for the issuer")


def _path(status: PdfSignatureStatus) -> _Result:
    indic = status.trust_problem_indic
    if status.validation_path is None or indic in _NO_PATH:
        return ("path", CheckStatus.FAILED, "no path to a trusted root")
    anchor = status.validation_path[0] if len(status.validation_path) else None
    name = anchor.subject.human_friendly if anchor is not None else "?"
    return ("path", CheckStatus.OK, f"chains to {name}")


def _key_usage(sig: EmbeddedPdfSignature) -> _Result:
    try:
        SIGNING_USAGE.validate(sig.signer_cert)
    except InvalidCertificateError as exc:
        return ("key_usage", CheckStatus.FAILED, str(exc))
    return ("key_usage", CheckStatus.OK, "digitalSignature/nonRepudiation allowed")


def _signing_time(status: PdfSignatureStatus, claimed: datetime | None, now: datetime) -> _Result:
    ts = status.timestamp_validity
    if ts is not None:
        if ts.valid and ts.intact:
            return ("signing_time", CheckStatus.OK, f"time-stamped {ts.timestamp}")
        return ("signing_time", CheckStatus.FAILED, "the time-stamp does not verify")
    if claimed is None:
        return ("signing_time", CheckStatus.FAILED, "no signing time")
    if claimed > now:
        return ("signing_time", CheckStatus.FAILED, "signing time in the future")
    local = claimed.astimezone(VN_TZ).isoformat(timespec="seconds")
    return ("signing_time", CheckStatus.WARNING, f"{local}, claimed by the signer")
