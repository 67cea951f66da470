"""The composition root: settings in, wired services out. Built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from lienthong.accounts.service import AccountService
from lienthong.agencies.service import AgencyService
from lienthong.audit.service import AuditService, BackgroundSealer
from lienthong.blobs import BlobStore, make_blob_store
from lienthong.blobs.gc import Collector, PeriodicCollector, blob_columns
from lienthong.clerk.service import ClerkService
from lienthong.clock import Clock, SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.edxml.model import Limits
from lienthong.exchange.service import ExchangeService, PackageVerifier
from lienthong.federation.service import FederationService
from lienthong.federation.wiring import build_federation
from lienthong.federation.worker import FederationWorker
from lienthong.health.service import HealthService
from lienthong.issuance.service import IssuanceService
from lienthong.lgsp.service import LgspService
from lienthong.notifications.service import NotificationService
from lienthong.schema import load_all
from lienthong.secrets import Sealer, sealer_from
from lienthong.stats.service import StatsService
from lienthong.trust.receipts import ReceiptSigner

if TYPE_CHECKING:
    from lienthong.reporting.wiring import Reporting
    from lienthong.tasks.service import TaskService


@dataclass
class Container:
    settings: Settings
    db: Database
    blobs: BlobStore
    clock: Clock
    sealer: Sealer
    agencies: AgencyService
    exchange: ExchangeService
    audit: AuditService | None = None
    # Signs the receipt of every accepted package; None when hub_cert/hub_key are not set.
    receipts: ReceiptSigner | None = None
    audit_sealer: BackgroundSealer | None = None
    # Federation (hub_id set): the service, and its background worker (started by the app).
    federation: FederationService | None = None
    federation_worker: FederationWorker | None = None
    # Web users of the hub's screens (sign-in, roles, sessions).
    accounts: AccountService | None = None
    # The clerk application (van-thu) and, with a demo PKI at pki_dir, issuance.
    clerk: ClerkService | None = None
    issuance: IssuanceService | None = None
    # The monitoring centre (giam-sat); its daily aggregates follow the intake (write hook).
    stats: StatsService | None = None
    # Decree 09 reporting (bao-cao): built on first use, units seeded from the registry.
    reporting: Reporting | None = None
    # In-app notifications (thong-bao) of web users; arrivals follow the intake (write hook).
    notifications: NotificationService | None = None
    # The provincial platform API (LGSP style): consumer credentials, tokens, units.
    lgsp: LgspService | None = None
    # Readiness checks (/readyz, /metrics, the monitoring centre).
    health: HealthService | None = None
    # Blob garbage collection and abandoned staging folders, every blob_gc_interval_seconds
    # (started by the app's lifespan; only in a container that opened its own database).
    blob_collector: PeriodicCollector | None = None
    # Task tracking; its steps with another hub's agencies travel as task packages.
    tasks: TaskService | None = None

    def close(self) -> None:
        if self.blob_collector is not None:
            self.blob_collector.close()
        if self.federation_worker is not None:
            self.federation_worker.close()
        if self.audit_sealer is not None:
            self.audit_sealer.close()
        self.db.dispose()


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.max_package_bytes,
        max_text_bytes=settings.max_header_bytes,
        max_attachments=settings.max_attachments,
        max_inflated_bytes=settings.max_inflated_attachment_bytes,
    )


def build_container(
    settings: Settings, *, clock: Clock | None = None, db: Database | None = None
) -> Container:
    """Wire every service from ``settings`` (a given ``db`` or ``clock`` is used as is).

    A container that opens its own database (a hub process, a command) seals the audit chain
    in a background thread; one handed a ``db`` (tests, tools) starts no thread and seals
    when asked (``container.audit.seal()``).
    """
    owns_db = db is None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock or SystemClock()
    db = db or Database.from_url(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
    )
    blobs = make_blob_store(settings)
    sealer = sealer_from(settings)
    agencies = AgencyService(db, sealer, clock)
    receipts = receipt_signer(settings)
    audit = AuditService(db, clock, signer=receipts)
    blob_collector = None
    if owns_db and settings.blob_gc_interval_seconds > 0:
        blob_collector = PeriodicCollector(
            Collector(
                db=db,
                blobs=blobs,
                columns=blob_columns(load_all()),
                clock=clock,
                grace=timedelta(seconds=settings.blob_gc_grace_seconds),
                data_dir=settings.data_dir,
                staging_dir=settings.staging_dir,
            ),
            settings.blob_gc_interval_seconds,
            fixity_interval=settings.blob_fixity_interval_seconds,
        )
    audit_sealer = None
    if owns_db and settings.audit_seal_interval_seconds > 0:
        audit_sealer = BackgroundSealer(audit, interval=settings.audit_seal_interval_seconds)
    exchange = ExchangeService(
        db=db,
        blobs=blobs,
        clock=clock,
        limits=limits_from(settings),
        on_commit=audit_sealer.trigger if audit_sealer is not None else None,
        verifier=package_verifier(settings, clock, db),
    )
    federation, federation_worker = build_federation(
        settings, db, blobs, clock, exchange.intake, receipts
    )
    accounts = AccountService(db, clock)
    from lienthong.stats.store import install as install_stats

    install_stats()
    from lienthong.notifications.hooks import install as install_notifications

    install_notifications()
    clerk, issuance = build_clerk(settings, db, blobs, clock, exchange, accounts)
    tasks = build_tasks(settings, db, clock, agencies, blobs, exchange)
    from lienthong.reporting.wiring import Reporting

    return Container(
        tasks=tasks,
        clerk=clerk,
        issuance=issuance,
        stats=StatsService(db, clock),
        federation=federation,
        federation_worker=federation_worker,
        settings=settings,
        db=db,
        blobs=blobs,
        clock=clock,
        sealer=sealer,
        agencies=agencies,
        exchange=exchange,
        audit=audit,
        receipts=receipts,
        audit_sealer=audit_sealer,
        accounts=accounts,
        reporting=Reporting(settings, db, clock, agencies),
        notifications=NotificationService(db, clock),
        lgsp=LgspService(db, clock, token_seconds=settings.lgsp_token_seconds),
        blob_collector=blob_collector,
        health=HealthService(
            db=db,
            blobs=blobs,
            clock=clock,
            staging_dir=settings.staging_dir,
            margin_bytes=settings.storage_free_margin_bytes,
        ),
    )


def build_clerk(
    settings: Settings,
    db: Database,
    blobs: BlobStore,
    clock: Clock,
    exchange: ExchangeService,
    accounts: AccountService,
) -> tuple[ClerkService, IssuanceService | None]:
    """The clerk application; issuance and the leaders' demo signing keys when a demo PKI is
    at ``pki_dir`` (a real deployment plugs a signing device behind ``clerk.signing.Signer``)."""
    from lienthong.calendar import WorkingCalendar
    from lienthong.clerk.signing import (
        DemoKeySigner,
        OrganisationIdentities,
        RenewingDemoTrust,
        load_demo_pki,
    )

    pki = load_demo_pki(settings.resolved_pki_dir)
    issuance = signer = trust = None
    if pki is not None:
        trust = RenewingDemoTrust(pki, clock)
        signer = DemoKeySigner(pki)
        issuance = IssuanceService(
            db=db,
            exchange=exchange,
            clock=clock,
            trust=trust,
            organisations=OrganisationIdentities(pki),
            staging_dir=settings.staging_dir,
        )
    remote = None
    if settings.remote_signing_url:
        from lienthong.clerk.remote import CscClient, RemoteSigner

        remote = RemoteSigner(CscClient(settings.remote_signing_url, settings.remote_signing_token))
    clerk = ClerkService(
        db=db,
        exchange=exchange,
        blobs=blobs,
        clock=clock,
        accounts=accounts,
        staging_dir=settings.staging_dir,
        issuance=issuance,
        signer=signer,
        remote=remote,
        pdf_trust=trust,
        calendar=WorkingCalendar.from_settings(settings),
        processing_days=settings.clerk_processing_days,
        max_inflated_bytes=settings.max_inflated_attachment_bytes,
    )
    return clerk, issuance


def build_tasks(
    settings: Settings,
    db: Database,
    clock: Clock,
    agencies: AgencyService,
    blobs: BlobStore,
    exchange: ExchangeService,
) -> TaskService:
    """Task tracking, and its handler of task packages on the intake. Task packages are
    signed with the organisation's key of the demo PKI at ``pki_dir`` when it has one (a real
    deployment signs with the agency's device); otherwise they go unsigned."""
    from lienthong.calendar import WorkingCalendar
    from lienthong.clerk.signing import load_demo_pki
    from lienthong.tasks.exchange import TaskPackages
    from lienthong.tasks.service import TaskService
    from lienthong.trust.xmldsig import PackageSigner

    calendar = WorkingCalendar.from_settings(settings)
    pki = load_demo_pki(settings.resolved_pki_dir)
    signers: dict[str, PackageSigner] = {}

    def sign(agency: str, data: bytes) -> bytes:
        if pki is None or agency not in pki.organisations:
            return data
        if agency not in signers:
            signers[agency] = PackageSigner(pki.organisation(agency))
        return signers[agency].sign(data)

    if not any(isinstance(h, TaskPackages) for h in exchange.intake.handlers):
        exchange.intake.handlers.append(TaskPackages(calendar))
    return TaskService(
        db,
        clock,
        agencies,
        blobs,
        calendar,
        exchange=exchange,
        sign=sign,
        staging_dir=settings.staging_dir,
    )


def package_verifier(settings: Settings, clock: Clock, db: Database) -> PackageVerifier | None:
    """The trust policy's signature verifier (trust roots loaded once), or None when off."""
    from lienthong.trust.policy import SignatureVerifier, TrustMode, TrustPolicy, load_trust_roots

    policy = TrustPolicy.from_settings(settings)
    if policy.mode is TrustMode.OFF:
        return None
    roots = load_trust_roots(settings.resolved_trusted_roots)
    return SignatureVerifier.build(policy, roots, clock, db=db, limits=limits_from(settings))


def receipt_signer(settings: Settings) -> ReceiptSigner | None:
    """The hub's receipt signer from ``hub_cert``/``hub_key`` (loaded once), or None."""
    if settings.hub_cert is None or settings.hub_key is None:
        return None
    return ReceiptSigner.from_files(
        settings.hub_code, str(settings.hub_cert), str(settings.hub_key)
    )
