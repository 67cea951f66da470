"""Per-agency TLS client certificate fingerprints (issue 18 item 9): an agency that registered
fingerprints is authenticated over mutual TLS by those certificates only; one that registered
none by a certificate for clientAuth. The service and its refusals on SQLite and PostgreSQL;
the command line on SQLite; over real mutual TLS in tests/e2e/test_gateway_mtls.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from typer.testing import CliRunner

from lienthong.agencies.cli import agencies_app
from lienthong.agencies.model import Level, NewAgency, tls_client_refusal
from lienthong.agencies.service import AgencyService
from lienthong.agencies.store import TlsFingerprintRow
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.web.auth import certificate_agency_code
from tests.integration.agencies.conftest import NOW
from tests.integration.agencies.test_agency_cli import cli_db, service_on  # noqa: F401
from tests.support import NGHE_AN, shared_pki

FP_A = "ab" * 32
FP_B = "cd" * 32
runner = CliRunner()


def fingerprints(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(TlsFingerprintRow.agency_code, TlsFingerprintRow.fingerprint).order_by(
                TlsFingerprintRow.fingerprint
            )
        )
        return [(code, fp) for code, fp in rows]


@pytest.fixture
def registered(service: AgencyService) -> AgencyService:
    service.register(NewAgency(code=NGHE_AN, name="UBND tỉnh Nghệ An", level=Level(1)))
    return service


def test_an_agency_registers_lists_and_removes_fingerprints(
    registered: AgencyService, db: Database
) -> None:
    typed = ":".join(FP_A[i : i + 2].upper() for i in range(0, 64, 2))  # openssl's form
    assert registered.add_tls_fingerprint(NGHE_AN, f"SHA256 Fingerprint={typed}") == FP_A
    assert registered.add_tls_fingerprint(NGHE_AN, FP_A) == FP_A  # twice: no change
    registered.add_tls_fingerprint(NGHE_AN, FP_B)
    assert [fp for fp, _ in registered.tls_fingerprints(NGHE_AN)] == [FP_A, FP_B]
    assert registered.tls_fingerprints(NGHE_AN)[0][1] == NOW
    assert registered.remove_tls_fingerprint(NGHE_AN, FP_A) is True
    assert registered.remove_tls_fingerprint(NGHE_AN, FP_A) is False
    assert fingerprints(db) == [(NGHE_AN, FP_B)]


@pytest.mark.parametrize(
    "typed", ["", "ab" * 31, "zz" * 32, "ab" * 33, "sha1:" + "ab" * 20, "ab" * 31 + "a;"]
)
def test_a_fingerprint_that_is_not_sha256_hex_is_refused_and_nothing_stored(
    registered: AgencyService, db: Database, typed: str
) -> None:
    with pytest.raises(LienthongError) as caught:
        registered.add_tls_fingerprint(NGHE_AN, typed)
    assert caught.value.code is ErrorCode.TLS_FINGERPRINT_INVALID
    assert fingerprints(db) == []


def test_a_fingerprint_for_an_unknown_agency_is_refused_and_nothing_stored(
    service: AgencyService, db: Database
) -> None:
    with pytest.raises(LienthongError) as caught:
        service.add_tls_fingerprint(NGHE_AN, FP_A)
    assert caught.value.code is ErrorCode.AGENCY_UNKNOWN
    assert fingerprints(db) == []


def test_without_fingerprints_the_clientauth_rule_holds(registered: AgencyService) -> None:
    assert registered.authenticate_certificate(NGHE_AN, FP_A, client_auth=True) == NGHE_AN
    with pytest.raises(LienthongError) as caught:
        registered.authenticate_certificate(NGHE_AN, FP_A, client_auth=False)
    assert caught.value.code is ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS


def test_with_fingerprints_only_the_registered_certificates_authenticate(
    registered: AgencyService,
) -> None:
    registered.add_tls_fingerprint(NGHE_AN, FP_A)
    assert registered.authenticate_certificate(NGHE_AN, FP_A, client_auth=True) == NGHE_AN
    # Registered: authenticates even without clientAuth (the operator vouched for it).
    assert registered.authenticate_certificate(NGHE_AN, FP_A, client_auth=False) == NGHE_AN
    for client_auth in (True, False):
        with pytest.raises(LienthongError) as caught:
            registered.authenticate_certificate(NGHE_AN, FP_B, client_auth=client_auth)
        assert caught.value.code is ErrorCode.CLIENT_CERTIFICATE_NOT_REGISTERED
    registered.remove_tls_fingerprint(NGHE_AN, FP_A)  # the last one: clientAuth again
    assert registered.authenticate_certificate(NGHE_AN, FP_B, client_auth=True) == NGHE_AN


def test_a_certificate_of_an_unregistered_agency_fails_authentication(
    service: AgencyService,
) -> None:
    with pytest.raises(LienthongError) as caught:
        service.authenticate_certificate(NGHE_AN, FP_A, client_auth=True)
    assert caught.value.code is ErrorCode.AUTH_FAILED


def test_the_certificate_rule_reads_the_certificate_it_is_given() -> None:
    pki = shared_pki()
    organisation = pki.organisation(NGHE_AN).certificate  # clientAuth
    fingerprint = organisation.fingerprint(hashes.SHA256()).hex()
    assert certificate_agency_code(organisation) == NGHE_AN
    assert certificate_agency_code(organisation, [fingerprint]) == NGHE_AN
    with pytest.raises(LienthongError) as caught:
        certificate_agency_code(organisation, [FP_A])
    assert caught.value.code is ErrorCode.CLIENT_CERTIFICATE_NOT_REGISTERED
    signer = pki.issue_custom(
        common_name="Nguyễn Văn An",
        agency_code=NGHE_AN,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        extended_key_usage=(ExtendedKeyUsageOID.EMAIL_PROTECTION,),
    ).certificate
    assert (
        tls_client_refusal([], "x", client_auth=False) is ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS
    )
    registered = [signer.fingerprint(hashes.SHA256()).hex()]
    assert certificate_agency_code(signer, registered) == NGHE_AN


def test_the_command_line_adds_lists_and_removes(
    cli_db: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    service_on(cli_db).register(NewAgency(code=NGHE_AN, name="UBND tỉnh Nghệ An", level=Level(1)))
    result = runner.invoke(agencies_app, ["list-tls-fingerprints", NGHE_AN])
    assert result.exit_code == 0 and "registered none" in result.output, result.output
    result = runner.invoke(agencies_app, ["add-tls-fingerprint", NGHE_AN, FP_A.upper()])
    assert result.exit_code == 0, result.output
    pem = tmp_path / "org.pem"
    credential = shared_pki().organisation(NGHE_AN)
    pem.write_bytes(credential.cert_pem)
    result = runner.invoke(
        agencies_app, ["add-tls-fingerprint", NGHE_AN, "--certificate", str(pem)]
    )
    assert result.exit_code == 0, result.output
    from_file = credential.certificate.fingerprint(hashes.SHA256()).hex()
    listed = runner.invoke(agencies_app, ["list-tls-fingerprints", NGHE_AN])
    assert FP_A in listed.output and from_file in listed.output, listed.output
    refused = runner.invoke(agencies_app, ["add-tls-fingerprint", NGHE_AN, "not-hex"])
    assert refused.exit_code == 1 and "TLS_FINGERPRINT_INVALID" in refused.output
    removed = runner.invoke(agencies_app, ["remove-tls-fingerprint", NGHE_AN, FP_A])
    assert removed.exit_code == 0, removed.output
    again = runner.invoke(agencies_app, ["remove-tls-fingerprint", NGHE_AN, FP_A])
    assert again.exit_code == 1
    assert fingerprints(cli_db) == [(NGHE_AN, from_file)]
