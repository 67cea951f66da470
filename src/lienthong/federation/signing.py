"""Hub-to-hub trust: every forward request is signed by the forwarding hub.

The hub signs, with its hub key (``hub_key``/``hub_cert``, RSA), a compact JWS (RS256, the
receipt format of :mod:`lienthong.trust.receipts`) over the canonical JSON of::

    {"hub", "message_id", "sha256", "hops", "targets", "iat"}

``sha256`` is the digest of the request body (the package, byte for byte as its sender signed
it), so the signature covers the package, the hop list and the recipients the next hub takes on.
The receiving hub verifies it against the certificate that the routing directory lists for
``hub`` (not merely the one the JWS carries), and refuses a hub the directory does not list
(HUB_UNKNOWN), a signature that does not verify or comes from another certificate, and one
older or newer than the allowed window (HUB_SIGNATURE_INVALID).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from lienthong.errors import ErrorCode, LienthongError
from lienthong.federation.model import Hop, parse_hops
from lienthong.trust.receipts import ReceiptSigner, verify_jws


class HubSignatureError(LienthongError):
    default_code = ErrorCode.HUB_SIGNATURE_INVALID


@dataclass(frozen=True)
class ForwardClaims:
    hub: str
    message_id: str
    sha256: str
    hops: list[Hop]
    targets: list[str]
    iat: datetime

    @staticmethod
    def unverified_hub(token: str) -> str | None:
        """The ``hub`` a token claims, read before verification to find its certificate."""
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
            raise HubSignatureError("The hub signature is not a compact JWS.") from None
        hub = claims.get("hub") if isinstance(claims, dict) else None
        return hub if isinstance(hub, str) else None


def sign_forward(
    signer: ReceiptSigner,
    *,
    hub: str,
    message_id: str,
    sha256: str,
    hops: list[dict[str, str]],
    targets: list[str],
    now: datetime,
) -> str:
    return signer.sign_claims(
        {
            "hub": hub,
            "message_id": message_id,
            "sha256": sha256,
            "hops": hops,
            "targets": targets,
            "iat": now.isoformat(),
        }
    )


def verify_forward(
    token: str, certificate: str | x509.Certificate, now: datetime, window: timedelta
) -> ForwardClaims:
    """The claims of a forward signature made with the key of ``certificate`` (PEM or loaded),
    the certificate the directory lists for the hub."""
    try:
        claims, certs = verify_jws(token)
    except LienthongError as exc:
        raise HubSignatureError(exc.message) from exc
    listed = (
        x509.load_pem_x509_certificate(certificate.encode("ascii"))
        if isinstance(certificate, str)
        else certificate
    )
    if not listed.not_valid_before_utc <= now <= listed.not_valid_after_utc:
        raise HubSignatureError("The hub certificate the directory lists is not valid now.")
    if certs[0] != listed:
        raise HubSignatureError(
            "The request is signed with another certificate than the directory lists for this hub."
        )
    try:
        parsed = ForwardClaims(
            hub=str(claims["hub"]),
            message_id=str(claims["message_id"]),
            sha256=str(claims["sha256"]),
            hops=parse_hops(claims["hops"]),
            targets=[str(t) for t in claims["targets"]],
            iat=datetime.fromisoformat(str(claims["iat"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise HubSignatureError("The forward claims are incomplete.") from exc
    if abs(now - parsed.iat) > window:
        raise HubSignatureError(
            "The forward signature is outside the allowed time window.",
            detail={"iat": parsed.iat.isoformat()},
        )
    return parsed
