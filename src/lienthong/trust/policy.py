"""The hub's trust policy (Decision 28/2018/QĐ-TTg: every document on the axis carries a
digital signature with full verification data): verify each package's XML signature in the
send path, write the validation report (Circular 41/2017/TT-BTTTT Art. 7), and refuse what
fails — before anything is stored.

``SignatureVerifier`` is the exchange's ``PackageVerifier``. Modes: ``off`` (not wired),
``warn`` (report only, never refuse), ``enforce`` (refuse with the error code of the first
failed check).

By message kind: Decision 28/2018 requires the signature on documents (new, revoke, update,
replace: every ``DocumentPackage``). A status package is verified when it is signed and refused
when that signature fails, but accepted unsigned (the official SDK's status packages and the
document software in use carry none) unless ``require_signed_status`` says otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from lienthong.clock import Clock
from lienthong.config import Settings
from lienthong.edxml import DocumentPackage, EdxmlError, Limits, StatusPackage, parse_bytes
from lienthong.errors import ErrorCode, LienthongError
from lienthong.trust.certs import CertificateChecker, RevocationChecker
from lienthong.trust.report import CheckStatus, ValidationReport
from lienthong.trust.xmldsig import SignatureCheckError, verify_package_signature

__all__ = ["SignatureVerifier", "TrustError", "TrustMode", "TrustPolicy", "load_trust_roots"]


class TrustMode(StrEnum):
    OFF = "off"
    WARN = "warn"
    ENFORCE = "enforce"


class TrustError(LienthongError):
    default_code = ErrorCode.SIGNATURE_INVALID


@dataclass(frozen=True)
class TrustPolicy:
    mode: TrustMode = TrustMode.ENFORCE
    allow_sha1_legacy: bool = True
    revocation_grace: timedelta = timedelta(hours=24)
    revocation_refresh: timedelta = timedelta(minutes=10)
    refuse_unknown_revocation: bool = True
    require_signed_status: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> TrustPolicy:
        return cls(
            mode=TrustMode(settings.trust_policy),
            allow_sha1_legacy=settings.allow_sha1_legacy,
            revocation_grace=timedelta(hours=settings.revocation_grace_hours),
            revocation_refresh=timedelta(seconds=settings.revocation_refresh_seconds),
            refuse_unknown_revocation=settings.refuse_unknown_revocation,
            require_signed_status=settings.trust_require_signed_status,
        )


# Which failed check refuses with which code, in the order they are judged.
_REFUSALS: tuple[tuple[str, ErrorCode], ...] = (
    ("integrity", ErrorCode.SIGNATURE_INVALID),
    ("signature", ErrorCode.SIGNATURE_INVALID),
    ("path", ErrorCode.CERTIFICATE_UNTRUSTED),
    ("certificate_validity", ErrorCode.CERTIFICATE_EXPIRED),
    ("revocation", ErrorCode.CERTIFICATE_REVOKED),
    ("key_usage", ErrorCode.CERTIFICATE_USAGE_INVALID),
    ("signer_agency", ErrorCode.SIGNER_NOT_SENDER),
)


def load_trust_roots(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (none when the file is absent)."""
    if not path.exists():
        return []
    return x509.load_pem_x509_certificates(path.read_bytes())


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


class SignatureVerifier:
    """Verifies packages for the hub. Build once: trust roots and caches live here."""

    def __init__(
        self,
        policy: TrustPolicy,
        checker: CertificateChecker,
        clock: Clock,
        limits: Limits | None = None,
    ) -> None:
        self.policy = policy
        self.checker = checker
        self.clock = clock
        self.limits = limits or Limits()

    @classmethod
    def build(
        cls,
        policy: TrustPolicy,
        trust_roots: list[x509.Certificate],
        clock: Clock,
        *,
        db: Any = None,
        limits: Limits | None = None,
    ) -> SignatureVerifier:
        revocation = RevocationChecker(
            db=db, grace=policy.revocation_grace, refresh=policy.revocation_refresh
        )
        return cls(policy, CertificateChecker(trust_roots, revocation), clock, limits)

    def __call__(
        self,
        agency: str,
        package: DocumentPackage | StatusPackage,
        path: Path,
        attachments: Mapping[str, Path],
    ) -> dict[str, Any] | None:
        if self.policy.mode is TrustMode.OFF:
            return None
        report, code = self.validate(agency, path.read_bytes(), package)
        if (
            code is ErrorCode.SIGNATURE_MISSING
            and isinstance(package, StatusPackage)
            and not self.policy.require_signed_status
        ):
            report.set(
                "signature",
                CheckStatus.WARNING,
                "Unsigned status package: accepted (Decision 28/2018 requires the signature "
                "on documents; statuses are verified when signed).",
            )
            code = None
        result = report.as_dict()
        if code is None:
            return result
        if self.policy.mode is TrustMode.ENFORCE:
            failed = next((c for c in report.failed), None)
            message = failed.message if failed else None
            raise TrustError(message, code=code, detail={"validation": result})
        result["would_refuse"] = str(code)
        return result

    def validate(
        self, agency: str, data: bytes, package: DocumentPackage | StatusPackage
    ) -> tuple[ValidationReport, ErrorCode | None]:
        """The report, and the code the package would be refused with (``None``: none)."""
        now = self.clock.now()
        report = ValidationReport(validated_at=now)
        try:
            verified = verify_package_signature(data, allow_sha1=self.policy.allow_sha1_legacy)
        except SignatureCheckError as exc:
            report.set(exc.check, CheckStatus.FAILED, exc.message)
            return report, exc.code
        report.set("integrity", CheckStatus.OK, "The digest of the whole package matches.")
        if verified.legacy_sha1:
            report.set(
                "signature",
                CheckStatus.WARNING,
                "The signature verifies, but with legacy RSA-SHA1: re-sign with RSA-SHA256.",
                method=verified.signature_method,
            )
        else:
            report.set(
                "signature",
                CheckStatus.OK,
                "The signature verifies with the certificate's key.",
                method=verified.signature_method,
            )
        if not verified.document_is_signed_data and not self._is_what_was_signed(
            package, verified.signed_data
        ):
            report.set(
                "integrity",
                CheckStatus.FAILED,
                "The package as read differs from the signed data (signature wrapping?).",
            )
            return report, ErrorCode.SIGNATURE_INVALID
        leaf = verified.certificate
        # No trusted time-stamp on the package: the signing time is the hub's receipt time
        # (Decree 68/2024/NĐ-CP Art. 31 accepts a time-stamp or the receiving system's time).
        report.signing_time = now
        report.set(
            "signing_time",
            CheckStatus.OK,
            "No time-stamp: the hub's receipt time is taken as the signing time.",
            source="hub_receipt",
            at=now.isoformat(),
        )
        signer_agency = _attr(leaf.subject, NameOID.USER_ID)
        report.signer = {
            "subject": leaf.subject.rfc4514_string(),
            "common_name": _attr(leaf.subject, NameOID.COMMON_NAME),
            "title": _attr(leaf.subject, NameOID.TITLE),
            "organisation": _attr(leaf.subject, NameOID.ORGANIZATION_NAME),
            "agency": signer_agency,
            "serial": f"{leaf.serial_number:x}",
            "issuer": leaf.issuer.rfc4514_string(),
        }
        self.checker.check(report, leaf, verified.chain, now, now)
        if signer_agency == agency:
            report.set("signer_agency", CheckStatus.OK, f"The certificate is of {agency}.")
        else:
            report.set(
                "signer_agency",
                CheckStatus.FAILED,
                f"The certificate is of {signer_agency or 'no agency'} (UID), not of the "
                f"sender {agency}.",
                certificate_agency=signer_agency,
                sender=agency,
            )
        for name, code in _REFUSALS:
            if report.status_of(name) is CheckStatus.FAILED:
                return report, code
        if (
            self.policy.refuse_unknown_revocation
            and report.status_of("revocation") is CheckStatus.UNKNOWN
        ):
            return report, ErrorCode.REVOCATION_UNKNOWN
        return report, None

    def _is_what_was_signed(
        self, package: DocumentPackage | StatusPackage, signed_data: bytes
    ) -> bool:
        """Only what signxml returns as signed is trusted: re-read it and compare."""
        try:
            signed = parse_bytes(signed_data, limits=self.limits)
        except EdxmlError:
            return False
        return dataclasses.replace(package, signed=False) == signed
