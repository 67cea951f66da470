"""XML-DSig on edXML packages: enveloped, ``Reference URI=""`` (the whole package), RSA-SHA256,
exclusive c14n; legacy RSA-SHA1 packages verified when allowed. Built on signxml.

Placement follows the published samples: the ``ds:Signature`` is the last child of
``edXMLHeader`` (the root ``edXML`` is accepted too). Against signature wrapping: exactly one
``ds:Signature`` in the package, in one of those places, with exactly one ``Reference`` whose
URI is ``""``; and callers trust only :attr:`VerifiedSignature.signed_data`, the bytes that
signxml says were signed (see ``policy``, which re-reads them and compares).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.util import _remove_sig
from signxml.verifier import SignatureConfiguration, XMLVerifier

from lienthong.edxml.model import NS
from lienthong.errors import ErrorCode
from lienthong.trust.pki import Credential

__all__ = [
    "DSIG_NS",
    "PackageSigner",
    "SignatureCheckError",
    "SignatureProblem",
    "VerifiedSignature",
    "safe_parser",
    "verify_package_signature",
]

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
_NSMAP = {"ds": DSIG_NS, "e": NS}
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value
_ALLOWED_PARENTS = frozenset({f"{{{NS}}}edXMLHeader", f"{{{NS}}}edXML"})
_MODERN_METHODS = frozenset(
    {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
)
_MODERN_DIGESTS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)


def safe_parser() -> etree.XMLParser:
    """huge_tree for attachments over 10 M characters; never entities, DTDs or the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        collect_ids=False,
    )


class SignatureCheckError(Exception):
    """The signature is absent or does not verify. ``check`` names the report check."""

    def __init__(self, check: str, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.code = code
        self.message = message


SignatureProblem = SignatureCheckError  # the name other modules first imported


@dataclass(frozen=True)
class VerifiedSignature:
    certificate: x509.Certificate  # the signing certificate (from KeyInfo)
    chain: tuple[x509.Certificate, ...]  # the other certificates KeyInfo carried
    signature_method: str
    legacy_sha1: bool
    signed_data: bytes  # canonical bytes of what was signed: the only thing to trust
    # True when the package minus its one ds:Signature canonicalises to ``signed_data``, i.e.
    # every byte a reader of the package sees, outside the signature, was signed.
    document_is_signed_data: bool = False


class _Signer(XMLSigner):
    """signxml's signer with our parser (huge_tree, no entities), for big packages."""

    @property
    def parser(self) -> etree.XMLParser:
        return safe_parser()


class _Sha1Signer(_Signer):
    """Legacy RSA-SHA1 signing, only to build test packages like the old systems send."""

    def check_deprecated_methods(self) -> None:
        return None


class PackageSigner:
    """Signs packages with one credential (the key is parsed once, by the credential)."""

    def __init__(self, credential: Credential, *, legacy_sha1: bool = False) -> None:
        self.credential = credential
        self._certs = [credential.certificate, *credential.chain]
        signer_class = _Sha1Signer if legacy_sha1 else _Signer
        self._signer = signer_class(
            signature_algorithm=(
                SignatureMethod.RSA_SHA1 if legacy_sha1 else SignatureMethod.RSA_SHA256
            ),
            digest_algorithm=DigestAlgorithm.SHA1 if legacy_sha1 else DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )

    def sign(self, data: bytes) -> bytes:
        """The package with a ``ds:Signature`` appended to its ``edXMLHeader``."""
        root = etree.fromstring(data, safe_parser())
        header = root.find(".//e:edXMLHeader", _NSMAP)
        parent = header if header is not None else root
        placeholder = etree.SubElement(parent, f"{{{DSIG_NS}}}Signature", nsmap={"ds": DSIG_NS})
        placeholder.set("Id", "placeholder")
        signed = self._signer.sign(root, key=self.credential.private_key, cert=self._certs)
        out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
        return out


def _config(allow_sha1: bool, at: Any) -> SignatureConfiguration:
    methods: frozenset[SignatureMethod] = _MODERN_METHODS
    digests: frozenset[DigestAlgorithm] = _MODERN_DIGESTS
    if allow_sha1:
        methods = methods | {SignatureMethod.RSA_SHA1}
        digests = digests | {DigestAlgorithm.SHA1}
    return replace(
        SignatureConfiguration(),
        expect_references=1,
        signature_methods=methods,
        digest_algorithms=digests,
        verification_time=at,
    )


def verify_package_signature(data: bytes, *, allow_sha1: bool) -> VerifiedSignature:
    """Check the signature's shape, then verify it with signxml against the certificate in
    KeyInfo. Certificate validity, path and revocation are *not* judged here (see ``certs``).

    Raises :class:`SignatureCheckError`: ``SIGNATURE_MISSING`` when there is no signature,
    ``SIGNATURE_NOT_XMLDSIG`` when the only one is an edXML-namespace ``Signature`` (the
    official SDK's samples), ``SIGNATURE_INVALID`` otherwise (``check`` = integrity or signature).
    """
    parser = safe_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SignatureCheckError("integrity", ErrorCode.SIGNATURE_INVALID, str(exc)) from None
    signatures = root.findall(".//ds:Signature", _NSMAP)
    if not signatures:
        if root.find(".//e:Signature", _NSMAP) is not None:
            raise SignatureCheckError(
                "signature",
                ErrorCode.SIGNATURE_NOT_XMLDSIG,
                "The Signature element is in the edXML namespace "
                f"{NS}, not in the XML-DSig namespace {DSIG_NS}: it cannot be "
                f'verified. The sender must declare xmlns="{DSIG_NS}" on Signature (SignedInfo, '
                "SignatureValue and KeyInfo inherit it), put its certificate in "
                "KeyInfo/X509Data and sign the package again.",
            )
        raise SignatureCheckError("signature", ErrorCode.SIGNATURE_MISSING, "No ds:Signature.")
    if len(signatures) != 1:
        raise SignatureCheckError(
            "signature",
            ErrorCode.SIGNATURE_INVALID,
            f"Exactly one ds:Signature is allowed; found {len(signatures)}.",
        )
    signature = signatures[0]
    parent = signature.getparent()
    if parent is None or parent.tag not in _ALLOWED_PARENTS:
        raise SignatureCheckError(
            "signature",
            ErrorCode.SIGNATURE_INVALID,
            "The ds:Signature must be a child of edXMLHeader or of the root.",
        )
    references = signature.findall("ds:SignedInfo/ds:Reference", _NSMAP)
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureCheckError(
            "signature",
            ErrorCode.SIGNATURE_INVALID,
            'The signature must have exactly one Reference, with URI="" (the whole package).',
        )
    certs = _certificates(signature)
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", _NSMAP)
    method_uri = method.get("Algorithm", "") if method is not None else ""
    leaf = certs[0]
    try:
        result = XMLVerifier().verify(
            data,
            x509_cert=leaf,
            parser=parser,
            # Validity is judged at signing time by ``certs``; here only the mathematics.
            expect_config=_config(allow_sha1, leaf.not_valid_before_utc),
        )
    except InvalidDigest as exc:
        raise SignatureCheckError("integrity", ErrorCode.SIGNATURE_INVALID, str(exc)) from None
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureCheckError("signature", ErrorCode.SIGNATURE_INVALID, str(exc)) from None
    except ValueError as exc:  # an unknown algorithm URI
        raise SignatureCheckError("signature", ErrorCode.SIGNATURE_INVALID, str(exc)) from None
    if isinstance(result, list):  # expect_references=1 gives one result
        raise SignatureCheckError("signature", ErrorCode.SIGNATURE_INVALID, "Several references.")
    signed_data = bytes(result.signed_data)
    return VerifiedSignature(
        certificate=leaf,
        chain=tuple(certs[1:]),
        signature_method=method_uri,
        legacy_sha1=method_uri == SignatureMethod.RSA_SHA1.value,
        signed_data=signed_data,
        document_is_signed_data=_same_as_document(root, signature, references[0], signed_data),
    )


def _same_as_document(root: Any, signature: Any, reference: Any, signed_data: bytes) -> bool:
    """Canonicalise our own reading of the package, minus the signature, as signxml did for
    the usual transforms (enveloped + exclusive c14n) and compare with what it verified."""
    transforms = [
        t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", _NSMAP)
    ]
    if transforms != [_ENVELOPED, _EXC_C14N]:
        return False
    if reference.find(f".//{{{_EXC_C14N}}}InclusiveNamespaces") is not None:
        return False
    _remove_sig(signature)  # type: ignore[no-untyped-call]  # signxml's own removal, so that tails are handled alike
    ours: bytes = etree.tostring(root, method="c14n", exclusive=True, with_comments=False)
    return ours == signed_data


def _certificates(signature: Any) -> list[x509.Certificate]:
    texts = [
        el.text or ""
        for el in signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NSMAP)
    ]
    if not texts:
        raise SignatureCheckError(
            "signature", ErrorCode.SIGNATURE_INVALID, "KeyInfo carries no X509Certificate."
        )
    certs = []
    for text in texts:
        body = "".join(text.split())
        pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
        try:
            certs.append(x509.load_pem_x509_certificate(pem.encode()))
        except ValueError:
            raise SignatureCheckError(
                "signature",
                ErrorCode.SIGNATURE_INVALID,
                "A certificate in KeyInfo cannot be read.",
            ) from None
    return certs
