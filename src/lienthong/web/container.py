"""The composition root: settings in, wired services out. Built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.agencies.service import AgencyService
from lienthong.blobs import BlobStore, make_blob_store
from lienthong.clock import Clock, SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.edxml.model import Limits
from lienthong.exchange.service import ExchangeService, PackageVerifier
from lienthong.secrets import Sealer, load_or_create_key


@dataclass
class Container:
    settings: Settings
    db: Database
    blobs: BlobStore
    clock: Clock
    sealer: Sealer
    agencies: AgencyService
    exchange: ExchangeService

    def close(self) -> None:
        self.db.dispose()


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.max_package_bytes,
        max_text_bytes=settings.max_header_bytes,
        max_attachments=settings.max_attachments,
    )


def build_container(
    settings: Settings, *, clock: Clock | None = None, db: Database | None = None
) -> Container:
    """Wire every service from ``settings`` (a given ``db`` or ``clock`` is used as is)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock or SystemClock()
    db = db or Database.from_url(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
    )
    blobs = make_blob_store(settings)
    sealer = Sealer(load_or_create_key(settings))
    agencies = AgencyService(db, sealer, clock)
    exchange = ExchangeService(
        db=db,
        blobs=blobs,
        clock=clock,
        limits=limits_from(settings),
        verifier=package_verifier(settings, clock, db),
    )
    return Container(
        settings=settings,
        db=db,
        blobs=blobs,
        clock=clock,
        sealer=sealer,
        agencies=agencies,
        exchange=exchange,
    )


def package_verifier(settings: Settings, clock: Clock, db: Database) -> PackageVerifier | None:
    """The trust policy's signature verifier (trust roots loaded once), or None when off."""
    from lienthong.trust.policy import SignatureVerifier, TrustMode, TrustPolicy, load_trust_roots

    policy = TrustPolicy.from_settings(settings)
    if policy.mode is TrustMode.OFF:
        return None
    roots = load_trust_roots(settings.resolved_trusted_roots)
    return SignatureVerifier.build(policy, roots, clock, db=db, limits=limits_from(settings))
