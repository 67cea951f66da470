"""A test PKI standing in for the government specialised CA (Decision 28/2018/QĐ-TTg).

Layout of ``out_dir`` (everything PEM, keys unencrypted PKCS#8 — a demo, never production)::

    pki.json                      the URLs, agencies, signers and hubs it was made with
    root.pem root.key             root CA ("government specialised CA")
    intermediate.pem .key         issuing CA; issues every end-entity certificate
    agencies/<code>/org.pem .key  organisation certificate (CN = agency name, UID = code)
    agencies/<code>/signer.pem .key        first personal certificate of the agency
    agencies/<code>/signer-<n>.pem .key    further signers (n = 2, 3, ...)
    hubs/<name>/cert.pem key.pem  hub certificate (TLS server + client on loopback)
    revoked.json                  revocations, by serial (read by the CRL and the OCSP answers)

Organisation and personal certificates carry the agency identifier in the subject attribute
UID (``NameOID.USER_ID``); that is what decides SIGNER_NOT_SENDER. Organisation certificates
carry the extended key usage clientAuth (and emailProtection): only they authenticate an agency
over mutual TLS; personal signer certificates have none. Signing certificates have
key usage digitalSignature + nonRepudiation; every end-entity certificate names the OCSP
responder (AIA) and the CRL distribution point. Built with ``cryptography`` only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

__all__ = [
    "SIGNING_KEY_USAGE",
    "Credential",
    "DemoPKI",
    "generate_key",
    "load_credential",
]

SIGNING_KEY_USAGE = ("digital_signature", "content_commitment")
_KEY_USAGE_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def generate_key() -> rsa.RSAPrivateKey:
    """An RSA 2048 key (slow: ~50-100 ms; keep test PKIs small)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Credential:
    """A certificate, its private key and its issuer chain up to but excluding the root."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    def write(self, cert_path: Path, key_path: Path) -> None:
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        cert_path.write_bytes(self.cert_pem)
        key_path.write_bytes(self.key_pem)
        key_path.chmod(0o600)


def load_credential(
    cert_path: Path, key_path: Path, chain: tuple[x509.Certificate, ...] = ()
) -> Credential:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{key_path}: not an RSA private key")
    return Credential(cert, key, chain)


def _key_usage(names: Sequence[str]) -> x509.KeyUsage:
    unknown = set(names) - set(_KEY_USAGE_FIELDS)
    if unknown:
        raise ValueError(f"unknown key usage: {sorted(unknown)}")
    flags = {name: name in names for name in _KEY_USAGE_FIELDS}
    return x509.KeyUsage(**flags, encipher_only=False, decipher_only=False)


def _name(attributes: Sequence[tuple[x509.ObjectIdentifier, str]]) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    attrs += [x509.NameAttribute(oid, _fit(value)) for oid, value in attributes]
    return x509.Name(attrs)


def _fit(value: str, limit: int = 64) -> str:
    """X.520 upper bound (64, counted by ``cryptography`` in UTF-8 bytes for CN): long agency
    names are cut there; the agency is identified by UID, never by its name."""
    while len(value.encode()) > limit:
        value = value[:-1]
    return value.rstrip()


@dataclass
class DemoPKI:
    """The demo PKI in ``out_dir``: create it once, load it (keys read once), issue, revoke."""

    out_dir: Path
    root: Credential
    intermediate: Credential
    ocsp_url: str
    crl_url: str
    organisations: dict[str, Credential] = field(default_factory=dict)
    signers: dict[str, list[Credential]] = field(default_factory=dict)
    hubs: dict[str, Credential] = field(default_factory=dict)
    agency_names: dict[str, str] = field(default_factory=dict)
    _revoked: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    _revoked_mtime: float = 0.0

    # -- creating and loading -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        out_dir: Path,
        *,
        agencies: Sequence[tuple[str, str]],
        signers: Sequence[tuple[str, str, str]],
        hubs: Sequence[str],
        ocsp_url: str,
        crl_url: str,
        now: datetime,
        progress: Callable[[int], object] | None = None,
    ) -> DemoPKI:
        """Make a fresh PKI under ``out_dir`` (overwrites what is there); ``progress`` is told
        of each certificate made (RSA keys take a while)."""
        tick = progress or (lambda _n: None)
        out_dir.mkdir(parents=True, exist_ok=True)
        now = now.astimezone(UTC)
        start = now - timedelta(days=1)
        root_key = generate_key()
        root_name = _name(
            [
                (NameOID.ORGANIZATION_NAME, "Ban Cơ yếu Chính phủ (demo)"),
                (NameOID.COMMON_NAME, "Root CA chuyên dùng Chính phủ (demo)"),
            ]
        )
        root_cert = _ca_builder(root_name, root_name, root_key, root_key, start, 3650, 1).sign(
            root_key, hashes.SHA256()
        )
        root = Credential(root_cert, root_key, ())
        inter_key = generate_key()
        inter_name = _name(
            [
                (NameOID.ORGANIZATION_NAME, "Ban Cơ yếu Chính phủ (demo)"),
                (NameOID.COMMON_NAME, "CA phục vụ cơ quan Nhà nước (demo)"),
            ]
        )
        inter_cert = _ca_builder(inter_name, root_name, inter_key, root_key, start, 3000, 0).sign(
            root_key, hashes.SHA256()
        )
        intermediate = Credential(inter_cert, inter_key, ())
        pki = cls(out_dir, root, intermediate, ocsp_url, crl_url)
        root.write(out_dir / "root.pem", out_dir / "root.key")
        intermediate.write(out_dir / "intermediate.pem", out_dir / "intermediate.key")
        for code, name in agencies:
            _check_safe(code)
            pki.agency_names[code] = name
            org = pki.issue_custom(
                common_name=name,
                agency_code=code,
                organisation=name,
                not_before=start,
                not_after=start + timedelta(days=730),
                # It signs packages and authenticates the agency's system over mutual TLS;
                # personal signer certificates carry no clientAuth and never authenticate.
                extended_key_usage=(
                    ExtendedKeyUsageOID.CLIENT_AUTH,
                    ExtendedKeyUsageOID.EMAIL_PROTECTION,
                ),
            )
            pki.organisations[code] = org
            tick(1)
            org.write(
                out_dir / "agencies" / code / "org.pem", out_dir / "agencies" / code / "org.key"
            )
        for code, full_name, position in signers:
            if code not in pki.agency_names:
                raise ValueError(f"signer of unknown agency {code}")
            cred = pki.issue_custom(
                common_name=full_name,
                title=position,
                agency_code=code,
                organisation=pki.agency_names[code],
                not_before=start,
                not_after=start + timedelta(days=730),
            )
            existing = pki.signers.setdefault(code, [])
            existing.append(cred)
            tick(1)
            stem = "signer" if len(existing) == 1 else f"signer-{len(existing)}"
            cred.write(
                out_dir / "agencies" / code / f"{stem}.pem",
                out_dir / "agencies" / code / f"{stem}.key",
            )
        for hub_name in hubs:
            _check_safe(hub_name)
            hub = pki.issue_custom(
                common_name=hub_name,
                organisation="Trục liên thông văn bản quốc gia",
                not_before=start,
                not_after=start + timedelta(days=730),
                key_usage=("digital_signature", "key_encipherment"),
                extended_key_usage=(
                    ExtendedKeyUsageOID.SERVER_AUTH,
                    ExtendedKeyUsageOID.CLIENT_AUTH,
                ),
                dns_names=("localhost", hub_name),
                ip_addresses=("127.0.0.1",),
            )
            pki.hubs[hub_name] = hub
            hub.write(
                out_dir / "hubs" / hub_name / "cert.pem", out_dir / "hubs" / hub_name / "key.pem"
            )
        meta = {
            "ocsp_url": ocsp_url,
            "crl_url": crl_url,
            "agencies": [list(a) for a in agencies],
            "signers": [list(s) for s in signers],
            "hubs": list(hubs),
        }
        (out_dir / "pki.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
        (out_dir / "revoked.json").write_text("{}", "utf-8")
        pki._revoked_mtime = (out_dir / "revoked.json").stat().st_mtime
        return pki

    @classmethod
    def load(cls, out_dir: Path) -> DemoPKI:
        """Read a PKI made by :meth:`create`; every key is parsed once, here."""
        meta: dict[str, Any] = json.loads((out_dir / "pki.json").read_text("utf-8"))
        root = load_credential(out_dir / "root.pem", out_dir / "root.key")
        inter = load_credential(out_dir / "intermediate.pem", out_dir / "intermediate.key")
        chain = (inter.certificate,)
        pki = cls(out_dir, root, inter, meta["ocsp_url"], meta["crl_url"])
        for code, name in meta["agencies"]:
            pki.agency_names[code] = name
            folder = out_dir / "agencies" / code
            pki.organisations[code] = load_credential(folder / "org.pem", folder / "org.key", chain)
        counts: dict[str, int] = {}
        for code, _full_name, _position in meta["signers"]:
            counts[code] = counts.get(code, 0) + 1
            stem = "signer" if counts[code] == 1 else f"signer-{counts[code]}"
            folder = out_dir / "agencies" / code
            pki.signers.setdefault(code, []).append(
                load_credential(folder / f"{stem}.pem", folder / f"{stem}.key", chain)
            )
        for hub_name in meta["hubs"]:
            folder = out_dir / "hubs" / hub_name
            pki.hubs[hub_name] = load_credential(folder / "cert.pem", folder / "key.pem", chain)
        pki._load_revoked()
        return pki

    # -- looking up -----------------------------------------------------------------------

    def organisation(self, code: str) -> Credential:
        return self.organisations[code]

    def signer(self, code: str) -> Credential:
        """The first personal signing certificate of the agency."""
        return self.signers[code][0]

    def hub(self, name: str) -> Credential:
        return self.hubs[name]

    def trust_roots(self) -> list[x509.Certificate]:
        return [self.root.certificate]

    @property
    def root_path(self) -> Path:
        return self.out_dir / "root.pem"

    # -- issuing --------------------------------------------------------------------------

    def issue_custom(
        self,
        *,
        common_name: str,
        not_before: datetime,
        not_after: datetime,
        agency_code: str | None = None,
        organisation: str | None = None,
        title: str | None = None,
        key_usage: Sequence[str] = SIGNING_KEY_USAGE,
        extended_key_usage: Sequence[x509.ObjectIdentifier] | None = None,
        issuer: Credential | None = None,
        dns_names: Sequence[str] = (),
        ip_addresses: Sequence[str] = (),
        key: rsa.RSAPrivateKey | None = None,
        with_revocation_urls: bool = True,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
    ) -> Credential:
        """An end-entity certificate (not written to disk). Tests use it for expired,
        not-yet-valid, wrong-key-usage certificates, or ones from another root (``issuer``)."""
        issuer = issuer or self.intermediate
        key = key or generate_key()
        attrs: list[tuple[x509.ObjectIdentifier, str]] = []
        if organisation:
            attrs.append((NameOID.ORGANIZATION_NAME, organisation))
        if title:
            attrs.append((NameOID.TITLE, title))
        if agency_code:
            attrs.append((NameOID.USER_ID, agency_code))
        attrs.append((NameOID.COMMON_NAME, common_name))
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(attrs))
            .issuer_name(issuer.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before.astimezone(UTC))
            .not_valid_after(not_after.astimezone(UTC))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(key_usage), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer.certificate.public_key()  # type: ignore[arg-type]
                ),
                False,
            )
        )
        if extended_key_usage:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), False)
        if dns_names or ip_addresses:
            sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
            sans += [x509.IPAddress(IPv4Address(ip)) for ip in ip_addresses]
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), False)
        if with_revocation_urls:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(ocsp_url or self.ocsp_url),
                        )
                    ]
                ),
                False,
            ).add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(crl_url or self.crl_url)],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                False,
            )
        cert = builder.sign(issuer.private_key, hashes.SHA256())
        self_signed = issuer.certificate.subject == issuer.certificate.issuer
        chain = () if self_signed else (issuer.certificate, *issuer.chain)
        return Credential(cert, key, chain)

    @staticmethod
    def issue_root(common_name: str, now: datetime) -> Credential:
        """A self-signed CA that nobody trusts (for CERTIFICATE_UNTRUSTED tests)."""
        key = generate_key()
        name = _name([(NameOID.COMMON_NAME, common_name)])
        cert = _ca_builder(name, name, key, key, now - timedelta(days=1), 3650, None).sign(
            key, hashes.SHA256()
        )
        return Credential(cert, key, ())

    # -- revocation -----------------------------------------------------------------------

    def revoke(
        self,
        serial: int,
        when: datetime,
        reason: x509.ReasonFlags | str = x509.ReasonFlags.unspecified,
    ) -> None:
        """Record a revocation in ``revoked.json``; the CRL and OCSP answers show it at once."""
        self._load_revoked()
        reason_value = reason.value if isinstance(reason, x509.ReasonFlags) else str(reason)
        x509.ReasonFlags(reason_value)  # refuse an unknown reason
        self._revoked[serial] = (when.astimezone(UTC), reason_value)
        data = {str(s): [w.isoformat(), r] for s, (w, r) in self._revoked.items()}
        path = self.out_dir / "revoked.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), "utf-8")
        tmp.replace(path)
        self._revoked_mtime = path.stat().st_mtime

    def revoked(self) -> dict[int, tuple[datetime, str]]:
        self._load_revoked()
        return dict(self._revoked)

    def _load_revoked(self) -> None:
        path = self.out_dir / "revoked.json"
        if not path.exists():
            return
        mtime = path.stat().st_mtime
        if mtime == self._revoked_mtime and self._revoked_mtime:
            return
        raw: dict[str, list[str]] = json.loads(path.read_text("utf-8") or "{}")
        self._revoked = {int(s): (datetime.fromisoformat(w), r) for s, (w, r) in raw.items()}
        self._revoked_mtime = mtime

    def crl(self, now: datetime, *, validity: timedelta = timedelta(hours=24)) -> bytes:
        """The intermediate CA's CRL (DER), listing every revocation recorded so far."""
        self._load_revoked()
        now = now.astimezone(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.intermediate.certificate.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + validity)
            .add_extension(x509.CRLNumber(int(now.timestamp())), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate.private_key.public_key()
                ),
                False,
            )
        )
        for serial, (when, reason) in sorted(self._revoked.items()):
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags(reason)), False)
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        crl = builder.sign(self.intermediate.private_key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)

    def ocsp_response(
        self, request_der: bytes, now: datetime, *, validity: timedelta = timedelta(hours=1)
    ) -> bytes:
        """Answer an OCSP request (DER) for a certificate issued by the intermediate or the
        root, signed by that CA directly. Malformed requests and other issuers get an
        unsigned error answer, as RFC 6960 says."""
        self._load_revoked()
        now = now.astimezone(UTC)
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        ca = self._issuer_for(request)
        if ca is None:
            return _ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        serial = request.serial_number
        revoked = self._revoked.get(serial) if ca is self.intermediate else None
        if revoked is not None and revoked[0] <= now:
            status = ocsp.OCSPCertStatus.REVOKED
            revoked_at: datetime | None = revoked[0]
            reason: x509.ReasonFlags | None = x509.ReasonFlags(revoked[1])
        else:
            status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=serial,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=now - timedelta(minutes=1),
            next_update=now + validity,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
        for ext in request.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                builder = builder.add_extension(ext.value, critical=False)
        response = builder.sign(ca.private_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def _issuer_for(self, request: ocsp.OCSPRequest) -> Credential | None:
        for ca in (self.intermediate, self.root):
            # The CertID of any certificate with this issuer carries the issuer's key hash.
            probe = (
                ocsp.OCSPRequestBuilder()
                .add_certificate(ca.certificate, ca.certificate, request.hash_algorithm)
                .build()
            )
            if probe.issuer_key_hash == request.issuer_key_hash:
                return ca
        return None


def _ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer_key: rsa.RSAPrivateKey,
    start: datetime,
    days: int,
    path_length: int | None,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(("key_cert_sign", "crl_sign", "digital_signature")), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )


def _check_safe(name: str) -> None:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"not usable as a folder name: {name!r}")
