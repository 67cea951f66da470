"""Wiring of the federation into a hub process (called by :mod:`lienthong.web.container`)."""

from __future__ import annotations

import math
import ssl
from datetime import timedelta

from lienthong.blobs import BlobStore
from lienthong.clock import Clock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.exchange.intake import Intake, SendResult
from lienthong.federation.model import RetryPolicy, Route
from lienthong.federation.service import FederationService
from lienthong.federation.worker import DirectoryPuller, FederationWorker, Forwarder
from lienthong.trust.receipts import ReceiptSigner

FORWARD_BATCH = 32  # outbox items claimed per pass of the forwarder


def build_federation(
    settings: Settings,
    db: Database,
    blobs: BlobStore,
    clock: Clock,
    intake: Intake,
    signer: ReceiptSigner | None,
) -> tuple[FederationService | None, FederationWorker | None]:
    """The federation service and its worker when ``hub_id`` is set (the app's lifespan starts
    the worker). From then on the intake routes recipients of other hubs into the outbox, and
    each commit wakes the forwarder. ``redirect_merged`` is applied in any case."""
    intake.redirect_merged = settings.redirect_merged
    if not settings.hub_id:
        return None, None
    if settings.national_hub_url and not settings.national_hub_id:
        raise ValueError("national_hub_url needs national_hub_id")
    if settings.federation_mtls not in ("required", "off"):
        raise ValueError("federation_mtls is 'required' or 'off'")
    route = Route(settings.hub_id, settings.national_hub_id or settings.hub_id)
    intake.route = route
    service = FederationService(
        db=db,
        clock=clock,
        intake=intake,
        route=route,
        retry=RetryPolicy(
            first=settings.retry_first_seconds,
            factor=settings.retry_factor,
            maximum=settings.retry_max_seconds,
            attempts=settings.retry_max_attempts,
        ),
        # A claimed pass may take batch/concurrency request timeouts before it is recorded.
        lease=timedelta(
            seconds=settings.federation_timeout_seconds
            * (math.ceil(FORWARD_BATCH / settings.federation_forward_concurrency) + 1)
            + 5
        ),
        require_tls=settings.federation_mtls == "required",
    )
    tls = hub_tls_context(settings)

    def hub_url(code: str) -> str | None:
        url = service.hub_url(code)
        if url is None and code == route.national_hub and settings.national_hub_url:
            url = settings.national_hub_url.rstrip("/")
        return url

    forwarder = None
    if signer is not None:
        forwarder = Forwarder(
            service,
            blobs=blobs,
            signer=signer,
            clock=clock,
            hub_url=hub_url,
            timeout=settings.federation_timeout_seconds,
            batch=FORWARD_BATCH,
            concurrency=settings.federation_forward_concurrency,
            tls=tls,
        )
    puller = None
    if settings.national_hub_url and not route.is_national:
        puller = DirectoryPuller(
            service,
            settings.national_hub_url,
            timeout=settings.federation_timeout_seconds,
            tls=tls,
        )
    worker = FederationWorker(
        forwarder,
        puller,
        poll_seconds=settings.federation_poll_seconds,
        pull_seconds=settings.federation_pull_seconds,
    )
    previous = intake.on_commit

    def on_commit(result: SendResult) -> None:
        if previous is not None:
            previous(result)
        worker.trigger()

    intake.on_commit = on_commit
    return service, worker


def hub_tls_context(settings: Settings) -> ssl.SSLContext:
    """The TLS client side of hub to hub: checks the other hub's server certificate against
    ``federation_ca`` (default ``tls_ca``, else the system's trust store) and presents this
    hub's certificate and chain (``hub_cert``/``hub_key``) for mutual TLS."""
    ca = settings.federation_ca or settings.tls_ca
    context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    if settings.hub_cert is not None and settings.hub_key is not None:
        context.load_cert_chain(str(settings.hub_cert), str(settings.hub_key))
    return context
