"""Settings, read once from the environment (prefix ``LIENTHONG_``) and handed down explicitly.

Every setting is documented in ``docs/configuration.md``; keep the two in step.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The hub's configuration. Construct once in the composition root and pass it down."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", extra="ignore")

    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db (default "
            "sqlite:///<data_dir>/lienthong.db: each data folder its own database)"
        ),
    )
    data_dir: Path = Field(default=Path("var"), description="Where local data lives")
    blob_backend: str = Field(default="local", description="'local' folder or 's3'")
    blob_dir: Path | None = Field(
        default=None, description="Folder of the local blob store (default: <data_dir>/blobs)"
    )
    s3_endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint")
    s3_bucket: str = Field(default="lienthong", description="S3 bucket for blobs")
    s3_region: str = Field(default="us-east-1", description="S3 region name")
    s3_access_key: str | None = Field(default=None, description="S3 access key id")
    s3_secret_key: str | None = Field(default=None, description="S3 secret access key")
    secret_key: str | None = Field(
        default=None,
        description=(
            "Hub master key (urlsafe base64, 32 bytes) sealing agency secrets needed for "
            "the axis protocol HMAC. Generated into <data_dir>/secret.key when absent."
        ),
    )
    previous_secret_keys: str | None = Field(
        default=None,
        description=(
            "Master keys being rotated out (comma-separated): sealed secrets still open under "
            "them until `lienthong secrets reseal` moves them to SECRET_KEY"
        ),
    )
    hub_code: str = Field(default="000.00.00.G22", description="Identifier of this hub's operator")
    hub_name: str = Field(default="Trục liên thông văn bản quốc gia", description="Hub name")
    max_package_bytes: int = Field(
        default=300 * 1024 * 1024, description="Largest package accepted, in bytes"
    )
    http_keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        description=(
            "Seconds an idle HTTP connection is kept open. Longer than clients keep idle "
            "connections in their pools (httpx: 5 s), so a client never reuses a connection at "
            "the moment the hub closes it (a request lost in flight)"
        ),
    )
    http_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds a connection may take to send a request's line and headers (counted from "
            "its first byte, or from the connection's opening); then it is closed (slowloris)"
        ),
    )
    http_body_idle_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "Seconds a request body may stall (no byte arriving while the hub waits for one) "
            "before the connection is closed; a large upload that keeps flowing is not cut"
        ),
    )
    http_max_connections_per_address: int = Field(
        default=64,
        ge=0,
        description=(
            "Open connections one client address may hold per worker process; one more is "
            "closed at once (0: no cap). Behind a reverse proxy, the proxy's own limit applies "
            "per client and the proxy's address is exempt (see trusted_proxies)"
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses of reverse proxies whose X-Forwarded-For, "
            "X-Forwarded-Proto and verified-client headers (X-Client-Verify: SUCCESS, "
            "X-Client-Cert) are believed; from any other address those headers are ignored"
        ),
    )
    max_header_bytes: int = Field(
        default=2 * 1024 * 1024,
        description="Largest total of non-attachment XML text accepted (envelope, header)",
    )
    max_attachments: int = Field(default=200, description="Most attachments in one package")
    max_inflated_attachment_bytes: int = Field(
        default=225 * 1024 * 1024,
        ge=1,
        description=(
            "Largest size a zipped attachment may inflate to, in bytes (all its files "
            "together, counted while inflating, not taken from the zip's headers): beyond it "
            "the package is refused (ATTACHMENT_INFLATES_TOO_LARGE, a ZIP bomb) and nothing "
            "is stored. The default is the most attachment bytes a package of "
            "max_package_bytes can carry (base64: 3/4 of it), so no honest file is refused"
        ),
    )
    reporting_exchange_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description=(
            "Largest ADX or DHIS2 dataValueSets file a reporting import accepts, in bytes "
            "(counted while the body is read, so a larger one is refused with "
            "REPORT_FILE_TOO_LARGE without being read whole; 64 MiB holds some 700,000 ADX "
            "values)"
        ),
    )
    axis_timestamp_window_seconds: int = Field(
        default=300, description="Axis protocol: how far a request timestamp may be from now"
    )
    lgsp_token_seconds: int = Field(
        default=3600,
        ge=60,
        le=86400,
        description=(
            "LGSP style: lifetime of an access token from POST /token, in seconds (the "
            "platform's usual hour)"
        ),
    )
    sqlite_synchronous: str = Field(
        default="FULL", description="SQLite PRAGMA synchronous (FULL survives power loss)"
    )
    db_pool_size: int = Field(default=10, description="PostgreSQL connection pool size")
    log_level: str = Field(default="INFO", description="Log level")
    log_json: bool = Field(default=True, description="Log as JSON lines (false: console)")
    page_size_max: int = Field(default=500, description="Largest page of a cursor listing")
    hub_cert: Path | None = Field(
        default=None,
        description=(
            "PEM certificate of the hub (its chain may follow in the file): signs receipts "
            "and audit checkpoints. Without it and hub_key, send answers carry no receipt"
        ),
    )
    hub_key: Path | None = Field(default=None, description="PEM RSA private key of hub_cert")
    tls_cert: Path | None = Field(
        default=None, description="`lienthong serve`: PEM server certificate (enables HTTPS)"
    )
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert")
    tls_ca: Path | None = Field(
        default=None,
        description=(
            "PEM CA certificates that issue agency client certificates (mutual TLS): a verified "
            "certificate's subject UID authenticates the agency instead of HTTP Basic"
        ),
    )
    tls_client_cert: str = Field(
        default="optional",
        description=(
            "With tls_ca: 'optional' (a client certificate or HTTP Basic) or 'required' "
            "(TLS refuses a client without a valid certificate)"
        ),
    )
    audit_seal_interval_seconds: float = Field(
        default=1.0,
        description=(
            "The hub seals new audit rows into the hash chain in a background thread, woken "
            "after each accepted package and every this many seconds; 0 disables it "
            "(then run `lienthong audit seal` periodically)"
        ),
    )
    trust_policy: str = Field(
        default="enforce",
        description=(
            "Package signatures (Decision 28/2018): 'enforce' refuses documents (new, revoke, "
            "update, replace) that are unsigned or invalid and status packages whose signature "
            "is invalid, 'warn' only records the validation report, 'off' skips verification"
        ),
    )
    trust_require_signed_status: bool = Field(
        default=False,
        description=(
            "Under 'enforce', also refuse unsigned status packages (SIGNATURE_MISSING). Off by "
            "default: Decision 28/2018 requires the signature on documents, and the official "
            "SDK's status packages and the document software in use send statuses unsigned"
        ),
    )
    pki_dir: Path | None = Field(
        default=None,
        description="Folder of the demo PKI (`lienthong pki init-demo`; default <data_dir>/pki)",
    )
    trusted_roots: Path | None = Field(
        default=None,
        description="PEM file of the trusted root CAs (default <pki_dir>/root.pem)",
    )
    revocation_grace_hours: int = Field(
        default=24,
        description="Responder unreachable: how old a cached OCSP/CRL answer may still be used",
    )
    revocation_refresh_seconds: int = Field(
        default=600, description="How long an OCSP/CRL answer is used before asking again"
    )
    refuse_unknown_revocation: bool = Field(
        default=False,
        description=(
            "Under 'enforce', refuse a signature whose revocation status is unknown "
            "(REVOCATION_UNKNOWN, nothing stored): no responder answered and no cached answer "
            "is within revocation_grace_hours, or the certificate names no OCSP responder or "
            "CRL. false: accept it, the report recording the unknown status (an explicit "
            "opt-out)"
        ),
    )
    allow_sha1_legacy: bool = Field(
        default=True,
        description="Verify legacy RSA-SHA1 package signatures (reported with a warning)",
    )

    demo_responder_port: int = Field(
        default=8089,
        ge=1,
        le=65535,
        description=(
            "`lienthong demo run` (`make run`): loopback port of the demo PKI's OCSP responder "
            "and CRL. The demo certificates carry its URLs (made again when the port changes); "
            "a port already taken stops the demo with a message"
        ),
    )
    demo_remote_signing_port: int = Field(
        default=8700,
        ge=1,
        le=65535,
        description=(
            "`lienthong demo run` (`make run`): loopback port of the demo remote signing "
            "service (CSC API v2 style; the leaders' approval pages at /ky-so-tu-xa/yeu-cau/ID, "
            "the demo SMS outbox at /ky-so-tu-xa/tin-nhan/USER) through which the demo leaders "
            "sign; a port already taken: a free one, printed in the banner"
        ),
    )

    hub_id: str | None = Field(
        default=None,
        description=(
            "Federation: this hub's identifier (the value of agencies' hub_code on other hubs; "
            "by custom its operator's agency identifier). Unset: federation off"
        ),
    )
    national_hub_url: str | None = Field(
        default=None,
        description=(
            "Federation: base URL of the national hub. Unset on the national hub itself; set "
            "on a ministry or provincial hub (LGSP), which pulls the routing directory from it "
            "and forwards everything not served locally to it"
        ),
    )
    national_hub_id: str | None = Field(
        default=None,
        description="Federation: the national hub's identifier (with national_hub_url)",
    )
    federation_pull_seconds: float = Field(
        default=15.0, description="Federation: how often the routing directory is pulled"
    )
    federation_poll_seconds: float = Field(
        default=1.0,
        description=(
            "Federation: how often the outbox is polled (a package accepted by this process "
            "wakes the forwarder at once)"
        ),
    )
    federation_timeout_seconds: float = Field(
        default=10.0, description="Federation: timeout of one forward request to the next hub"
    )
    federation_forward_concurrency: int = Field(
        default=4,
        ge=1,
        description=(
            "Federation: forwards in flight at once per hub process (the items of one "
            "document still go one after the other, in order)"
        ),
    )
    federation_mtls: str = Field(
        default="required",
        description=(
            "Federation: 'required': a forwarded package is accepted only over TLS with a "
            "client certificate equal to the hub certificate the directory lists for the "
            "forwarding hub (HUB_TLS_REQUIRED, HUB_UNKNOWN otherwise), and this hub presents "
            "hub_cert/hub_key to the next hub; 'off': the signed forward alone (development "
            "over plain HTTP)"
        ),
    )
    federation_ca: Path | None = Field(
        default=None,
        description=(
            "Federation: PEM CA certificates that the other hubs' server certificates are "
            "checked against (default: tls_ca, else the system's trust store)"
        ),
    )
    retry_first_seconds: float = Field(
        default=5.0, description="Federation: delay before the first retry of a failed forward"
    )
    retry_factor: float = Field(
        default=2.0, description="Federation: each further retry waits this many times longer"
    )
    retry_max_seconds: float = Field(
        default=600.0, description="Federation: the longest wait between two retries"
    )
    retry_max_attempts: int = Field(
        default=20,
        description=(
            "Federation: after this many failed attempts a forward is dead-lettered (an "
            "operator re-sends it with `lienthong federation resend ID`)"
        ),
    )
    redirect_merged: bool = Field(
        default=False,
        description=(
            "A package to an agency merged into a successor is refused (RECIPIENT_MERGED); "
            "true: delivered to the successor instead, with a trace note"
        ),
    )

    storage_retry_after_seconds: int = Field(
        default=5,
        ge=1,
        description=(
            "A storage failure (database unreachable, disk full or read-only, object store "
            "unreachable) answers 503 STORAGE_UNAVAILABLE with this Retry-After: nothing was "
            "stored, the same request (same idempotency key) may be sent again"
        ),
    )
    storage_free_margin_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=0,
        description=(
            "Readiness (/readyz): the local blob store and the staging folder must each have "
            "at least this many bytes free (a full disk turns the hub not ready before sends "
            "fail)"
        ),
    )
    blob_gc_grace_seconds: int = Field(
        default=24 * 3600,
        ge=0,
        description=(
            "`lienthong blobs gc`: a blob no row refers to is removed only once it is older "
            "than this (written or re-written by a send). Longer than any request takes, so a "
            "blob a committing transaction is about to refer to is never removed"
        ),
    )
    blob_fixity_interval_seconds: float = Field(
        default=7 * 24 * 3600.0,
        ge=0,
        description=(
            "How often the hub re-hashes every stored blob a row refers to and reports any "
            "whose bytes no longer match its SHA-256 name, or that is gone (fixity audit; "
            "`lienthong blobs fixity` runs one now); 0: never"
        ),
    )
    blob_gc_interval_seconds: float = Field(
        default=3600.0,
        ge=0,
        description=(
            "How often each hub process runs the blob garbage collection and removes staging "
            "folders left by a crash (one process per host at a time); 0 disables it (then "
            "run `lienthong blobs gc` periodically)"
        ),
    )

    calendar_file: Path | None = Field(
        default=None,
        description=(
            "Working-day calendar: TOML or JSON file with `days_off` (compensatory days off) "
            "and `working_days` (make-up working Saturdays) announced by the Government"
        ),
    )
    calendar_days_off: str = Field(
        default="",
        description="Working-day calendar: extra days off, comma-separated ISO dates",
    )
    calendar_working_days: str = Field(
        default="",
        description="Working-day calendar: extra working days, comma-separated ISO dates",
    )
    clerk_processing_days: int = Field(
        default=10,
        ge=0,
        description=(
            "Clerk application: the internal processing deadline (hạn xử lý) a received "
            "document gets when registered, in working days after registration, when its "
            "sender asked for none (the sender's DueDate is the default otherwise); 0: none"
        ),
    )

    remote_signing_url: str | None = Field(
        default=None,
        description=(
            "Clerk application: the remote signing service (CSC API v2 style, e.g. "
            "https://host/csc/v2) through which leaders sign drafts with the key on their "
            "phone or SIM; unset: the demo keys on the server sign"
        ),
    )
    remote_signing_token: str = Field(
        default="",
        description="Clerk application: the hub's bearer token at the remote signing service",
    )

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> Settings:
        # Derived from data_dir, not the working directory: a second hub given only another
        # data folder must never open the first hub's database.
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'lienthong.db'}"
        return self

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def resolved_pki_dir(self) -> Path:
        return self.pki_dir if self.pki_dir is not None else self.data_dir / "pki"

    @property
    def resolved_trusted_roots(self) -> Path:
        if self.trusted_roots is not None:
            return self.trusted_roots
        return self.resolved_pki_dir / "root.pem"

    @property
    def trusted_proxy_addresses(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())

    @property
    def staging_dir(self) -> Path:
        """Request bodies and decoded attachments wait here until the transaction commits."""
        return self.data_dir / "staging"


# The settings a serving parent process hands to its uvicorn workers (JSON of every field).
HANDOFF_ENV = "LIENTHONG_SETTINGS_JSON"


def hand_to_workers(settings: Settings) -> None:
    """Make ``settings`` what :func:`load_settings` returns in this process and its children
    (uvicorn imports the app factory in each worker; the environment is what they inherit)."""
    os.environ[HANDOFF_ENV] = settings.model_dump_json()


def load_settings() -> Settings:
    """The settings handed down by a serving parent (``lienthong serve``, ``demo run``), else
    those of the environment."""
    raw = os.environ.get(HANDOFF_ENV)
    return Settings.model_validate_json(raw) if raw else Settings()


def render_markdown() -> str:
    """Every setting as Markdown, for ``docs/configuration.md``."""
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable with the prefix `LIENTHONG_`, read once at",
        "start-up (`src/lienthong/config.py`). Generated by `lienthong settings > "
        "docs/configuration.md`.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "(none)" if default in (None, "") else f"`{default}`"
        lines.append(f"| `LIENTHONG_{name.upper()}` | {shown} | {info.description or ''} |")
    lines += [
        "",
        "## Trust policy by message kind",
        "",
        "Decision 28/2018/QĐ-TTg (Art. 8-10) requires every document exchanged on the axis to",
        "carry the sending agency's digital signature, and Decree 30/2020/NĐ-CP makes",
        "the receiver check its authenticity and integrity (Circular 41/2017/TT-BTTTT Art. 7: how",
        "the signature is checked). Under `enforce` (the default):",
        "",
        "| package | unsigned | signed, signature valid | signed, signature fails |",
        "|---|---|---|---|",
        "| document: new, revoke, update, replace | refused `SIGNATURE_MISSING` | accepted |"
        " refused with the failed check's code |",
        "| status (01-06, 13, 15, 16) | accepted, reported as a warning"
        " (`LIENTHONG_TRUST_REQUIRE_SIGNED_STATUS=true`: refused) | accepted |"
        " refused with the failed check's code |",
        "",
        "Statuses are transport and handling notices, not documents: the official SDK's status",
        "samples carry no signature, and the document software in use sends them that way, so",
        "refusing them would cut those agencies off. The hub's own components (the clerk",
        "application, issuance) sign every package they build with the sending agency's",
        "organisation credential when the hub holds one. Under `warn` nothing is refused and",
        "the report records what `enforce` would have refused (`would_refuse`).",
        "",
        "## Serving",
        "",
        "`lienthong serve` and `lienthong demo run` hand their settings to every uvicorn worker",
        "(`LIENTHONG_SETTINGS_JSON`, set by the serving process): a worker runs exactly the",
        "settings its parent resolved, options included.",
        "",
        "Other variables: `PORT` (the port of `make run` and `lienthong serve`, default 8080);",
        "`PROMETHEUS_MULTIPROC_DIR` (set automatically when serving with several workers).",
    ]
    return "\n".join(lines) + "\n"
